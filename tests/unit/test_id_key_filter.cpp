#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <random>
#include <string>

#include "store/id_key_filter.h"

using doppel::store_detail::IdKeyFilter;

namespace {
std::vector<int64_t> random_keys(std::size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<int64_t> keys(n);
    for (auto& k : keys) k = static_cast<int64_t>(rng());
    return keys;
}
}  // namespace

// Every key added is held, through an encoding and back; a full filter lets through about 1% of
// keys never added (at most 3% here).
TEST(IdKeyFilter, HoldsEveryKeyAddedAndFewOthers) {
    IdKeyFilter f = IdKeyFilter::with_room_for(20000);
    const std::vector<int64_t> added = random_keys(20000, 1);
    for (int64_t k : added) f.add(k);
    const std::optional<IdKeyFilter> back = IdKeyFilter::decode(f.encode());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->keys(), 20000u);
    EXPECT_EQ(back->room(), 20000u);
    for (int64_t k : added) ASSERT_TRUE(back->may_contain(k)) << k;
    std::size_t passed = 0;
    for (int64_t k : random_keys(100000, 2)) passed += back->may_contain(k);
    EXPECT_GT(passed, 0u);
    EXPECT_LT(passed, 3000u);
}

// A blob that is not a whole filter of this version, or whose bits changed, is refused: the store
// then probes its table for every key instead of trusting it.
TEST(IdKeyFilter, RefusesADamagedBlob) {
    IdKeyFilter f = IdKeyFilter::with_room_for(100);
    f.add(42);
    const std::string good = f.encode();
    ASSERT_TRUE(IdKeyFilter::decode(good));
    std::string flipped = good;
    flipped[good.size() - 1] ^= 1;
    EXPECT_FALSE(IdKeyFilter::decode(flipped));
    EXPECT_FALSE(IdKeyFilter::decode(good.substr(0, good.size() - 8)));
    std::string version = good;
    version[4] = 2;
    EXPECT_FALSE(IdKeyFilter::decode(version));
    EXPECT_FALSE(IdKeyFilter::decode("DIKF"));
    EXPECT_FALSE(IdKeyFilter::decode(""));
}

// The blob is part of the store's format: a filter written by an earlier build (the bits each key
// sets, the header) must read the same now. The checksum below is of the blob the code before
// impl::BlockedBloom wrote for these keys (its own copy of the block filter).
TEST(IdKeyFilter, WritesTheBlobEarlierBuildsWrote) {
    IdKeyFilter f = IdKeyFilter::with_room_for(1000);
    uint64_t x = 1;
    for (int i = 0; i < 700; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        f.add(static_cast<int64_t>(x));
    }
    const std::string blob = f.encode();
    EXPECT_EQ(blob.size(), 1576u);
    EXPECT_EQ(XXH3_64bits(blob.data(), blob.size()), 0x08586ce4ad091b39ull);
}
