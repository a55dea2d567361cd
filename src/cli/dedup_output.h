// How `doppel dedup` writes a NearDuplicateResult (formats in ../shared/docs/INTERFACE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/common.h"
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
// Appends the paths listed in `file` (one a line, blank lines skipped) to *paths: --files-from.
void append_path_list(const std::string& file, std::vector<std::string>& paths);

// `dedup --store DIR [--new]`: the run over the store. With only_new (find_new_stored_duplicates)
// *note is what the summary line adds and *record records the run's place in the store: call it
// once the output is written, so that a run whose output was lost is not recorded.
NearDuplicateResult run_stored_dedup(const std::string& dir, bool only_new, const NearDuplicateOptions& opt,
                                     std::size_t batch, Progress& progress, std::string* note,
                                     std::function<void()>* record);

}  // namespace doppel::cli
