// DenseRows (match/dense_rows.h): compact rows give back the rows appended, bit for bit, and
// their dot products equal the full rows' dot_f32 bit for bit, at every length and sparsity.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "doppel/error.h"
#include "doppel/match/dense_rows.h"
#include "impl/simd.h"

namespace doppel {
namespace {

// A row of n floats with about `fill` of its components nonzero (some of them -0.0).
std::vector<float> sparse_row(std::size_t n, double fill, std::mt19937& rng) {
    std::uniform_real_distribution<float> v(-1.0f, 1.0f);
    std::bernoulli_distribution on(fill), negzero(0.05);
    std::vector<float> r(n, 0.0f);
    for (float& x : r)
        if (on(rng)) x = negzero(rng) ? -0.0f : v(rng);
    return r;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(DenseRows, CompactRowsComeBackBitForBit) {
    std::mt19937 rng(7);
    for (std::size_t dim : {0u, 1u, 7u, 8u, 36u, 64u, 2048u}) {
        DenseRows rows = DenseRows::compact(dim);
        std::vector<std::vector<float>> want;
        for (double fill : {0.0, 0.01, 0.1, 0.5, 1.0}) {
            want.push_back(sparse_row(dim, fill, rng));
            rows.append(want.back().data());
        }
        ASSERT_EQ(rows.size(), want.size());
        std::vector<float> got(dim, 1.0f);
        for (std::size_t i = 0; i < want.size(); ++i) {
            rows.copy(i, got.data());
            for (std::size_t p = 0; p < dim; ++p) ASSERT_TRUE(same_bits(got[p], want[i][p])) << dim << " " << i << " " << p;
        }
    }
}

TEST(DenseRows, DotEqualsTheFullRowsDotBitForBit) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> v(-1.0f, 1.0f);
    for (std::size_t dim : {1u, 4u, 7u, 8u, 31u, 32u, 36u, 40u, 64u, 100u, 256u, 2048u}) {
        DenseRows rows = DenseRows::compact(dim);
        std::vector<float> full;
        for (double fill : {0.0, 0.02, 0.1, 0.3, 0.7, 1.0}) {
            const std::vector<float> r = sparse_row(dim, fill, rng);
            rows.append(r.data());
            full.insert(full.end(), r.begin(), r.end());
        }
        const DenseRows view = DenseRows::view(full.data(), dim);
        for (int t = 0; t < 5; ++t) {
            std::vector<float> q(dim);
            for (float& x : q) x = v(rng);
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const float want = impl::dot_f32(q.data(), full.data() + i * dim, dim);
                EXPECT_TRUE(same_bits(rows.dot(q.data(), i), want)) << dim << " " << i << ": " << rows.dot(q.data(), i)
                                                                    << " != " << want;
                EXPECT_TRUE(same_bits(view.dot(q.data(), i), want));
            }
        }
    }
}

TEST(DenseRows, AppendedRowsFollowInOrderAndViewsCopyRows) {
    const std::size_t dim = 16;
    std::mt19937 rng(3);
    DenseRows a = DenseRows::compact(dim), b = DenseRows::compact(dim), empty = DenseRows::compact(dim);
    std::vector<float> full;
    for (int i = 0; i < 6; ++i) {
        const std::vector<float> r = sparse_row(dim, i == 2 ? 0.0 : 0.4, rng);  // row 2: all zeros
        (i < 4 ? a : b).append(r.data());
        full.insert(full.end(), r.begin(), r.end());
    }
    a.append_rows(empty);
    a.append_rows(b);
    ASSERT_EQ(a.size(), 6u);
    EXPECT_GT(a.memory_bytes(), 0u);
    const DenseRows view = DenseRows::view(full.data(), dim);
    std::vector<float> x(dim), y(dim);
    for (std::size_t i = 0; i < 6; ++i) {
        a.copy(i, x.data());
        view.copy(i, y.data());
        for (std::size_t p = 0; p < dim; ++p) EXPECT_TRUE(same_bits(x[p], full[i * dim + p]) && same_bits(y[p], x[p]));
    }
    EXPECT_THROW(a.append_rows(DenseRows::compact(dim + 1)), Error);
    EXPECT_THROW(a.append_rows(view), Error);
}

TEST(DenseRows, JoinKeepsTheRowsInOrderAndSizesItsArraysOnce) {
    const std::size_t dim = 5;
    std::vector<DenseRows> parts(3, DenseRows::compact(dim));
    std::vector<float> full;
    for (std::size_t i = 0; i < 7; ++i) {
        std::vector<float> r(dim, 0.0f);
        r[i % dim] = static_cast<float>(i) + 0.5f;
        r[(i + 2) % dim] = -0.0f;
        parts[i < 3 ? 0 : (i < 4 ? 1 : 2)].append(r.data());
        full.insert(full.end(), r.begin(), r.end());
    }
    const DenseRows joined = DenseRows::join(std::move(parts), dim);
    ASSERT_EQ(joined.size(), 7u);
    std::vector<float> x(dim);
    for (std::size_t i = 0; i < 7; ++i) {
        joined.copy(i, x.data());
        for (std::size_t p = 0; p < dim; ++p) EXPECT_TRUE(same_bits(x[p], full[i * dim + p]));
    }
    // 7 rows of 2 entries each: 8 offsets, 14 positions and values, with no spare capacity.
    EXPECT_EQ(joined.memory_bytes(), 8 * sizeof(uint64_t) + 14 * (sizeof(uint16_t) + sizeof(float)));
    EXPECT_EQ(DenseRows::join({}, dim).size(), 0u);
    std::vector<DenseRows> wrong;
    wrong.push_back(DenseRows::compact(dim + 1));
    EXPECT_THROW(DenseRows::join(std::move(wrong), dim), Error);
}

TEST(DenseRows, PlacedRowsReadAsPlacedAndTheOthersAsZeros) {
    // Rows placed in any order (an incremental run weighs the documents a step reads) read back
    // bit for bit, dot as the full rows do; rows not placed are zeros; a row is placed once.
    std::mt19937 rng(5);
    const std::size_t dim = 64, n = 6;
    DenseRows rows = DenseRows::placed(n, dim);
    EXPECT_EQ(rows.size(), n);
    std::vector<std::vector<float>> want(n, std::vector<float>(dim, 0.0f));
    for (std::size_t i : {4u, 1u, 5u}) {
        want[i] = sparse_row(dim, 0.3, rng);
        rows.place(i, want[i].data());
    }
    std::vector<float> got(dim), q = sparse_row(dim, 1.0, rng);
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(rows.placed_row(i), i == 1 || i == 4 || i == 5) << i;
        rows.copy(i, got.data());
        for (std::size_t p = 0; p < dim; ++p) ASSERT_TRUE(same_bits(got[p], want[i][p])) << i << " " << p;
        EXPECT_TRUE(same_bits(rows.dot(q.data(), i), impl::dot_f32(q.data(), want[i].data(), dim))) << i;
    }
    EXPECT_THROW(rows.place(4, want[4].data()), Error);  // placed already
    EXPECT_THROW(rows.place(n, want[4].data()), Error);
    EXPECT_THROW(rows.append(want[4].data()), Error);    // not of the compact form
    DenseRows compact = DenseRows::compact(dim);
    EXPECT_THROW(compact.place(0, want[4].data()), Error);
}

TEST(DenseRows, RejectsWhatItCannotHold) {
    EXPECT_THROW(DenseRows::compact(65537), Error);
    EXPECT_NO_THROW(DenseRows::compact(65536));
    std::vector<float> row(4, 1.0f);
    DenseRows view = DenseRows::view(row.data(), 4);
    EXPECT_THROW(view.append(row.data()), Error);
    EXPECT_THROW(DenseRows::view(nullptr, 4), Error);
}

}  // namespace
}  // namespace doppel
