// BridgeLexicon: loading a tiny lexicon written here in the documented format, phrase matching,
// format checks; and the real models/bridge.lex when it has been built.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <span>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/error.h"
#include "support/test_support.h"
#include "support/tiny_lexicon.h"

namespace doppel {
namespace {

using test::tiny_lexicon;

TEST(BridgeLexicon, LooksUpStemmedWordsAndPhrases) {
    test::TempDir dir("lexicon");
    Stemmer stem;
    // German keys are stemmed: "sitzung" is its own stem, "arbeitsgruppen" -> "arbeitsgrupp".
    std::string sitz = stem.stem("de", "sitzung");
    std::string grupp = stem.stem("de", "arbeitsgruppen");
    test::write_file(dir / "t.lex",
                     tiny_lexicon({"meet", "session", "work", "group", "hanoi"},
                                  {{"de\t" + sitz, {0, 1}},
                                   {"de\t" + grupp, {2, 3}},
                                   {"vi\thà nội", {4}},
                                   {"ja\t会議", {0}}}));
    BridgeLexicon lex(dir / "t.lex");
    EXPECT_EQ(lex.concept_count(), 5u);
    EXPECT_EQ(lex.key_count(), 4u);
    EXPECT_TRUE(lex.has_language("de"));
    EXPECT_FALSE(lex.has_language("fr"));

    auto c = lex.lookup_word("de", "sitzungen", stem);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(lex.concept_name(c[0]), "meet");
    EXPECT_EQ(lex.concept_name(c[1]), "session");
    EXPECT_TRUE(lex.lookup_word("de", "tisch", stem).empty());

    // Phrases: Vietnamese syllables joined by a space, Japanese words joined without one.
    std::vector<std::string_view> vi = {"họp", "ở", "hà", "nội"};
    auto m = lex.match("vi", vi, stem);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].first, 2u);
    EXPECT_EQ(m[0].count, 2u);
    EXPECT_EQ(lex.concept_name(m[0].concepts[0]), "hanoi");
    std::vector<std::string_view> ja = {"会", "議"};
    m = lex.match("ja", ja, stem);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].count, 2u);
    EXPECT_EQ(lex.describe(), "bridge.lex:v1:0123456789ab");
}

// match() searches each position's phrases within the keys that begin with its first word, with
// or without a memo of the words read before: the same matches as looking every phrase up in the whole lexicon, longest first, on keys that share
// prefixes (a word that begins other keys, a phrase whose first word is not a key, neighbouring
// languages, CJK words joined without a space).
TEST(BridgeLexicon, MatchAgreesWithLookingUpEachPhrase) {
    test::TempDir dir("lexicon-match");
    const std::map<std::string, std::vector<uint32_t>> entries = {
        {"xw\ta", {0}},      {"xx\ta", {0}},        {"xx\ta b", {1}},   {"xx\ta b c d", {2}},
        {"xx\tab", {3}},     {"xx\tabc b", {4}},    {"xx\tb c", {5}},   {"xx\td", {0, 1}},
        {"xx\t会議", {6}},  {"xx\t会", {7}},      {"xy\ta b", {1}},   {"xx\tc d a b", {2}}};
    test::write_file(dir / "t.lex", tiny_lexicon({"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}, entries));
    BridgeLexicon lex(dir / "t.lex");
    Stemmer stem;  // "xx" has no stemmer: words are their own keys
    const std::vector<std::string_view> vocabulary = {"a", "ab", "abc", "b", "c", "d", "e", "会", "議"};
    std::mt19937 rng(7);
    BridgeLexicon::WordMemo memo;  // kept across trials, as a worker keeps it
    for (int trial = 0; trial < 400; ++trial) {
        std::vector<std::string_view> words(1 + rng() % 12);
        for (auto& w : words) w = vocabulary[rng() % vocabulary.size()];
        std::vector<LexiconMatch> want;
        for (std::size_t i = 0; i < words.size();) {
            std::size_t best = 0;
            for (std::size_t n = std::min<std::size_t>(BridgeLexicon::kMaxKeyWords, words.size() - i); n >= 1 && !best; --n) {
                auto c = lex.lookup("xx", BridgeLexicon::make_key("xx", std::span(words).subspan(i, n), stem));
                if (!c.empty()) {
                    best = n;
                    want.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(n), c});
                }
            }
            i += std::max<std::size_t>(best, 1);
        }
        for (BridgeLexicon::WordMemo* m : {static_cast<BridgeLexicon::WordMemo*>(nullptr), &memo}) {
            const std::vector<LexiconMatch> got = lex.match("xx", words, stem, m);
            ASSERT_EQ(got.size(), want.size()) << "trial " << trial;
            for (std::size_t k = 0; k < got.size(); ++k) {
                EXPECT_EQ(got[k].first, want[k].first);
                EXPECT_EQ(got[k].count, want[k].count);
                EXPECT_EQ(got[k].concepts.data(), want[k].concepts.data());
            }
        }
    }
    EXPECT_FALSE(lex.match("xx", std::vector<std::string_view>{"a", "b", "c", "d"}, stem).empty());
    EXPECT_EQ(lex.match("xx", std::vector<std::string_view>{"a", "b", "c", "d"}, stem)[0].count, 4u);
    EXPECT_TRUE(lex.match("xz", std::vector<std::string_view>{"a", "b"}, stem).empty());
}

TEST(BridgeLexicon, ACallOfMoreWordsThanTheMemoHoldsMatchesWithoutIt) {
    test::TempDir dir("lexicon-memo-full");
    test::write_file(dir / "t.lex", tiny_lexicon({"c0", "c1"}, {{"xx\ta", {0}}, {"xx\tb c", {1}}}));
    BridgeLexicon lex(dir / "t.lex");
    Stemmer stem;
    // More distinct words than the memo holds: it fills in this one call (before, the call
    // started again with the emptied memo, filled it again, and never ended).
    std::vector<std::string> owned;
    owned.reserve(BridgeLexicon::WordMemo::kMaxWords + 10);
    for (std::size_t i = 0; i < BridgeLexicon::WordMemo::kMaxWords + 10; ++i)
        owned.push_back("w" + std::to_string(i));
    owned.insert(owned.end(), {"a", "b", "c"});
    const std::vector<std::string_view> words(owned.begin(), owned.end());
    BridgeLexicon::WordMemo memo;
    const std::vector<LexiconMatch> got = lex.match("xx", words, stem, &memo);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].first, words.size() - 3);
    EXPECT_EQ(got[1].count, 2u);
    EXPECT_EQ(lex.match("xx", std::vector<std::string_view>{"b", "c"}, stem, &memo).size(),
              1u);  // still usable
}

