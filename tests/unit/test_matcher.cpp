// Matcher: margin, floor, one-to-one, labels, pivots, same-language pairs never linked.
#include <gtest/gtest.h>

#include "doppel/error.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/match/matcher.h"

namespace doppel {
namespace {

constexpr std::size_t kDim = 64;

// Documents as sparse vectors over small feature ids; the dense form puts feature i on
// component i (ids < kDim), so the index finds the same neighbours as the exact form.
struct Pool {
    std::vector<MatchDocument> docs;
    std::vector<SparseVector> sparse;
    std::vector<float> dense;
    void add(int64_t seq, const std::string& lang, std::map<uint64_t, float> f, float length = 10) {
        SparseVector v;
        for (auto& [id, w] : f) {
            v.ids.push_back(id);
            v.weights.push_back(w);
        }
        v.normalize();
        docs.push_back({seq, lang, length, ""});
        std::vector<float> d(kDim, 0.0f);
        for (std::size_t i = 0; i < v.size(); ++i) d[v.ids[i]] = v.weights[i];
        dense.insert(dense.end(), d.begin(), d.end());
        sparse.push_back(std::move(v));
    }
    VectorIndex index() const {
        VectorIndex vi(kDim, "Flat");
        for (std::size_t i = 0; i < docs.size(); ++i) vi.add(docs[i].lang, 1, &docs[i].seq, dense.data() + i * kDim);
        return vi;
    }
    std::map<std::pair<int64_t, int64_t>, TranslationLink> run(const MatcherOptions& o = {}) const {
        auto vi = index();
        std::map<std::pair<int64_t, int64_t>, TranslationLink> m;
        for (auto& l : Matcher(o).match(vi, docs, dense.data(), sparse)) {
            int64_t a = docs[l.a].seq, b = docs[l.b].seq;
            m[{std::min(a, b), std::max(a, b)}] = l;
        }
        return m;
    }
};

TEST(Matcher, Margin) {
    EXPECT_FLOAT_EQ(Matcher::margin(0.5f, 0.25f, 0.25f), 2.0f);
    EXPECT_FLOAT_EQ(Matcher::margin(0.5f, 0.5f, 0.5f), 1.0f);
    EXPECT_STREQ(to_string(LinkLabel::kSameStory), "same-story");
    Matcher m;
    EXPECT_FLOAT_EQ(m.translation_floor(10, 1000), 0.08f);
    EXPECT_FLOAT_EQ(m.translation_floor(1000, 2000), 0.15f);
    EXPECT_FLOAT_EQ(m.translation_floor(175, 400), 0.115f);
}

TEST(Matcher, MarginAgainstCompetitors) {
    // en 10 is about equally close to three German texts: no stand-out, no translation.
    Pool p;
    p.add(10, "en", {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
    p.add(11, "de", {{1, 1}, {2, 1}, {5, 1}});
    p.add(12, "de", {{2, 1}, {3, 1}, {6, 1}});
    p.add(13, "de", {{3, 1}, {4, 1}, {7, 1}});
    auto m = p.run();
    for (auto& [k, l] : m) {
        EXPECT_EQ(l.label, LinkLabel::kSameStory);
        EXPECT_LT(l.margin, 1.05f);
    }
    EXPECT_FALSE(m.empty());
}

// Nine German texts each share a little with one English text and with each other's English
// neighbours: every pair is same-story. A document keeps its best same_story_per_doc of them.
TEST(Matcher, SameStoryCappedPerDocument) {
    Pool p;
    for (int e = 0; e < 3; ++e) p.add(100 + e, "en", {{1, 1}, {2, 1}, {uint64_t(10 + e), 1}, {uint64_t(20 + e), 1}});
    for (int d = 0; d < 9; ++d)
        p.add(200 + d, "de", {{1, 0.5f + 0.05f * d}, {2, 0.5f}, {uint64_t(30 + d), 1}, {uint64_t(50 + d % 4), 1}});
    MatcherOptions unlimited;
    unlimited.same_story_per_doc = 0;
    const auto all = p.run(unlimited);
    const auto capped = p.run();
    std::map<int64_t, std::size_t> per_all, per_capped;
    for (auto& [k, l] : all)
        if (l.label == LinkLabel::kSameStory) ++per_all[k.first], ++per_all[k.second];
    for (auto& [k, l] : capped)
        if (l.label == LinkLabel::kSameStory) ++per_capped[k.first], ++per_capped[k.second];
    ASSERT_GT(per_all[100], 5u) << "the pool gives an English text more than 5 same-story pairs";
    for (auto& [doc, n] : per_capped) EXPECT_LE(n, 5u) << doc;
    EXPECT_EQ(per_capped[100], 5u);
    // The kept ones are the English text's best-scored.
    std::vector<float> scores;
    for (auto& [k, l] : all)
        if (k.first == 100 && l.label == LinkLabel::kSameStory) scores.push_back(l.score);
    std::sort(scores.rbegin(), scores.rend());
    for (auto& [k, l] : capped)
        if (k.first == 100 && l.label == LinkLabel::kSameStory) {
            EXPECT_GE(l.score, scores[4]) << k.second;
        }
    MatcherOptions two;
    two.same_story_per_doc = 2;
    for (auto& [k, l] : p.run(two))
        if (l.label == LinkLabel::kSameStory) ++per_capped[-1 - k.first];
    EXPECT_EQ(per_capped[-101], 2u);
}

TEST(Matcher, LinksTranslationsOneToOne) {
    Pool p;
    p.add(1, "de", {{1, 1}, {2, 1}, {3, 1}, {40, 0.2f}});
    p.add(2, "de", {{10, 1}, {11, 1}, {12, 1}, {40, 0.2f}});
    p.add(3, "en", {{1, 1}, {2, 1}, {3, 0.8f}, {41, 0.2f}});
    p.add(4, "en", {{10, 1}, {11, 1}, {12, 0.9f}, {41, 0.2f}});
    p.add(5, "en", {{20, 1}, {21, 1}, {41, 0.3f}});  // unrelated
    p.add(6, "de", {{1, 1}, {2, 1}, {3, 1}});        // same language as 1: never linked to it
    auto m = p.run();
    ASSERT_TRUE(m.count({1, 3}) || m.count({3, 6}));
    ASSERT_TRUE(m.count({2, 4}));
    EXPECT_EQ(m.at({2, 4}).label, LinkLabel::kTranslation);
    EXPECT_GT(m.at({2, 4}).score, 0.8f);
    EXPECT_LE(m.at({2, 4}).score, 1.0f);
    EXPECT_FALSE(m.count({1, 6}));
    EXPECT_FALSE(m.count({1, 5}));  // below the floor
    EXPECT_FALSE(m.count({2, 5}));
    // One-to-one: en 3 is the translation of only one of de 1 and de 6.
    int translations_of_3 = 0;
    for (auto& [k, l] : m)
        if ((k.first == 3 || k.second == 3) && l.label == LinkLabel::kTranslation) ++translations_of_3;
    EXPECT_EQ(translations_of_3, 1);
    MatcherOptions many;
    many.one_to_one = false;
    auto mm = p.run(many);
    EXPECT_TRUE(mm.count({1, 3}) && mm.count({3, 6}));
}

TEST(Matcher, FloorAndLabels) {
    Pool p;
    // Weak but best pair: margin is high (nothing else), similarity under the floor.
    p.add(1, "fr", {{1, 1}, {30, 4}});
    p.add(2, "en", {{1, 1}, {31, 4}});
    auto m = p.run();
    EXPECT_FALSE(m.count({1, 2}));
    // Related but not a translation: same-story when the similarity is between the floors.
    MatcherOptions o;
    o.related_similarity = 0.05f;
    o.translation_similarity = 0.5f;
    m = p.run(o);
    ASSERT_TRUE(m.count({1, 2}));
    EXPECT_EQ(m.at({1, 2}).label, LinkLabel::kSameStory);
    o.same_story = false;
    EXPECT_TRUE(p.run(o).empty());

    // Partial: a good match where one side is much longer.
    Pool q;
    q.add(1, "fr", {{1, 1}, {2, 1}, {3, 1}}, 10);
    q.add(2, "en", {{1, 1}, {2, 1}, {3, 1}, {4, 0.5f}}, 100);
    auto mq = q.run();
    ASSERT_TRUE(mq.count({1, 2}));
    EXPECT_EQ(mq.at({1, 2}).label, LinkLabel::kPartial);
}

// Twelve German-English translations (ids 100 + i and 200 + i) sharing most of their features.
Pool twelve_translations() {
    Pool p;
    for (uint64_t i = 0; i < 12; ++i) {
        const uint64_t f = 1 + 2 * i;
        p.add(int64_t(100 + i), "de", {{f, 1}, {f + 1, 1}, {63, 0.1f}});
        p.add(int64_t(200 + i), "en", {{f, 1}, {f + 1, 0.8f}, {62, 0.1f}});
    }
    return p;
}

// No counterpart: twelve German-English translations share most of their features (score
// about 0.99, far from competitors); a German text and an English text without a version in
// the other language, both long, share a little (score about 0.2) and nothing else near: both
// stand out (margin 10, "no competition"), so only the language pair's typical score keeps
// them apart. Two short texts of similar length are spared.
TEST(Matcher, NoCounterpartUnderTheTypicalScore) {
    Pool p = twelve_translations();
    p.add(300, "de", {{40, 1}, {41, 1}, {45, 1}}, 200);
    p.add(301, "en", {{42, 1}, {43, 1}, {45, 0.5f}}, 220);
    MatcherOptions off;
    off.counterpart_ratio = 0;
    const auto without = p.run(off);
    ASSERT_TRUE(without.count({300, 301}));
    EXPECT_EQ(without.at({300, 301}).label, LinkLabel::kTranslation) << "the case needs the rule";
    EXPECT_LT(without.at({300, 301}).score, 0.3f);
    const auto with = p.run();
    for (uint64_t i = 0; i < 12; ++i) {
        ASSERT_TRUE(with.count({int64_t(100 + i), int64_t(200 + i)})) << i;
        EXPECT_EQ(with.at({int64_t(100 + i), int64_t(200 + i)}).label, LinkLabel::kTranslation) << i;
    }
    ASSERT_TRUE(with.count({300, 301}));
    EXPECT_EQ(with.at({300, 301}).label, LinkLabel::kSameStory);
    // Too few confident links for a typical score of the pair, the language or the pool: no floor.
    MatcherOptions needs_more;
    needs_more.counterpart_links = 14;  // 13 confident links, the weak one among them
    EXPECT_EQ(p.run(needs_more).at({300, 301}).label, LinkLabel::kTranslation);
    // Short texts of similar length: no evidence against them, a translation still; nor is a
    // short text against one a few times longer (a paragraph and its wordier version); a short
    // text against a whole document (under counterpart_length_ratio of its length) is.
    Pool q = p;
    q.docs[24].length = q.docs[25].length = 12;
    EXPECT_EQ(q.run().at({300, 301}).label, LinkLabel::kTranslation);
    q.docs[25].length = 60;  // 0.2 of the length: a partial translation
    EXPECT_EQ(q.run().at({300, 301}).label, LinkLabel::kPartial);
    q.docs[25].length = 100;  // 0.12
    EXPECT_EQ(q.run().at({300, 301}).label, LinkLabel::kSameStory);
    MatcherOptions old_lengths;
    old_lengths.counterpart_length_ratio = 0.3f;
    q.docs[25].length = 60;
    EXPECT_EQ(q.run(old_lengths).at({300, 301}).label, LinkLabel::kSameStory);
}

// The default floor is 0.4 of the typical score: two long texts scoring 0.39 of it (about 0.385
// against 0.99) are no translation; at a ratio of 0.3 they were.
TEST(Matcher, NoCounterpartFloorIsFourTenthsOfTheTypicalScore) {
    Pool p = twelve_translations();
    p.add(300, "de", {{40, 1}, {41, 1}, {45, 1}}, 200);
    p.add(301, "en", {{42, 1}, {43, 0.5f}, {45, 1}}, 220);
    const auto with = p.run();
    ASSERT_TRUE(with.count({300, 301}));
    EXPECT_GT(with.at({300, 301}).score, 0.3f * 0.99f);
    EXPECT_LT(with.at({300, 301}).score, 0.4f * 0.98f);
    EXPECT_EQ(with.at({300, 301}).label, LinkLabel::kSameStory);
    MatcherOptions lower;
    lower.counterpart_ratio = 0.3f;
    EXPECT_EQ(p.run(lower).at({300, 301}).label, LinkLabel::kTranslation);
}

// The median as the rule takes it: the ((n - 1) / 2)-th smallest; 0 when empty.
float sorted_median(std::vector<float> xs) {
    if (xs.empty()) return 0.0f;
    std::sort(xs.begin(), xs.end());
    return xs[(xs.size() - 1) / 2];
}

// typical_floors, from the confident scores of each language pair alone (link() builds a
// pair's candidates, keeps their confident scores and lets them go), equals the rule computed
// from all the scores at once: a pair's median with counterpart_links scores or more, else the
// lower of its languages' medians (a language with too few: the pool's; too few in the pool: 0).
TEST(Matcher, TypicalFloorsFromEachPairsScoresFollowTheRule) {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        const std::size_t L = 2 + rng() % 5;
        std::vector<std::pair<std::size_t, std::size_t>> pairs;
        for (std::size_t a = 0; a < L; ++a)
            for (std::size_t b = a + 1; b < L; ++b) pairs.push_back({a, b});
        MatcherOptions o;
        o.counterpart_links = 1 + rng() % 12;
        o.counterpart_ratio = 0.4f;
        std::vector<std::vector<float>> scores(pairs.size());
        for (auto& s : scores) {
            const std::size_t n = rng() % 3 == 0 ? 0 : rng() % 20;
            for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<float>(rng() % 1000) / 1000.0f);
        }
        std::vector<std::vector<float>> of_language(L);
        std::vector<float> all;
        for (std::size_t p = 0; p < pairs.size(); ++p)
            for (float x : scores[p]) {
                of_language[pairs[p].first].push_back(x);
                of_language[pairs[p].second].push_back(x);
                all.push_back(x);
            }
        const std::size_t need = o.counterpart_links;
        const float pool = all.size() >= need ? sorted_median(all) : 0.0f;
        const auto language = [&](std::size_t t) {
            return of_language[t].size() >= need ? sorted_median(of_language[t]) : pool;
        };
        std::vector<std::vector<float>> given = scores;
        const std::vector<float> floors = Matcher(o).typical_floors(pairs, L, given);
        ASSERT_EQ(floors.size(), pairs.size());
        for (std::size_t p = 0; p < pairs.size(); ++p) {
            const float typical = scores[p].size() >= need ? sorted_median(scores[p])
                                                           : std::min(language(pairs[p].first), language(pairs[p].second));
            EXPECT_EQ(floors[p], 0.4f * typical) << "round " << round << ", pair " << p;
        }
        MatcherOptions off = o;
        off.counterpart_ratio = 0;
        given = scores;
        EXPECT_EQ(Matcher(off).typical_floors(pairs, L, given), std::vector<float>(pairs.size(), 0.0f));
    }
}

// link() labels the language pairs a core's worth at a time and joins them in pair order: with
// every same-story link kept and no pivots, each candidate pair above related_similarity is
// one link, once, whatever the number of language pairs.
TEST(Matcher, EveryLanguagePairsCandidatesBecomeLinksOnce) {
    std::mt19937 rng(3);
    Pool p;
    const std::vector<std::string> langs = {"de", "en", "es", "fr", "ja", "vi"};
    for (int64_t i = 0; i < 240; ++i) {
        std::map<uint64_t, float> f;
        for (int j = 0; j < 6; ++j) f[rng() % kDim] += 1.0f + static_cast<float>(rng() % 4);
        p.add(i, langs[static_cast<std::size_t>(i) % langs.size()], f, 20.0f + static_cast<float>(rng() % 300));
    }
    MatcherOptions o;
    o.pivot = false;
    o.same_story_per_doc = 0;
    o.affinity_sample = 0;  // every document searches every language: all 15 pairs have candidates
    const Matcher m(o);
    const VectorIndex vi = p.index();
    const CandidateTable table = m.candidates(vi, p.docs, p.dense.data(), p.sparse);
    std::set<std::pair<std::size_t, std::size_t>> expected;
    for (std::size_t x = 0; x < p.docs.size(); ++x)
        for (std::size_t t = 0; t < table.languages.size(); ++t)
            for (const auto& c : table.of(x, t))
                if (c.sim >= o.related_similarity) expected.insert({std::min<std::size_t>(x, c.other), std::max<std::size_t>(x, c.other)});
    ASSERT_GT(expected.size(), 500u);
    const std::vector<TranslationLink> links = m.link(p.docs, p.sparse, table);
    std::set<std::pair<std::size_t, std::size_t>> got;
    std::size_t translations = 0;
    for (const auto& l : links) {
        EXPECT_TRUE(got.insert({std::min(l.a, l.b), std::max(l.a, l.b)}).second) << l.a << " " << l.b;
        translations += l.label != LinkLabel::kSameStory;
    }
    EXPECT_EQ(got, expected);
    EXPECT_GT(translations, 0u);
    // Without same-story links, the same translations, scored and labelled alike (link() then
    // scores only the candidates that reach translation_margin: the others cannot be strong).
    using Scored = std::tuple<std::size_t, std::size_t, int, float, float, float>;
    const auto scored = [](const TranslationLink& l) {
        return Scored{l.a, l.b, static_cast<int>(l.label), l.score, l.margin, l.anchors};
    };
    std::set<Scored> strong;
    for (const auto& l : links)
        if (l.label != LinkLabel::kSameStory) strong.insert(scored(l));
    MatcherOptions no_story = o;
    no_story.same_story = false;
    std::set<Scored> again;
    for (const auto& l : Matcher(no_story).link(p.docs, p.sparse, table)) {
        EXPECT_NE(l.label, LinkLabel::kSameStory);
        again.insert(scored(l));
    }
    EXPECT_EQ(again, strong);
}

TEST(Matcher, PivotLinksTranslationsOfOneDocument) {
    Pool p;
    // de and pl share little directly, but both translate en.
    p.add(1, "en", {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
    p.add(2, "de", {{1, 1}, {2, 1}, {5, 0.3f}});
    p.add(3, "pl", {{3, 1}, {4, 1}, {1, 0.15f}});
    MatcherOptions o;
    o.pivot = false;
    auto m = p.run(o);
    EXPECT_TRUE(m.count({1, 2}) && m.at({1, 2}).label == LinkLabel::kTranslation);
    EXPECT_TRUE(m.count({1, 3}) && m.at({1, 3}).label == LinkLabel::kTranslation);
    EXPECT_TRUE(!m.count({2, 3}) || m.at({2, 3}).label == LinkLabel::kSameStory);
    m = p.run();
    ASSERT_TRUE(m.count({2, 3}));
    EXPECT_EQ(m.at({2, 3}).label, LinkLabel::kTranslation);
}

// A pair the first labelling made same-story and the pivot closure links replaces its link in
// place (close_over_pivots finds it among the existing links): each pair is listed once.
TEST(Matcher, PivotLinkReplacesThePairsSameStoryLink) {
    // As in SinglePivotNeedsAMargin: de 2 and pl 3 share a trace, as de 2 and pl 4 do.
    Pool p;
    p.add(1, "en", {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
    p.add(2, "de", {{1, 1}, {2, 1}, {5, 0.7f}, {6, 0.7f}});
    p.add(3, "pl", {{3, 1}, {4, 1}, {5, 0.7f}});
    p.add(4, "pl", {{6, 0.7f}, {7, 1}, {8, 1}});
    MatcherOptions o;
    o.pivot = false;
    ASSERT_TRUE(p.run(o).count({2, 3}));  // listed without the pivot, same-story
    ASSERT_EQ(p.run(o).at({2, 3}).label, LinkLabel::kSameStory);
    o.pivot = true;
    o.pivot_margin = 0;
    const auto vi = p.index();
    std::size_t listed = 0;
    for (const auto& l : Matcher(o).match(vi, p.docs, p.dense.data(), p.sparse))
        if (std::min(l.a, l.b) == 1 && std::max(l.a, l.b) == 2) {
            ++listed;
            EXPECT_EQ(l.label, LinkLabel::kTranslation);
        }
    EXPECT_EQ(listed, 1u);
}

TEST(Matcher, PivotLinksStayOneToOnePerLanguage) {
    // en 1 is translated by de 2, pl 3 and cs 5; de 2 also has a direct Polish version, pl 4.
    Pool p;
    p.add(1, "en", {{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}});
    p.add(2, "de", {{1, 1}, {2, 1}, {10, 1}});
    p.add(3, "pl", {{3, 1}, {4, 1}, {20, 1}});
    p.add(4, "pl", {{10, 1}, {11, 1}});
    p.add(5, "cs", {{5, 1}, {6, 1}, {3, 0.15f}});
    auto m = p.run();
    ASSERT_TRUE(m.count({2, 4}));
    EXPECT_EQ(m.at({2, 4}).label, LinkLabel::kTranslation);
    // de 2 has its Polish version: the pivot en 1 adds no second one.
    EXPECT_TRUE(!m.count({2, 3}) || m.at({2, 3}).label == LinkLabel::kSameStory);
    // pl 3 and cs 5 share only a trace directly, and are linked through en 1 although Polish
    // occurs twice among the documents linked together.
    ASSERT_TRUE(m.count({3, 5}));
    EXPECT_EQ(m.at({3, 5}).label, LinkLabel::kTranslation);
    MatcherOptions o;
    o.pivot = false;
    m = p.run(o);
    EXPECT_TRUE(!m.count({3, 5}) || m.at({3, 5}).label == LinkLabel::kSameStory);
}

TEST(Matcher, SinglePivotNeedsAMargin) {
    // de 2 and pl 3 both translate en 1 and share a trace; cs 4, linked to nothing, shares as
    // much with de 2 as pl 3 does: through its one pivot, the de-pl pair does not stand out.
    Pool p;
    p.add(1, "en", {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
    p.add(2, "de", {{1, 1}, {2, 1}, {5, 0.4f}, {6, 0.4f}});
    p.add(3, "pl", {{3, 1}, {4, 1}, {5, 0.4f}});
    p.add(4, "pl", {{6, 0.4f}, {7, 1}, {8, 1}});
    auto m = p.run();
    EXPECT_TRUE(m.count({1, 2}) && m.at({1, 2}).label == LinkLabel::kTranslation);
    EXPECT_TRUE(m.count({1, 3}) && m.at({1, 3}).label == LinkLabel::kTranslation);
    EXPECT_TRUE(!m.count({2, 3}) || m.at({2, 3}).label == LinkLabel::kSameStory);
    MatcherOptions o;
    o.pivot_margin = 0;
    m = p.run(o);
    ASSERT_TRUE(m.count({2, 3}));
    EXPECT_EQ(m.at({2, 3}).label, LinkLabel::kTranslation);
}

TEST(Matcher, ShardsGiveTheCandidatesAndLinksOfOneIndex) {
    // Each language searched in its own index (a shard, as doppel.dask builds them) gives the
    // candidate table of the whole index, and link() over it the links of match().
    Pool p;
    p.add(10, "en", {{1, 1}, {2, 1}, {3, 0.5f}});
    p.add(11, "en", {{4, 1}, {5, 1}, {3, 0.5f}});
    p.add(12, "en", {{6, 1}, {7, 0.3f}});
    p.add(20, "de", {{1, 1}, {2, 0.8f}, {3, 0.4f}});
    p.add(21, "de", {{4, 1}, {5, 0.9f}});
    p.add(30, "fr", {{1, 0.9f}, {2, 1}, {7, 0.2f}});
    p.add(31, "fr", {{6, 1}, {4, 0.3f}});
    MatcherOptions o;
    o.k = 2;
    const Matcher m(o);
    const VectorIndex whole = p.index();
    const CandidateTable want = m.candidates(whole, p.docs, p.dense.data(), p.sparse);
    ASSERT_EQ(want.languages, (std::vector<std::string>{"de", "en", "fr"}));
    CandidateTable got = CandidateTable::empty(p.docs.size(), Matcher::languages_of(p.docs), o.k);
    for (std::size_t t = 0; t < got.languages.size(); ++t) {
        const std::string& lang = got.languages[t];
        VectorIndex shard(kDim, "Flat");
        std::vector<std::size_t> queries;
        for (std::size_t i = 0; i < p.docs.size(); ++i) {
            if (p.docs[i].lang == lang) shard.add(lang, 1, &p.docs[i].seq, p.dense.data() + i * kDim);
            else queries.push_back(i);
        }
        const auto found = m.shard_candidates(shard, lang, p.docs, queries, p.dense.data(), p.sparse);
        ASSERT_EQ(found.size(), queries.size());
        for (std::size_t j = 0; j < queries.size(); ++j) got.edit(queries[j], t).assign(found[j]);
    }
    std::size_t listed = 0;
    for (std::size_t i = 0; i < want.lists(); ++i) {
        ASSERT_EQ(got.list(i).size(), want.list(i).size()) << i;
        listed += want.list(i).size();
        for (std::size_t r = 0; r < want.list(i).size(); ++r) {
            EXPECT_EQ(got.list(i)[r].other, want.list(i)[r].other);
            EXPECT_FLOAT_EQ(got.list(i)[r].sim, want.list(i)[r].sim);
        }
    }
    EXPECT_GT(listed, 10u);
    const auto key = [](const std::vector<TranslationLink>& links) {
        std::vector<std::tuple<std::size_t, std::size_t, int, float>> k;
        for (const auto& l : links) k.emplace_back(l.a, l.b, static_cast<int>(l.label), l.margin);
        std::sort(k.begin(), k.end());
        return k;
    };
    const auto links = m.link(p.docs, p.sparse, got);
    EXPECT_FALSE(links.empty());
    EXPECT_EQ(key(links), key(m.match(whole, p.docs, p.dense.data(), p.sparse)));
    CandidateTable wrong = CandidateTable::empty(p.docs.size(), {"de", "en"}, o.k);
    EXPECT_THROW(m.link(p.docs, p.sparse, wrong), Error);
}

TEST(Matcher, UpdateCandidatesSearchesChangedDocumentsAndOffersThemToTheirNeighbours) {
    // A second pass: one German document's vector moves next to an English one. It is searched
    // again; the English document it now finds gets it among its German candidates; documents
    // whose neighbourhood did not change keep their lists. With every document changed, the
    // update is a fresh candidates().
    const auto build = [](bool moved) {
        Pool p;
        p.add(10, "en", {{1, 1}, {2, 1}, {3, 0.5f}});
        p.add(11, "en", {{4, 1}, {5, 1}, {3, 0.5f}});
        p.add(12, "en", {{6, 1}, {7, 0.3f}});
        p.add(20, "de", {{1, 1}, {2, 0.8f}, {3, 0.4f}});
        p.add(21, "de", {{4, 1}, {5, 0.9f}});
        if (moved) p.add(22, "de", {{6, 1}, {7, 0.4f}});
        else p.add(22, "de", {{8, 1}, {9, 0.5f}});
        p.add(30, "fr", {{1, 0.9f}, {2, 1}, {7, 0.2f}});
        return p;
    };
    const Pool before = build(false), after = build(true);
    MatcherOptions o;
    o.k = 1;
    const Matcher m(o);
    CandidateTable table = m.candidates(before.index(), before.docs, before.dense.data(), before.sparse);
    const CandidateTable old = table;
    const VectorIndex index = after.index();
    const CandidateTable fresh = m.candidates(index, after.docs, after.dense.data(), after.sparse);
    std::vector<char> changed(after.docs.size(), 0);
    changed[5] = 1;  // seq 22
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, table);
    const std::size_t L = table.languages.size(), de = 0, en = 1;
    const auto others = [](std::span<const MatchCandidate> list) {
        std::vector<std::size_t> o;
        for (const auto& c : list) o.push_back(c.other);
        return o;
    };
    for (std::size_t t = 0; t < L; ++t) EXPECT_EQ(others(table.of(5, t)), others(fresh.of(5, t))) << t;
    EXPECT_EQ(others(table.of(2, de)), std::vector<std::size_t>{5});  // en 12 was offered de 22
    EXPECT_NE(others(old.of(2, de)), others(table.of(2, de)));
    EXPECT_EQ(others(table.of(0, de)), others(old.of(0, de)));  // en 10 keeps de 20
    EXPECT_EQ(others(table.of(6, en)), others(old.of(6, en)));  // fr 30 keeps en 10
    for (std::size_t i = 0; i < table.lists(); ++i)
        for (std::size_t r = 0; r < table.list(i).size(); ++r)
            EXPECT_FLOAT_EQ(table.list(i)[r].sim, dot(after.sparse[i / L], after.sparse[table.list(i)[r].other]));
    EXPECT_EQ(others(table.of(2, en)), std::vector<std::size_t>{});
    std::vector<char> all(after.docs.size(), 1);
    CandidateTable redone = old;
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, all, redone);
    for (std::size_t i = 0; i < fresh.lists(); ++i) EXPECT_EQ(others(redone.list(i)), others(fresh.list(i))) << i;
    EXPECT_THROW(m.update_candidates(index, after.docs, after.dense.data(), after.sparse, std::vector<char>(2, 0), table),
                 Error);
    // A table whose lists hold fewer than k candidates is refused before anything is rescored.
    MatcherOptions two = o;
    two.k = 2;
    CandidateTable small = old;
    EXPECT_THROW(Matcher(two).update_candidates(index, after.docs, after.dense.data(), after.sparse, all, small), Error);
    for (std::size_t i = 0; i < old.lists(); ++i) EXPECT_EQ(others(small.list(i)), others(old.list(i))) << i;
}


TEST(Matcher, UpdateCandidatesSearchesAgainOnlyTheFlaggedLanguages) {
    // The moved German document of the test above with `again` flagging English only: it is
    // searched again in English (as a fresh search finds it), its French list keeps its old
    // candidate, rescored; with every language flagged, its French list is searched again.
    const auto build = [](bool moved) {
        Pool p;
        p.add(10, "en", {{1, 1}, {2, 1}, {3, 0.5f}});
        p.add(12, "en", {{6, 1}, {7, 0.3f}});
        p.add(22, "de", moved ? std::map<uint64_t, float>{{6, 1}, {7, 0.4f}}
                              : std::map<uint64_t, float>{{1, 1}, {2, 0.9f}});
        p.add(30, "fr", {{1, 0.9f}, {2, 1}, {7, 0.2f}});
        p.add(31, "fr", {{6, 0.9f}, {7, 0.5f}});
        return p;
    };
    const Pool before = build(false), after = build(true);
    MatcherOptions o;
    o.k = 1;
    const Matcher m(o);
    const CandidateTable old = m.candidates(before.index(), before.docs, before.dense.data(), before.sparse);
    const VectorIndex index = after.index();
    const CandidateTable fresh = m.candidates(index, after.docs, after.dense.data(), after.sparse);
    const std::size_t de = 0, en = 1, fr = 2, d22 = 2;
    ASSERT_EQ(old.of(d22, fr).size(), 1u);
    ASSERT_NE(old.of(d22, fr)[0].other, fresh.of(d22, fr)[0].other);  // the move changes its French neighbour
    std::vector<char> changed(after.docs.size(), 0);
    changed[d22] = 1;
    CandidateTable partly = old, wholly = old;
    // `again` per language pair (row: the changed document's language), each row the same here.
    const auto every_row = [](std::vector<char> row) {
        std::vector<char> all;
        for (std::size_t s = 0; s < row.size(); ++s) all.insert(all.end(), row.begin(), row.end());
        return all;
    };
    const std::vector<char> english_only = every_row({0, 1, 0});
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, partly, english_only);
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, wholly);
    EXPECT_EQ(partly.of(d22, en)[0].other, fresh.of(d22, en)[0].other);
    EXPECT_EQ(partly.of(d22, fr)[0].other, old.of(d22, fr)[0].other);
    EXPECT_FLOAT_EQ(partly.of(d22, fr)[0].sim, dot(after.sparse[d22], after.sparse[old.of(d22, fr)[0].other]));
    EXPECT_EQ(wholly.of(d22, fr)[0].other, fresh.of(d22, fr)[0].other);
    EXPECT_TRUE(partly.of(d22, de).empty());
    EXPECT_THROW(m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, partly,
                                     std::vector<char>{0, 1, 0}),
                 Error);  // one flag per language, not per language pair
    // French flagged kDropList: the moved document's French list is emptied, not searched; the
    // unchanged documents' lists are kept.
    CandidateTable dropped = old;
    const std::vector<char> drop_french = every_row({Matcher::kKeepList, Matcher::kSearchList, Matcher::kDropList});
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, dropped, drop_french);
    EXPECT_EQ(dropped.of(d22, en)[0].other, fresh.of(d22, en)[0].other);
    EXPECT_TRUE(dropped.of(d22, fr).empty());
    const std::size_t f30 = 3;
    EXPECT_EQ(dropped.of(f30, en).size(), old.of(f30, en).size());
    // The rule update_candidates applied, as Matcher::drops_list states it (an incremental
    // run's second pass asks the same): a changed document's list in a kDropList language.
    for (std::size_t x = 0; x < after.docs.size(); ++x)
        for (std::size_t t : {de, en, fr}) {
            if (Matcher::drops_list(Matcher::again_row(drop_french, 3, de), changed[x] != 0, t)) {
                EXPECT_TRUE(dropped.of(x, t).empty());
            }
        }
    const std::span<const char> german = Matcher::again_row(drop_french, 3, de);
    EXPECT_TRUE(Matcher::drops_list(german, true, fr));
    EXPECT_FALSE(Matcher::drops_list(german, false, fr));
    EXPECT_FALSE(Matcher::drops_list(german, true, en));
    EXPECT_FALSE(Matcher::drops_list(german, true, de));
    EXPECT_FALSE(Matcher::drops_list({}, true, fr));
    EXPECT_TRUE(Matcher::again_row({}, 3, de).empty());
    // The rows differ (learn:rematch_rewritten=3's fallback of one language): the German row
    // searches every language again while the French row drops German; the moved German
    // document's French list is searched again, as a fresh search finds it.
    std::vector<char> german_falls_back = drop_french;
    for (std::size_t t : {de, en, fr}) german_falls_back[de * 3 + t] = Matcher::kSearchList;
    CandidateTable fallen = old;
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, fallen, german_falls_back);
    EXPECT_EQ(fallen.of(d22, fr)[0].other, fresh.of(d22, fr)[0].other);
    EXPECT_EQ(fallen.of(d22, en)[0].other, fresh.of(d22, en)[0].other);
    // And the other way: only the German row drops French, the others search every language.
    std::vector<char> only_german_drops(9, Matcher::kSearchList);
    only_german_drops[de * 3 + fr] = Matcher::kDropList;
    CandidateTable german_drops = old;
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, german_drops, only_german_drops);
    EXPECT_TRUE(german_drops.of(d22, fr).empty());
    EXPECT_EQ(german_drops.of(d22, en)[0].other, fresh.of(d22, en)[0].other);
}

