// What `dedup --store --new` records in a store (ops/dedup_state.h).
#include <gtest/gtest.h>

#include <sstream>

#include "doppel/error.h"
#include "doppel/store/store.h"
#include "ops/dedup_state.h"
#include "support/test_support.h"

using namespace doppel;

TEST(DedupState, WrittenPartsReadBackMergedAndSorted) {
    test::TempDir dir("dedup_state");
    Store store(dir / "store");
    EXPECT_FALSE(DedupState::read(store, "spec a").has_value());
    DedupState::write(store, 10, 9, 0xabcdef0123456789ull, {3, 7}, "spec a", true, 0);
    DedupState::write(store, 20, 19, 5, {12, 15}, "spec a", false, 0);
    auto s = DedupState::read(store, "spec a");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->since, 20);
    EXPECT_EQ(s->docs, 19u);
    EXPECT_EQ(s->boilerplate, 5u);
    EXPECT_EQ(s->members, (std::vector<int64_t>{3, 7, 12, 15}));
    EXPECT_FALSE(DedupState::read(store, "spec b").has_value());  // another spec's
    // Past kMaxParts the parts are merged into one; a full run drops the earlier ones.
    for (int64_t k = 0; k < 20; ++k) DedupState::write(store, 30 + k, 29 + k, 0, {100 + k}, "spec a", false, 0);
    s = DedupState::read(store, "spec a");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->members.size(), 24u);
    EXPECT_EQ(s->members.back(), 119);
    std::istringstream meta(*store.meta(DedupState::meta_key("spec a")));
    std::string word;
    std::size_t parts = 0;
    for (int k = 0; k < 6; ++k) meta >> word;  // magic, version, since, docs, boilerplate, parts
    parts = std::stoul(word);
    EXPECT_LT(parts, 20u);
    EXPECT_LE(parts, DedupState::kMaxParts);
    DedupState::write(store, 60, 59, 0, {50}, "spec a", true, 0);
    EXPECT_EQ(DedupState::read(store, "spec a")->members, (std::vector<int64_t>{50}));
    // Another spec's state lives beside it.
    DedupState::write(store, 70, 69, 0, {}, "spec b", true, 0);
    EXPECT_EQ(DedupState::read(store, "spec a")->members, (std::vector<int64_t>{50}));
    EXPECT_EQ(DedupState::read(store, "spec a")->since, 60);
    EXPECT_TRUE(DedupState::read(store, "spec b")->members.empty());
    EXPECT_EQ(DedupState::read(store, "spec b")->since, 70);
}

// A run that added nothing (dedup --new with nothing new) moves the header on but writes no part.
TEST(DedupState, ARunThatAddedNothingWritesNoPart) {
    test::TempDir dir("dedup_state_nothing");
    Store store(dir / "store");
    const auto parts_of = [&] {
        std::istringstream meta(*store.meta(DedupState::meta_key("spec")));
        std::string word;
        for (int k = 0; k < 6; ++k) meta >> word;  // magic, version, since, docs, boilerplate, parts
        return std::stoul(word);
    };
    DedupState::write(store, 10, 9, 0, {3, 7}, "spec", true, 0);
    for (int64_t k = 0; k < 5; ++k) DedupState::write(store, 20 + k, 9, 0, {}, "spec", false, 0);
    EXPECT_EQ(parts_of(), 1u);
    EXPECT_EQ(DedupState::read(store, "spec")->since, 24);
    EXPECT_EQ(DedupState::read(store, "spec")->members, (std::vector<int64_t>{3, 7}));
    DedupState::write(store, 30, 10, 0, {12}, "spec", false, 0);
    EXPECT_EQ(parts_of(), 2u);
    EXPECT_EQ(DedupState::read(store, "spec")->members, (std::vector<int64_t>{3, 7, 12}));
}

TEST(DedupState, AnotherVersionIsRefused) {
    test::TempDir dir("dedup_state_version");
    Store store(dir / "store");
    DedupState::write(store, 10, 9, 0, {}, "spec a", true, 0);
    const std::string key = DedupState::meta_key("spec a");
    store.set_meta(key, "doppel-dedup-state 3 10 9 0 0 0\nspec a");
    try {
        DedupState::read(store, "spec a");
        FAIL() << "read a version-3 state";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kVersion);
    }
    store.set_meta(key, "something else");
    EXPECT_THROW(DedupState::read(store, "spec a"), Error);
}

// The boilerplate line count of a run is read back with its state; a version-1 state (an older
// build's, without it) is read with none, its parts as they were.
TEST(DedupState, BoilerplateLinesAreReadBackAndVersion1HasNone) {
    test::TempDir dir("dedup_state_lines");
    Store store(dir / "store");
    DedupState::write(store, 10, 9, 0, {3}, "spec a", true, 17);
    EXPECT_EQ(DedupState::read(store, "spec a")->boilerplate_lines, std::optional<uint64_t>(17));
    DedupState::write(store, 20, 19, 0, {}, "spec a", false, 0);
    EXPECT_EQ(DedupState::read(store, "spec a")->boilerplate_lines, std::optional<uint64_t>(0));
    DedupState::write(store, 25, 24, 0, {21}, "spec a", false, 4);
    // As version 1 wrote it: the same fields without the count (two parts: {3} and {21}).
    store.set_meta(DedupState::meta_key("spec a"), "doppel-dedup-state 1 30 29 ab 2 1 1\nspec a");
    const auto s = DedupState::read(store, "spec a");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->since, 30);
    EXPECT_EQ(s->docs, 29u);
    EXPECT_EQ(s->boilerplate, 0xabu);
    EXPECT_EQ(s->members, (std::vector<int64_t>{3, 21}));
    EXPECT_FALSE(s->boilerplate_lines.has_value());
}
