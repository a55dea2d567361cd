// impl/simd.h: the float kernels of the approximate search agree with plain loops at every
// length (whole vector blocks, tails, empty).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "impl/simd.h"

using namespace doppel;

namespace {
std::vector<float> random_floats(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> x(n);
    for (float& v : x) v = d(rng);
    return x;
}
}  // namespace

TEST(Simd, DotMatchesAPlainLoop) {
    for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 31u, 32u, 33u, 256u, 2048u, 2051u}) {
        const auto a = random_floats(n, 1), b = random_floats(n, 2);
        double want = 0;
        for (std::size_t i = 0; i < n; ++i) want += double(a[i]) * b[i];
        EXPECT_NEAR(impl::dot_f32(a.data(), b.data(), n), want, 1e-4 * (1 + std::sqrt(double(n)))) << n;
    }
}

TEST(Simd, DotsOfABlockAreEachRowsDot) {
    const std::size_t dim = 37, rows = 5;
    const auto q = random_floats(dim, 3), xs = random_floats(dim * rows, 4);
    std::vector<float> out(rows);
    impl::dots_f32(q.data(), xs.data(), rows, dim, out.data());
    for (std::size_t r = 0; r < rows; ++r) EXPECT_FLOAT_EQ(out[r], impl::dot_f32(q.data(), xs.data() + r * dim, dim));
}

TEST(Simd, AxpyMatchesAPlainLoop) {
    for (std::size_t n : {0u, 3u, 8u, 13u, 256u}) {
        const auto x = random_floats(n, 5);
        auto y = random_floats(n, 6), want = y;
        for (std::size_t i = 0; i < n; ++i) want[i] += 0.5f * x[i];
        impl::axpy_f32(0.5f, x.data(), y.data(), n);
        for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(y[i], want[i], 1e-6f) << n << " " << i;
    }
}

TEST(Simd, DotOverNonzerosIsTheFullDotBitForBit) {
    std::mt19937 rng(5);
    std::bernoulli_distribution on(0.2);
    for (std::size_t n : {0u, 1u, 4u, 7u, 8u, 9u, 31u, 32u, 33u, 40u, 256u, 2048u, 2051u}) {
        const auto a = random_floats(n, 6), dense = random_floats(n, 7);
        std::vector<float> b(n, 0.0f), val;
        std::vector<uint16_t> pos;
        for (std::size_t i = 0; i < n; ++i)
            if (on(rng)) {
                b[i] = dense[i];
                pos.push_back(static_cast<uint16_t>(i));
                val.push_back(dense[i]);
            }
        const float want = impl::dot_f32(a.data(), b.data(), n);
        const float got = impl::dot_f32_nonzeros(a.data(), pos.data(), val.data(), pos.size(), n);
        EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0) << n << ": " << got << " != " << want;
    }
}