TEST(Matcher, MergeCandidatesOffersListsFoundElsewhereAsUpdateCandidatesDoes) {
    // The moved German document of the test above, its lists found elsewhere (a fresh search)
    // and copied in: merge_candidates rescores every list and offers it to the English document
    // it found, as update_candidates does after searching it.
    Pool before, after;
    for (Pool* p : {&before, &after}) {
        p->add(10, "en", {{1, 1}, {2, 1}, {3, 0.5f}});
        p->add(12, "en", {{6, 1}, {7, 0.3f}});
        p->add(20, "de", {{1, 1}, {2, 0.8f}, {3, 0.4f}});
        p->add(30, "fr", {{1, 0.9f}, {2, 1}, {7, 0.2f}});
    }
    before.add(22, "de", {{8, 1}, {9, 0.5f}});
    after.add(22, "de", {{6, 1}, {7, 0.4f}});
    MatcherOptions o;
    o.k = 1;
    const Matcher m(o);
    const VectorIndex index = after.index();
    const CandidateTable old = m.candidates(before.index(), before.docs, before.dense.data(), before.sparse);
    const CandidateTable fresh = m.candidates(index, after.docs, after.dense.data(), after.sparse);
    std::vector<char> changed(after.docs.size(), 0);
    changed[4] = 1;  // seq 22
    CandidateTable searched = old, merged = old;
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, searched);
    for (std::size_t t = 0; t < merged.languages.size(); ++t) merged.edit(4, t).assign(fresh.of(4, t));
    const DenseRows rows = DenseRows::view(after.dense.data(), kDim);
    m.merge_candidates(after.docs, rows, after.sparse, changed, merged);
    const std::size_t de = 0;
    ASSERT_EQ(merged.of(1, de).size(), 1u);
    EXPECT_EQ(merged.of(1, de)[0].other, 4u);  // en 12 was offered de 22
    EXPECT_NE(old.of(1, de)[0].other, 4u);
    for (std::size_t i = 0; i < merged.lists(); ++i) {
        ASSERT_EQ(merged.list(i).size(), searched.list(i).size()) << i;
        for (std::size_t r = 0; r < merged.list(i).size(); ++r) {
            EXPECT_EQ(merged.list(i)[r].other, searched.list(i)[r].other) << i;
            EXPECT_FLOAT_EQ(merged.list(i)[r].sim, searched.list(i)[r].sim) << i;
        }
    }
    EXPECT_THROW(m.merge_candidates(after.docs, rows, after.sparse, std::vector<char>(2, 0), merged), Error);
    // keep_scores (an incremental run's saved lists): an unchanged document's list keeps the
    // similarities it held (marked here), the changed document's list and what it was offered
    // are scored; update_candidates the same, after its search.
    CandidateTable kept = old, updated = old;
    for (CandidateTable* t : {&kept, &updated})
        for (std::size_t i = 0; i < t->documents(); ++i)
            for (std::size_t l = 0; l < t->languages.size(); ++l)
                for (MatchCandidate& c : t->edit(i, l)) c.sim = 0.01f * static_cast<float>(c.other + 1);
    for (std::size_t t = 0; t < kept.languages.size(); ++t) kept.edit(4, t).assign(fresh.of(4, t));
    m.merge_candidates(after.docs, rows, after.sparse, changed, kept, true);
    m.update_candidates(index, after.docs, rows, after.sparse, changed, updated, {}, true);
    for (const CandidateTable* t : {&kept, &updated}) {
        EXPECT_FLOAT_EQ(t->of(0, de)[0].sim, 0.01f * static_cast<float>(t->of(0, de)[0].other + 1));  // en 10: kept
        EXPECT_FLOAT_EQ(t->of(1, de)[0].sim, dot(after.sparse[1], after.sparse[4]));  // en 12: offered de 22, scored
        for (std::size_t l = 0; l < t->languages.size(); ++l)
            for (const MatchCandidate& c : t->of(4, l)) EXPECT_FLOAT_EQ(c.sim, dot(after.sparse[4], after.sparse[c.other]));
    }
}

