// URL evidence: the same URL but for a language code.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "doppel/match/matcher.h"
#include "match/url_evidence.h"

using doppel::url_evidence::same_url_but_language;
using doppel::url_evidence::url_language_key;

TEST(UrlEvidence, PathHostAndQueryCodes) {
    EXPECT_TRUE(same_url_but_language("https://news.example/en/2024/flu", "https://news.example/ar/2024/flu"));
    EXPECT_TRUE(same_url_but_language("http://en.news.example/flu", "https://ar.news.example/flu"));
    EXPECT_TRUE(same_url_but_language("https://www.news.example/flu?id=3&lang=en", "https://news.example/flu?lang=vi&id=3"));
    EXPECT_TRUE(same_url_but_language("https://news.example/flu", "https://news.example/vi-vn/flu")) << "a default page";
    EXPECT_TRUE(same_url_but_language("https://news.example/pt_BR/flu#top", "https://NEWS.example/en-US/flu"));
}

TEST(UrlEvidence, OtherDifferencesOrTheSameCodeAreNoEvidence) {
    EXPECT_FALSE(same_url_but_language("https://news.example/en/flu", "https://news.example/en/flu")) << "same code";
    EXPECT_FALSE(same_url_but_language("https://news.example/en/flu", "https://news.example/ar/rail"));
    EXPECT_FALSE(same_url_but_language("https://a.example/en/flu", "https://b.example/ar/flu"));
    EXPECT_FALSE(same_url_but_language("https://news.example/flu?x=en", "https://news.example/flu?x=ar"))
        << "a parameter that does not name a language";
    EXPECT_FALSE(same_url_but_language("https://news.example/eng/flu", "https://news.example/xx/flu"));
    EXPECT_FALSE(same_url_but_language("", "https://news.example/ar/flu"));
    EXPECT_EQ(url_language_key("HTTPS://www.Example.com/EN/a/?b=1&lang=en").key, "example.com/a?b=1");
    EXPECT_EQ(url_language_key("https://fr.example.com/de/a").code, "fr+de");
}

namespace {

// Two English and two Arabic pages over small feature ids (dense component i = feature i); with
// `urls`, each pair's URLs differ only in the language code, and one unrelated pair too.
std::map<std::pair<int64_t, int64_t>, doppel::TranslationLink> match_pool(bool urls) {
    using namespace doppel;
    constexpr std::size_t kDim = 32;
    std::vector<MatchDocument> docs;
    std::vector<SparseVector> sparse;
    std::vector<float> dense;
    const std::vector<std::tuple<int64_t, std::string, std::vector<uint64_t>, std::string>> pages = {
        {1, "en", {1, 2, 3, 4}, "https://news.example/en/flu"},
        {2, "en", {10, 11, 12, 13}, "https://news.example/en/rail"},
        {3, "ar", {1, 2, 3, 5}, "https://news.example/ar/flu"},
        {4, "ar", {10, 11, 14, 15}, "https://news.example/ar/rail"}};
    for (const auto& [seq, lang, features, url] : pages) {
        SparseVector v;
        for (uint64_t f : features) v.ids.push_back(f), v.weights.push_back(1);
        v.normalize();
        docs.push_back({seq, lang, 10, urls ? url : ""});
        std::vector<float> d(kDim, 0.0f);
        for (std::size_t i = 0; i < v.size(); ++i) d[v.ids[i]] = v.weights[i];
        dense.insert(dense.end(), d.begin(), d.end());
        sparse.push_back(std::move(v));
    }
    VectorIndex index(kDim, "Flat");
    for (std::size_t i = 0; i < docs.size(); ++i) index.add(docs[i].lang, 1, &docs[i].seq, dense.data() + i * kDim);
    std::map<std::pair<int64_t, int64_t>, TranslationLink> out;
    for (const auto& l : Matcher().match(index, docs, dense.data(), sparse))
        out[std::minmax(docs[l.a].seq, docs[l.b].seq)] = l;
    return out;
}

}  // namespace

TEST(UrlEvidence, AddsToTheScoreOfPairsFoundOnContentAndChangesNoOtherSignal) {
    const auto with = match_pool(true), without = match_pool(false);
    ASSERT_EQ(with.size(), without.size()) << "URLs never make a candidate";
    ASSERT_TRUE(with.count({1, 3}) && with.count({2, 4}));
    for (const auto& [pair, l] : with) {
        const doppel::TranslationLink& o = without.at(pair);
        EXPECT_FLOAT_EQ(l.similarity, o.similarity);
        EXPECT_FLOAT_EQ(l.margin, o.margin);
        EXPECT_FLOAT_EQ(l.anchors, o.anchors);
        EXPECT_FALSE(o.url_evidence);
        const bool same_story_url = (pair == std::pair<int64_t, int64_t>{1, 3} || pair == std::pair<int64_t, int64_t>{2, 4});
        EXPECT_EQ(l.url_evidence, same_story_url);
        EXPECT_FLOAT_EQ(l.score, l.url_evidence ? std::min(1.0f, o.score + doppel::MatcherOptions{}.url_weight) : o.score);
    }
}
