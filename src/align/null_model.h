// doppel (private): what unrelated units of two documents score, against which the aligner
// turns bead similarities into scores (align/aligner.h: "Scores").
#pragma once

#include "align/unit_features.h"

namespace doppel::impl {

// The cosines of unrelated unit pairs: a robust centre and spread.
struct NullModel {
    double mean = 0;    // median cosine
    double spread = 0;  // scaled median absolute deviation, at least kMinNullSpread
};

// From the cosines of pseudo-random 1-1 unit pairs (full norms: one-sided features counted).
NullModel estimate_null_model(const UnitFeatures& features);

// Cosine of the two documents' summed feature rows (features in both documents), in [0, 1].
float document_similarity(const UnitFeatures& features);

}  // namespace doppel::impl
