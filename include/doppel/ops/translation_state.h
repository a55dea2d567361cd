// doppel: what `doppel translations --incremental` leaves in a store for its next run
// (ops/translations.h, incremental mode), in the file kTranslationStateFile of the store's folder.
//
// Terms:
//  - state: the documents a run matched (their seqs, in the run's order, and the matching
//    language of each), the specs it ran with (one string, compared whole), and its candidate
//    tables (match/candidate_table.h): the first pass's and the second pass's (no documents
//    without a second pass), each candidate with its similarity as the run scored it: a later
//    run keeps the old documents' lists as they are scored (rescoring them would cost the
//    whole store) and scores only what the added documents bring. With a second pass, the
//    word associations it was made with (match/feature_associations.h), which a later run
//    applies again instead of learning them again from the whole store. For each pass, what its
//    links were made from (match/matcher.h, LinkState: each language pair's no-counterpart floor
//    and the strong candidate links, labelled), so that a later run makes again only the links
//    of the documents whose lists changed (Matcher::relink). And what each pass weighed with:
//    its document frequencies (the second pass's over the rewritten counts) and every
//    document's length, so that a later run weighs only the documents it reads (the frequencies
//    of a grown store are these plus the added documents').
//  - placing: a table of the state's documents moved onto the documents of a later run (a
//    superset: the store only grew), each list following its document's new position and each
//    candidate its document's, with its similarity; the added documents' lists are empty.
//
// File (version kTranslationStateVersion; little-endian, as the machines doppel runs on):
//   "DPTS", uint32 version, string specs, uint64 n, int64 seqs[n], uint32 langs[n], then each
//   table: uint64 documents, uint32 capacity, uint32 L, L strings (the languages), uint64 and
//   the bytes of `searched`, uint32 sizes[documents * L], then every list's entries, one list
//   after the other: its uint32 positions, then their float similarities; then uint32 A
//   languages of associations, each: its string, uint64 m, m times (uint64 source, uint64
//   target, uint32 count, float dice), uint64 f, uint64 false senses[f]; then the first pass's
//   and the second pass's link states: uint32 P, float floors[P], uint64 s, s times (uint32 a,
//   uint32 b, float score, similarity, margin, anchors, uint8 label, uint8 url evidence); then
//   (version 4) the first pass's and the second pass's weighing: uint64 documents, uint64 f, f
//   times (uint64 feature, uint32 df) in feature order, uint64 l (n, or 0 without the pass),
//   float lengths[l]. A string is a uint32 length and its bytes. Version 3 (before the weighing)
//   is read without it (a run extending it counts it from the stored counts, ops/translations.h);
//   versions 1 (before the similarities) and 2 (before the link states) are refused: a full run.
// A million documents of 6 languages in two tables take about 650 MB; the link states 26 bytes
// a strong link (7.3 MB at 200,000 documents).
//
// Thread safety: plain functions; one writer per file (save writes a temporary file and
// renames it, so a reader sees the old state or the new one whole).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/match/candidate_table.h"
#include "doppel/match/feature_associations.h"
#include "doppel/match/matcher.h"

namespace doppel {

inline constexpr const char* kTranslationStateFile = "translations.state";
inline constexpr uint32_t kTranslationStateVersion = 4;

struct TranslationState {
    std::string specs;            // the specs of the run (see ops/translations.cpp, run_specs)
    std::vector<int64_t> seqs;    // the documents matched, in the run's order (positions)
    std::vector<uint32_t> langs;  // per document, its matching language's position in first.languages
    CandidateTable first;         // the first pass's candidates (positions into seqs)
    CandidateTable second;        // the second pass's; documents() == 0 without a second pass
    FeatureAssociations associations;  // the second pass's (empty without one)
    LinkState first_links, second_links;  // what each pass's links were made from (positions into seqs)
    // What each pass weighed with (version 4; a state of version 3 reads as not saved): the
    // document frequencies and, per document, its length (MatchDocument::length); the second
    // pass's empty without one.
    struct Weighing {
        DocumentFrequencies frequencies;
        std::vector<float> lengths;
    };
    Weighing first_weighing, second_weighing;
    bool has_weighing() const { return !first_weighing.lengths.empty(); }
};

// Writes `state` to `path` (through path + ".tmp", renamed). Throws doppel::Error (kIo).
void save_translation_state(const std::string& path, const TranslationState& state);

// Reads a state; nullopt when `path` does not exist. Throws doppel::Error: kVersion for another
// version, kBadFormat for a truncated or inconsistent file, kIo when it cannot be read.
std::optional<TranslationState> load_translation_state(const std::string& path);

// `table` (of the documents `from`, by seq) placed onto the documents `to` (see placing above).
// Every seq of `from` must be in `to` (else doppel::Error kInvalidArgument).
CandidateTable place_table(const CandidateTable& table, std::span<const int64_t> from, std::span<const int64_t> to);
// The same with the placing given: document d of `table` becomes document moved[d] of a table of
// `to_size` documents (for a caller that has matched the seqs already).
CandidateTable place_table(const CandidateTable& table, std::span<const uint32_t> moved, std::size_t to_size);
// A link state placed the same way: each link's documents a and b become moved[a] and moved[b].
LinkState place_links(LinkState links, std::span<const uint32_t> moved);

}  // namespace doppel
