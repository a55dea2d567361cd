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

// kWarc: a WARC file (records); kFeed: an RSS or Atom feed (items). A file's content can
// overrule its name: the reader sniffs the first bytes (a WARC file is a WARC whatever its name).
enum class InputKind { kText, kHtml, kJsonl, kWarc, kFeed };

struct Input {
    std::string path;     // as given or found
    std::string id;       // document id for text and HTML files
    InputKind kind = InputKind::kText;
    std::string problem;  // set when the input cannot be used: reported instead of read
};

// The kind of a file by its extension, after a compression suffix (.gz, .zst, .zstd) is set
// aside: .html/.htm, .jsonl/.ndjson, .warc, .rss/.atom/.xml (feeds), anything else text.
InputKind kind_of(const std::string& path);
// The extension that names a file's type (lower case, with the dot): "x.jsonl.gz" -> ".jsonl".
std::string type_extension(const std::string& path);

// Expands `paths` ("-" is standard input) into inputs, in order. `extensions` are those read
// inside directories (lower case, with the dot; a compressed file is read when its
// type_extension() is one of them). *bytes_total grows by the regular files' sizes.
std::vector<Input> expand_inputs(const std::vector<std::string>& paths, const std::vector<std::string>& extensions,
                                 uint64_t* bytes_total);

}  // namespace doppel::ingest
