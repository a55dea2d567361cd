// BridgeEmbedder: features, weighting, dense form; a German/English pair scores above an
// unrelated pair (tiny lexicon written here, and the real model when built).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
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
    EXPECT_EQ(replaced, removed_added);
    EXPECT_EQ(replaced.count(1), 1u);  // b still holds 1
    EXPECT_EQ(replaced.count(3), 1u);
    EXPECT_EQ(replaced.features(), 4u);  // 1, 2, 3, 5
    SparseVector back = SparseVector::deserialize(a.serialize());
    EXPECT_EQ(back.ids, a.ids);
    EXPECT_THROW(SparseVector::deserialize("XXXX"), Error);
}

// add() of many vectors at once counts as add() of each in turn: past the table's first size (it
// grows), onto counts already there, with id 0 and ids that differ only in their low bits (the
// table's slot comes from the high bits of a product).
TEST(BridgeEmbedder, DocumentFrequenciesOfManyVectorsAsOneByOne) {
    std::mt19937_64 rng(7);
    std::vector<SparseVector> docs(300);
    for (std::size_t d = 0; d < docs.size(); ++d) {
        for (uint64_t k = 0; k < 1000; ++k) {
            const uint64_t id = k % 3 == 0 ? rng() : k % 3 == 1 ? (rng() % 5000) : (uint64_t{7} << 56) + d % 17;
            docs[d].ids.push_back(d == 0 && k == 0 ? 0 : id);
            docs[d].weights.push_back(1.0f);
        }
        docs[d].canonicalize();
    }
    DocumentFrequencies one_by_one, at_once;
    one_by_one.add(docs[0]);
    at_once.add(docs[0]);
    for (std::size_t d = 1; d < docs.size(); ++d) one_by_one.add(docs[d]);
    at_once.add(std::span<const SparseVector>(docs).subspan(1));
    EXPECT_GT(at_once.features(), 100000u);
    EXPECT_EQ(at_once.documents, one_by_one.documents);
    EXPECT_EQ(at_once, one_by_one);
    EXPECT_GE(at_once.count(0), 1u);  // id 0 is counted (a free slot is told by its count)
    DocumentFrequencies none;
    none.add(std::span<const SparseVector>());
    EXPECT_EQ(none.documents, 0u);
    EXPECT_EQ(none.features(), 0u);
}

// add(features, times): the same counts and documents as `times` add()s; 0 times adds nothing.
TEST(BridgeEmbedder, DocumentFrequenciesOfCopiesAsOneByOne) {
    SparseVector a, b;
    a.ids = {3, 9, uint64_t{1} << 62};
    a.weights = {1, 2, 3};
    b.ids = {9, 11};
    b.weights = {1, 1};
    DocumentFrequencies one_by_one, copies;
    for (int k = 0; k < 3; ++k) one_by_one.add(a);
    one_by_one.add(b);
    copies.add(a, 3);
    copies.add(b, 1);
    copies.add(b, 0);
    EXPECT_EQ(copies.documents, 4u);
    EXPECT_EQ(copies, one_by_one);
    EXPECT_EQ(copies.count(9), 4u);
    EXPECT_EQ(copies.count(uint64_t{1} << 62), 3u);
}

