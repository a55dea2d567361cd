// BridgeEmbedder: features, weighting, dense form; a German/English pair scores above an
// unrelated pair (tiny lexicon written here, and the real model when built).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <algorithm>
#include <bit>
#include <random>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "support/test_support.h"
#include "support/tiny_lexicon.h"

namespace doppel {
namespace {

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
}

std::shared_ptr<const BridgeLexicon> tiny(const test::TempDir& dir) {
    Stemmer st;
    auto k = [&](const char* lang, const char* w) { return std::string(lang) + "\t" + st.stem(lang, w); };
    test::write_file(dir / "t.lex",
                     test::tiny_lexicon({"meet", "work", "group", "migrat", "govern", "cat", "sleep", "sofa"},
                                        {{k("de", "sitzung"), {0}},
                                         {k("de", "arbeitsgruppe"), {1, 2}},
                                         {k("de", "migration"), {3}},
                                         {k("de", "regierung"), {4}},
                                         {k("de", "katze"), {5}},
                                         {k("de", "schläft"), {6}},
                                         {k("de", "sofa"), {7}}}));
    return std::make_shared<const BridgeLexicon>(dir / "t.lex");
}

TEST(BridgeEmbedder, TranslationCloserThanUnrelated) {
    test::TempDir dir("embedder");
    BridgeEmbedder e(BridgeEmbedderOptions{}, tiny(dir));
    std::string_view texts[] = {"Die Arbeitsgruppe der Regierung hielt 2024 eine Sitzung zur Migration in Hanoi.",
                                "The government working group held a meeting on migration in Hanoi in 2024.",
                                "The cat sleeps on the sofa all afternoon."};
    std::string langs[] = {"de", "en", "en"};
    std::vector<float> out(3 * e.dim());
    e.embed_sentences(3, texts, langs, out.data());
    std::vector<float> de(out.begin(), out.begin() + e.dim()), en(out.begin() + e.dim(), out.begin() + 2 * e.dim()),
        cat(out.begin() + 2 * e.dim(), out.end());
    EXPECT_NEAR(cosine(de, de), 1.0f, 1e-4);
    EXPECT_GT(cosine(de, en), 0.5f);
    EXPECT_GT(cosine(de, en), cosine(de, cat) + 0.3f);
    // Exact sparse form agrees.
    auto sde = e.weigh(e.features(texts[0], "de")), sen = e.weigh(e.features(texts[1], "en")),
         scat = e.weigh(e.features(texts[2], "en"));
    EXPECT_GT(dot(sde, sen), dot(sde, scat) + 0.3f);
}

TEST(BridgeEmbedder, AnchorsAndNames) {
    test::TempDir dir("embedder-anchors");
    BridgeEmbedder e(BridgeEmbedderOptions{}, tiny(dir));
    // Numbers lose separators; names in Arabic script reach the Latin skeleton.
    auto f1 = e.features("Caroline Beresford 2,024 https://www.example.org/a/", "en");
    auto f2 = e.features("كارولين 2024 https://example.org/a", "ar");
    auto has = [](const SparseVector& v, uint64_t id) {
        return std::find(v.ids.begin(), v.ids.end(), id) != v.ids.end();
    };
    using K = BridgeEmbedder::FeatureKind;
    EXPECT_TRUE(has(f1, BridgeEmbedder::feature_id(K::kNumber, "2024")));
    EXPECT_TRUE(has(f2, BridgeEmbedder::feature_id(K::kNumber, "2024")));
    EXPECT_TRUE(has(f1, BridgeEmbedder::feature_id(K::kUrl, "example.org/a")));
    EXPECT_TRUE(has(f2, BridgeEmbedder::feature_id(K::kUrl, "example.org/a")));
    EXPECT_TRUE(has(f1, BridgeEmbedder::feature_id(K::kName, "krln")));
    EXPECT_TRUE(has(f2, BridgeEmbedder::feature_id(K::kName, "krln")));
    EXPECT_TRUE(BridgeEmbedder::is_anchor(BridgeEmbedder::feature_id(K::kName, "krln")));
    EXPECT_FALSE(BridgeEmbedder::is_anchor(BridgeEmbedder::feature_id(K::kConcept, "meet")));
}

TEST(BridgeEmbedder, SpecRoundTripAndIdf) {
    test::TempDir dir("embedder-spec");
    auto o = BridgeEmbedder::parse_spec("bridge:dim=256,name=0.5");
    EXPECT_EQ(o.dim, 256u);
    BridgeEmbedder e(o, tiny(dir));
    EXPECT_EQ(e.describe(), "bridge:dim=256,name=0.5");
    EXPECT_EQ(BridgeEmbedder::parse_spec(e.describe()).name_weight, 0.5f);
    EXPECT_THROW(BridgeEmbedder::parse_spec("bridge:size=3"), Error);
    EXPECT_THROW(Embedder::from_spec("nothing:x=1"), Error);
    DocumentFrequencies df;
    SparseVector a, b;
    a.ids = {1, 2};
    a.weights = {1, 1};
    b.ids = {1};
    b.weights = {1};
    df.add(a);
    df.add(b);
    EXPECT_LT(df.idf(1), df.idf(2));
    EXPECT_GT(df.idf(3), df.idf(2));
    // replace(): as remove() then add(), touching only the ids one of the two holds.
    SparseVector c;
    c.ids = {2, 3, 5};
    c.weights = {1, 1, 1};
    DocumentFrequencies replaced = df, removed_added = df;
    replaced.replace(a, c);
    removed_added.remove(a);
    removed_added.add(c);
    EXPECT_EQ(replaced.documents, removed_added.documents);
    EXPECT_EQ(replaced.df, removed_added.df);
    EXPECT_EQ(replaced.df.count(1), 1u);  // b still holds 1
    EXPECT_EQ(replaced.df.at(3), 1u);
    SparseVector back = SparseVector::deserialize(a.serialize());
    EXPECT_EQ(back.ids, a.ids);
    EXPECT_THROW(SparseVector::deserialize("XXXX"), Error);
}

TEST(BridgeEmbedder, RealModelGermanEnglish) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    BridgeEmbedder e(BridgeEmbedderOptions{}, EmbedderContext{models});
    std::string_view texts[] = {"Die Regierung verabschiedete gestern ein neues Gesetz über die Einwanderung.",
                                "Yesterday the government passed a new law on immigration.",
                                "The recipe needs two eggs, flour and a little sugar."};
    std::string langs[] = {"de", "en", "en"};
    std::vector<float> out(3 * e.dim());
    e.embed_sentences(3, texts, langs, out.data());
    std::vector<float> de(out.begin(), out.begin() + e.dim()), en(out.begin() + e.dim(), out.begin() + 2 * e.dim()),
        other(out.begin() + 2 * e.dim(), out.end());
    EXPECT_GT(cosine(de, en), cosine(de, other) + 0.2f);
}

