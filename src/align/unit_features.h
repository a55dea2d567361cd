// doppel (private): the aligner's first phase, the feature vectors of the units of two
// documents (align/aligner.h: "The method").
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "align/search_level.h"
#include "doppel/align/aligner.h"

namespace doppel::impl {

using WeightedEncoders = std::vector<std::pair<float, std::unique_ptr<UnitEncoder>>>;

// The units of both sides over one vocabulary of features, weighted by inverse document
// frequency over the units of the two documents.
struct UnitFeatures {
    SearchLevel units;  // level 0 of the search: one row per unit, one unit per row
    // Squared norm of each unit's one-sided features (found in one document only) that the
    // rows leave out or scale down by AlignerOptions::unshared_weight; scores count them.
    std::vector<double> extra_a, extra_b;
    Eigen::Index vocabulary = 0;  // features seen on either side; the rows have max(vocabulary, 1) columns
    double total_a = 0, total_b = 0;  // characters of each side
};

// Runs every encoder on the units of both sides and builds their feature rows.
UnitFeatures encode_units(const AlignSide& a, const AlignSide& b, const WeightedEncoders& encoders,
                          const AlignerOptions& options);

}  // namespace doppel::impl
