// The state `doppel translations --incremental` saves in a store: written and read back whole,
// refused when damaged or of another version, and its tables placed onto a grown store.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>
#include <vector>

#include "doppel/error.h"
#include "doppel/ops/translation_state.h"
#include "support/test_support.h"

namespace doppel {
namespace {

std::vector<uint32_t> others(std::span<const MatchCandidate> list) {
    std::vector<uint32_t> o;
    for (const MatchCandidate& c : list) o.push_back(c.other);
    return o;
}

std::vector<float> sims(std::span<const MatchCandidate> list) {
    std::vector<float> o;
    for (const MatchCandidate& c : list) o.push_back(c.sim);
    return o;
}

// Three documents (seqs 5, 7, 9) of two languages; 5 and 9 (de) list 7 (en), 7 lists 9 then 5.
// The names of the files in `dir`, sorted.
std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TranslationState small_state() {
    TranslationState s;
    s.specs = "matcher=matcher:k=2\nminor_relative_share=0.1";
    s.seqs = {5, 7, 9};
    s.langs = {0, 1, 0};
    s.first = CandidateTable::empty(3, {"de", "en"}, 2);
    s.first.searched = {0, 1, 1, 0};
    s.first.edit(0, 1).push_back({1, 0.5f});
    s.first.edit(2, 1).push_back({1, 0.4f});
    s.first.edit(1, 0).assign(std::vector<MatchCandidate>{{2, 0.4f}, {0, 0.3f}});
    s.second = s.first;
    s.second.edit(1, 0).assign(std::vector<MatchCandidate>{{0, 0.6f}});
    s.associations.add("de", {11, 12, 4, 0.5f});
    s.associations.add("de", {13, 14, 3, 0.25f});
    s.associations.drop("de", 15);
    TranslationLink l;
    l.a = 0, l.b = 1, l.score = 0.5f, l.similarity = 0.45f, l.margin = 2.5f, l.anchors = -1, l.label = LinkLabel::kPartial;
    s.first_links = {{0.1f}, {l}};
    l.a = 2, l.url_evidence = true, l.label = LinkLabel::kSameStory;
    s.second_links = {{0.2f}, {l}};
    s.first_weighing.frequencies.documents = 3;
    for (const auto& [f, n] : {std::pair<uint64_t, uint32_t>{11, 2}, {12, 3}, {99, 1}})
        s.first_weighing.frequencies.set_count(f, n);
    s.first_weighing.lengths = {4.0f, 7.5f, 2.0f};
    s.second_weighing.frequencies.documents = 3;
    s.second_weighing.frequencies.set_count(12, 3);
    s.second_weighing.frequencies.set_count(99, 1);
    s.second_weighing.lengths = {4.0f, 6.5f, 2.0f};
    return s;
}

std::vector<std::pair<uint64_t, uint32_t>> sorted_df(const DocumentFrequencies& f) { return f.sorted(); }

std::vector<std::tuple<std::size_t, std::size_t, float, float, float, float, LinkLabel, bool>> fields(const LinkState& s) {
    std::vector<std::tuple<std::size_t, std::size_t, float, float, float, float, LinkLabel, bool>> o;
    for (const TranslationLink& l : s.strong)
        o.emplace_back(l.a, l.b, l.score, l.similarity, l.margin, l.anchors, l.label, l.url_evidence);
    return o;
}

TEST(TranslationState, RoundTrips) {
    test::TempDir dir("translation-state");
    const std::string path = dir / "translations.state";
    EXPECT_FALSE(load_translation_state(path).has_value());
    const TranslationState s = small_state();
    save_translation_state(path, s);
    EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"translations.state"});  // no temporary left
    const std::optional<TranslationState> back = load_translation_state(path);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->specs, s.specs);
    EXPECT_EQ(back->seqs, s.seqs);
    EXPECT_EQ(back->langs, s.langs);
    for (const auto& [got, want] : {std::pair{&back->first, &s.first}, std::pair{&back->second, &s.second}}) {
        EXPECT_EQ(got->languages, want->languages);
        EXPECT_EQ(got->searched, want->searched);
        EXPECT_EQ(got->capacity(), want->capacity());
        ASSERT_EQ(got->lists(), want->lists());
        for (std::size_t i = 0; i < want->lists(); ++i) {
            EXPECT_EQ(others(got->list(i)), others(want->list(i))) << i;
            EXPECT_EQ(sims(got->list(i)), sims(want->list(i))) << i;  // kept: a later run does not rescore
        }
    }
    // The second pass's associations come back whole (a later run applies them again).
    ASSERT_EQ(back->associations.languages(), std::vector<std::string>{"de"});
    const std::vector<FeatureAssociation> de = back->associations.of("de");
    ASSERT_EQ(de.size(), 2u);
    EXPECT_EQ(std::tie(de[0].source, de[0].target, de[0].count, de[0].dice),
              std::make_tuple(uint64_t{11}, uint64_t{12}, uint32_t{4}, 0.5f));
    EXPECT_EQ(std::tie(de[1].source, de[1].target, de[1].count), std::make_tuple(uint64_t{13}, uint64_t{14}, uint32_t{3}));
    EXPECT_EQ(back->associations.dropped("de"), std::vector<uint64_t>{15});
    // Each pass's link state (its floors and strong links, labelled) comes back whole.
    for (const auto& [got, want] : {std::pair{&back->first_links, &s.first_links}, std::pair{&back->second_links, &s.second_links}}) {
        EXPECT_EQ(got->floors, want->floors);
        EXPECT_EQ(fields(*got), fields(*want));
    }
    // What each pass weighed with (a later run weighs only what it reads) comes back whole.
    for (const auto& [got, want] : {std::pair{&back->first_weighing, &s.first_weighing},
                                    std::pair{&back->second_weighing, &s.second_weighing}}) {
        EXPECT_EQ(got->frequencies.documents, want->frequencies.documents);
        EXPECT_EQ(sorted_df(got->frequencies), sorted_df(want->frequencies));
        EXPECT_EQ(got->lengths, want->lengths);
    }
    EXPECT_TRUE(back->has_weighing());
    // Without a second pass the second table holds no documents.
    TranslationState one = s;
    one.second = CandidateTable();
    save_translation_state(path, one);
    EXPECT_EQ(load_translation_state(path)->second.documents(), 0u);
}

