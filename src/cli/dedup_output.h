// How `doppel dedup` writes a NearDuplicateResult (formats in ../shared/docs/INTERFACE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>

#include "doppel/match/near_duplicate_finder.h"

namespace doppel::cli {

// Pairs (TSV: near and exact only, "ID_A<TAB>ID_B<TAB>JACCARD" with ID_A < ID_B; JSONL: every
// kind), then in JSONL the clusters, the repeated lines and a summary that records the spec.
// JSONL pairs and cluster members carry the documents' url, title and date (url_a, title_b, ...)
// when `store_dir` names the store they came from. Returns (near and exact pairs, partial copies).
std::pair<std::size_t, std::size_t> write_result(std::ostream& out, const NearDuplicateResult& r, bool jsonl,
                                                 const std::string& store_dir = "");

// The summary line: documents, bytes, candidates, pairs, partial copies, clusters, LSH bands and
// rows, and the throughput over `secs`.
std::string summary_line(const NearDuplicateResult& r, std::size_t n_near, std::size_t n_partial,
                         double secs);
// What the summary line adds for `dedup --store --new` (find_new_stored_duplicates).
std::string new_run_note(std::size_t new_docs, int64_t since, const std::string& full_run);

}  // namespace doppel::cli
