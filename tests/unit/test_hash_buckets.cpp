// impl/hash_buckets.h: sort_ordered_buckets (the insertion without a bound past the first
// bucket holding a value) sorts as std::stable_sort does, for buckets of the top bits: with
// repeated values, empty buckets (the first ones too), one bucket, and none.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "impl/hash_buckets.h"

using namespace doppel;

namespace {

// (hash, position) sorted by hash alone, through the buckets of its top `bits`.
std::vector<std::pair<uint64_t, uint32_t>> bucket_sorted(const std::vector<std::pair<uint64_t, uint32_t>>& in,
                                                         int bits) {
    std::vector<std::pair<uint64_t, uint32_t>> out;
    std::vector<uint32_t> ends;
    const int shift = 64 - bits;
    impl::scatter_to_buckets(
        in, bits, [shift](const auto& x) { return x.first >> shift; }, &out, &ends);
    impl::sort_ordered_buckets(out, ends, [](const auto& x, const auto& y) { return x.first < y.first; });
    return out;
}

}  // namespace

TEST(HashBuckets, OrderedBucketsSortStablyAsStableSort) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 2000; ++round) {
        const std::size_t n = rng() % 300;
        const int bits = 1 + static_cast<int>(rng() % 10);
        // Few distinct values (repeats), some only in high buckets (the first ones empty).
        const uint64_t floor = (round % 3 == 0) ? (uint64_t{1} << 63) : 0;
        std::vector<uint64_t> values(1 + rng() % 40);
        for (auto& v : values) v = floor | (rng() >> (round % 3 == 0 ? 1 : 0));
        std::vector<std::pair<uint64_t, uint32_t>> in(n);
        for (std::size_t i = 0; i < n; ++i) in[i] = {values[rng() % values.size()], static_cast<uint32_t>(i)};
        auto expected = in;
        std::stable_sort(expected.begin(), expected.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; });
        ASSERT_EQ(bucket_sorted(in, bits), expected) << "round " << round;
    }
}

// sort_by_buckets orders (hash, position) pairs as std::sort does: with many copies of a few
// hashes (buckets over the insertion bound, sorted by std::sort), with all values distinct, with
// one bucket, and for ranges of 0 and 1 values; the scratch is reused from call to call.
TEST(HashBuckets, SortByBucketsOrdersAsStdSort) {
    std::mt19937_64 rng(11);
    impl::BucketScratch<std::pair<uint64_t, uint32_t>> scratch;
    for (int round = 0; round < 1000; ++round) {
        const std::size_t n = round < 2 ? static_cast<std::size_t>(round) : rng() % 2000;
        const int bits = 1 + static_cast<int>(rng() % 12);
        std::vector<uint64_t> values(round % 2 ? 1 + rng() % 8 : n + 1);
        for (auto& v : values) v = rng();
        std::vector<std::pair<uint64_t, uint32_t>> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = {values[rng() % values.size()], static_cast<uint32_t>(rng())};
        auto expected = v;
        std::sort(expected.begin(), expected.end());
        const int shift = 64 - bits;
        impl::sort_by_buckets(
            v.data(), v.data() + v.size(), bits, [shift](const auto& x) { return x.first >> shift; },
            std::less<std::pair<uint64_t, uint32_t>>(), &scratch);
        ASSERT_EQ(v, expected) << "round " << round;
    }
}
