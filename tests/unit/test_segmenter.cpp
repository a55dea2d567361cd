#include <gtest/gtest.h>

#include <random>

#include "doppel/normalize/segmenter.h"
#include "support/test_support.h"

using doppel::Segmenter;
using doppel::Span;

namespace {
std::vector<std::string> texts(std::string_view s, const std::vector<Span>& spans) {
    std::vector<std::string> out;
    for (const auto& sp : spans) out.emplace_back(s.substr(sp.begin, sp.size()));
    return out;
}
}  // namespace

TEST(Segmenter, ParagraphsAreNonBlankLinesTrimmed) {
    const std::string t = "  first line \n\n\t\nsecond\nthird  ";
    EXPECT_EQ(texts(t, Segmenter::paragraphs(t)), (std::vector<std::string>{"first line", "second", "third"}));
    EXPECT_TRUE(Segmenter::paragraphs("\n \n").empty());
}

TEST(Segmenter, SentencesOfTheArabicSeed) {
    const std::string ar = doppel::test::read_file(doppel::test::seed_path("ar-2024-hanoi-working-group.txt"));
    Segmenter seg;
    const auto paras = Segmenter::paragraphs(ar);
    const auto sents = seg.sentences(ar, "ar");
    EXPECT_EQ(paras.size(), 20u);
    // More sentences than lines: several Arabic lines hold two or more sentences.
    EXPECT_GT(sents.size(), paras.size());
    // Every sentence lies inside one paragraph, in order, and none is blank.
    std::size_t p = 0;
    uint32_t last_end = 0;
    for (const Span& s : sents) {
        while (p < paras.size() && paras[p].end < s.end) ++p;
        ASSERT_LT(p, paras.size());
        EXPECT_GE(s.begin, paras[p].begin);
        EXPECT_GE(s.begin, last_end);
        last_end = s.end;
    }
    // The first line is a caption with a parenthesis and a final '|': the sentence that ends
    // with "شوان سون)" is followed by its own piece.
    const auto first = texts(ar, seg.sentences(ar.substr(0, paras[0].end), "ar"));
    ASSERT_GE(first.size(), 1u);
    EXPECT_EQ(first[0].rfind("يلتقط المشاركون", 0), 0u);
    // Arabic full stop "." and question mark "؟" end sentences.
    const std::string two = "هذه جملة أولى. وهذه جملة ثانية؟ وثالثة";
    EXPECT_EQ(seg.sentences(two, "ar").size(), 3u);
}

TEST(Segmenter, WordsForSpacedScripts) {
    Segmenter seg;
    const std::string t = "Ông Doãn, 3.14 and 1,000 don't stop: «Wellington»!";
    EXPECT_EQ(texts(t, seg.words(t)),
              (std::vector<std::string>{"Ông", "Doãn", "3.14", "and", "1,000", "don't", "stop", "Wellington"}));
    const std::string ar = "في هانوي، 16 يوليو";
    EXPECT_EQ(texts(ar, seg.words(ar)), (std::vector<std::string>{"في", "هانوي", "16", "يوليو"}));
}

TEST(Segmenter, DictionaryWordBreaksForChineseJapaneseThai) {
    Segmenter seg;
    const std::string zh = "我们在北京开会";
    const auto zw = texts(zh, seg.words(zh));
    EXPECT_GE(zw.size(), 3u);
    EXPECT_NE(std::find(zw.begin(), zw.end(), "北京"), zw.end());
    const std::string th = "ภาษาไทยง่ายนิดเดียว";
    const auto tw = texts(th, seg.words(th));
    EXPECT_GE(tw.size(), 3u);
    EXPECT_EQ(tw[0], "ภาษา");
    const std::string ja = "東京都に住んでいます";
    EXPECT_GE(seg.words(ja).size(), 3u);
    // Mixed: Latin words around CJK keep their own tokens.
    const std::string mix = "Hanoi 会议 2024";
    const auto mw = texts(mix, seg.words(mix));
    EXPECT_EQ(mw.front(), "Hanoi");
    EXPECT_EQ(mw.back(), "2024");
}

// words() into a caller's vector gives what words() returns, whatever the vector held before
// (BridgeEmbedder reuses one from paragraph to paragraph).
TEST(Segmenter, WordsIntoAReusedVectorAreTheWordsReturned) {
    Segmenter seg;
    std::vector<Span> reused = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
    for (const std::string text :
         {"A longer line, with words and 1.5 numbers.", "short", "", "東京都に住む 人"}) {
        seg.words(text, &reused);
        const std::vector<Span> want = seg.words(text);
        ASSERT_EQ(reused.size(), want.size()) << text;
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(reused[i].begin, want[i].begin);
            EXPECT_EQ(reused[i].end, want[i].end);
        }
    }
}

// A run of dictionary script read before gets the words ICU found in it then, wherever it comes
// back (another text, another place, after Latin words): each text's words are those of its first
// reading, by a Segmenter that meanwhile read other runs and, past its memo's 4 MiB of runs,
// started afresh; a run too long to keep (over 4,096 bytes) is read each time.
TEST(Segmenter, ARunOfDictionaryScriptThatComesBackGetsTheWordsFoundTheFirstTime) {
    Segmenter seg;
    std::mt19937 rng(3);
    const std::vector<std::string> pieces = {"中",   "文",   "会", "议", "北京",   "开",
                                             "日本", "語",   "の", "は", "東京",   "タイ",
                                             "ไทย",  "ภาษา", "。", " ",  "Hanoi ", "2024"};
    auto make = [&](std::size_t n) {
        std::string s;
        while (s.size() < n) s += pieces[rng() % pieces.size()];
        return s;
    };
    std::vector<std::string> seen;
    std::vector<std::vector<Span>> first;
    for (int i = 0; i < 300; ++i) {
        seen.push_back(make(5 + rng() % 90));
        first.push_back(seg.words(seen.back()));
    }
    seen.push_back(std::string(5000, ' ') + make(4500));  // long runs among it
    first.push_back(seg.words(seen.back()));
    auto same_again = [&](const char* when) {
        for (std::size_t i = 0; i < seen.size(); ++i) {
            ASSERT_EQ(seg.words(seen[i]), first[i]) << when << ": text " << i;
            // Moved: after Latin words, the same words further on.
            std::vector<Span> moved = seg.words("Latin words " + seen[i]);
            ASSERT_GE(moved.size(), 2u + first[i].size());
            moved.erase(moved.begin(), moved.begin() + 2);
            for (Span& s : moved) s.begin -= 12, s.end -= 12;
            ASSERT_EQ(moved, first[i]) << when << ": text " << i << " moved";
        }
    };
    same_again("kept");
    for (int i = 0; i < 1200; ++i) seg.words(make(3900));  // about 4.6 MiB of runs of up to 4 KiB
    same_again("after the memo started afresh");
}