// Stories told in en, de and fr (each version its story's features, with noise, and a few of
// the other stories'), so that some documents have strong competitors: links of every kind.
Pool stories(unsigned seed) {
    Pool p;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> w(0.2f, 1.0f);
    std::uniform_int_distribution<int> other(0, 29);
    const std::vector<std::string> langs = {"en", "de", "fr"};
    for (int story = 0; story < 30; ++story)
        for (std::size_t l = 0; l < langs.size(); ++l) {
            if (l > 0 && (story + static_cast<int>(l)) % 7 == 0) continue;  // some stories lack a version
            std::map<uint64_t, float> f;
            for (int j = 0; j < 3; ++j) f[uint64_t(story * 2 + j % 2)] += w(rng);
            f[uint64_t(2 * other(rng))] += 0.7f * w(rng);
            f[uint64_t(60 + l)] += 0.3f;
            p.add(1000 * static_cast<int64_t>(l) + story, langs[l], f, 10.0f + static_cast<float>(other(rng)));
        }
    return p;
}

std::set<std::tuple<std::size_t, std::size_t, int, float, float>> link_set(const std::vector<TranslationLink>& links) {
    std::set<std::tuple<std::size_t, std::size_t, int, float, float>> o;
    for (const auto& l : links)
        o.emplace(std::min(l.a, l.b), std::max(l.a, l.b), static_cast<int>(l.label), l.score, l.margin);
    return o;
}

