// doppel: reading documents from files, directories and JSONL streams.
//
// Usage:
//   doppel::DocumentReader reader({"seeds/", "feed.jsonl"});
//   std::vector<doppel::Document> docs;
//   std::vector<doppel::RecordError> errors;
//   while (reader.next_batch(256, docs, errors)) { ...use docs...; docs.clear(); }
//
// Inputs (by extension): .txt (UTF-8 text; UTF-16 and UTF-32 with a byte-order mark are
// converted), .html/.htm (text extracted with gumbo, see extract_html_text(): the article of a
// news page, else all its visible text; a <meta charset> other than UTF-8 is converted with
// ICU), .jsonl/.ndjson (one JSON object a line: "id" and "text" or
// "html" required; "url", "lang", "title", "date" optional), .warc (WARC/1.0 and 1.1: each
// response, resource or conversion record holding HTML or text is a document, id and url its
// WARC-Target-URI, date its WARC-Date, its charset from the HTTP header or the page's <meta>),
// .rss/.atom/.xml (RSS or Atom feeds, by their root element: each item or entry is a document,
// id its guid or Atom id, else its link; url its link; date its pubDate or published, in ISO 8601
// UTC; title; source the feed's title with PATH:LINE), and "-" for JSONL on standard input.
// Any of them may be gzip (one or more members, as per-record WARC.gz) or zstd compressed: the
// compression is recognized by the first bytes, whatever the name ("x.jsonl.gz" and a gzip file
// named "x.jsonl" both work), and read as a stream; the limits below apply to the decompressed
// bytes. A file that starts with a WARC version line is read as WARC whatever its name.
// Directories are walked recursively in sorted order; given by name, a file of any other
// extension is read as text. Document::source is PATH (text, HTML), PATH:LINE (JSONL, feed
// items), PATH@BYTE (WARC records: the offset in the decompressed WARC stream).
//
// Nothing is skipped silently. One bad record (a missing file, invalid UTF-8, binary data,
// malformed JSON, a missing or empty text, more than max_document_bytes, HTML nested beyond
// HtmlLimits, a broken WARC record, a feed item without an id) becomes a RecordError naming the
// file and line (or byte offset), and reading goes on with the next record; a truncated or
// corrupt compressed stream or XML error ends its file with one RecordError, the records before
// it kept; so does every entry of a folder that is not read (a file of another type, a link to a
// folder, an unreadable folder, a loop of links) and an input that holds no record.
//
// Bounded: no read keeps more than the limit in memory, whatever the input is (a pipe, a device
// such as /dev/zero, a JSONL line of hundreds of megabytes on standard input: it is skipped).
//
// Thread safety: a DocumentReader is a single-threaded cursor; use one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"
#include "doppel/error.h"

namespace doppel {

// What extract_html_text() keeps of a page.
//   kArticle  the article: the main content region of the page (chosen by how much prose and how
//             few links its blocks hold, and by <article>, <main>, itemprop=articleBody and
//             class/id hints), less the navigation, menus, cookie banners, sharing buttons and
//             related-links lists in and around it. A short page (under about 500 characters
//             of text), or one where no region holds most of the prose (a home page, a list),
//             is kept whole, as by kAll: short HTML documents and JSONL fragments lose nothing.
//   kAll      all visible text: only script, style, form, nav, header, footer, aside, menu and
//             similar elements are dropped.
enum class HtmlExtract { kArticle, kAll };

const char* html_extract_name(HtmlExtract extract);  // "article", "all"

// How DocumentReader reads; spec "reader:max_bytes=16777216,extract=article".
//   max_bytes  16 MiB   max_document_bytes
//   extract    article  extract: "article" or "all" (HtmlExtract), for .html files, WARC pages
//                       and JSONL "html" fields alike (a feed item's HTML is the publisher's
//                       text without a page around it: always all of it)
struct ReaderOptions {
    // Largest document accepted, in bytes of text (a JSONL line may be that plus its JSON).
    std::size_t max_document_bytes = 16u << 20;  // 16 MiB
    // A file whose first 8 KiB hold a NUL byte, or more than this share of control characters,
    // is treated as binary and skipped.
    double max_control_fraction = 0.10;
    // Extensions read when walking a directory (lower-case, with the dot).
    // A compressed file (".jsonl.gz", ".warc.zst") is read when the extension before its
    // compression suffix is one of these.
    std::vector<std::string> extensions = {".txt", ".html", ".htm", ".jsonl", ".ndjson",
                                           ".warc", ".rss", ".atom", ".xml"};
    // What of an HTML page becomes the document's text.
    HtmlExtract extract = HtmlExtract::kArticle;