TEST(BridgeEmbedder, WithVectorsMixesTheTwoCosines) {
    SparseVector a, b;
    a.ids = {1, 2};
    a.weights = {1, 1};
    b.ids = {2, 3};
    b.weights = {1, 1};
    a.normalize();
    b.normalize();
    const float va[] = {1, 0, 0}, vb[] = {0.6f, 0.8f, 0};  // cosine 0.6
    const float w = 0.3f;
    SparseVector ja = BridgeEmbedder::with_vectors(a, va, 3, w), jb = BridgeEmbedder::with_vectors(b, vb, 3, w);
    EXPECT_NEAR(dot(ja, ja), 1.0f, 1e-5);
    EXPECT_NEAR(dot(ja, jb), (1 - w) * dot(a, b) + w * 0.6f, 1e-5);
    // No vector (a language without a vectors file): the bridge vector alone, unscaled.
    const float zero[] = {0, 0, 0};
    SparseVector z = BridgeEmbedder::with_vectors(a, zero, 3, w);
    EXPECT_EQ(z.ids, a.ids);
    EXPECT_EQ(z.weights, a.weights);
}

}  // namespace
}  // namespace doppel

namespace doppel {
namespace {
// Each worker memoizes the features of uncovered words: an embedder that has seen other texts
// first gives exactly the features of a fresh one, in every branch (Latin read as English,
// Korean, CJK, other scripts).
TEST(BridgeEmbedder, WarmEmbedderGivesAFreshOnesFeatures) {
    test::TempDir dir("embedder-memo");
    const auto lexicon = tiny(dir);
    BridgeEmbedder warm(BridgeEmbedderOptions{}, lexicon);
    const std::pair<const char*, const char*> texts[] = {
        {"Die Arbeitsgruppe der Regierung hielt eine Sitzung, Müller und Smith.", "de"},
        {"The government working group held a meeting, Müller and Smith.", "en"},
        {"문서를 마우스 문서에서 Smith", "ko"},
        {"문서를 마우스 Smith", "ja"},  // the same words, another language: other features
        {"会议 工作组 Smith", "zh"},
        {"Правительство провело заседание Smith Müller", "ru"},
        {"Die Katze schläft auf dem Sofa; the cat sleeps.", "de"}};
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& [text, lang] : texts) {
            BridgeEmbedder fresh(BridgeEmbedderOptions{}, lexicon);
            const SparseVector a = warm.features(text, lang), b = fresh.features(text, lang);
            EXPECT_EQ(a.ids, b.ids) << text;
            EXPECT_EQ(a.weights, b.weights) << text;
            EXPECT_FALSE(a.ids.empty()) << text;
        }
}
}  // namespace
}  // namespace doppel

