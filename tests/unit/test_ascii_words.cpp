// impl/ascii_words.h: the 64-bytes-at-a-time word scanner finds the words the byte loop finds,
// on random text made of the characters the rule is about (digits, '.', ',', apostrophes, '_'),
// with words and joiners across every block boundary, and at the text's end.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "impl/ascii_words.h"

using doppel::impl::for_each_lower_ascii_word;
using doppel::impl::for_each_lower_ascii_word_bytewise;

namespace {

using Words = std::vector<std::pair<std::size_t, std::size_t>>;

Words blockwise(const std::string& s) {
    Words w;
    for_each_lower_ascii_word(s, [&](std::size_t b, std::size_t e) { w.emplace_back(b, e); });
    return w;
}

Words bytewise(const std::string& s) {
    Words w;
    for_each_lower_ascii_word_bytewise(s, [&](std::size_t b, std::size_t e) { w.emplace_back(b, e); });
    return w;
}

}  // namespace

TEST(AsciiWords, JoinersFollowTheRule) {
    const std::string s = "it's 3.14, or 1,000 -- u.s. 2.0. x'y 'q' end' 7'a a_b a''b 1..2 _'x";
    // it's 3.14 or 1,000 u s 2.0 x'y q end 7 a a_b a b 1 2 _'x
    const Words expected = {{0, 4},   {5, 9},   {11, 13}, {14, 19}, {23, 24}, {25, 26},
                            {28, 31}, {33, 36}, {38, 39}, {41, 44}, {46, 47}, {48, 49},
                            {50, 53}, {54, 55}, {57, 58}, {59, 60}, {62, 63}, {64, 67}};
    EXPECT_EQ(bytewise(s), expected);
    EXPECT_EQ(blockwise(s), expected);
}

TEST(AsciiWords, BlockwiseEqualsBytewiseOnRandomText) {
    const std::string alphabet = "ab09_.,' -\n";
    std::mt19937 rng(12);
    for (int round = 0; round < 4000; ++round) {
        std::string s(rng() % 300, ' ');
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        ASSERT_EQ(blockwise(s), bytewise(s)) << s;
    }
}

TEST(AsciiWords, WordsAndJoinersAcrossBlockBoundaries) {
    for (std::size_t at = 56; at < 72; ++at)
        for (const std::string piece : {"1.5", "1,5", "a'b", "abcdefgh", "9'x", "x'9", "1.", "a'"}) {
            std::string s(at, ' ');
            s += piece;
            for (const std::string& t : {s, s + " ", s + std::string(70, 'z')})
                ASSERT_EQ(blockwise(t), bytewise(t)) << at << " " << t;
        }
    EXPECT_TRUE(blockwise("").empty());
    EXPECT_EQ(blockwise(std::string(128, 'a')), (Words{{0, 128}}));
}
