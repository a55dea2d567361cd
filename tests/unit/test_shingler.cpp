#include <gtest/gtest.h>

#include "doppel/error.h"
#include "doppel/sketch/shingler.h"

using namespace doppel;

namespace {
std::vector<uint64_t> shingles(const Shingler& s, const std::string& text,
                               const LineHashSet* skip = nullptr) {
    Segmenter seg;
    std::vector<uint64_t> out;
    s.shingle(text, seg, &out, skip);
    return out;
}
const std::string kText =
    "The quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat near the door";
}  // namespace

TEST(Shingler, SpecRoundTrip) {
    EXPECT_EQ(Shingler().describe(), "word:n=3,char_n=5,min_words=10");
    EXPECT_EQ(Shingler::from_spec("word:n=3")->describe(), "word:n=3,char_n=5,min_words=10");
    EXPECT_EQ(Shingler::from_spec("char:n=4")->describe(), "char:n=4");
    EXPECT_THROW(Shingler::from_spec("bytes:n=4"), Error);
    EXPECT_THROW(Shingler::from_spec("word:q=4"), Error);
}

TEST(Shingler, WordNgramsSortedUnique) {
    const Shingler s(ShinglerOptions{ShinglerOptions::Kind::kWord, 5});
    const auto v = shingles(s, kText);
    EXPECT_EQ(v.size(), 20u - 5 + 1);  // 20 words
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
    // A repeated sentence adds no new shingles beyond the seam.
    EXPECT_EQ(shingles(s, kText + "\n" + kText).size(), 16u + 4);
}

TEST(Shingler, NormalizationMakesSpellingsEqual) {
    Shingler s;
    EXPECT_EQ(shingles(s, kText),
              shingles(s,
                       "THE quick  brown fox, jumps over the LAZY dog; while the cat sleeps "
                       "on the warm mat near the door!"));
    // Full-width letters and non-ASCII lines go through the ICU normalizer.
    EXPECT_EQ(shingles(s,
                       "Ｔｈｅ quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat "
                       "near the door"),
              shingles(s, kText));
    EXPECT_EQ(shingles(s, "Café au lait is served here every single morning of the week\nthe end"),
              shingles(s, "CAFÉ au lait is served here every single morning of the week\nTHE END"));
}

TEST(Shingler, CharacterShinglesForShortAndSpacelessText) {
    Shingler s;
    // Fewer than min_words words: character 5-grams over the words without spaces.
    EXPECT_EQ(shingles(s, "hello world").size(), std::string("helloworld").size() - 5 + 1);
    // Chinese: character n-grams, not one shingle per dictionary word run.
    const std::string zh = "近日中国科学院发布了关于人工智能发展的最新研究报告内容丰富";
    const auto v = shingles(s, zh);
    EXPECT_EQ(v.size(), 29u - 5 + 1);
    EXPECT_EQ(shingles(s, ""), std::vector<uint64_t>{});
    EXPECT_EQ(shingles(s, " ... ").size(), 0u);
}

TEST(Shingler, SkippedLinesAreLeftOut) {
    Shingler s;
    const std::string chrome = "Home | World | Sports | Contact us today for more";
    LineHashSet skip = {Shingler::line_hash(chrome)};
    EXPECT_EQ(shingles(s, chrome + "\n" + kText, &skip), shingles(s, kText));
    EXPECT_NE(shingles(s, chrome + "\n" + kText), shingles(s, kText));
    EXPECT_EQ(Shingler::line_hash("  Same tag \t"), Shingler::line_hash("Same tag"));
    EXPECT_NE(Shingler::line_hash("Same tag"), Shingler::line_hash("Same tags"));
    EXPECT_EQ(Shingler::line_hash("   "), 0u);
}
