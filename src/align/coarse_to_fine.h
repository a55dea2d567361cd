// doppel (private): the aligner's coarse-to-fine search (align/aligner.h: "The method"): units
// merged pairwise into blocks until the lattice is small enough to search in full, then each
// finer level searched only near the path found one level up.
#pragma once

#include <cstddef>
#include <vector>

#include "align/bead_search.h"

namespace doppel::impl {

struct CoarseToFinePath {
    std::vector<PathStep> path;  // beads of units, in document order
    std::size_t levels = 1;      // resolutions searched (1: the full lattice at once)
};

// The least-cost path of beads of `units` (level 0), searched coarse to fine.
CoarseToFinePath search_coarse_to_fine(const SearchLevel& units, const AlignerOptions& options, double ratio,
                                       const std::vector<BeadType>& types);

}  // namespace doppel::impl
