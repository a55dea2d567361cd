// doppel: aligning pairs of documents, end to end: stored documents or files read as units,
// aligned unit by unit (align/aligner.h), scored and labelled; one pair or a batch.
//
// Usage:
//   auto aligner = doppel::make_aligner("models");
//   doppel::UnitReader reader(doppel::UnitKind::kSentences);
//   doppel::AlignedPair p = doppel::align_stored_pair(store, "a", "b", *aligner, reader);
//   p.alignment.label, p.alignment.score, p.alignment.beads  // beads index p.a.units, p.b.units
//   auto scored = doppel::score_pairs(pairs, *aligner, reader, &store);  // a batch, in parallel
//
// Terms:
//  - unit document: a document's text, language and units (align/units.h: lines, sentences or
//    paragraphs), the form the aligner takes (side()).
//  - aligned pair: two unit documents and their Alignment (beads, coverages, quality, score,
//    pair label).
//
// Thread safety: UnitReader is not safe for concurrent use (it holds an ICU segmenter); the
// functions use the reader and store they are given from the calling thread only. The Aligner
// is used concurrently by score_pairs (Aligner::align_batch), which it allows.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/align/aligner.h"
#include "doppel/align/units.h"
#include "doppel/document.h"
#include "doppel/langid/language_identifier.h"

namespace doppel {

class Segmenter;
class Store;

struct UnitDocument {
    std::string id;
    std::string text;
    std::string lang;                   // "" when unknown
    UnitKind kind = UnitKind::kSentences;
    std::vector<Span> units;            // byte spans of text, in order
    std::string_view unit(std::size_t i) const { return std::string_view(text).substr(units[i].begin, units[i].size()); }
    // The texts of units [from, to) joined with a space.
    std::string unit_text(std::size_t from, std::size_t to) const;
    AlignSide side() const;             // views into text: keep this object alive
};

struct AlignedPair {
    UnitDocument a, b;
    Alignment alignment;                // beads over a.units and b.units, scores, label
    std::size_t aligned_beads() const;  // beads with units on both sides
};

// Reads documents as unit documents of one kind. Owns the segmenter it splits with.
class UnitReader {
public:
    // langid (not owned, may be null) identifies the language of files that do not name it.
    explicit UnitReader(UnitKind kind, const LanguageIdentifier* langid = nullptr);
    ~UnitReader();
    UnitReader(const UnitReader&) = delete;
    UnitReader& operator=(const UnitReader&) = delete;

    UnitKind kind() const { return kind_; }
    // Splits a text in the language given (units follow its sentence rules).
    UnitDocument from_text(std::string id, std::string text, std::string lang);
    // The same, the language identified as from_file() does when `lang` is empty (and there is a
    // language identifier).
    UnitDocument from_text_identified(std::string id, std::string text, std::string lang = "");
    // A stored document, with its stored language. Throws doppel::Error (kNotFound) when the
    // store has no document of that id.
    UnitDocument from_store(const Store& store, const std::string& id);
    // A file as the CLI reads inputs: in lines mode the raw text (one unit a non-blank line, the
    // id the file's stem), otherwise through the document reader (HTML and JSONL turned into
    // text; the first record); the language from the record, else identified from
    // language_sample() when there is a language identifier. Throws doppel::Error when the file
    // cannot be read (kIo), is not UTF-8 (kBadFormat) or holds no document (kNotFound).
    UnitDocument from_file(const std::string& path);

private:
    UnitKind kind_;
    const LanguageIdentifier* langid_;
    std::unique_ptr<Segmenter> segmenter_;
};

// The language identifier of models_dir/lid.176.ftz, or null when the file is not there
// (languages are then unknown).
std::unique_ptr<LanguageIdentifier> load_language_identifier(const std::string& models_dir);

// The aligner of a spec; when spec is empty Aligner::kDefaultSpec, Aligner::kBridgeSpec when
// models_dir has bridge.lex but no pairs.lex, Aligner::kLexicalSpec when it has no bridge.lex.
// Throws doppel::Error on a bad spec or a missing model.
std::unique_ptr<Aligner> make_aligner(const std::string& models_dir, const std::string& spec = "");

// Aligns two unit documents (taken over into the result).
AlignedPair align_documents(UnitDocument a, UnitDocument b, const Aligner& aligner);
// Aligns two stored documents; throws doppel::Error (kNotFound) when one is not stored.
AlignedPair align_stored_pair(const Store& store, const std::string& id_a, const std::string& id_b,
                              const Aligner& aligner, UnitReader& reader);
// Aligns two files (read as UnitReader::from_file).
AlignedPair align_files(const std::string& path_a, const std::string& path_b, const Aligner& aligner,
                        UnitReader& reader);

// A pair to score: two store ids, or two file paths.
struct PairToScore {
    std::string a, b;
};
struct ScoredPair {
    AlignedPair pair;   // empty when error is set
    std::string error;  // why a document could not be read ("" when aligned)
    bool ok() const { return error.empty(); }
};
// Reads both sides of every pair (from `store` when given, else as files) and aligns the pairs
// in one batch (Aligner::align_batch). out[k] is pairs[k]'s result; a pair whose document cannot
// be read gets an error and no alignment, the others are still scored.
std::vector<ScoredPair> score_pairs(std::span<const PairToScore> pairs, const Aligner& aligner, UnitReader& reader,
                                    const Store* store = nullptr);

}  // namespace doppel
