// How `doppel dedup` writes a NearDuplicateResult (formats in ../shared/docs/INTERFACE.md).
#pragma once

#include <cstddef>
#include <ostream>
#include <utility>

#include "doppel/match/near_duplicate_finder.h"

namespace doppel::cli {

// Pairs (TSV: near and exact only, "ID_A<TAB>ID_B<TAB>JACCARD" with ID_A < ID_B; JSONL: every
// kind), then in JSONL the clusters, the repeated lines and a summary that records the spec.
// Returns (near and exact pairs, partial copies).
std::pair<std::size_t, std::size_t> write_result(std::ostream& out, const NearDuplicateResult& r, bool jsonl);

}  // namespace doppel::cli