TEST(Matcher, RelinkGivesTheLinksOfLinkWhereListsChanged) {
    // A table whose lists changed for a few documents (cut to their last candidate, as a state
    // saved before those documents found better ones): relink from the state link() kept of the table
    // before gives what link() gives on the table after, with the same floors (relink keeps
    // them: here those of the table after); the state it leaves is link()'s on that table.
    for (unsigned seed : {1u, 2u, 3u}) {
        const Pool p = stories(seed);
        MatcherOptions o;
        o.same_story = false;
        o.k = 4;
        o.counterpart_links = 3;
        const Matcher m(o);
        const CandidateTable after = m.candidates(p.index(), p.docs, p.dense.data(), p.sparse);
        CandidateTable before = after;
        std::vector<char> changed(p.docs.size(), 0);
        for (std::size_t d = seed; d < p.docs.size(); d += 9) {
            changed[d] = 1;
            for (std::size_t t = 0; t < before.languages.size(); ++t)
                if (before.of(d, t).size() > 1) before.edit(d, t).assign(before.of(d, t).last(1));
        }
        LinkState state, want_state;
        const std::vector<TranslationLink> old = m.link(p.docs, p.sparse, before, &state);
        const std::vector<TranslationLink> want = m.link(p.docs, p.sparse, after, &want_state);
        EXPECT_NE(link_set(old), link_set(want)) << seed;  // the change matters
        state.floors = want_state.floors;
        const std::vector<TranslationLink> got = m.relink(p.docs, p.sparse, after, changed, state);
        EXPECT_EQ(link_set(got), link_set(want)) << seed;
        std::set<std::tuple<std::size_t, std::size_t, int, float>> left, kept;
        for (const auto& l : state.strong) left.emplace(l.a, l.b, static_cast<int>(l.label), l.score);
        for (const auto& l : want_state.strong) kept.emplace(l.a, l.b, static_cast<int>(l.label), l.score);
        EXPECT_EQ(left, kept) << seed;
        // Flagging every document is link() itself; flagging none keeps every strong link as kept.
        LinkState again = want_state;
        for (const char all : {1, 0})
            EXPECT_EQ(link_set(m.relink(p.docs, p.sparse, after, std::vector<char>(p.docs.size(), all), again)),
                      link_set(want));
    }
}