// Two runs saving the state of one store at once (two processes, or two Stores in one process)
// each write a temporary file of their own: both succeed and the file left is one of them, whole.
TEST(TranslationState, ConcurrentSavesEachWriteTheirOwnTemporary) {
    test::TempDir dir("translation-state-concurrent");
    const std::string path = dir / "translations.state";
    const TranslationState s = small_state();
    std::vector<std::thread> writers;
    std::atomic<int> failed{0};
    for (int t = 0; t < 4; ++t)
        writers.emplace_back([&] {
            for (int i = 0; i < 20; ++i) try {
                    save_translation_state(path, s);
                } catch (const Error&) {
                    ++failed;
                }
        });
    for (auto& w : writers) w.join();
    EXPECT_EQ(failed.load(), 0);
    ASSERT_TRUE(load_translation_state(path).has_value());
    EXPECT_EQ(load_translation_state(path)->seqs, s.seqs);
    EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"translations.state"});
}

TEST(TranslationState, RefusesDamagedFilesAndOtherVersions) {
    test::TempDir dir("translation-state-damaged");
    const std::string path = dir / "translations.state";
    save_translation_state(path, small_state());
    const auto size = std::filesystem::file_size(path);
    const auto code = [&]() {
        try {
            load_translation_state(path);
        } catch (const Error& e) {
            return e.code();
        }
        return ErrorCode::kInternal;
    };
    std::filesystem::resize_file(path, size - 3);
    EXPECT_EQ(code(), ErrorCode::kBadFormat);
    save_translation_state(path, small_state());
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4);
        const uint32_t other = kTranslationStateVersion + 1;
        f.write(reinterpret_cast<const char*>(&other), sizeof other);
    }
    EXPECT_EQ(code(), ErrorCode::kVersion);
    for (const uint32_t old : {1u, 2u}) {  // version 1 (lists without similarities), 2 (without link states)
        save_translation_state(path, small_state());
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(4);
            f.write(reinterpret_cast<const char*>(&old), sizeof old);
        }
        EXPECT_EQ(code(), ErrorCode::kVersion) << old;
    }
    test::write_file(path, "not a state at all");
    EXPECT_EQ(code(), ErrorCode::kBadFormat);
}