// The counts follow a plain map through adds, removals, replacements and set counts: features
// that drop to 0 leave the table, and the ones probed past them (many with the same home slot:
// ids equal in their high bits) stay reachable; the table grows past its first size.
TEST(BridgeEmbedder, DocumentFrequenciesFollowAMap) {
    std::mt19937_64 rng(11);
    std::map<uint64_t, uint32_t> want;
    uint64_t documents = 0;
    DocumentFrequencies df;
    std::vector<SparseVector> held;
    const auto random_vector = [&] {
        SparseVector v;
        for (int k = 0; k < 40; ++k) {
            v.ids.push_back(rng() % 3 == 0 ? rng() % 64 : (rng() % 512) * 0x9E3779B97F4A7C15ull);
            v.weights.push_back(1.0f);
        }
        v.canonicalize();
        return v;
    };
    const auto drop = [&](const SparseVector& v) {
        for (uint64_t id : v.ids)
            if (--want[id] == 0) want.erase(id);
    };
    for (int step = 0; step < 3000; ++step) {
        const int op = static_cast<int>(rng() % 4);
        if (op == 0 || held.empty()) {
            held.push_back(random_vector());
            df.add(held.back());
            ++documents;
            for (uint64_t id : held.back().ids) ++want[id];
        } else if (op == 1) {
            const std::size_t i = rng() % held.size();
            df.remove(held[i]);
            --documents;
            drop(held[i]);
            held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (op == 2) {
            const std::size_t i = rng() % held.size();
            SparseVector next = random_vector();
            df.replace(held[i], next);
            drop(held[i]);
            for (uint64_t id : next.ids) ++want[id];
            held[i] = next;
        } else {
            const uint64_t id = (uint64_t{1} << 62) + rng() % 64;  // no vector's: set counts alone
            const auto n = static_cast<uint32_t>(rng() % 3);
            df.set_count(id, n);
            if (n == 0)
                want.erase(id);
            else
                want[id] = n;
        }
    }
    EXPECT_EQ(df.documents, documents);
    const std::vector<std::pair<uint64_t, uint32_t>> expected(want.begin(), want.end());
    EXPECT_EQ(df.sorted(), expected);
    EXPECT_EQ(df.features(), want.size());
    for (const auto& [id, n] : want) EXPECT_EQ(df.count(id), n) << id;
    EXPECT_EQ(df.count(12345), 0u);
    DocumentFrequencies copy = df;
    EXPECT_EQ(copy, df);
    copy.add_count(expected.front().first, 1);
    EXPECT_NE(copy, df);
}

// weigh() takes each feature's idf from a table of the counts made at set_frequencies(): the
// weights are those of DocumentFrequencies::idf() bit for bit, for counts within the table and
// past it (a store of more than 65,536 documents), and after the frequencies are replaced.
TEST(BridgeEmbedder, WeighGivesEachFeaturesIdf) {
    BridgeEmbedder e(BridgeEmbedderOptions{}, std::shared_ptr<const BridgeLexicon>());
    SparseVector v;
    for (uint64_t id = 1; id <= 6; ++id) {
        v.ids.push_back(id);
        v.weights.push_back(id % 2 ? 1.0f : 2.5f);
    }
    const auto expected = [&](const DocumentFrequencies& df) {
        SparseVector w = v;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const float c = w.weights[i];
            w.weights[i] = (c >= 1.0f ? 1.0f + std::log(c) : c) * df.idf(w.ids[i]);  // token weight 1
        }
        w.normalize();
        return w;
    };
    for (const uint64_t documents : {uint64_t(7), uint64_t(100000)}) {
        auto df = std::make_shared<DocumentFrequencies>();
        df->documents = documents;
        for (const auto& [id, n] :
             {std::pair<uint64_t, uint32_t>{1, 1}, {2, 3}, {3, 7}, {5, documents > 70000 ? 70000 : 2}})
            df->set_count(id, n);
        e.set_frequencies(df);
        const SparseVector got = e.weigh(v), want = expected(*df);
        ASSERT_EQ(got.ids, want.ids);
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.weights[i], want.weights[i]) << documents << " " << i;
    }
    e.set_frequencies(nullptr);
    const SparseVector plain = e.weigh(v);
    EXPECT_EQ(plain.weights, expected(DocumentFrequencies{}).weights);
}

// The idf table of set_frequencies() holds thousands of features (colliding slots probed on):
// every feature's weight is idf()'s bit for bit, those the frequencies lack included.
TEST(BridgeEmbedder, WeighGivesEachFeaturesIdfAmongManyFeatures) {
    BridgeEmbedder e(BridgeEmbedderOptions{}, std::shared_ptr<const BridgeLexicon>());
    std::mt19937_64 rng(7);
    auto df = std::make_shared<DocumentFrequencies>();
    df->documents = 50000;
    SparseVector v;
    for (int i = 0; i < 6000; ++i) {
        const uint64_t id = rng() >> 3;  // top bits 0: concepts, of weight 1
        if (i % 3 != 0) df->set_count(id, static_cast<uint32_t>(1 + rng() % 49999));
        if (i % 20 == 0) {
            v.ids.push_back(id);
            v.weights.push_back(1.0f + static_cast<float>(i % 7));
        }
    }
    v.canonicalize();
    e.set_frequencies(df);
    const SparseVector got = e.weigh(v);
    SparseVector want = v;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const float c = want.weights[i];
        want.weights[i] = (c >= 1.0f ? 1.0f + std::log(c) : c) * df->idf(want.ids[i]);
    }
    want.normalize();
    ASSERT_EQ(got.ids, want.ids);
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.weights[i], want.weights[i]) << i;
}