// The documents a VectorsNeeded hook was asked for: their vectors copied in from `from`, on demand.
struct OnDemand {
    const Pool& from;
    std::vector<SparseVector> sparse;
    DenseRows dense;
    std::set<uint32_t> asked;
    explicit OnDemand(const Pool& p) : from(p), sparse(p.docs.size()), dense(DenseRows::placed(p.docs.size(), kDim)) {}
    void operator()(std::span<const uint32_t> positions) {
        for (uint32_t i : positions)
            if (asked.insert(i).second) {
                sparse[i] = from.sparse[i];
                dense.place(i, from.dense.data() + i * kDim);
            }
    }
};

TEST(Matcher, AHookedMatcherReadsTheVectorsItAsksForOnly) {
    // An incremental run's steps (the added documents searched and offered, lists merged, links
    // made again where lists changed) with every vector there, and with none but those the
    // matcher asks for (Matcher::VectorsNeeded): the same lists and links, from fewer vectors.
    const Pool p = stories(4);
    MatcherOptions o;
    o.same_story = false;
    o.k = 3;
    o.counterpart_links = 3;
    const Matcher plain(o);
    const VectorIndex index = p.index();
    const DenseRows rows = DenseRows::view(p.dense.data(), kDim);
    CandidateTable before = plain.candidates(index, p.docs, p.dense.data(), p.sparse);
    std::vector<char> added(p.docs.size(), 0);
    for (std::size_t d = 2; d < p.docs.size(); d += 11) {
        added[d] = 1;  // as if new: no lists yet
        for (std::size_t t = 0; t < before.languages.size(); ++t) before.edit(d, t).clear();
    }
    LinkState saved;
    plain.link(p.docs, p.sparse, before, &saved);
    OnDemand lazy(p);
    const Matcher hooked(o, std::ref(lazy));
    CandidateTable want = before, got = before;
    plain.update_candidates(index, p.docs, rows, p.sparse, added, want, {}, true);
    hooked.update_candidates(index, p.docs, lazy.dense, lazy.sparse, added, got, {}, true);
    const auto same_tables = [](const CandidateTable& a, const CandidateTable& b) {
        ASSERT_EQ(a.lists(), b.lists());
        for (std::size_t i = 0; i < a.lists(); ++i) {
            ASSERT_EQ(a.list(i).size(), b.list(i).size()) << i;
            for (std::size_t r = 0; r < a.list(i).size(); ++r) {
                EXPECT_EQ(a.list(i)[r].other, b.list(i)[r].other) << i;
                EXPECT_EQ(a.list(i)[r].sim, b.list(i)[r].sim) << i;
            }
        }
    };
    same_tables(want, got);
    std::vector<char> changed = added;  // the added and the documents whose lists took one
    for (std::size_t i = 0; i < p.docs.size(); ++i)
        for (std::size_t t = 0; t < want.languages.size(); ++t)
            if (want.of(i, t).size() != before.of(i, t).size() ||
                !std::equal(want.of(i, t).begin(), want.of(i, t).end(), before.of(i, t).begin(),
                            [](const MatchCandidate& x, const MatchCandidate& y) { return x.other == y.other; }))
                changed[i] = 1;
    LinkState want_state = saved, got_state = saved;
    const auto want_links = plain.relink(p.docs, p.sparse, want, changed, want_state);
    const auto got_links = hooked.relink(p.docs, lazy.sparse, got, changed, got_state);
    EXPECT_FALSE(want_links.empty());
    EXPECT_EQ(link_set(got_links), link_set(want_links));
    // merge_candidates (the second pass's): the added documents' lists copied in, offered alike.
    CandidateTable want2 = before, got2 = before;
    for (CandidateTable* t : {&want2, &got2})
        for (std::size_t i = 0; i < p.docs.size(); ++i)
            for (std::size_t l = 0; added[i] && l < t->languages.size(); ++l) t->edit(i, l).assign(want.of(i, l));
    plain.merge_candidates(p.docs, rows, p.sparse, added, want2, true);
    hooked.merge_candidates(p.docs, lazy.dense, lazy.sparse, added, got2, true);
    same_tables(want2, got2);
    EXPECT_LT(lazy.asked.size(), p.docs.size());  // not every document was read
    EXPECT_GT(lazy.asked.size(), 0u);
    // A step that reads every document (link) asks for every one.
    hooked.link(p.docs, lazy.sparse, want);
    EXPECT_EQ(lazy.asked.size(), p.docs.size());
}

// A matcher that lists translations only (relink() keeps the strong pairs only).
Matcher without_same_story() {
    MatcherOptions o;
    o.same_story = false;
    return Matcher(o);
}

TEST(Matcher, RelinkKeepsTheLinksOfUnchangedDocumentsAsTheyWereScored) {
    // A kept strong link is taken as the state holds it (not scored again: marked here); a pair
    // with a changed document is made again from the lists and vectors. With same-story pairs
    // (every candidate pair, not kept) relink is link().
    const Pool p = stories(4);
    const Matcher m = without_same_story();
    const CandidateTable table = m.candidates(p.index(), p.docs, p.dense.data(), p.sparse);
    LinkState state;
    const std::vector<TranslationLink> links = m.link(p.docs, p.sparse, table, &state);
    ASSERT_GE(state.strong.size(), 4u);
    for (TranslationLink& l : state.strong) l.score += 0.001f;
    std::vector<char> changed(p.docs.size(), 0);
    const TranslationLink& first = state.strong.front();
    changed[first.a] = 1;
    LinkState s = state;
    const auto find = [](const std::vector<TranslationLink>& v, std::size_t a, std::size_t b) {
        return std::find_if(v.begin(), v.end(), [&](const TranslationLink& x) { return x.a == a && x.b == b; });
    };
    std::size_t kept = 0;
    for (const TranslationLink& l : m.relink(p.docs, p.sparse, table, changed, s)) {
        const auto full = find(links, l.a, l.b);
        ASSERT_NE(full, links.end());
        if (changed[l.a] || changed[l.b]) {
            EXPECT_FLOAT_EQ(l.score, full->score);  // made again
        } else if (find(state.strong, l.a, l.b) != state.strong.end()) {
            EXPECT_FLOAT_EQ(l.score, full->score + 0.001f);
            ++kept;
        }
    }
    EXPECT_GT(kept, 0u);
    MatcherOptions with_story;
    LinkState t = state;
    EXPECT_EQ(link_set(Matcher(with_story).relink(p.docs, p.sparse, table, changed, t)),
              link_set(Matcher(with_story).link(p.docs, p.sparse, table)));
    EXPECT_THROW(m.relink(p.docs, p.sparse, table, std::vector<char>(2, 0), s), Error);
}

TEST(Matcher, RelinkLabelsAgainTheCompetitorsOfALostLink) {
    // The state says en 10 was de 20's translation and de 21 lost to it; de 20 changed (its list
    // now holds nothing like en 10: no strong pair left). en 10 and de 21, both unchanged, are
    // labelled again: de 21 is en 10's translation now, as link() finds.
    Pool p;
    p.add(10, "en", {{1, 1}, {2, 1}});
    p.add(20, "de", {{7, 1}, {8, 1}});
    p.add(21, "de", {{1, 1}, {2, 0.9f}, {3, 0.2f}});
    const Matcher m = without_same_story();
    const CandidateTable table = m.candidates(p.index(), p.docs, p.dense.data(), p.sparse);
    LinkState fresh;
    const std::vector<TranslationLink> want = m.link(p.docs, p.sparse, table, &fresh);
    ASSERT_EQ(want.size(), 1u);
    EXPECT_EQ(std::tie(want[0].a, want[0].b), std::make_tuple(std::size_t{2}, std::size_t{0}));  // de 21, en 10
    LinkState state = fresh;
    ASSERT_EQ(state.strong.size(), 1u);
    TranslationLink lost = state.strong[0];
    lost.a = 1;  // de 20 - en 10
    state.strong[0].label = LinkLabel::kSameStory;
    state.strong.push_back(lost);
    std::vector<char> changed(3, 0);
    changed[1] = 1;  // de 20
    EXPECT_EQ(link_set(m.relink(p.docs, p.sparse, table, changed, state)), link_set(want));
}

// One large language (en) and small ones that translate a few of its documents each (a help
// manual): with a search plan English and each small language search each other, and two
// small languages without translations between them do not; the links are those of the full
// search.
Pool manual() {
    Pool p;
    for (int i = 0; i < 24; ++i) p.add(100 + i, "en", {{uint64_t(2 * i), 1}, {uint64_t(2 * i + 1), 0.5f}});
    const std::vector<std::string> small = {"de", "es", "fr"};
    for (int s = 0; s < 3; ++s)
        for (int j = 0; j < 4; ++j) {
            const int i = 4 * s + j;
            p.add(200 + i, small[s], {{uint64_t(2 * i), 0.9f}, {uint64_t(2 * i + 1), 0.6f}, {uint64_t(50 + s), 0.2f}});
        }
    return p;
}

MatcherOptions planned() {
    MatcherOptions o;
    o.k = 2;
    o.affinity_sample = 4;
    o.target_languages = 1;
    o.target_affinity = 0.5f;
    return o;
}

