// The second pass's rule (ops/translation_stages.h, second_pass_labels): a link only the second
// pass makes needs new_link_margin, and a first-pass link survives where the second pass leaves
// both its documents without any link (keep_first_margin); and which languages a rewritten
// document searches again (languages_searched_again).
#include <gtest/gtest.h>

#include <algorithm>

#include "doppel/ops/translation_stages.h"

namespace doppel {
namespace {

TranslationLink link(std::size_t a, std::size_t b, float margin, LinkLabel label = LinkLabel::kTranslation) {
    TranslationLink l;
    l.a = a, l.b = b, l.margin = margin, l.score = 0.5f, l.similarity = 0.5f, l.label = label;
    return l;
}

bool has(const std::vector<TranslationLink>& links, std::size_t a, std::size_t b, LinkLabel label) {
    return std::any_of(links.begin(), links.end(), [&](const TranslationLink& l) {
        return ((l.a == a && l.b == b) || (l.a == b && l.b == a)) && l.label == label;
    });
}

TranslationSearchOptions options(float keep_first_margin) {
    TranslationSearchOptions o;
    o.associations.keep_first_margin = keep_first_margin;
    o.matcher.same_story = true;
    return o;
}

// Documents 0-3 English, 4-7 the other language. The first pass linked 0-4 (margin 2.4) and
// 1-5 (1.3); the second pass lost 0-4 under the margin (same-story) and 1-5 altogether, and
// linked 2-6 and 3-7 (7 is new to it: 3-7 needs the new-link margin).
TEST(SecondPassLabels, KeepsFirstPassLinksOfDocumentsLeftUnlinked) {
    const std::vector<TranslationLink> first = {link(0, 4, 2.4f), link(1, 5, 1.3f), link(2, 6, 1.5f)};
    std::vector<TranslationLink> second = {link(0, 4, 0.9f, LinkLabel::kSameStory), link(2, 6, 1.6f), link(3, 7, 1.5f)};
    second_pass_labels(second, first, options(1.2f));
    EXPECT_TRUE(has(second, 0, 4, LinkLabel::kTranslation));
    EXPECT_FALSE(has(second, 0, 4, LinkLabel::kSameStory));  // replaced, not doubled
    EXPECT_TRUE(has(second, 1, 5, LinkLabel::kTranslation));
    EXPECT_TRUE(has(second, 2, 6, LinkLabel::kTranslation));
    EXPECT_TRUE(has(second, 3, 7, LinkLabel::kTranslation));
    EXPECT_EQ(second.size(), 4u);
    // The kept link is the first pass's, its margin included.
    for (const auto& l : second) {
        if (l.a == 0) {
            EXPECT_EQ(l.margin, 2.4f);
        }
    }
}

TEST(SecondPassLabels, NoNewLinkBetweenTwoDocumentsNotSearchedAgain) {
    // 0, 1 and 2 kept their first-pass candidates (spared): a new link between two of them is
    // same-story whatever its margin; one with a searched document (3) is judged as always;
    // a link the first pass made stays.
    TranslationSearchOptions o = options(0.0f);
    const std::vector<TranslationLink> first = {link(0, 2, 1.5f)};
    std::vector<TranslationLink> second = {link(0, 1, 3.0f), link(2, 3, 3.0f), link(0, 2, 1.3f)};
    const std::vector<char> spared = {1, 1, 1, 0};
    second_pass_labels(second, first, o, spared);
    EXPECT_TRUE(has(second, 0, 1, LinkLabel::kSameStory));
    EXPECT_TRUE(has(second, 2, 3, LinkLabel::kTranslation));
    EXPECT_TRUE(has(second, 0, 2, LinkLabel::kTranslation));
    std::vector<TranslationLink> unspared = {link(0, 1, 3.0f)};
    second_pass_labels(unspared, first, o);
    EXPECT_TRUE(has(unspared, 0, 1, LinkLabel::kTranslation));
}

TEST(SecondPassLabels, KeepsNoFirstPassLinkTheSecondPassContradicts) {
    // 0 is linked to 5 in the second pass: its first-pass link to 4 is not kept, though 4 is
    // left alone; nor is 1-6, 6 having found 2.
    const std::vector<TranslationLink> first = {link(0, 4, 2.4f), link(1, 6, 2.0f)};
    std::vector<TranslationLink> second = {link(0, 5, 1.5f), link(2, 6, 1.6f)};
    second_pass_labels(second, first, options(1.2f));
    EXPECT_FALSE(has(second, 0, 4, LinkLabel::kTranslation));
    EXPECT_FALSE(has(second, 1, 6, LinkLabel::kTranslation));
    EXPECT_EQ(second.size(), 2u);
}

TEST(SecondPassLabels, KeepFirstMarginAndOff) {
    const std::vector<TranslationLink> first = {link(0, 4, 2.4f), link(1, 5, 1.3f)};
    std::vector<TranslationLink> second;
    second_pass_labels(second, first, options(1.5f));
    EXPECT_TRUE(has(second, 0, 4, LinkLabel::kTranslation));
    EXPECT_FALSE(has(second, 1, 5, LinkLabel::kTranslation));
    std::vector<TranslationLink> off;
    second_pass_labels(off, first, options(0));
    EXPECT_TRUE(off.empty());
}

TEST(SecondPassLabels, NewLinksNeedTheNewLinkMargin) {
    const std::vector<TranslationLink> first;
    std::vector<TranslationLink> second = {link(0, 4, 1.3f), link(1, 5, 1.5f)};
    second_pass_labels(second, first, options(1.2f));
    EXPECT_TRUE(has(second, 0, 4, LinkLabel::kSameStory));
    EXPECT_TRUE(has(second, 1, 5, LinkLabel::kTranslation));
}

TEST(LanguagesSearchedAgain, ARewrittenLanguageWithoutPivotFallsBackAlone) {
    // fr, no and pt are rewritten, en is not. fr and pt search en (their pivot); the tiny no
    // searches fr and pt only. By default (rematch_rewritten=3) no alone searches every language
    // again; fr and pt search again only en and drop their lists in the other rewritten
    // languages. rematch_rewritten=2 falls back for the whole pool (empty); 1 is always empty;
    // 0 keeps where 2 drops and needs no pivot.
    CandidateTable table;
    table.languages = {"en", "fr", "no", "pt"};
    const std::size_t L = 4, en = 0, fr = 1, no = 2, pt = 3;
    table.searched.assign(L * L, 0);
    for (auto [a, b] : {std::pair{en, fr}, {en, pt}, {fr, no}, {fr, pt}, {no, pt}})
        table.searched[a * L + b] = table.searched[b * L + a] = 1;
    FeatureAssociations learned;
    for (const char* lang : {"fr", "no", "pt"}) learned.add(lang, FeatureAssociation{1, 2, 5, 0.5f});
    const char S = Matcher::kSearchList, D = Matcher::kDropList, K = Matcher::kKeepList;
    FeatureAssociationOptions o;
    const std::vector<char> again = languages_searched_again(table, learned, o);
    const std::vector<char> expected = {S, D, D, D,   // en (not rewritten: its row unused)
                                        S, D, D, D,   // fr: en only, no and pt dropped
                                        S, S, S, S,   // no: no pivot, every language again
                                        S, D, D, D};  // pt: as fr
    EXPECT_EQ(again, expected);
    o.rematch_rewritten = 2;
    EXPECT_TRUE(languages_searched_again(table, learned, o).empty());
    o.rematch_rewritten = 1;
    EXPECT_TRUE(languages_searched_again(table, learned, o).empty());
    o.rematch_rewritten = 0;
    const std::vector<char> kept = languages_searched_again(table, learned, o);
    EXPECT_EQ(std::vector<char>(kept.begin() + no * L, kept.begin() + (no + 1) * L), (std::vector<char>{S, K, K, K}));
    // With the pivot searched by no too, rematch_rewritten=2 and 3 agree.
    table.searched[no * L + en] = table.searched[en * L + no] = 1;
    o.rematch_rewritten = 2;
    const std::vector<char> pool_wide = languages_searched_again(table, learned, o);
    o.rematch_rewritten = 3;
    EXPECT_EQ(pool_wide, languages_searched_again(table, learned, o));
    EXPECT_EQ(pool_wide[no * L + fr], D);
}

}  // namespace
}  // namespace doppel
