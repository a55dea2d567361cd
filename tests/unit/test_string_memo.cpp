// impl::StringMemo: the flat memo of the per-thread caches (token ids, uncovered words).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "impl/string_memo.h"

using doppel::impl::StringMemo;

TEST(StringMemo, FindsWhatWasInsertedThroughGrowthAndClear) {
    StringMemo<std::vector<int>> memo;
    EXPECT_EQ(memo.find("a"), nullptr);
    std::map<std::string, std::vector<int>> reference;
    const std::vector<int>& first = memo.insert("", {7});  // the empty key is a key
    for (int i = 0; i < 20000; ++i) {
        std::string key = "w" + std::to_string(i * 7919 % 30011);
        if (i % 3 == 0) key.push_back('\0');  // keys are bytes: "de\0word" in the embedder's memo
        if (reference.count(key)) continue;
        reference[key] = {i, i + 1};
        memo.insert(key, {i, i + 1});
    }
    EXPECT_EQ(memo.size(), reference.size() + 1);
    EXPECT_EQ(first, std::vector<int>{7});  // references stay valid while the table grows
    for (const auto& [key, value] : reference) {
        const std::vector<int>* found = memo.find(key);
        ASSERT_NE(found, nullptr) << key;
        EXPECT_EQ(*found, value);
    }
    EXPECT_EQ(memo.find("absent"), nullptr);
    EXPECT_EQ(memo.find(std::string("w0\0", 3) + "x"), nullptr);
    memo.clear();
    EXPECT_EQ(memo.size(), 0u);
    EXPECT_EQ(memo.find("w0"), nullptr);
    memo.insert("w0", {1});
    ASSERT_NE(memo.find("w0"), nullptr);
    EXPECT_EQ(*memo.find("w0"), std::vector<int>{1});
}

// TextMemo keeps texts up to its length bound, and starts afresh once what it holds passes its
// byte bound (then keeps the new text).
TEST(TextMemo, KeepsShortTextsWithinItsBytes) {
    doppel::impl::TextMemo<int> memo(8, 100);
    memo.keep("a long text past the bound", 1, 0);
    EXPECT_EQ(memo.find("a long text past the bound"), nullptr);
    memo.keep("short", 2, 4);
    ASSERT_NE(memo.find("short"), nullptr);
    EXPECT_EQ(*memo.find("short"), 2);
    memo.keep("second", 3, 40);  // 5 + 4 + 4 + 32 = 45 before; 45 + 6 + 40 + 4 + 32 > 100
    EXPECT_EQ(memo.find("short"), nullptr);
    ASSERT_NE(memo.find("second"), nullptr);
    EXPECT_EQ(*memo.find("second"), 3);
}

// Keys of every size (past a block of the key arena, and keys that fill one exactly) are kept
// byte for byte, through clear() (which reuses the arena's blocks) and a second round.
TEST(StringMemo, KeepsKeysOfEverySizeThroughClear) {
    StringMemo<std::size_t> memo;
    std::vector<std::string> keys;
    for (std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{16383}, std::size_t{16384},
                          std::size_t{16385}, std::size_t{65536}, std::size_t{200000}})
        for (char c : {'a', 'b', 'c', 'd', 'e'}) keys.push_back(std::string(n, c) + std::to_string(n));
    for (int round = 0; round < 2; ++round) {
        for (std::size_t i = 0; i < keys.size(); ++i) memo.insert(keys[i], i);
        EXPECT_EQ(memo.size(), keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const std::size_t* found = memo.find(keys[i]);
            ASSERT_NE(found, nullptr) << keys[i].size();
            EXPECT_EQ(*found, i);
        }
        EXPECT_EQ(memo.find(keys.back().substr(1)), nullptr);
        memo.clear();
        EXPECT_EQ(memo.find(keys[0]), nullptr);
    }
}

// impl::Arena keeps each run in place, unchanged by the runs added after it (small ones packed in
// blocks, those over a quarter of a block on their own), until clear(); after clear() it packs
// again into the blocks it kept. Language ID's token ids live in one (TokenIdCache).
TEST(Arena, KeepsRunsInPlaceUntilClear) {
    doppel::impl::Arena<int32_t> arena;
    constexpr std::size_t kBlock = doppel::impl::Arena<int32_t>::kBlock;
    for (int round = 0; round < 2; ++round) {
        std::vector<std::vector<int32_t>> runs;
        std::vector<std::span<const int32_t>> kept;
        for (std::size_t n : {std::size_t{1}, std::size_t{7}, kBlock / 4, kBlock / 4 + 1, std::size_t{3}, kBlock,
                              std::size_t{19}, 3 * kBlock, std::size_t{5}}) {
            for (int r = 0; r < 5; ++r) {
                std::vector<int32_t> run(n);
                for (std::size_t i = 0; i < n; ++i) run[i] = static_cast<int32_t>(runs.size() * 1000003 + i);
                kept.push_back(arena.add(run));
                runs.push_back(std::move(run));
            }
        }
        for (std::size_t k = 0; k < runs.size(); ++k) {
            ASSERT_EQ(kept[k].size(), runs[k].size()) << k;
            EXPECT_TRUE(std::equal(kept[k].begin(), kept[k].end(), runs[k].begin())) << k;
        }
        EXPECT_TRUE(arena.add(std::span<const int32_t>()).empty());
        arena.clear();
    }
}
