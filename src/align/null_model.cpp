#include "align/null_model.h"

#include <algorithm>
#include <cmath>

namespace doppel::impl {
namespace {

constexpr std::size_t kNullSamples = 256;  // unit pairs sampled
// Sample k pairs unit (k * kStrideA + kOffsetA) mod |A| with (k * kStrideB + kOffsetB) mod |B|
// (primes, so that the pairs spread over both documents and rarely fall on the diagonal).
constexpr uint64_t kStrideA = 7919, kOffsetA = 13;
constexpr uint64_t kStrideB = 104729, kOffsetB = 7;
// Median absolute deviation to standard deviation, for normally distributed values.
constexpr double kMadToSd = 1.4826;
// Least spread: two documents with almost no chance similarity would make any bead an outlier.
constexpr double kMinNullSpread = 0.02;

// Full norms of the rows: a score needs the share of each unit that the other side explains,
// not only how well the shared part matches.
std::vector<float> full_norms(const SparseRows& rows, const std::vector<double>& extra) {
    std::vector<float> out(extra.size());
    for (std::size_t u = 0; u < out.size(); ++u)
        out[u] = static_cast<float>(std::sqrt(rows.row(row_index(u)).squaredNorm() + extra[u]));
    return out;
}

// Median of `v` (reordered), v.size() == kNullSamples.
double upper_median(std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + kNullSamples / 2, v.end());
    return v[kNullSamples / 2];
}

}  // namespace

NullModel estimate_null_model(const UnitFeatures& f) {
    NullModel null;
    const SearchLevel& units = f.units;
    const std::size_t na = units.rows_a(), nb = units.rows_b();
    if (na > 0 && nb > 0) {
        const std::vector<float> norm_a = full_norms(units.a, f.extra_a),
                                 norm_b = full_norms(units.b, f.extra_b);
        std::vector<double> c(kNullSamples);
        for (std::size_t k = 0; k < kNullSamples; ++k) {
            const std::size_t u = (k * kStrideA + kOffsetA) % na;
            const std::size_t v = (k * kStrideB + kOffsetB) % nb;
            const float d = norm_a[u] * norm_b[v];
            c[k] = d > 0 ? sparse_dot(units.a, u, units.b, v) / d : 0.0;
        }
        // Robust (median, scaled median absolute deviation): some samples are true pairs.
        null.mean = upper_median(c);
        for (double& x : c) x = std::abs(x - null.mean);
        null.spread = kMadToSd * upper_median(c);
    }
    null.spread = std::max(null.spread, kMinNullSpread);
    return null;
}

float document_similarity(const UnitFeatures& f) {
    const SearchLevel& units = f.units;
    Eigen::VectorXf da = Eigen::VectorXf::Zero(std::max<Eigen::Index>(f.vocabulary, 1)), db = da;
    for (std::size_t u = 0; u < units.rows_a(); ++u)
        for (SparseRows::InnerIterator it(units.a, row_index(u)); it; ++it) da[it.index()] += it.value();
    for (std::size_t v = 0; v < units.rows_b(); ++v)
        for (SparseRows::InnerIterator it(units.b, row_index(v)); it; ++it) db[it.index()] += it.value();
    const float nx = da.norm(), ny = db.norm();
    return (nx > 0 && ny > 0) ? std::clamp(da.dot(db) / (nx * ny), 0.0f, 1.0f) : 0.0f;
}

}  // namespace doppel::impl
