// VectorsEmbedder: .vec files the test writes (aligned toy vectors), frequency weighting,
// vocabulary cap, binary cache, per-language files, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "doppel/embed/vectors_embedder.h"
#include "doppel/error.h"
#include "support/test_support.h"

namespace doppel {
namespace {

// 4-dimensional "aligned" vectors: cat/katze on axis 0, dog/hund on axis 1, sleep/schläft on
// axis 2, bark/bellt on axis 3; "the" (most frequent) points everywhere.
const char* kVec =
    "9 4\n"
    "the 0.5 0.5 0.5 0.5\n"
    "cat 1 0 0 0\n"
    "katze 0.95 0.05 0 0\n"
    "dog 0 1 0 0\n"
    "hund 0.05 0.95 0 0\n"
    "sleeps 0 0 1 0\n"
    "schläft 0 0 0.9 0.1\n"
    "barks 0 0 0 1\n"
    "bellt 0 0 0.1 0.9\n";

float cos(const std::vector<float>& v, std::size_t i, std::size_t j, std::size_t d) {
    return std::inner_product(v.begin() + i * d, v.begin() + (i + 1) * d, v.begin() + j * d, 0.0f);
}

TEST(VectorsEmbedder, AlignedWordsMakeTranslationsClose) {
    test::TempDir dir("vectors");
    test::write_file(dir / "toy.vec", kVec);
    VectorsEmbedder e(VectorsEmbedder::parse_spec("vectors:path=" + dir / "toy.vec"));
    EXPECT_EQ(e.dim(), 4u);
    EXPECT_EQ(e.vocabulary_size(), 9u);
    std::string_view texts[] = {"Die Katze schläft", "The cat sleeps", "The dog barks"};
    std::string langs[] = {"de", "en", "en"};
    std::vector<float> out(3 * 4);
    e.embed_sentences(3, texts, langs, out.data());
    EXPECT_NEAR(cos(out, 0, 0, 4), 1.0f, 1e-4);
    EXPECT_GT(cos(out, 0, 1, 4), cos(out, 0, 2, 4) + 0.5f);
    EXPECT_TRUE(std::filesystem::exists(dir / "toy.vec.dcache"));

    // From the cache: same vectors.
    VectorsEmbedder again(VectorsEmbedder::parse_spec("vectors:path=" + dir / "toy.vec"));
    std::vector<float> out2(3 * 4);
    again.embed_sentences(3, texts, langs, out2.data());
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_FLOAT_EQ(out[i], out2[i]);
    EXPECT_EQ(again.describe(), "vectors:path=" + dir / "toy.vec" + ",max_words=200000");
}

TEST(VectorsEmbedder, FrequentWordsWeighLess) {
    test::TempDir dir("vectors-sif");
    test::write_file(dir / "toy.vec", kVec);
    VectorsEmbedder e(VectorsEmbedder::parse_spec("vectors:path=" + dir / "toy.vec,cache=0"));
    std::string_view texts[] = {"the the the cat"};
    std::string langs[] = {"en"};
    std::vector<float> v(4);
    e.embed_sentences(1, texts, langs, v.data());
    EXPECT_GT(v[0], v[1] + 0.05f);  // "cat" dominates the three "the"
    EXPECT_FALSE(std::filesystem::exists(dir / "toy.vec.dcache"));
}

TEST(VectorsEmbedder, CapPerLanguageFilesAndErrors) {
    test::TempDir dir("vectors-cap");
    test::write_file(dir / "wiki.en.vec", kVec);
    test::write_file(dir / "wiki.de.vec", kVec);
    VectorsEmbedder capped(VectorsEmbedder::parse_spec("vectors:path=" + dir / "wiki.{lang}.vec,max_words=3"));
    EXPECT_EQ(capped.vocabulary_size("en"), 3u);
    EXPECT_EQ(capped.vocabulary_size("de"), 3u);
    test::write_file(dir / "bad.vec", "not a header\n");
    EXPECT_THROW(VectorsEmbedder(VectorsEmbedder::parse_spec("vectors:path=" + dir / "bad.vec")), Error);
    EXPECT_THROW(VectorsEmbedder(VectorsEmbedder::parse_spec("vectors:path=" + dir / "missing.vec")), Error);
    EXPECT_THROW(VectorsEmbedder::parse_spec("vectors:path=x,colour=red"), Error);
    auto e = Embedder::from_spec("vectors:path=" + dir / "wiki.en.vec");
    EXPECT_EQ(e->dim(), 4u);
}

}  // namespace
}  // namespace doppel