// A weighing that cannot be one (a feature in more documents than were weighed, more documents
// weighed than the state holds) is refused as damaged, not used to weigh the next run.
TEST(TranslationState, RefusesAWeighingThatCountsMoreThanItsDocuments) {
    test::TempDir dir("translation-state-weighing");
    const std::string path = dir / "translations.state";
    TranslationState s = small_state();
    ASSERT_NO_THROW(save_translation_state(path, s));
    ASSERT_TRUE(load_translation_state(path).has_value());
    const auto refused = [&](const TranslationState& bad) {
        save_translation_state(path, bad);
        try {
            load_translation_state(path);
        } catch (const Error& e) {
            return e.code() == ErrorCode::kBadFormat;
        }
        return false;
    };
    TranslationState more_df = s;
    more_df.second_weighing.frequencies.set_count(12, 4);  // of 3 documents
    EXPECT_TRUE(refused(more_df));
    TranslationState more_docs = s;
    more_docs.first_weighing.frequencies.documents = 4;  // the state holds 3
    EXPECT_TRUE(refused(more_docs));
}

// A state of version 3 (before the weighing) is read whole but for it: a run extending it counts
// the weighing from the stored counts first (ops/translations.h). Made here from a version-4 file without weighing (its last 2 x 24 bytes: the
// empty frequencies and lengths of both passes), marked version 3.
TEST(TranslationState, Version3IsReadWithoutTheWeighing) {
    test::TempDir dir("translation-state-v3");
    const std::string path = dir / "translations.state";
    TranslationState s = small_state();
    s.first_weighing = s.second_weighing = {};
    save_translation_state(path, s);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 48);
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4);
        const uint32_t v3 = 3;
        f.write(reinterpret_cast<const char*>(&v3), sizeof v3);
    }
    const std::optional<TranslationState> back = load_translation_state(path);
    ASSERT_TRUE(back.has_value());
    EXPECT_FALSE(back->has_weighing());
    EXPECT_EQ(back->seqs, s.seqs);
    EXPECT_EQ(fields(back->second_links), fields(s.second_links));
    // The same bytes read as version 4 lack the weighing: truncated.
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4);
        f.write(reinterpret_cast<const char*>(&kTranslationStateVersion), sizeof kTranslationStateVersion);
    }
    EXPECT_THROW(load_translation_state(path), Error);
}

TEST(TranslationState, TablesArePlacedOntoAGrownStore) {
    const TranslationState s = small_state();
    const std::vector<int64_t> grown = {4, 5, 6, 7, 8, 9};  // seqs 4, 6 and 8 added
    const CandidateTable t = place_table(s.first, s.seqs, grown);
    ASSERT_EQ(t.documents(), 6u);
    EXPECT_EQ(t.languages, s.first.languages);
    EXPECT_EQ(t.searched, s.first.searched);
    EXPECT_EQ(others(t.of(1, 1)), std::vector<uint32_t>{3});     // seq 5 lists seq 7
    EXPECT_EQ(others(t.of(3, 0)), (std::vector<uint32_t>{5, 1}));  // seq 7 lists 9 then 5
    EXPECT_EQ(sims(t.of(3, 0)), (std::vector<float>{0.4f, 0.3f}));  // with their similarities
    EXPECT_EQ(others(t.of(5, 1)), std::vector<uint32_t>{3});
    for (std::size_t added : {0, 2, 4})
        for (std::size_t l = 0; l < 2; ++l) EXPECT_TRUE(t.of(added, l).empty());
    EXPECT_THROW(place_table(s.first, s.seqs, std::vector<int64_t>{5, 9}), Error);  // seq 7 gone
}

TEST(TranslationState, LinkStatesArePlacedOntoAGrownStore) {
    const TranslationState s = small_state();
    const std::vector<uint32_t> moved = {1, 3, 5};  // seqs 5, 7, 9 in {4, 5, 6, 7, 8, 9}
    const LinkState first = place_links(s.first_links, moved), second = place_links(s.second_links, moved);
    EXPECT_EQ(first.floors, s.first_links.floors);
    ASSERT_EQ(first.strong.size(), 1u);
    EXPECT_EQ(std::tie(first.strong[0].a, first.strong[0].b), std::make_tuple(std::size_t{1}, std::size_t{3}));
    EXPECT_EQ(first.strong[0].label, LinkLabel::kPartial);
    ASSERT_EQ(second.strong.size(), 1u);
    EXPECT_EQ(std::tie(second.strong[0].a, second.strong[0].b), std::make_tuple(std::size_t{5}, std::size_t{3}));
    EXPECT_THROW(place_links(s.first_links, std::vector<uint32_t>{1}), Error);  // document 1 not placed
}

}  // namespace
}  // namespace doppel
