// doppel: what `doppel translations --incremental` leaves in a store for its next run
// (ops/translations.h, incremental mode), in the file kTranslationStateFile of the store's folder.
//
// Terms:
//  - state: the documents a run matched (their seqs, in the run's order, and the matching
//    language of each), the specs it ran with (one string, compared whole), and its candidate
//    tables (match/candidate_table.h): the first pass's and the second pass's (no documents
//    without a second pass). Only who is whose candidate is kept, not the similarities: a later
//    run rescores every list with its own weights.
//  - placing: a table of the state's documents moved onto the documents of a later run (a
//    superset: the store only grew), each list following its document's new position and each
//    candidate its document's; the added documents' lists are empty.
//
// File (version kTranslationStateVersion; little-endian, as the machines doppel runs on):
//   "DPTS", uint32 version, string specs, uint64 n, int64 seqs[n], uint32 langs[n], then each
//   table: uint64 documents, uint32 capacity, uint32 L, L strings (the languages), uint64 and
//   the bytes of `searched`, uint32 sizes[documents * L], then every list's entries (uint32
//   positions) one list after the other. A string is a uint32 length and its bytes.
// A million documents of 6 languages in two tables take about 350 MB.
//
// Thread safety: plain functions; one writer per file (save writes a temporary file and
// renames it, so a reader sees the old state or the new one whole).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "doppel/match/candidate_table.h"

namespace doppel {

inline constexpr const char* kTranslationStateFile = "translations.state";
inline constexpr uint32_t kTranslationStateVersion = 1;

struct TranslationState {
    std::string specs;            // the specs of the run (see ops/translations.cpp, run_specs)
    std::vector<int64_t> seqs;    // the documents matched, in the run's order (positions)
    std::vector<uint32_t> langs;  // per document, its matching language's position in first.languages
    CandidateTable first;         // the first pass's candidates (positions into seqs)
    CandidateTable second;        // the second pass's; documents() == 0 without a second pass
};

// Writes `state` to `path` (through path + ".tmp", renamed). Throws doppel::Error (kIo).
void save_translation_state(const std::string& path, const TranslationState& state);

// Reads a state; nullopt when `path` does not exist. Throws doppel::Error: kVersion for another
// version, kBadFormat for a truncated or inconsistent file, kIo when it cannot be read.
std::optional<TranslationState> load_translation_state(const std::string& path);

// `table` (of the documents `from`, by seq) placed onto the documents `to` (see placing above).
// Every seq of `from` must be in `to` (else doppel::Error kInvalidArgument); the similarities
// of the placed candidates are 0 until rescored.
CandidateTable place_table(const CandidateTable& table, std::span<const int64_t> from, std::span<const int64_t> to);

}  // namespace doppel