std::set<std::pair<int64_t, int64_t>> translations(const std::map<std::pair<int64_t, int64_t>, TranslationLink>& links) {
    std::set<std::pair<int64_t, int64_t>> out;
    for (const auto& [pair, l] : links)
        if (l.label != LinkLabel::kSameStory) out.insert(pair);
    return out;
}

TEST(Matcher, SearchPlanSearchesOnlyLanguagesWithTranslations) {
    const Pool p = manual();
    const VectorIndex index = p.index();
    const Matcher m(planned());
    const CandidateTable table = m.candidates(index, p.docs, p.dense.data(), p.sparse);
    ASSERT_EQ(table.languages, (std::vector<std::string>{"de", "en", "es", "fr"}));
    const std::size_t de = 0, en = 1, es = 2, fr = 3;
    for (std::size_t s : {de, es, fr}) {
        EXPECT_TRUE(table.searches(s, en)) << s;
        EXPECT_TRUE(table.searches(en, s)) << s;
    }
    EXPECT_FALSE(table.searches(de, fr));
    EXPECT_FALSE(table.searches(fr, de));
    EXPECT_FALSE(table.of(24, fr).empty());  // de 200: German is small, all of it is the sample
    // en 101 (not sampled: every sixth English document is) searched German.
    ASSERT_FALSE(table.of(1, de).empty());
    EXPECT_EQ(table.of(1, de)[0].other, 25u);
    // Without the plan every language searches every other; the translations are the same.
    MatcherOptions full = planned();
    full.affinity_sample = 0;
    const CandidateTable all = Matcher(full).candidates(index, p.docs, p.dense.data(), p.sparse);
    EXPECT_TRUE(all.searched.empty());
    EXPECT_TRUE(all.searches(de, fr));
    const auto want = translations(p.run(full));
    EXPECT_EQ(want.size(), 12u);
    EXPECT_EQ(translations(p.run(planned())), want);
    // A sample as large as every language, or target_languages 0: no plan.
    MatcherOptions large = planned();
    large.affinity_sample = 24;
    EXPECT_TRUE(Matcher(large).candidates(index, p.docs, p.dense.data(), p.sparse).searched.empty());
    MatcherOptions every = planned();
    every.target_languages = 0;
    EXPECT_TRUE(Matcher(every).candidates(index, p.docs, p.dense.data(), p.sparse).searched.empty());
}

TEST(Matcher, SearchPlanTakesEachLanguagesLikeliestTargets) {
    // es and fr share a document (affinity 1/5 either way): with target_languages 1 each
    // searches only English, its language of highest affinity; with 2, or with a
    // target_affinity of 1/5, es and fr search each other too.
    Pool p = manual();
    p.add(300, "es", {{60, 1}, {61, 1}});
    p.add(301, "fr", {{60, 1}, {61, 0.9f}});
    MatcherOptions o = planned();
    o.affinity_sample = 5;
    o.target_affinity = 0.2f;
    const VectorIndex index0 = p.index();
    const CandidateTable near = Matcher(o).candidates(index0, p.docs, p.dense.data(), p.sparse);
    EXPECT_TRUE(near.searches(2, 3) && near.searches(3, 2));
    o.target_affinity = 0.5f;
    const VectorIndex index = p.index();
    const std::size_t de = 0, en = 1, es = 2, fr = 3;
    const CandidateTable one = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    EXPECT_TRUE(one.searches(es, en));
    EXPECT_FALSE(one.searches(es, fr) || one.searches(fr, es));
    o.target_languages = 2;
    const CandidateTable two = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    EXPECT_TRUE(two.searches(es, fr) && two.searches(fr, es));
    EXPECT_FALSE(two.searches(de, fr));  // no affinity at all
}

TEST(Matcher, UpdateCandidatesSearchesThePlannedLanguagesOnly) {
    // A changed German document is searched again in English, not in French.
    const Pool p = manual();
    const VectorIndex index = p.index();
    MatcherOptions o = planned();
    o.affinity_sample = 2;  // de 200 and de 202 are sampled, de 203 is not
    const Matcher m(o);
    CandidateTable table = m.candidates(index, p.docs, p.dense.data(), p.sparse);
    const CandidateTable fresh = table;
    const std::size_t en = 1, fr = 3;
    ASSERT_FALSE(table.searches(0, fr));
    ASSERT_TRUE(table.of(27, fr).empty());
    std::vector<char> changed(p.docs.size(), 0);
    changed[27] = 1;  // de 203
    table.edit(27, en).clear();
    m.update_candidates(index, p.docs, p.dense.data(), p.sparse, changed, table);
    ASSERT_FALSE(table.of(27, en).empty());
    EXPECT_EQ(table.of(27, en)[0].other, 3u);  // en 103
    EXPECT_TRUE(table.of(27, fr).empty());
    for (std::size_t i = 0; i < table.lists(); ++i) {
        ASSERT_EQ(table.list(i).size(), fresh.list(i).size()) << i;
        for (std::size_t r = 0; r < table.list(i).size(); ++r) EXPECT_EQ(table.list(i)[r].other, fresh.list(i)[r].other);
    }
}

// low_affinity_k: English's likeliest language (target_languages 1) is German (affinity 1/4, as
// Spanish's: a sampled English document in four has a version in each; the first wins); it
// searches Spanish and French only for their sake (English is theirs), for one candidate, and
// German and the small languages search English for k (2). The lists kept are the full lists'
// first, and the translations are the same.
TEST(Matcher, LowAffinityPairsAreSearchedForFewerCandidates) {
    const Pool p = manual();
    const VectorIndex index = p.index();
    const CandidateTable full = Matcher(planned()).candidates(index, p.docs, p.dense.data(), p.sparse);
    MatcherOptions o = planned();
    o.low_affinity_k = 1;
    const CandidateTable few = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    const std::size_t de = 0, en = 1, es = 2, fr = 3;
    EXPECT_FALSE(few.searches_few(en, de));
    EXPECT_TRUE(few.searches_few(en, es));
    EXPECT_TRUE(few.searches_few(en, fr));
    for (std::size_t s : {de, es, fr}) {
        EXPECT_FALSE(few.searches_few(s, en)) << s;
        EXPECT_FALSE(full.searches_few(en, s)) << s;
        EXPECT_TRUE(few.searches(en, s) && few.searches(s, en)) << s;
    }
    ASSERT_EQ(full.of(4, es).size(), 2u);  // en 104, not sampled (every sixth English document is)
    ASSERT_EQ(few.of(4, es).size(), 1u);
    EXPECT_EQ(few.of(4, es)[0].other, full.of(4, es)[0].other);
    EXPECT_EQ(few.of(1, de).size(), 2u);  // en 101 in German, English's likeliest: k
    EXPECT_EQ(few.of(0, es).size(), 2u);  // en 100, sampled: searched every language for k
    for (std::size_t y = 24; y < p.docs.size(); ++y) EXPECT_EQ(few.of(y, en).size(), 2u) << y;
    EXPECT_EQ(translations(p.run(o)), translations(p.run(planned())));
    o.low_affinity = 0.2f;  // English's affinity for Spanish (1/4) reaches it: searched for k
    const CandidateTable some = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    EXPECT_FALSE(some.searches_few(en, es));
    EXPECT_TRUE(some.searches_few(en, fr));
    EXPECT_EQ(some.of(4, es).size(), 2u);
}

// A list kept short (low_affinity_k) averages fewer competitors, the nearest: its mean is scaled
// to what margin_k of them average in that pair, measured on its lists that hold more.
TEST(Matcher, ShortListsMarginIsScaledToMarginKCompetitors) {
    std::vector<MatchDocument> docs;
    for (int i = 0; i < 2; ++i) docs.push_back({100 + i, "en", 10, ""});
    for (int i = 0; i < 3; ++i) docs.push_back({200 + i, "de", 10, ""});
    const std::vector<SparseVector> sparse(docs.size());
    MatcherOptions o;
    o.k = 3, o.margin_k = 2, o.low_affinity_k = 2, o.pivot = false;
    CandidateTable table = CandidateTable::empty(docs.size(), {"de", "en"}, o.k);
    const std::size_t de = 0, en = 1;
    table.searched = {0, 1, CandidateTable::kSearchedFew, 0};  // en keeps few in de
    table.edit(0, de).assign(std::vector<MatchCandidate>{{2, 0.9f}, {3, 0.4f}, {4, 0.2f}});  // en 100: sampled, k
    table.edit(1, de).assign(std::vector<MatchCandidate>{{3, 0.8f}, {4, 0.6f}});            // en 101: few
    // en 100's competitors after its first: 0.4 alone, (0.4 + 0.2) / 2 two: scale 0.3 / 0.4.
    const auto margin_of = [&](const std::vector<TranslationLink>& links, std::size_t a, std::size_t b) {
        for (const auto& l : links)
            if ((l.a == a && l.b == b) || (l.a == b && l.b == a)) return l.margin;
        return -1.0f;
    };
    const std::vector<TranslationLink> scaled = Matcher(o).link(docs, sparse, table);
    EXPECT_NEAR(margin_of(scaled, 1, 3), 0.8f / (0.6f * 0.75f), 1e-4);
    EXPECT_NEAR(margin_of(scaled, 0, 2), 0.9f / 0.3f, 1e-4);  // a full list: as before
    table.searched[en * 2 + de] = 1;  // not few: the mean of its one competitor
    EXPECT_NEAR(margin_of(Matcher(o).link(docs, sparse, table), 1, 3), 0.8f / 0.6f, 1e-4);
}

// The found search (found_only_ratio): English (24 documents) searches each small language (4)
// only with the English documents that one of its documents lists; those lists are the full
// search's, the others empty, and the translations are the full search's.
TEST(Matcher, FoundSearchSearchesTheLargeLanguageWithFoundDocumentsOnly) {
    const Pool p = manual();
    const VectorIndex index = p.index();
    MatcherOptions o = planned();
    o.affinity_sample = 0;  // no plan: every pair searched, English only with its found documents
    const CandidateTable full = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    o.found_only_ratio = 6;  // 24 English documents >= 6 x 4
    const CandidateTable found = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    const std::size_t en = 1;
    std::size_t empty = 0;
    for (std::size_t b : {std::size_t{0}, std::size_t{2}, std::size_t{3}})
        for (std::size_t x = 0; x < 24; ++x) {
            bool listed = false;
            for (std::size_t y = 24; y < p.docs.size(); ++y)
                for (const MatchCandidate& c : found.of(y, en)) listed |= c.other == x && p.docs[y].lang == found.languages[b];
            const auto got = found.of(x, b);
            if (!listed) {
                EXPECT_TRUE(got.empty()) << x << " " << b;
                ++empty;
                continue;
            }
            ASSERT_EQ(got.size(), full.of(x, b).size()) << x << " " << b;
            for (std::size_t r = 0; r < got.size(); ++r) EXPECT_EQ(got[r].other, full.of(x, b)[r].other);
        }
    EXPECT_GT(empty, 24u);  // most English lists were never searched
    for (std::size_t y = 24; y < p.docs.size(); ++y)  // the small languages' lists are all there
        for (std::size_t t = 0; t < 4; ++t) EXPECT_EQ(found.of(y, t).size(), full.of(y, t).size()) << y << " " << t;
    EXPECT_EQ(translations(p.run(o)), translations(p.run(planned())));
    o.found_only_ratio = 7;  // 24 < 7 x 4: every list searched
    const CandidateTable all = Matcher(o).candidates(index, p.docs, p.dense.data(), p.sparse);
    for (std::size_t i = 0; i < all.lists(); ++i) EXPECT_EQ(all.list(i).size(), full.list(i).size()) << i;
}

