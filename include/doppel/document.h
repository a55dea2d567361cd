// doppel: the document as it travels through the pipeline.
//
//   ingest  ->  Document                (id, original text, where it came from)
//   analyze ->  AnalyzedDocument        (+ normalized text, paragraphs, languages, hash)
//   store   ->  rows of the Store       (see store/store.h)
//
// Terms used across doppel:
//  - id: the document's name. For a file found under a directory argument, its path relative to
//    that directory, '/'-separated, without the last extension ("vi/ls.1"); for a file given by
//    name, its file name without the last extension; for a JSONL record, its "id" field.
//  - paragraph: one non-blank line of the document's text. Ingest turns HTML blocks and JSONL
//    "\n" into lines, so a paragraph is what a page shows as one block.
//  - span: a half-open byte range [begin, end) into a UTF-8 string.
//
// All types here are plain values: copy, move and share them freely between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace doppel {

struct Span {
    uint32_t begin = 0;
    uint32_t end = 0;
    uint32_t size() const { return end - begin; }
    bool operator==(const Span&) const = default;
};

struct Document {
    std::string id;
    std::string text;    // UTF-8, as extracted (HTML already turned into text)
    std::string source;  // file path (and ":LINE" for a JSONL record), or "-"
    std::string url;     // optional metadata, empty when unknown
    std::string title;
    std::string date;
    std::string lang_hint;  // a "lang" field given by the input, if any
};

struct Paragraph {
    Span span;                   // byte range in Document::text
    std::string lang;            // ISO 639-1 code where one exists (fastText's label otherwise)
    float lang_confidence = 0;   // fastText probability of `lang`, in [0, 1]
    bool lang_inherited = false; // too short to identify: took the document's language
};

struct AnalyzedDocument {
    Document doc;
    std::string lang;                      // main language of the whole document
    float lang_confidence = 0;
    std::vector<Paragraph> paragraphs;
    std::vector<std::string> other_languages;  // paragraph languages that differ from `lang`
    std::string content_hash;              // hex XXH3-128 of doc.text
    // The language model's own top label of the whole text (what the store's likely languages
    // are counted from), and, when `lang` was chosen among the likely languages because that
    // label is not trusted (a short or unsure text), what it was chosen from: the model's labels,
    // letters and the record's lang hint, encoded by langid (encode_language_scores in
    // langid/language_identifier.h); "" when the top label was taken as it is.
    std::string lang_top;
    std::string lang_scores;
};

}  // namespace doppel
