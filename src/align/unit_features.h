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

// What the encoders make of the units of both sides, before the vocabulary and idf weights: kept
// so that a second pass can add features (align/learned_pairs.h) without encoding again.
struct EncodedUnits {
    std::vector<UnitTokens> tokens_a, tokens_b;  // the units as the encoders saw them
    std::vector<FeatureVector> a, b;             // their features, ids salted per encoder
};

// Runs every encoder on the units of both sides.
EncodedUnits run_encoders(const AlignSide& a, const AlignSide& b, const WeightedEncoders& encoders);

// The feature rows of encoded units (the sides give the units' lengths).
UnitFeatures build_unit_features(const EncodedUnits& encoded, const AlignSide& a, const AlignSide& b,
                                 const AlignerOptions& options);

// run_encoders, then build_unit_features.
UnitFeatures encode_units(const AlignSide& a, const AlignSide& b, const WeightedEncoders& encoders,
                          const AlignerOptions& options);

}  // namespace doppel::impl