TEST(Matcher, FoundSearchUpdateSearchesNewlyFoundDocuments) {
    // A German document moves next to an English one that no German document found: updating
    // searches that English document in German, as a fresh search does.
    const Pool before = manual();
    MatcherOptions o = planned();
    o.affinity_sample = 0;
    o.found_only_ratio = 6;
    const Matcher m(o);
    CandidateTable table = m.candidates(before.index(), before.docs, before.dense.data(), before.sparse);
    const std::size_t de = 0;
    std::size_t x = 0;
    while (x < 24 && !table.of(x, de).empty()) ++x;
    ASSERT_LT(x, 24u);
    Pool after = manual();
    const std::size_t moved = 24;  // de 200
    after.sparse[moved] = after.sparse[x];
    std::fill(after.dense.begin() + moved * kDim, after.dense.begin() + (moved + 1) * kDim, 0.0f);
    for (std::size_t i = 0; i < after.sparse[x].size(); ++i)
        after.dense[moved * kDim + after.sparse[x].ids[i]] = after.sparse[x].weights[i];
    const VectorIndex index = after.index();
    std::vector<char> changed(after.docs.size(), 0);
    changed[moved] = 1;
    m.update_candidates(index, after.docs, after.dense.data(), after.sparse, changed, table);
    const CandidateTable fresh = m.candidates(index, after.docs, after.dense.data(), after.sparse);
    ASSERT_FALSE(table.of(x, de).empty());
    EXPECT_EQ(table.of(x, de)[0].other, moved);
    ASSERT_EQ(table.of(x, de).size(), fresh.of(x, de).size());
    for (std::size_t r = 0; r < fresh.of(x, de).size(); ++r) EXPECT_EQ(table.of(x, de)[r].other, fresh.of(x, de)[r].other);
}

// The search plan in steps over shards, as doppel.dask runs it: the sample (search_sample)
// searched in every other language's shard, the plan (search_plan) from its candidates, the
// other documents searched in the shards planned for their language, each query with its pair's
// plan value (shard_candidates' `plan`): candidates()'s table, plan and links (link() over the
// table with the plan). With `plan_values` false the queries carry none (every pair searched
// for k): the table of such a run is returned for the caller to compare.
CandidateTable search_plan_in_steps(const MatcherOptions& o, bool plan_values = true) {
    const Pool p = manual();
    const Matcher m(o);
    const VectorIndex whole = p.index();
    const CandidateTable want = m.candidates(whole, p.docs, p.dense.data(), p.sparse);
    const std::vector<char> sampled = m.search_sample(p.docs);
    EXPECT_EQ(sampled.size(), p.docs.size());
    EXPECT_EQ(std::count(sampled.begin(), sampled.begin() + 24, 1), 4);  // every sixth English document
    EXPECT_EQ(std::count(sampled.begin() + 24, sampled.end(), 1), 12);  // all of each small language
    CandidateTable got = CandidateTable::empty(p.docs.size(), Matcher::languages_of(p.docs), o.k);
    const std::size_t L = got.languages.size();
    const auto lang_of = [&](std::size_t i) {
        return static_cast<std::size_t>(std::find(got.languages.begin(), got.languages.end(), p.docs[i].lang) -
                                        got.languages.begin());
    };
    // Each shard t searched by the documents i that searches(i, s, t) takes, with the values
    // value(s, t) of their pairs.
    const auto search_shards = [&](const auto& searches, const auto& value) {
        for (std::size_t t = 0; t < L; ++t) {
            VectorIndex shard(kDim, "Flat");
            std::vector<std::size_t> queries;
            std::vector<char> values;
            for (std::size_t i = 0; i < p.docs.size(); ++i) {
                const std::size_t s = lang_of(i);
                if (s == t) shard.add(got.languages[t], 1, &p.docs[i].seq, p.dense.data() + i * kDim);
                else if (searches(i, s, t)) queries.push_back(i), values.push_back(value(s, t));
            }
            const auto found = m.shard_candidates(shard, got.languages[t], p.docs, queries, p.dense.data(), p.sparse,
                                                  values);
            for (std::size_t j = 0; j < queries.size(); ++j) {
                CandidateList list = got.edit(queries[j], t);
                for (const MatchCandidate& c : found[j]) list.push_back(c);
            }
        }
    };
    search_shards([&](std::size_t i, std::size_t, std::size_t) { return sampled[i] != 0; },
                  [](std::size_t, std::size_t) { return char{1}; });
    const std::vector<char> plan = m.search_plan(p.docs, got);
    EXPECT_EQ(plan, want.searched);
    EXPECT_EQ(plan.size(), L * L);
    if (plan.size() != L * L) return got;
    EXPECT_EQ(plan[0 * L + 3], 0);  // de and fr do not search each other
    search_shards([&](std::size_t i, std::size_t s, std::size_t t) { return !sampled[i] && plan[s * L + t]; },
                  [&](std::size_t s, std::size_t t) { return plan_values ? plan[s * L + t] : char{1}; });
    got.searched = plan;
    if (!plan_values) return got;
    EXPECT_EQ(got.lists(), want.lists());
    for (std::size_t i = 0; i < want.lists() && got.lists() == want.lists(); ++i) {
        EXPECT_EQ(got.list(i).size(), want.list(i).size()) << i;
        for (std::size_t r = 0; r < std::min(want.list(i).size(), got.list(i).size()); ++r) {
            EXPECT_EQ(got.list(i)[r].other, want.list(i)[r].other);
            EXPECT_FLOAT_EQ(got.list(i)[r].sim, want.list(i)[r].sim);
        }
    }
    const auto key = [&](const CandidateTable& table) {
        std::set<std::tuple<std::size_t, std::size_t, int, float>> k;
        for (const auto& l : m.link(p.docs, p.sparse, table)) k.emplace(l.a, l.b, static_cast<int>(l.label), l.margin);
        return k;
    };
    EXPECT_EQ(key(got), key(want));
    EXPECT_GE(key(got).size(), 12u);
    // No plan: no sample, no plan; a table of other documents is refused.
    MatcherOptions large = o;
    large.affinity_sample = 24;
    EXPECT_TRUE(Matcher(large).search_sample(p.docs).empty());
    EXPECT_TRUE(Matcher(large).search_plan(p.docs, got).empty());
    EXPECT_THROW(m.search_plan(p.docs, CandidateTable::empty(3, {"de", "en"}, 10)), Error);
    return got;
}

TEST(Matcher, SearchPlanInStepsOverShardsGivesTheTableOfCandidates) {
    search_plan_in_steps(planned());
}

// low_affinity_k (as LowAffinityPairsAreSearchedForFewerCandidates): English searches Spanish and
// French for one candidate; the queries that carry their pair's plan value to the shards keep
// it, as candidates() does, and link() over the table with the plan scales the margins of those
// lists as match() does. Queries that carry none keep k (2) there.
TEST(Matcher, SearchPlanInStepsKeepsFewCandidatesWhereThePlanSays) {
    MatcherOptions o = planned();
    o.low_affinity_k = 1;
    const CandidateTable got = search_plan_in_steps(o);
    const std::size_t de = 0, en = 1, es = 2;
    ASSERT_TRUE(got.searches_few(en, es));
    EXPECT_FALSE(got.searches_few(en, de));
    EXPECT_EQ(got.of(4, es).size(), 1u);  // en 104, not sampled
    EXPECT_EQ(got.of(0, es).size(), 2u);  // en 100, sampled: searched every language for k
    EXPECT_EQ(search_plan_in_steps(o, false).of(4, es).size(), 2u);
    std::vector<char> values(3, CandidateTable::kSearchedFew);
    const Pool p = manual();
    VectorIndex shard(kDim, "Flat");
    const std::vector<std::size_t> queries = {0, 1};
    EXPECT_THROW(Matcher(o).shard_candidates(shard, "es", p.docs, queries, p.dense.data(), p.sparse, values), Error);
}