// densify() sums the squares of the components its features touched only: the norm and every
// component are those of the sum over all components bit for bit (weights that cancel in a
// component included).
TEST(BridgeEmbedder, DensifyIsTheFullSumBitForBit) {
    for (const std::size_t dim : {std::size_t(2048), std::size_t(100)}) {
        BridgeEmbedderOptions o;
        o.dim = dim;
        BridgeEmbedder e(o, std::shared_ptr<const BridgeLexicon>());
        std::mt19937_64 rng(dim);
        std::uniform_real_distribution<float> weight(-1.0f, 1.0f);
        for (int doc = 0; doc < 50; ++doc) {
            SparseVector v;
            for (int i = 0; i < 300; ++i) {
                v.ids.push_back(rng());
                v.weights.push_back(weight(rng));
            }
            v.ids.push_back(v.ids[0] ^ 1);  // more features than components at dim 100: shared ones
            v.weights.push_back(0.25f);
            v.canonicalize();
            std::vector<float> got(dim), want(dim, 0.0f);
            e.densify(v, got.data());
            for (std::size_t i = 0; i < v.size(); ++i) {
                const uint64_t h = XXH3_64bits(&v.ids[i], 8);
                want[h % dim] += ((h >> 63) ? -1.0f : 1.0f) * v.weights[i];
            }
            double n = 0;
            for (std::size_t j = 0; j < dim; ++j) n += double(want[j]) * want[j];
            const float inv = static_cast<float>(1.0 / std::sqrt(n));
            for (std::size_t j = 0; j < dim; ++j) want[j] *= inv;
            for (std::size_t j = 0; j < dim; ++j)
                ASSERT_EQ(std::bit_cast<uint32_t>(got[j]), std::bit_cast<uint32_t>(want[j])) << dim << " " << doc << " " << j;
        }
    }
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
// Each worker memoizes the features of paragraphs and documents it read: a repeated document,
// a copy of it with one paragraph of another language and paragraphs seen in other documents
// give exactly the features of a fresh embedder.
TEST(BridgeEmbedder, RepeatedTextsGiveAFreshOnesFeatures) {
    test::TempDir dir("embedder-text-memo");
    const auto lexicon = tiny(dir);
    BridgeEmbedder warm(BridgeEmbedderOptions{}, lexicon);
    AnalyzedDocument doc;
    doc.lang = "en";
    doc.doc.text =
        "The government working group held a meeting.\nDie Arbeitsgruppe hielt eine Sitzung.\nSmith 1999";
    for (const std::string lang : {"en", "de", ""}) {
        Paragraph p;
        p.lang = lang;
        doc.paragraphs.push_back(p);
    }
    const auto a = static_cast<uint32_t>(doc.doc.text.find('\n')),
               b = static_cast<uint32_t>(doc.doc.text.rfind('\n'));
    doc.paragraphs[0].span = {0, a};
    doc.paragraphs[1].span = {a + 1, b};
    doc.paragraphs[2].span = {b + 1, static_cast<uint32_t>(doc.doc.text.size())};
    AnalyzedDocument relabeled = doc;
    relabeled.paragraphs[1].lang = "en";
    for (int pass = 0; pass < 2; ++pass)
        for (const AnalyzedDocument* d : {&doc, &relabeled, &doc}) {
            BridgeEmbedder fresh(BridgeEmbedderOptions{}, lexicon);
            const SparseVector a = warm.document_features(*d), b = fresh.document_features(*d);
            EXPECT_EQ(a.ids, b.ids);
            EXPECT_EQ(a.weights, b.weights);
            const SparseVector pa = warm.features("Die Arbeitsgruppe hielt eine Sitzung.", "de");
            const SparseVector pb = fresh.features("Die Arbeitsgruppe hielt eine Sitzung.", "de");
            EXPECT_EQ(pa.ids, pb.ids);
            EXPECT_EQ(pa.weights, pb.weights);
        }
    BridgeEmbedder fresh(BridgeEmbedderOptions{}, lexicon);
    EXPECT_NE(fresh.document_features(doc).ids,
              fresh.document_features(relabeled).ids);  // the language counts
}

// Each worker memoizes the features of uncovered words: an embedder that has seen other texts
// first gives exactly the features of a fresh one, in every branch (Latin read as English,
// Korean, CJK, other scripts).
// Past its memos' bounds (paragraphs: 16 MB of texts; uncovered words: 131,072) a warm embedder
// starts them afresh, and the features it gives are still a fresh embedder's, for the texts read
// before the restart and after it.
TEST(BridgeEmbedder, AWarmEmbedderPastItsMemosBoundsGivesAFreshOnesFeatures) {
    test::TempDir dir("embedder-memo-bounds");
    const auto lexicon = tiny(dir);
    const auto letters = [](std::size_t x) {
        std::string w;
        for (int k = 0; k < 5; ++k, x /= 26) w.push_back(static_cast<char>('a' + x % 26));
        return w;
    };
    std::vector<std::string> texts;
    while (texts.size() < 4800) {  // about 4 KB each: 19 MB, and 340,000 distinct words
        const std::size_t i = texts.size();
        std::string t;
        for (std::size_t j = 0; t.size() < 4000; ++j)
            t += (j % 5 == 0 ? "working " : letters(i * 71 + j) + "ly ") + (j % 9 == 0 ? std::string("meeting ") : "");
        texts.push_back(t);
    }
    BridgeEmbedder warm(BridgeEmbedderOptions{}, lexicon);
    std::vector<SparseVector> first;
    for (const std::string& t : texts) first.push_back(warm.features(t, "en"));
    for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{2500}, texts.size() - 1}) {
        BridgeEmbedder fresh(BridgeEmbedderOptions{}, lexicon);
        const SparseVector again = warm.features(texts[i], "en"), b = fresh.features(texts[i], "en");
        EXPECT_EQ(first[i].ids, b.ids) << i;
        EXPECT_EQ(first[i].weights, b.weights) << i;
        EXPECT_EQ(again.ids, b.ids) << i;
        EXPECT_EQ(again.weights, b.weights) << i;
    }
}

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

