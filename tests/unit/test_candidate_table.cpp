// CandidateTable: fixed room per list, lists apart from each other, edits in place, overflow refused.
#include <gtest/gtest.h>

#include <algorithm>

#include "doppel/error.h"
#include "doppel/match/candidate_table.h"

namespace doppel {
namespace {

TEST(CandidateTable, ListsHoldUpToCapacityEachApartFromTheOthers) {
    CandidateTable t = CandidateTable::empty(3, {"de", "en"}, 2);
    EXPECT_EQ(t.documents(), 3u);
    EXPECT_EQ(t.lists(), 6u);
    EXPECT_EQ(t.capacity(), 2u);
    EXPECT_EQ(sizeof(MatchCandidate), 8u);
    EXPECT_GE(t.memory_bytes(), 6u * (2 * 8 + 4));
    for (std::size_t i = 0; i < t.lists(); ++i) EXPECT_TRUE(t.list(i).empty());
    CandidateList l = t.edit(1, 0);
    l.push_back({2, 0.25f});
    l.push_back({0, 0.5f});
    EXPECT_THROW(l.push_back({1, 0.1f}), Error);  // full
    t.edit(1, 1).push_back({7, 0.75f});
    std::sort(l.begin(), l.end(), [](const MatchCandidate& a, const MatchCandidate& b) { return a.sim > b.sim; });
    ASSERT_EQ(t.of(1, 0).size(), 2u);
    EXPECT_EQ(t.of(1, 0)[0].other, 0u);
    EXPECT_EQ(t.of(1, 0)[1].other, 2u);
    ASSERT_EQ(t.of(1, 1).size(), 1u);
    EXPECT_EQ(t.of(1, 1)[0].other, 7u);
    EXPECT_EQ(t.list(1 * 2 + 1).data(), t.of(1, 1).data());
    EXPECT_TRUE(t.of(0, 0).empty() && t.of(0, 1).empty() && t.of(2, 0).empty() && t.of(2, 1).empty());
    // A copy is a table of its own.
    const CandidateTable copy = t;
    t.edit(1, 0).clear();
    EXPECT_TRUE(t.of(1, 0).empty());
    EXPECT_EQ(copy.of(1, 0).size(), 2u);
    const MatchCandidate three[] = {{1, 0.1f}, {2, 0.2f}, {0, 0.3f}};
    EXPECT_THROW(t.edit(2, 1).assign(three), Error);
    t.edit(2, 1).assign(std::span(three).first(2));
    EXPECT_EQ(t.of(2, 1).size(), 2u);
    EXPECT_EQ(t.of(2, 1)[1].other, 2u);
}

TEST(CandidateTable, EmptyTables) {
    const CandidateTable none;
    EXPECT_EQ(none.documents(), 0u);
    EXPECT_EQ(none.lists(), 0u);
    CandidateTable zero = CandidateTable::empty(4, {"en"}, 0);
    EXPECT_EQ(zero.lists(), 4u);
    EXPECT_THROW(zero.edit(3, 0).push_back({0, 1.0f}), Error);
}

}  // namespace
}  // namespace doppel