namespace doppel {
namespace {

// canonicalize() as it was: an index array sorted by std::sort through the ids, then summed.
SparseVector canonical_by_index_sort(const SparseVector& v) {
    std::vector<std::size_t> order(v.ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v.ids[a] < v.ids[b]; });
    SparseVector out;
    for (std::size_t i : order) {
        if (!out.ids.empty() && out.ids.back() == v.ids[i]) {
            out.weights.back() += v.weights[i];
        } else {
            out.ids.push_back(v.ids[i]);
            out.weights.push_back(v.weights[i]);
        }
    }
    return out;
}

// Whole-number weights are sorted in buckets (any order of equal ids gives the same sums),
// fractional ones as before: both give canonicalize()'s old result bit for bit, on vectors with
// many repeated ids of every feature kind.
TEST(SparseVector, CanonicalizeSumsAsTheIndexSortDid) {
    std::mt19937_64 rng(11);
    for (int trial = 0; trial < 60; ++trial) {
        const bool whole = trial % 2 == 0;
        const std::size_t n = 1 + rng() % (trial < 20 ? 50 : 5000);
        std::vector<uint64_t> pool(1 + n / 4);
        for (auto& id : pool) id = rng();
        SparseVector v;
        for (std::size_t i = 0; i < n; ++i) {
            v.ids.push_back(pool[rng() % pool.size()]);
            v.weights.push_back(whole ? static_cast<float>(1 + rng() % 3)
                                      : 1.0f / std::sqrt(static_cast<float>(1 + rng() % 7)));
        }
        const SparseVector want = canonical_by_index_sort(v);
        v.canonicalize();
        ASSERT_EQ(v.ids, want.ids) << trial;
        ASSERT_EQ(v.weights.size(), want.weights.size());
        for (std::size_t i = 0; i < v.weights.size(); ++i)
            ASSERT_EQ(std::bit_cast<uint32_t>(v.weights[i]), std::bit_cast<uint32_t>(want.weights[i])) << trial << " " << i;
        EXPECT_TRUE(std::is_sorted(v.ids.begin(), v.ids.end()));
    }
}

}  // namespace
}  // namespace doppel