// canonicalize() as documented: sorted by id, each id's weights summed in the order they came.
SparseVector canonical_in_order(const SparseVector& v) {
    std::vector<std::size_t> order(v.ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return v.ids[a] < v.ids[b]; });
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

// Whole and fractional weights alike, short vectors (insertion) and long ones (buckets): the
// sums run in input order, bit for bit, on vectors with many repeated ids.
TEST(SparseVector, CanonicalizeSumsEqualIdsInInputOrder) {
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
        const SparseVector want = canonical_in_order(v);
        v.canonicalize();
        ASSERT_EQ(v.ids, want.ids) << trial;
        ASSERT_EQ(v.weights.size(), want.weights.size());
        for (std::size_t i = 0; i < v.weights.size(); ++i)
            ASSERT_EQ(std::bit_cast<uint32_t>(v.weights[i]), std::bit_cast<uint32_t>(want.weights[i])) << trial << " " << i;
        EXPECT_TRUE(std::is_sorted(v.ids.begin(), v.ids.end()));
    }
    // A sum whose value depends on its order: 2^24 + 1 + 1 - 2^24 is 0 in this order (each 1 is
    // lost against 2^24), 2 in others; among other ids, in a short and a long vector.
    for (const std::size_t others : {std::size_t{3}, std::size_t{400}}) {
        SparseVector v;
        for (const float part : {16777216.0f, 1.0f, 1.0f, -16777216.0f}) {
            for (std::size_t i = 0; i < others; ++i) {
                v.ids.push_back(1000 + (v.ids.size() * 7919) % 997);
                v.weights.push_back(1.0f);
            }
            v.ids.push_back(5);
            v.weights.push_back(part);
        }
        v.canonicalize();
        ASSERT_EQ(v.ids.front(), 5u);
        EXPECT_EQ(v.weights.front(), 0.0f) << others;
    }
}

