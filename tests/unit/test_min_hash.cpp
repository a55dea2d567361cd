#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "doppel/error.h"
#include "doppel/sketch/min_hash.h"

using namespace doppel;

TEST(MinHash, SpecRoundTrip) {
    auto m = MinHash::from_spec("minhash:perms=64,seed=9");
    EXPECT_EQ(m->perms(), 64);
    EXPECT_EQ(m->describe(), "minhash:perms=64,seed=9");
    EXPECT_EQ(MinHash().describe(), "minhash:perms=128,seed=1");
    EXPECT_THROW(MinHash::from_spec("minhash:perms=7"), Error);
    EXPECT_THROW(MinHash::from_spec("simhash"), Error);
}

TEST(MinHash, EstimatesJaccard) {
    std::mt19937_64 rng(1);
    MinHash mh(MinHashOptions{256, 5});
    double err = 0;
    int trials = 0;
    for (double j : {0.2, 0.5, 0.8, 0.95}) {
        for (int t = 0; t < 10; ++t) {
            // |A| = |B| = 1000, |A ∩ B| = c with c / (2000 - c) = j.
            const int c = static_cast<int>(2000 * j / (1 + j));
            std::vector<uint64_t> a, b;
            for (int i = 0; i < c; ++i) {
                const uint64_t x = rng();
                a.push_back(x);
                b.push_back(x);
            }
            for (int i = c; i < 1000; ++i) a.push_back(rng()), b.push_back(rng());
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            const double truth = static_cast<double>(c) / (2000 - c);
            err += std::abs(mh.estimate(mh.sign(a).data(), mh.sign(b).data()) - truth);
            ++trials;
        }
    }
    EXPECT_LT(err / trials, 0.04);  // standard error of 256 permutations is <= 0.031
}

TEST(MinHash, EmptySetAndDeterminism) {
    MinHash mh;
    const auto e = mh.sign(std::vector<uint64_t>{});
    for (uint32_t v : e) EXPECT_EQ(v, 0xFFFFFFFFu);
    const std::vector<uint64_t> s = {1, 2, 3, 99};
    EXPECT_EQ(mh.sign(s), MinHash().sign(s));
    EXPECT_NE(mh.sign(s), MinHash(MinHashOptions{128, 2}).sign(s));
}

// sign_changed() gives what sign() gives for the changed set, whatever share of it goes or comes.
TEST(MinHash, SignChangedEqualsSigningTheChangedSet) {
    std::mt19937_64 rng(7);
    const MinHash m;
    for (int round = 0; round < 50; ++round) {
        std::vector<uint64_t> s(1 + rng() % 3000);
        for (auto& x : s) x = rng();
        std::sort(s.begin(), s.end());
        std::vector<uint64_t> removed, kept, added;
        const uint64_t share = rng() % 5;  // 0: nothing goes; 4: about all of it
        for (uint64_t x : s) (rng() % 4 < share ? removed : kept).push_back(x);
        for (int i = 0, k = static_cast<int>(rng() % 20); i < k; ++i) added.push_back(rng());
        if (round % 3 == 0 && !kept.empty()) added.push_back(kept[0]);  // added may hold kept values
        std::vector<uint64_t> t = kept;
        t.insert(t.end(), added.begin(), added.end());
        std::sort(t.begin(), t.end());
        t.erase(std::unique(t.begin(), t.end()), t.end());
        std::vector<uint32_t> got(128);
        m.sign_changed(m.sign(s).data(), removed.data(), removed.size(), added.data(), added.size(), t.data(), t.size(),
                       got.data());
        EXPECT_EQ(got, m.sign(t)) << round;
    }
}

// The signature is the one stores hold (a stored signature must be what sign() gives now): a plain
// loop over every permutation of every shingle, the permutations' parameters drawn by splitmix64
// from the seed (a, b, c of each in turn), for any number of permutations (the kernel works in
// blocks of 64, then 8, then 1).
TEST(MinHash, SignaturesAreThoseOfThePlainLoop) {
    auto splitmix64 = [](uint64_t& state) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    std::mt19937_64 rng(3);
    for (int perms : {8, 64, 72, 128, 136, 256}) {
        const MinHash m(MinHashOptions{perms, 11});
        uint64_t state = 11;
        std::vector<uint32_t> a(perms), b(perms), c(perms);
        for (int j = 0; j < perms; ++j) {
            a[j] = static_cast<uint32_t>(splitmix64(state)) | 1u;
            b[j] = static_cast<uint32_t>(splitmix64(state));
            c[j] = static_cast<uint32_t>(splitmix64(state)) | 1u;
        }
        for (std::size_t n : {0, 1, 7, 130, 1000}) {
            std::vector<uint64_t> s(n);
            for (auto& x : s) x = rng();
            std::vector<uint32_t> want(perms, 0xFFFFFFFFu);
            for (uint64_t sh : s) {
                const auto x = static_cast<uint32_t>(sh ^ (sh >> 32));
                for (int j = 0; j < perms; ++j) {
                    uint32_t v = a[j] * x + b[j];
                    v ^= v >> 15;
                    v *= c[j];
                    v ^= v >> 13;
                    want[j] = std::min(want[j], v);
                }
            }
            EXPECT_EQ(m.sign(s), want) << perms << " permutations, " << n << " shingles";
        }
    }
}
