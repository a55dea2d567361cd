// How `doppel dedup` writes a NearDuplicateResult (formats in ../shared/docs/INTERFACE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/common.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/duplicates.h"

namespace doppel::cli {

// Pairs (TSV: near and exact only, "ID_A<TAB>ID_B<TAB>JACCARD" with ID_A < ID_B; JSONL: every
// kind), then in JSONL the clusters, the repeated lines and a summary that records the spec.
// JSONL pairs and cluster members carry the documents' url, title and date (url_a, title_b, ...)
// when `store` is the store they came from. Returns (near and exact pairs, partial copies).
std::pair<std::size_t, std::size_t> write_result(std::ostream& out, const NearDuplicateResult& r, bool jsonl,
                                                 const Store* store = nullptr);

// The summary line: documents, bytes, candidates, pairs, partial copies, clusters, LSH bands and
// rows, and the throughput over `secs`.
std::string summary_line(const NearDuplicateResult& r, std::size_t n_near, std::size_t n_partial,
                         double secs);
// What `dedup --store --new` adds to the summary line: the new documents, after which seq, and
// why it was a full run if it was ("" without --new).
std::string new_note(const StoredDedupRun& r);
// Appends the paths listed in `file` (one a line, blank lines skipped) to *paths: --files-from.
void append_path_list(const std::string& file, std::vector<std::string>& paths);

}  // namespace doppel::cli