    // Parses a "reader:key=value,..." spec (keys above; others keep their defaults); throws
    // doppel::Error (kBadSpec) on an unknown key or value. describe() gives the spec back.
    static ReaderOptions from_spec(const std::string& spec);
    std::string describe() const;
};

// Bounds on the HTML a page may hold before it is parsed (deep or unclosed markup makes parsing
// quadratic). Depth counts elements that need an end tag (not <p>, <li>, <br>, ...).
struct HtmlLimits {
    std::size_t max_depth = 1024;           // deepest nesting of elements
    std::size_t max_elements = 1u << 20;    // elements in the page
};

// Extracts readable text from an HTML page (UTF-8): one line per block (p, div, li, h1, br...),
// what `extract` keeps (see HtmlExtract); *title gets the <title> when title is not null. The one
// extraction every page goes through (.html files, WARC pages, JSONL "html", feed items).
// Returns false and sets *reason (one sentence) without parsing when the page exceeds `limits`.
// Thread safe (no shared state).
bool extract_html_text(std::string_view html, std::string* text, std::string* title, std::string* reason,
                       HtmlExtract extract = HtmlExtract::kArticle, const HtmlLimits& limits = {});
// The same, returning the text ("" for a page over the limits).
std::string html_to_text(const std::string& html, std::string* title = nullptr,
                         HtmlExtract extract = HtmlExtract::kArticle);

// Checks that `text` is valid UTF-8. On failure returns false and sets *line (1-based) and
// *byte_offset to where the first invalid sequence starts.
bool validate_utf8(const std::string& text, std::size_t* line = nullptr,
                   std::size_t* byte_offset = nullptr);

// The checks every document's text gets from the reader, for documents made elsewhere (from
// Python, say): at most options.max_document_bytes, not binary, valid UTF-8, not blank; line
// ends made "\n" in place. Returns ""
// when the text is usable, else the reason (as RecordError::reason); *line (when given) gets the
// 1-based line of an invalid UTF-8 sequence, else 0.
std::string check_document_text(std::string& text, const ReaderOptions& options = {},
                                std::size_t* line = nullptr);

class DocumentReader {
public:
    explicit DocumentReader(std::vector<std::string> paths, ReaderOptions options = {});
    // Reads JSONL from `in` (named `name` in messages) instead of from paths.
    DocumentReader(std::istream& in, std::string name, ReaderOptions options = {});
    ~DocumentReader();
    DocumentReader(const DocumentReader&) = delete;
    DocumentReader& operator=(const DocumentReader&) = delete;

    // Appends up to `max_docs` documents to `out` and any bad records met on the way to `errors`,
    // stopping early once the texts appended reach `max_bytes` (the record that reaches it is
    // kept). Returns false once every input is exhausted (and nothing was appended).
    bool next_batch(std::size_t max_docs, std::vector<Document>& out, std::vector<RecordError>& errors,
                    std::size_t max_bytes = SIZE_MAX);

    // Progress: bytes consumed so far, and the total size of the regular files to read (known
    // after the first call; standard input is not counted).
    uint64_t bytes_read() const;
    uint64_t bytes_total() const;
    // One line per input that held records which are not documents by design (WARC request and
    // metadata records, responses that are images or redirects), with their counts by kind:
    // "PATH: 12 records are not documents (5 WARC request records, ...)". Not errors.
    std::vector<std::string> notes() const;

    std::string describe() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