TEST(BridgeLexicon, RejectsBadFiles) {
    test::TempDir dir("lexicon-bad");
    test::write_file(dir / "v2.lex", tiny_lexicon({"a"}, {{"de\tx", {0}}}, 2));
    try {
        BridgeLexicon lex(dir / "v2.lex");
        FAIL() << "format version 2 accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("format version 2"), std::string::npos) << e.what();
    }
    test::write_file(dir / "magic.lex", "XXXX" + tiny_lexicon({"a"}, {{"de\tx", {0}}}).substr(4));
    EXPECT_THROW(BridgeLexicon(dir / "magic.lex"), Error);
    std::string good = tiny_lexicon({"a"}, {{"de\tx", {0}}});
    test::write_file(dir / "short.lex", good.substr(0, good.size() - 6));
    EXPECT_THROW(BridgeLexicon(dir / "short.lex"), Error);
    EXPECT_THROW(BridgeLexicon(dir / "missing.lex"), Error);
}

// A damaged table inside a well-formed file: the look-up that reads it throws kBadFormat, naming
// the file, and nothing is read past the table (the sanitizer build runs this too).
TEST(BridgeLexicon, LookupsOfADamagedTableThrow) {
    test::TempDir dir("lexicon-damaged");
    auto expect_damaged = [](const BridgeLexicon& lex) {
        try {
            (void)lex.lookup("de", "x");
            FAIL() << "a damaged table was read";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::kBadFormat);
            EXPECT_NE(std::string(e.what()).find("damaged file"), std::string::npos) << e.what();
        }
    };
    test::write_file(dir / "range.lex", tiny_lexicon({"a"}, {{"de\tx", {7}}}));
    BridgeLexicon range(dir / "range.lex");  // loading reads no table
    expect_damaged(range);
    // The file's parts (bridge_lexicon.h): magic, version, header length and header; the concepts'
    // count, offsets and bytes ("a", padded to 4); the keys' count, offsets, bytes ("de\tx"); the
    // values' offsets.
    const std::string good = tiny_lexicon({"a"}, {{"de\tx", {0}}});
    uint32_t header = 0;
    std::memcpy(&header, good.data() + 8, 4);
    const std::size_t key_offsets = 12 + header + 4 + 8 + 4 + 4, value_offsets = key_offsets + 8 + 4;
    auto with = [&](std::size_t at, uint32_t v) {
        std::string bad = good;
        std::memcpy(bad.data() + at, &v, 4);
        return bad;
    };
    test::write_file(dir / "keys.lex", with(key_offsets, 100));  // the key's begin past its end
    expect_damaged(BridgeLexicon(dir / "keys.lex"));
    test::write_file(dir / "values.lex", with(value_offsets, 5));  // the values' begin past their end
    expect_damaged(BridgeLexicon(dir / "values.lex"));
    EXPECT_THROW((void)BridgeLexicon(dir / "keys.lex").has_language("de"), Error);
    EXPECT_EQ(BridgeLexicon(dir / "values.lex").key_count(), 1u);
    test::write_file(dir / "good.lex", good);
    ASSERT_EQ(BridgeLexicon(dir / "good.lex").lookup("de", "x").size(), 1u);  // the offsets above are right
}

TEST(BridgeLexicon, RealModelBridgesSeedWords) {
    const std::string path = test::source_dir() + "/models/bridge.lex";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "models/bridge.lex not built (scripts/build-bridge)";
    BridgeLexicon lex(path);
    Stemmer stem;
    auto reaches = [&](const char* lang, const char* word, const char* want) {
        for (uint32_t id : lex.lookup_word(lang, word, stem))
            if (lex.concept_name(id) == want) return true;
        return false;
    };
    EXPECT_TRUE(reaches("de", "sitzung", "session"));
    EXPECT_TRUE(reaches("fr", "pays", "countri"));
    EXPECT_TRUE(reaches("ar", "اجتماع", "meet"));
    std::vector<std::string_view> vi = {"một", "hội", "nghị"};
    auto m = lex.match("vi", vi, stem);
    bool conference = false;
    for (auto& x : m)
        for (uint32_t id : x.concepts) conference |= lex.concept_name(id) == "confer";
    EXPECT_TRUE(conference);
    EXPECT_NE(lex.header_json().find("tratu"), std::string::npos);
}

}  // namespace
}  // namespace doppel
