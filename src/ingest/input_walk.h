// doppel (private): turning the paths given to a DocumentReader into the list of inputs to read.
//
// A directory is walked recursively in sorted order; every entry that is not read is reported
// with the reason (a file of an unknown type, a symbolic link to a folder, an unreadable folder,
// a loop of links), never skipped silently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace doppel::ingest {

enum class InputKind { kText, kHtml, kJsonl };

struct Input {
    std::string path;     // as given or found
    std::string id;       // document id for text and HTML files
    InputKind kind = InputKind::kText;
    std::string problem;  // set when the input cannot be used: reported instead of read
};

// The kind of a file by its extension (.html/.htm, .jsonl/.ndjson, anything else text).
InputKind kind_of(const std::string& path);

// Expands `paths` ("-" is standard input) into inputs, in order. `extensions` are those read
// inside directories (lower case, with the dot). *bytes_total grows by the regular files' sizes.
std::vector<Input> expand_inputs(const std::vector<std::string>& paths, const std::vector<std::string>& extensions,
                                 uint64_t* bytes_total);

}  // namespace doppel::ingest
