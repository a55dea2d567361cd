// doppel: what near-duplicate detection reads of a document's lines, apart from its shingles.
//
// A *line* is a run of the text between line breaks; lines are identified by
// Shingler::line_hash (the line with surrounding spaces trimmed, hashed; blank lines hash to 0
// and are left out). Boilerplate detection counts, per source, the documents holding each line
// (match/near_duplicate_finder.h); the repeated-line report lists the lines a document holds
// more than once. A LineSummary keeps exactly what those need, made once from the text, so that
// a run over stored documents (a store's "lines" artifact, index/near_duplicate_index.h) need not
// read the texts again.
//
// Thread safety: the functions are pure; call them from any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"

namespace doppel {

struct RepeatedLine {
    std::string text;    // the line, trimmed, as in the first occurrence
    uint32_t count = 0;  // occurrences in the document (>= 2)
};

struct LineSummary {
    uint64_t bytes = 0;                  // text size
    std::vector<uint64_t> lines;         // distinct line hashes of the non-blank lines, sorted
    std::vector<RepeatedLine> repeated;  // lines occurring more than once, of any length, in
                                         // the order find_repeated_lines gives them
};

// Calls fn(line) for every line of `text`, without its '\n' (the one line splitter of the
// near-duplicate rules: line counts, repeated lines, boilerplate lines).
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const void* p = std::memchr(text.data() + pos, '\n', text.size() - pos);
        const std::size_t nl = p ? static_cast<const char*>(p) - text.data() : text.size();
        fn(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
}

// The distinct line hashes of `text`'s non-blank lines, sorted, into *out (cleared first).
void distinct_line_hashes(std::string_view text, std::vector<uint64_t>* out);
// The lines of `text` occurring more than once, trimmed and at least min_bytes long, appended to
// *out by line hash (the text of a line's first occurrence).
void find_repeated_lines(std::string_view text, int min_bytes, std::vector<RepeatedLine>* out);
// The summary of `text`. Its repeated lines of at least min_bytes (in their order) are what
// find_repeated_lines(text, min_bytes) gives.
LineSummary summarize_lines(std::string_view text);

// The source of a document whose lines boilerplate detection counts together
// (match/near_duplicate_finder.h): "url:" and the URL's host (lower-cased) where it has a URL,
// else "file:" and the JSONL file of a "PATH:LINE" source, else "dir:" and the source's folder.
std::string document_source_key(const Document& doc);
// Its 64-bit hash (XXH3), by which the lines are counted: a store's "lines" artifacts record it
// (index/near_duplicate_index.h), so a count over a store need not read the documents.
uint64_t document_source_hash(const Document& doc);

}  // namespace doppel
