// impl::first_of_repeats: each item's first equal item, with keys that collide.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "impl/repeats.h"

namespace doppel {
namespace {

TEST(Repeats, EachItemNamesItsFirstEqualItem) {
    const std::vector<std::string> items = {"a", "b", "a", "c", "b", "a"};
    std::vector<std::size_t> keys;
    for (const auto& s : items) keys.push_back(std::hash<std::string>{}(s));
    const auto first = impl::first_of_repeats(keys, [&](std::size_t a, std::size_t b) { return items[a] == items[b]; });
    EXPECT_EQ(first, (std::vector<std::size_t>{0, 1, 0, 3, 1, 0}));
}

TEST(Repeats, ACollidingKeyIsDecidedByEquality) {
    const std::vector<std::string> items = {"a", "b", "b", "a", "c"};
    const std::vector<int> keys(items.size(), 7);  // every key the same
    const auto first = impl::first_of_repeats(keys, [&](std::size_t a, std::size_t b) { return items[a] == items[b]; });
    EXPECT_EQ(first, (std::vector<std::size_t>{0, 1, 1, 0, 4}));
    EXPECT_TRUE(impl::first_of_repeats(std::vector<int>{}, [](std::size_t, std::size_t) { return true; }).empty());
}

// Against the definition, on many items whose keys collide often (a key of 5 values for 40
// distinct items): the first equal item, found by looking back from each.
TEST(Repeats, ManyItemsMatchTheDefinition) {
    std::mt19937 rng(3);
    std::vector<int> items(2000);
    for (int& x : items) x = static_cast<int>(rng() % 40);
    std::vector<unsigned> keys;
    for (const int x : items) keys.push_back(static_cast<unsigned>(x % 5));
    const auto first =
        impl::first_of_repeats(keys, [&](std::size_t a, std::size_t b) { return items[a] == items[b]; });
    ASSERT_EQ(first.size(), items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::size_t j = 0;
        while (items[j] != items[i]) ++j;
        EXPECT_EQ(first[i], j) << i;
    }
}

TEST(Repeats, DistinctItemsAreThoseThatAreTheirOwnFirst) {
    EXPECT_EQ(impl::distinct_items({0, 1, 0, 3, 1, 0}), (std::vector<std::size_t>{0, 1, 3}));
    EXPECT_TRUE(impl::distinct_items({}).empty());
}

}  // namespace
}  // namespace doppel
