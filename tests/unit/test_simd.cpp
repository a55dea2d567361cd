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

// Bit for bit (the search's ties and the lists' assignment depend on it), at lengths of whole
// 32-float blocks (AVX-512's four rows at a time) and others, with row counts around the blocks.
TEST(Simd, DotsOfABlockAreEachRowsDotBitForBit) {
    for (std::size_t dim : {32u, 64u, 256u, 37u, 8u}) {
        for (std::size_t rows : {0u, 1u, 3u, 4u, 5u, 8u, 11u}) {
            const auto q = random_floats(dim, 3), xs = random_floats(dim * rows, 4);
            std::vector<float> out(rows);
            impl::dots_f32(q.data(), xs.data(), rows, dim, out.data());
            for (std::size_t r = 0; r < rows; ++r) {
                const float want = impl::dot_f32(q.data(), xs.data() + r * dim, dim);
                EXPECT_EQ(std::memcmp(&out[r], &want, sizeof want), 0) << dim << " " << rows << " " << r;
            }
        }
    }
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
    for (double density : {0.02, 0.2, 0.9})
        for (std::size_t n : {0u, 1u, 4u, 7u, 8u, 9u, 31u, 32u, 33u, 40u, 256u, 2048u, 2051u}) {
            std::bernoulli_distribution on(density);
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

// sparse_dot: the plain merge's sum bit for bit (the same products added in id order), for
// overlaps from none to whole, lengths with and without a tail past the blocks of four, and
// blocks whose last ids are equal.
TEST(Simd, SparseDotIsThePlainMergeBitForBit) {
    std::mt19937 rng(9);
    for (double share : {0.0, 0.05, 0.3, 0.9, 1.0})
        for (std::size_t na : {0u, 1u, 3u, 4u, 5u, 8u, 17u, 64u, 203u})
            for (std::size_t nb : {0u, 2u, 4u, 9u, 40u, 171u}) {
                std::bernoulli_distribution shared(share);
                std::uniform_int_distribution<uint64_t> gap(1, 6);
                std::vector<uint64_t> ia, ib;
                for (uint64_t id = gap(rng); ia.size() < na || ib.size() < nb; id += gap(rng)) {
                    const bool both = shared(rng), to_a = both || (rng() & 1);
                    if (to_a && ia.size() < na) ia.push_back(id);
                    if ((both || !to_a) && ib.size() < nb) ib.push_back(id);
                }
                const auto wa = random_floats(na, 10 + static_cast<unsigned>(na)),
                           wb = random_floats(nb, 20 + static_cast<unsigned>(nb));
                double want = 0;
                for (std::size_t i = 0, j = 0; i < na && j < nb;) {
                    if (ia[i] == ib[j]) want += double(wa[i++]) * wb[j++];
                    else if (ia[i] < ib[j]) ++i;
                    else ++j;
                }
                const double got = impl::sparse_dot(ia.data(), wa.data(), na, ib.data(), wb.data(), nb);
                EXPECT_EQ(std::memcmp(&want, &got, sizeof want), 0) << share << " " << na << " " << nb;
            }
}
