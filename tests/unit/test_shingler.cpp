#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <random>
#include <set>

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

// shingle() reads ASCII lines in one pass; it must give what normalize() and
// shingle_normalized() give, with and without skipped lines, on mixed texts.
TEST(Shingler, OnePassEqualsNormalizeThenShingle) {
    const Shingler s;
    Segmenter seg;
    const std::vector<std::string> texts = {
        "",
        "\n\n   \n",
        kText,
        kText + "\n",
        "It's 3.14, or 1,000 -- don't split U.S. 2.0. x'y 'quoted' end' 7'a a_b\nNEXT Line 42\r\nlast",
        "Ünïcödé line one with words\nan ASCII line between them\nΚαλημέρα κόσμε, ελληνικά\nΣΟΦΙΑ ΣΟΦΙΑ\n" + kText,
        kText + "\nＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ and ﬁ ligatures\n" + kText + "\nＦＩＮＡＬ",
        "日本語の文章です。これはテストです。\n" + kText + "\n中文文本，没有空格。",
        "short text\nof few words",
        kText + "\nIt’s curly — and café’s 1.5\n" + kText,
    };
    for (const std::string& text : texts) {
        std::vector<uint64_t> general;
        s.shingle_normalized(s.normalize(text), seg, &general);
        EXPECT_EQ(shingles(s, text), general) << text;
        // With lines skipped: the kept lines, each with its line break, as shingle() documents.
        LineHashSet skip = {Shingler::line_hash("an ASCII line between them"), Shingler::line_hash("NEXT Line 42\r"),
                            Shingler::line_hash("ΣΟΦΙΑ ΣΟΦΙΑ"), Shingler::line_hash(kText)};
        std::string kept;
        std::size_t skipped_lines = 0;
        for (std::size_t pos = 0; pos < text.size();) {
            std::size_t nl = text.find('\n', pos);
            if (nl == std::string::npos) nl = text.size();
            const std::string line = text.substr(pos, nl - pos);
            if (skip.count(Shingler::line_hash(line)))
                ++skipped_lines;
            else
                kept += line + "\n";
            pos = nl + 1;
        }
        s.shingle_normalized(s.normalize(kept), seg, &general);
        std::vector<uint64_t> out;
        std::size_t skipped = 99;
        s.shingle(text, seg, &out, &skip, &skipped);
        EXPECT_EQ(out, general) << text;
        EXPECT_EQ(skipped, skipped_lines) << text;
    }
}

// shingle_without() derives, from the whole text's shingles and counts, exactly what shingle()
// gives with the lines skipped: runs of skipped lines anywhere, lines without words, short lines
// between skipped ones, repeated lines, non-ASCII lines; and it declines when too few words stay.
TEST(Shingler, ShingleWithoutEqualsShinglingWithTheLinesSkipped) {
    const Shingler s;
    Segmenter seg;
    const std::string boiler = "License: GPL-2+ and some more words here";
    const std::vector<std::string> texts = {
        boiler + "\n" + kText + "\n" + boiler + "\n" + kText + "\n" + boiler,
        kText + "\none\n" + boiler + "\ntwo\n" + boiler + "\nthree four\n" + boiler + "\n" + kText,
        kText + "\n .\n" + kText + "\n .\n\n" + boiler + "\n \n" + boiler + "\n" + kText + "\n",
        "Ünïcödé line one with words\n" + boiler + "\nΚαλημέρα κόσμε, ελληνικά\nΣΟΦΙΑ ΣΟΦΙΑ\n" + boiler + "\n" + kText,
        kText + "\n" + kText + "\n" + boiler + "\n" + kText + "\nthe lazy dog\n" + boiler + "\nthe lazy dog",
        kText + "\r\n" + boiler + "\r\n" + kText + "\r\n",
        kText + "\n" + kText,  // no skipped line
    };
    const LineHashSet skip = {Shingler::line_hash(boiler), Shingler::line_hash(" ."), Shingler::line_hash("two"),
                              Shingler::line_hash("ΣΟΦΙΑ ΣΟΦΙΑ")};
    for (const std::string& text : texts) {
        std::vector<uint64_t> all, want, got, removed, added;
        ShingleCounts counts;
        s.shingle_counted(text, seg, &all, &counts);
        ASSERT_TRUE(counts.valid) << text;
        EXPECT_EQ(all, shingles(s, text));
        std::size_t want_skipped = 0, got_skipped = 0;
        s.shingle(text, seg, &want, &skip, &want_skipped);
        ASSERT_TRUE(s.shingle_without(text, all.data(), all.size(), counts, skip, seg, &got, &got_skipped, &removed,
                                      &added))
            << text;
        EXPECT_EQ(got, want) << text;
        EXPECT_EQ(got_skipped, want_skipped) << text;
        for (uint64_t x : removed) EXPECT_TRUE(std::binary_search(all.begin(), all.end(), x));
        for (uint64_t x : added) EXPECT_TRUE(std::binary_search(got.begin(), got.end(), x));
    }
    // Too few words left (shingle() makes character shingles then), or counts of another kind.
    std::vector<uint64_t> all, got;
    ShingleCounts counts;
    const std::string mostly = boiler + "\n" + boiler + "\nfive words are left here";
    s.shingle_counted(mostly, seg, &all, &counts);
    EXPECT_FALSE(s.shingle_without(mostly, all.data(), all.size(), counts, skip, seg, &got));
    s.shingle_counted("日本語の文章です。これはテストです。とても長い文章になります。", seg, &all, &counts);
    EXPECT_FALSE(counts.valid);
    // Counts of another text are refused rather than trusted.
    s.shingle_counted(texts[0], seg, &all, &counts);
    counts.repeated_at.clear();
    counts.repeated_places.clear();
    EXPECT_FALSE(s.shingle_without(texts[0], all.data(), all.size(), counts, skip, seg, &got));
}

// Word 3-gram hashes of a text of ASCII letters, spaces and line breaks, computed here from the
// definition (XXH3 of each lower-cased word, XXH3 of three consecutive word hashes), sorted.
std::vector<uint64_t> reference_trigrams(const std::string& text) {
    std::vector<uint64_t> words;
    std::string w;
    for (const char c : text + " ") {
        if (std::isalpha(static_cast<unsigned char>(c))) {
            w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        } else if (!w.empty()) {
            words.push_back(XXH3_64bits(w.data(), w.size()));
            w.clear();
        }
    }
    std::set<uint64_t> set;
    for (std::size_t i = 0; i + 3 <= words.size(); ++i) set.insert(XXH3_64bits(&words[i], 3 * sizeof(uint64_t)));
    return {set.begin(), set.end()};
}

// shingle() keeps its buffers from one document to the next (and sorts large sets by buckets):
// documents of very different sizes, one after the other into the same output vector, each get
// exactly their own sorted, unique shingles.
TEST(Shingler, ReusedBuffersGiveEachDocumentItsShingles) {
    const Shingler s;
    Segmenter seg;
    std::mt19937 rng(7);
    const std::vector<std::string> vocab = {"alpha", "Beta", "GAMMA", "delta", "eps", "Zeta", "eta", "theta"};
    std::vector<uint64_t> out;
    for (const std::size_t words : {20000, 12, 300, 3000000 / 8, 50, 70000}) {
        std::string text;
        for (std::size_t i = 0; i < words; ++i) {
            text += vocab[rng() % vocab.size()];
            text += rng() % 9 == 0 ? "\n" : " ";
        }
        s.shingle(text, seg, &out);
        EXPECT_EQ(out, reference_trigrams(text)) << words << " words";
    }
}
