// The "auto" index's projection trained by dsyevr (index/pca_training.h) against FAISS's own
// PCAMatrix::train (dsyev) on the same sample.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "index/pca_training.h"

using namespace doppel;

namespace {

// n vectors of d dimensions with a spread-out spectrum (coordinate j scaled by 1 / (1 + j / 4)),
// a random rotation of it mixed in by adding a few dense directions, and a nonzero mean.
std::vector<float> sample(std::size_t n, std::size_t d, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    std::vector<float> dirs(4 * d);
    for (float& v : dirs) v = g(rng);
    std::vector<float> x(n * d);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < d; ++j)
            x[i * d + j] = 0.5f + g(rng) / (1.0f + static_cast<float>(j) / 4.0f);
        for (std::size_t r = 0; r < 4; ++r) {
            const float c = 3.0f * g(rng) / static_cast<float>(r + 1);
            for (std::size_t j = 0; j < d; ++j)
                x[i * d + j] += c * dirs[r * d + j] / std::sqrt(static_cast<float>(d));
        }
    }
    return x;
}

double dot(const float* a, const float* b, std::size_t d) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(a[j]) * b[j];
    return s;
}

// FAISS's own training and ours, of d_out = k components, on the same n vectors (seed).
struct BothTrained {
    faiss::PCAMatrix faiss_pca, ours;
    BothTrained(std::size_t n, std::size_t d, std::size_t k, unsigned seed)
        : faiss_pca(static_cast<int>(d), static_cast<int>(k)),
          ours(static_cast<int>(d), static_cast<int>(k)) {
        const std::vector<float> x = sample(n, d, seed);
        faiss_pca.train(static_cast<faiss::Index::idx_t>(n), x.data());
        pca_training::train_leading_components(ours, n, x.data());
    }
};

}  // namespace

TEST(PcaTraining, LeadingComponentsAreFaissTrainsUpToTheirSigns) {
    const std::size_t d = 96, k = 24;
    const BothTrained both(1000, d, k, 7);
    const faiss::PCAMatrix &faiss_pca = both.faiss_pca, &ours = both.ours;
    ASSERT_TRUE(ours.is_trained);
    EXPECT_EQ(ours.mean, faiss_pca.mean);  // the same sums in the same order
    ASSERT_EQ(ours.A.size(), k * d);
    ASSERT_EQ(ours.PCAMat.size(), k * d);  // only the components kept
    ASSERT_EQ(ours.eigenvalues.size(), k);
    for (std::size_t r = 0; r < k; ++r) {
        EXPECT_NEAR(ours.eigenvalues[r], faiss_pca.eigenvalues[r], 1e-4 * faiss_pca.eigenvalues[0]) << r;
        // The same unit vector, or its opposite.
        const double c = dot(&ours.A[r * d], &faiss_pca.A[r * d], d);
        EXPECT_NEAR(std::abs(c), 1.0, 1e-4) << "component " << r;
        EXPECT_NEAR(dot(&ours.A[r * d], &ours.A[r * d], d), 1.0, 1e-5) << r;
        // Its largest coordinate positive.
        float top = 0;
        for (std::size_t j = 0; j < d; ++j)
            if (std::abs(ours.A[r * d + j]) > std::abs(top)) top = ours.A[r * d + j];
        EXPECT_GT(top, 0.0f) << r;
        // The bias of the projection: -A mean.
        EXPECT_NEAR(ours.b[r], -dot(&ours.A[r * d], ours.mean.data(), d), 1e-3) << r;
    }
    for (std::size_t r = 1; r < k; ++r) EXPECT_GE(ours.eigenvalues[r - 1], ours.eigenvalues[r]);
}

TEST(PcaTraining, ASampleSmallerThanItsDimensionIsFaissTrainAsItIs) {
    const BothTrained both(40, 96, 24, 11);
    EXPECT_EQ(both.ours.A, both.faiss_pca.A);
    EXPECT_EQ(both.ours.b, both.faiss_pca.b);
}

// The projection is a function of the sample, not of the solver's path: the same sample with
// its coordinates in another order (a permuted covariance, which the solver diagonalizes by
// other steps and may return with other signs) gives the same components, coordinates permuted
// alike; without the sign rule some come out negated.
TEST(PcaTraining, ReorderedCoordinatesGiveTheSameComponentsReordered) {
    const std::size_t d = 64, k = 16, n = 600;
    const std::vector<float> x = sample(n, d, 3);
    std::vector<std::size_t> perm(d);
    for (std::size_t j = 0; j < d; ++j) perm[j] = (j * 37 + 5) % d;  // 37 is prime to 64: a permutation
    std::vector<float> y(n * d);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) y[i * d + perm[j]] = x[i * d + j];
    faiss::PCAMatrix a(static_cast<int>(d), static_cast<int>(k)), b(static_cast<int>(d), static_cast<int>(k));
    pca_training::train_leading_components(a, n, x.data());
    pca_training::train_leading_components(b, n, y.data());
    for (std::size_t r = 0; r < k; ++r) {
        for (std::size_t j = 0; j < d; ++j)
            EXPECT_NEAR(b.A[r * d + perm[j]], a.A[r * d + j], 1e-3)
                << "component " << r << ", coordinate " << j;
        EXPECT_NEAR(b.b[r], a.b[r], 1e-3) << r;
    }
}
