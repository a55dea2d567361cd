// doppel (private): the aligner's dynamic program on one level of the search: the least-cost
// monotonic sequence of beads inside a band of the lattice (align/aligner.h: "The method").
#pragma once

#include <cstddef>
#include <vector>

#include "align/search_level.h"
#include "doppel/align/aligner.h"

namespace doppel::impl {

// A bead type: la rows of A with lb rows of B (1-0 and 0-1 skip a row).
struct BeadType {
    std::size_t la = 0, lb = 0;
};

// One bead of a path: rows [i0, i1) of A with rows [j0, j1) of B.
struct PathStep {
    std::size_t i0 = 0, j0 = 0, i1 = 0, j1 = 0;
    double cost = 0;  // the bead's cost
    float sim = 0;    // cosine of its sides in the search's feature space (0 for skips)
};

// The search band: lattice row i (0..rows of A) holds columns [lo[i], hi[i]] (rows of B
// consumed), both non-decreasing in i.
struct SearchBand {
    std::vector<std::size_t> lo, hi;
};

// 1-0, 0-1, then every la-lb with la, lb in 1..max_side and la + lb <= max_units.
std::vector<BeadType> bead_types(const AlignerOptions& options);

// Gale-Church: -log P(|delta|) of the standardized difference of the lengths of a bead's sides,
// B expected to be `ratio` times as long as A.
double length_cost(double len_a, double len_b, double ratio, double variance);

// The expected ratio of B's length to A's: b / a, clamped to [1/4, 4]; `fallback` when either
// is 0.
double length_ratio(double len_a, double len_b, double fallback);

// Least-cost path from (0, 0) to (rows of A, rows of B) through the band of one level.
// Throws doppel::Error (kInternal) when the band holds no path.
std::vector<PathStep> search_band(const SearchLevel& level, const SearchBand& band,
                                  const AlignerOptions& options, double ratio,
                                  const std::vector<BeadType>& types);

}  // namespace doppel::impl
