// doppel (private): the aligner's last phase: the beads of the path found, their scores, and
// the pair's coverage, score and label (align/aligner.h: "Scores").
#pragma once

#include <vector>

#include "align/bead_search.h"
#include "align/null_model.h"

namespace doppel::impl {

// The path with adjacent beads merged where they cross (AlignerOptions::cross_sigmas; aligner.h
// "Crossing beads"): at most cross_max_side units a side; the path itself when cross_sigmas <= 0.
std::vector<PathStep> merge_crossing_beads(const std::vector<PathStep>& path, const UnitFeatures& features,
                                           const NullModel& null, const AlignerOptions& options);

// The path with each lone unit (a 1-0 or 0-1 bead) joined to a neighbouring aligned bead when
// the evidence says it belongs there (AlignerOptions::absorb_floor, absorb_fall; aligner.h
// "Lone units"): its own cosine with the bead's other side is at least absorb_floor and the
// joined bead's cosine is at most absorb_fall below the bead's. The path itself when
// absorb_floor <= 0.
std::vector<PathStep> absorb_lone_units(const std::vector<PathStep>& path, const UnitFeatures& features,
                                        const AlignerOptions& options);

// The path with stray units shed from the edges of merged beads (AlignerOptions::shed_floor;
// aligner.h "Lone units"): a unit at the start or end of a bead's side, next to a lone unit of
// the same side, leaves the bead when its own cosine with the bead's other side is under
// shed_floor (one by one; the bead keeps a unit a side). The path itself when shed_floor <= 0.
std::vector<PathStep> shed_stray_edges(const std::vector<PathStep>& path, const UnitFeatures& features,
                                       const AlignerOptions& options);

// Fills out.beads, out.cost, coverage_a/b, quality, score and label from `path` (beads of
// units). out.document_similarity must be set (the same-story label reads it).
void score_alignment(const std::vector<PathStep>& path, const UnitFeatures& features, const NullModel& null,
                     double ratio, bool same_language, const AlignerOptions& options, Alignment& out);

}  // namespace doppel::impl