// SparseSum of parts, one after the other, gives canonicalize() of all of them joined, bit for
// bit: each id's sum is a left fold in input order (EmbeddingStage sums a long document's runs
// of paragraphs so); with a sum that a fold of per-part sums would get wrong (2^24 + 1 + 1 -
// 2^24: 0 in input order, 1 as (2^24 + 1) + (1 - 2^24)); past the table's first size; and a
// taken sum starts afresh.
TEST(SparseVector, SparseSumGivesTheSumsOfAllPartsJoined) {
    std::mt19937_64 rng(17);
    std::vector<uint64_t> hashes(50);  // ids as features have them: spread over 64 bits
    for (uint64_t& h : hashes) h = rng();
    for (int trial = 0; trial < 30; ++trial) {
        std::vector<SparseVector> parts(1 + rng() % 6);
        SparseVector joined;
        for (SparseVector& part : parts) {
            const std::size_t n = rng() % (trial % 10 < 5 ? 20 : 3000);
            for (std::size_t i = 0; i < n; ++i) {
                part.ids.push_back(trial >= 25  ? rng() % 20000
                                   : trial < 20 ? rng() % 50
                                                : hashes[rng() % 50]);
                part.weights.push_back(1.0f / std::sqrt(static_cast<float>(1 + rng() % 7)));
            }
            joined.ids.insert(joined.ids.end(), part.ids.begin(), part.ids.end());
            joined.weights.insert(joined.weights.end(), part.weights.begin(), part.weights.end());
        }
        SparseSum summing;
        for (const SparseVector& part : parts) summing.add(part);
        const SparseVector sum = summing.take();
        joined.canonicalize();
        ASSERT_EQ(sum.ids, joined.ids) << trial;
        for (std::size_t i = 0; i < sum.weights.size(); ++i)
            ASSERT_EQ(std::bit_cast<uint32_t>(sum.weights[i]), std::bit_cast<uint32_t>(joined.weights[i])) << trial;
    }
    SparseVector first, second;
    first.ids = {5, 5};
    first.weights = {16777216.0f, 1.0f};
    second.ids = {5, 5};
    second.weights = {1.0f, -16777216.0f};
    SparseSum summing;
    summing.add(first);
    summing.add(second);
    const SparseVector sum = summing.take();
    ASSERT_EQ(sum.ids, std::vector<uint64_t>{5});
    EXPECT_EQ(sum.weights[0], 0.0f);
    EXPECT_TRUE(summing.take().empty());
}

// canonicalize(from) leaves the entries before `from` alone and makes the rest what
// canonicalize() of them alone gives (BridgeEmbedder appends each paragraph's so).
TEST(SparseVector, CanonicalizeFromLeavesThePrefixAlone) {
    std::mt19937_64 rng(5);
    for (const std::size_t n : {std::size_t{9}, std::size_t{300}}) {
        SparseVector v, tail;
        for (std::size_t i = 0; i < n; ++i) {
            v.ids.push_back(rng() % 40);
            v.weights.push_back(1.0f / static_cast<float>(1 + rng() % 5));
        }
        const SparseVector prefix = v;  // not canonical: left as it is
        for (std::size_t i = 0; i < n; ++i) {
            tail.ids.push_back(rng() % 40);
            tail.weights.push_back(1.0f / static_cast<float>(1 + rng() % 5));
        }
        v.ids.insert(v.ids.end(), tail.ids.begin(), tail.ids.end());
        v.weights.insert(v.weights.end(), tail.weights.begin(), tail.weights.end());
        v.canonicalize(n);
        tail.canonicalize();
        ASSERT_EQ(v.ids.size(), n + tail.ids.size());
        EXPECT_TRUE(std::equal(prefix.ids.begin(), prefix.ids.end(), v.ids.begin()));
        EXPECT_TRUE(std::equal(prefix.weights.begin(), prefix.weights.end(), v.weights.begin()));
        EXPECT_TRUE(
            std::equal(tail.ids.begin(), tail.ids.end(), v.ids.begin() + static_cast<std::ptrdiff_t>(n)));
        EXPECT_TRUE(std::equal(tail.weights.begin(), tail.weights.end(),
                               v.weights.begin() + static_cast<std::ptrdiff_t>(n)));
    }
}

}  // namespace
}  // namespace doppel
