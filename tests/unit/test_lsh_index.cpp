#include <gtest/gtest.h>

#include <random>

#include "doppel/error.h"
#include "doppel/index/lsh_index.h"
#include "doppel/sketch/min_hash.h"

using namespace doppel;

namespace {
double false_area(LshParams p, double t) {
    double a = 0;
    for (int k = 0; k < 400; ++k) a += lsh_candidate_probability(t * (k + 0.5) / 400, p);
    return a * t / 400;
}
}  // namespace

TEST(LshParams, DefaultThresholdReachesTargetRecall) {
    const LshParams p = choose_lsh_params(0.8, 128, 0.99);
    EXPECT_EQ(p, (LshParams{16, 6}));
    EXPECT_GE(lsh_candidate_probability(0.8, p), 0.99);
    // One more row with the bands that fit would miss the target: r = 6 is the most selective.
    EXPECT_LT(lsh_candidate_probability(0.8, {128 / 7, 7}), 0.99);
}

TEST(LshParams, ChoiceIsTheMostSelectiveThatReachesTheTarget) {
    for (double t : {0.5, 0.7, 0.8, 0.9, 0.95}) {
        for (int perms : {64, 128, 256}) {
            for (double target : {0.9, 0.99, 0.999}) {
                const LshParams p = choose_lsh_params(t, perms, target);
                ASSERT_LE(p.bands * p.rows, perms);
                ASSERT_GE(lsh_candidate_probability(t, p), target) << t << " " << perms;
                // Brute force: no feasible (b, r) has fewer false candidates below t.
                for (int r = 1; r <= perms; ++r)
                    for (int b = 1; b * r <= perms; ++b) {
                        const LshParams q{b, r};
                        if (lsh_candidate_probability(t, q) < target) continue;
                        EXPECT_GE(false_area(q, t) + 1e-12, false_area(p, t)) << t << " " << b << "x" << r;
                    }
            }
        }
    }
}

TEST(LshParams, ImpossibleTargetThrows) {
    EXPECT_THROW(choose_lsh_params(0.1, 8, 0.999999), Error);
    EXPECT_THROW(choose_lsh_params(1.5, 128), Error);
}

TEST(LshIndex, AddQueryRemove) {
    MinHash mh;
    std::mt19937_64 rng(7);
    std::vector<uint64_t> a(500), b, c(500);
    for (auto& x : a) x = rng();
    for (auto& x : c) x = rng();
    b = a;
    for (int i = 0; i < 20; ++i) b[i] = rng();  // Jaccard 480/520 = 0.92
    for (auto* v : {&a, &b, &c}) std::sort(v->begin(), v->end());
    LshIndex index(128, choose_lsh_params(0.8, 128));
    std::vector<uint32_t> sigs;
    for (auto* v : {&a, &b, &c}) {
        auto s = mh.sign(*v);
        sigs.insert(sigs.end(), s.begin(), s.end());
    }
    const int64_t ids[] = {10, 20, 30};
    index.add(3, ids, sigs.data());
    EXPECT_EQ(index.size(), 3u);
    EXPECT_EQ(index.query(sigs.data()), (std::vector<int64_t>{10, 20}));
    EXPECT_EQ(index.query(sigs.data() + 256), (std::vector<int64_t>{30}));
    index.remove(20);
    EXPECT_EQ(index.query(sigs.data()), (std::vector<int64_t>{10}));
    EXPECT_EQ(index.size(), 2u);
}

TEST(LshIndex, BatchCandidatePairsFindsSimilarSignatures) {
    MinHash mh;
    std::mt19937_64 rng(3);
    std::vector<uint64_t> a(300), c(300);
    for (auto& x : a) x = rng();
    for (auto& x : c) x = rng();
    std::vector<uint64_t> b = a;
    b[0] = rng();
    for (auto* v : {&a, &b, &c}) std::sort(v->begin(), v->end());
    std::vector<uint32_t> sigs;
    for (auto* v : {&a, &c, &b}) {
        auto s = mh.sign(*v);
        sigs.insert(sigs.end(), s.begin(), s.end());
    }
    const auto pairs = lsh_candidate_pairs(3, sigs.data(), 128, choose_lsh_params(0.8, 128));
    ASSERT_EQ(pairs.size(), 1u);
    EXPECT_EQ(pairs[0], (uint64_t{0} << 32 | 2));
}

// A banding's name, "<bands>x<rows>", reads back as the banding; anything else is not one.
TEST(LshParams, BandingNamesReadBack) {
    EXPECT_EQ(banding_name(LshParams{16, 6}), "16x6");
    EXPECT_EQ(parse_banding("35x3"), (LshParams{35, 3}));
    EXPECT_EQ(parse_banding(banding_name(LshParams{128, 1})), (LshParams{128, 1}));
    for (const char* bad : {"", "16", "16x", "x6", "16x6x", "0x3", "16x0", "-1x3", "16 x6", "16x6 "})
        EXPECT_FALSE(parse_banding(bad).has_value()) << bad;
}