// Anchor agreement reads only names, numbers and URLs among all of a vector's feature kinds
// (concepts before them, tokens and prefixes after them in id order), and a pair listed in both
// documents' candidate lists is one link.
TEST(Matcher, LinkAnchorsAreTheCosineOfTheAnchorFeaturesOnly) {
    using Kind = BridgeEmbedder::FeatureKind;
    const auto f = [](Kind k, uint64_t n) { return (static_cast<uint64_t>(k) << 61) | n; };
    const auto vec = [](std::map<uint64_t, float> m) {
        SparseVector v;
        for (auto& [id, w] : m) v.ids.push_back(id), v.weights.push_back(w);
        v.normalize();
        return v;
    };
    std::vector<SparseVector> sparse = {
        vec({{f(Kind::kConcept, 1), 1}, {f(Kind::kName, 2), 0.5f}, {f(Kind::kNumber, 3), 0.3f}, {f(Kind::kUrl, 4), 0.2f},
             {f(Kind::kToken, 5), 0.7f}, {f(Kind::kPrefix, 6), 0.4f}}),
        vec({{f(Kind::kConcept, 1), 0.9f}, {f(Kind::kName, 2), 0.4f}, {f(Kind::kUrl, 4), 0.6f}, {f(Kind::kUrl, 7), 0.1f},
             {f(Kind::kToken, 5), 0.5f}, {f(Kind::kPrefix, 6), 0.8f}})};
    const std::vector<MatchDocument> docs = {{1, "de", 10, ""}, {2, "en", 10, ""}};
    double ab = 0, aa = 0, bb = 0;  // the anchor cosine, plainly
    for (std::size_t i = 0; i < sparse[0].size(); ++i)
        for (std::size_t j = 0; j < sparse[1].size(); ++j)
            if (BridgeEmbedder::is_anchor(sparse[0].ids[i]) && sparse[0].ids[i] == sparse[1].ids[j])
                ab += double(sparse[0].weights[i]) * sparse[1].weights[j];
    for (std::size_t i = 0; i < sparse[0].size(); ++i)
        if (BridgeEmbedder::is_anchor(sparse[0].ids[i])) aa += double(sparse[0].weights[i]) * sparse[0].weights[i];
    for (std::size_t j = 0; j < sparse[1].size(); ++j)
        if (BridgeEmbedder::is_anchor(sparse[1].ids[j])) bb += double(sparse[1].weights[j]) * sparse[1].weights[j];
    CandidateTable table = CandidateTable::empty(2, {"de", "en"}, 1);
    const float sim = dot(sparse[0], sparse[1]);
    table.edit(0, 1).assign(std::vector<MatchCandidate>{{1, sim}});  // de 1 lists en 2, and en 2 lists de 1
    table.edit(1, 0).assign(std::vector<MatchCandidate>{{0, sim}});
    MatcherOptions o;
    o.pivot = false;
    const auto links = Matcher(o).link(docs, sparse, table);
    ASSERT_EQ(links.size(), 1u);
    EXPECT_FLOAT_EQ(links[0].anchors, static_cast<float>(ab / std::sqrt(aa * bb)));
    EXPECT_GT(links[0].anchors, 0.3f);
    EXPECT_FLOAT_EQ(links[0].similarity, sim);
    sparse[1] = vec({{f(Kind::kConcept, 1), 1}, {f(Kind::kToken, 5), 1}});  // no anchors on one side
    table.edit(0, 1).assign(std::vector<MatchCandidate>{{1, dot(sparse[0], sparse[1])}});
    table.edit(1, 0).assign(std::vector<MatchCandidate>{{0, dot(sparse[0], sparse[1])}});
    EXPECT_EQ(Matcher(o).link(docs, sparse, table).at(0).anchors, -1.0f);
}

// The sparse dot product: the products of the shared ids, summed in id order.
TEST(SparseVector, DotSumsTheProductsOfSharedIds) {
    std::mt19937 rng(7);
    for (int round = 0; round < 50; ++round) {
        SparseVector a, b;
        for (uint64_t id = 0; id < 300; ++id) {
            if (rng() % 3 == 0) a.ids.push_back(id), a.weights.push_back(float(rng() % 100) / 37.0f);
            if (rng() % 5 == 0) b.ids.push_back(id), b.weights.push_back(float(rng() % 100) / 41.0f);
        }
        double want = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            for (std::size_t j = 0; j < b.size(); ++j)
                if (a.ids[i] == b.ids[j]) want += double(a.weights[i]) * b.weights[j];
        EXPECT_EQ(dot(a, b), static_cast<float>(want));
        EXPECT_EQ(dot(b, a), static_cast<float>(want));
    }
    EXPECT_EQ(dot(SparseVector{}, SparseVector{}), 0.0f);
}
}  // namespace
}  // namespace doppel

namespace doppel {
namespace {

TEST(MatcherOptions, SpecRoundTrip) {
    const MatcherOptions d;
    EXPECT_EQ(MatcherOptions::parse_spec("matcher").describe(), d.describe());
    EXPECT_EQ(MatcherOptions::parse_spec(d.describe()).describe(), d.describe());
    // Every field has a key: change each and read it back.
    MatcherOptions o;
    o.k = 7, o.margin_k = 5, o.related_similarity = 0.07f, o.translation_similarity = 0.11f;
    o.long_translation_score = 0.2f, o.short_length = 40, o.long_length = 250.5f, o.translation_margin = 1.3f;
    o.partial_length_ratio = 0.3f, o.anchor_weight = 0.1f, o.one_to_one = false, o.same_story = false;
    o.pivot = false, o.pivot_similarity = 0.06f, o.pivot_margin = 1.5f, o.same_story_per_doc = 3;
    o.counterpart_ratio = 0.3f, o.counterpart_margin = 1.5f, o.counterpart_links = 7, o.counterpart_length_ratio = 0.4f;
    o.affinity_sample = 100, o.target_languages = 4, o.target_affinity = 0.35f, o.found_only_ratio = 6.5f;
    o.low_affinity_k = 4, o.low_affinity = 0.15f;
    const std::string spec = o.describe();
    EXPECT_EQ(spec.rfind("matcher:k=7,margin_k=5,", 0), 0u) << spec;
    EXPECT_NE(spec.find("short_length=40,"), std::string::npos) << spec;
    const MatcherOptions r = MatcherOptions::parse_spec(spec);
    EXPECT_EQ(r.describe(), spec);
    EXPECT_EQ(r.k, 7u);
    EXPECT_EQ(r.margin_k, 5u);
    EXPECT_EQ(r.related_similarity, 0.07f);
    EXPECT_EQ(r.translation_similarity, 0.11f);
    EXPECT_EQ(r.long_translation_score, 0.2f);
    EXPECT_EQ(r.short_length, 40.0f);
    EXPECT_EQ(r.long_length, 250.5f);
    EXPECT_EQ(r.translation_margin, 1.3f);
    EXPECT_EQ(r.partial_length_ratio, 0.3f);
    EXPECT_EQ(r.anchor_weight, 0.1f);
    EXPECT_FALSE(r.one_to_one);
    EXPECT_FALSE(r.same_story);
    EXPECT_FALSE(r.pivot);
    EXPECT_EQ(r.pivot_similarity, 0.06f);
    EXPECT_EQ(r.pivot_margin, 1.5f);
    EXPECT_EQ(r.same_story_per_doc, 3u);
    EXPECT_EQ(r.counterpart_ratio, 0.3f);
    EXPECT_EQ(r.counterpart_margin, 1.5f);
    EXPECT_EQ(r.counterpart_links, 7u);
    EXPECT_EQ(r.counterpart_length_ratio, 0.4f);
    EXPECT_EQ(r.found_only_ratio, 6.5f);
    EXPECT_EQ(r.low_affinity_k, 4u);
    EXPECT_EQ(r.low_affinity, 0.15f);
    EXPECT_NE(MatcherOptions().describe().find(",same_story_per_doc=5"), std::string::npos);
    EXPECT_EQ(MatcherOptions::parse_spec("matcher:k=3").k, 3u);
    EXPECT_THROW(MatcherOptions::parse_spec("matcher:nope=1"), Error);
    EXPECT_THROW(MatcherOptions::parse_spec("learn:k=1"), Error);
    EXPECT_THROW(MatcherOptions::parse_spec("matcher:k=x"), Error);
}

TEST(Matcher, CompactDenseRowsGiveTheCandidatesOfFullOnes) {
    // The dense vectors held compactly (DenseRows::compact, as doppel translations holds them)
    // give the same candidate table as the full array, in an exact index and in an approximate
    // one, whose results are re-ranked with the rows' dot products.
    Pool p;
    std::mt19937 rng(9);
    std::uniform_int_distribution<uint64_t> feature(0, kDim - 1);
    std::uniform_real_distribution<float> weight(0.1f, 1.0f);
    const char* langs[] = {"de", "en", "fr"};
    for (int64_t seq = 1; seq <= 600; ++seq) {
        std::map<uint64_t, float> f;
        for (int j = 0; j < 6; ++j) f[feature(rng)] = weight(rng);
        p.add(seq, langs[seq % 3], f);
    }
    DenseRows compact = DenseRows::compact(kDim);
    for (std::size_t i = 0; i < p.docs.size(); ++i) compact.append(p.dense.data() + i * kDim);
    for (const char* factory : {"Flat", "auto:exact_limit=50,dim=16,nprobe=4,refine=4"}) {
        VectorIndex vi(kDim, factory);
        for (std::size_t i = 0; i < p.docs.size(); ++i) vi.add(p.docs[i].lang, 1, &p.docs[i].seq, p.dense.data() + i * kDim);
        EXPECT_EQ(vi.exact(), std::string(factory) == "Flat");
        const Matcher m;
        const CandidateTable want = m.candidates(vi, p.docs, p.dense.data(), p.sparse);
        const CandidateTable got = m.candidates(vi, p.docs, compact, p.sparse);
        ASSERT_EQ(got.lists(), want.lists());
        std::size_t listed = 0;
        for (std::size_t i = 0; i < want.lists(); ++i) {
            ASSERT_EQ(got.list(i).size(), want.list(i).size()) << factory << " " << i;
            listed += want.list(i).size();
            for (std::size_t r = 0; r < want.list(i).size(); ++r) {
                EXPECT_EQ(got.list(i)[r].other, want.list(i)[r].other);
                EXPECT_EQ(got.list(i)[r].sim, want.list(i)[r].sim);
            }
        }
        EXPECT_GT(listed, 1000u) << factory;
    }
    EXPECT_THROW(Matcher().candidates(p.index(), p.docs, DenseRows::compact(kDim + 1), p.sparse), Error);
}

TEST(Matcher, AnchorRangesHoldEachDocumentsNamesNumbersAndUrls) {
    // One range of the sorted ids (the anchor kinds are consecutive in the ids' top bits) and the
    // sum of its squared weights; a document without anchors has an empty range and norm 0.
    using Kind = BridgeEmbedder::FeatureKind;
    const auto id = [](Kind k, uint64_t low) { return (static_cast<uint64_t>(k) << 61) | low; };
    SparseVector with, without;
    with.ids = {id(Kind::kConcept, 5), id(Kind::kName, 1), id(Kind::kNumber, 2), id(Kind::kUrl, 3),
                id(Kind::kToken, 4)};
    with.weights = {0.5f, 0.25f, 0.5f, 1.0f, 2.0f};
    without.ids = {id(Kind::kConcept, 5), id(Kind::kToken, 4)};
    without.weights = {1.0f, 1.0f};
    const std::vector<SparseVector> docs = {with, without};
    const Matcher::AnchorRanges r = Matcher::anchor_ranges(docs);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].begin, 1u);
    EXPECT_EQ(r[0].end, 4u);
    EXPECT_DOUBLE_EQ(r[0].norm2, 0.0625 + 0.25 + 1.0);
    EXPECT_EQ(r[1].begin, r[1].end);
    EXPECT_EQ(r[1].norm2, 0.0);
}

}  // namespace
}  // namespace doppel
