// LexiconBuilder: a lexicon built from sample entries (Latin with stemming, Arabic, Vietnamese,
// Chinese, Japanese, Thai, a phrase too long for a key) is loaded with BridgeLexicon, and every
// key written is found through the path the embedder looks text up by (normalize, segment,
// BridgeLexicon::match); entries files report bad lines as PATH:LINE and skip them.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/embed/lexicon_builder.h"
#include "doppel/error.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"
#include "support/test_support.h"

namespace doppel {
namespace {

const std::vector<LexiconEntry> kSamples = {
    {"de", "Sitzungen", "meeting", 1.0},
    {"de", "Sitzung", "session", 0.5},
    {"de", "Arbeitsgruppe", "working group", 1.0},
    {"de", "Vertrag von Lissabon", "Treaty of Lisbon", 2.0},
    {"ar", "اجتماع", "meeting", 1.0},
    {"ar", "الأمم المتحدة", "United Nations", 2.0},
    {"vi", "sự giúp đỡ", "help", 1.0},
    {"vi", "trợ giúp", "help", 1.0},
    {"vi", "thành phố Hà Nội", "Hanoi City", 2.0},
    {"zh", "会议室", "meeting room", 1.0},
    {"zh", "中华人民共和国", "People's Republic of China", 2.0},
    {"ja", "会議", "meeting", 1.0},
    {"ja", "ありがとう", "thank you", 1.0},
    {"ja", "東京都庁", "Tokyo Metropolitan Government", 2.0},
    {"th", "การประชุม", "meeting", 1.0},
    {"th", "ประเทศไทย", "Thailand", 2.0},
    {"de", "das ist ein sehr langer Satz hier", "sentence", 1.0},   // 7 words: no key
    {"zh", "我们今天在会议室里开会讨论这个问题", "discussion", 1.0},  // many ICU words: no key
    {"ja", "ありがとうございます", "thank you", 1.0},  // 5 ICU words: no key
    {"de", "x", "ex", 1.0},                                         // one Latin letter: no key
    {"de", "Haus", "the of", 1.0},                                  // only stop words: no concept
};

// Phrases whose keys the Vietnamese rules add ("sự giúp đỡ" -> "giúp đỡ" -> each syllable, "trợ giúp" -> each
// syllable).
const std::vector<std::pair<std::string, std::string>> kDerived = {
    {"vi", "giúp đỡ"}, {"vi", "đỡ"}, {"vi", "trợ"}, {"vi", "giúp"}};

// The lexicon's concepts for a phrase looked up as the embedder looks up text: normalized,
// split into words, matched; empty unless one match covers all the phrase's words.
std::vector<std::string> find(const BridgeLexicon& lex, const std::string& lang, const std::string& phrase) {
    Normalizer normalizer;
    Segmenter segmenter;
    Stemmer stemmer;
    const std::string text = normalizer.normalize_text(phrase);
    std::vector<std::string_view> words;
    for (auto sp : segmenter.words(text)) words.emplace_back(text.data() + sp.begin, sp.size());
    const auto matches = lex.match(lang, words, stemmer);
    std::vector<std::string> out;
    if (matches.size() != 1 || matches[0].first != 0 || matches[0].count != words.size()) return out;
    for (uint32_t c : matches[0].concepts) out.emplace_back(lex.concept_name(c));
    return out;
}

class LexiconBuilderTest : public ::testing::Test {
protected:
    void SetUp() override {
        builder.add(kSamples);
        summary = builder.write(dir / "bridge.lex", R"({"fingerprint": "feedfacecafe0123", "inputs": []})");
    }
    test::TempDir dir{"lexicon_builder"};
    LexiconBuilder builder;
    LexiconBuildSummary summary;
};

TEST_F(LexiconBuilderTest, EveryKeyWrittenIsFoundByTheEmbeddersLookup) {
    BridgeLexicon lex(dir / "bridge.lex");
    std::set<std::string> keys;
    for (const auto& e : kSamples) {
        const std::string key = builder.key_of(e.lang, e.phrase);
        if (key.empty() || e.phrase == "Haus") continue;  // no key, or no concept
        keys.insert(e.lang + "\t" + key);
        EXPECT_FALSE(find(lex, e.lang, e.phrase).empty()) << e.lang << " '" << e.phrase << "' (key '" << key << "')";
    }
    for (const auto& [lang, phrase] : kDerived) {
        const std::string key = builder.key_of(lang, phrase);
        ASSERT_FALSE(key.empty()) << phrase;
        keys.insert(lang + "\t" + key);
        EXPECT_FALSE(find(lex, lang, phrase).empty()) << lang << " '" << phrase << "'";
    }
    // Every key of the file is one of those or a Korean loanword key of a one-word English side
    // ("meeting" -> "mtN", "help" -> "hlp", ...), so every key written was found.
    const std::size_t loanword_keys = summary.keys_per_language.at(std::string(BridgeLexicon::kKoreanLoanwords));
    EXPECT_EQ(loanword_keys, 6u);  // meeting, session, help, sentence, discussion, ex (not the name Thailand)
    EXPECT_EQ(lex.key_count(), keys.size() + loanword_keys);
    EXPECT_EQ(summary.keys, keys.size() + loanword_keys);
    EXPECT_EQ(summary.keys_per_language.at("ja"), 3u);
}

TEST_F(LexiconBuilderTest, KeysFollowTheLookupRules) {
    // German is stemmed: "Sitzungen" and "Sitzung" share one key.
    EXPECT_EQ(builder.key_of("de", "Sitzungen"), builder.key_of("de", "Sitzung"));
    // Chinese is looked up in Simplified characters.
    EXPECT_EQ(builder.key_of("zh", "會議室"), builder.key_of("zh", "会议室"));
    // CJK words ICU splits apart are joined without spaces.
    EXPECT_EQ(builder.key_of("ja", "東京都庁"), "東京都庁");
    EXPECT_EQ(builder.key_of("th", "การประชุม"), "การประชุม");
    // More words than a key may hold, or one Latin letter: no key.
    EXPECT_EQ(builder.key_of("de", "das ist ein sehr langer Satz hier"), "");
    EXPECT_EQ(builder.key_of("zh", "我们今天在会议室里开会讨论这个问题"), "");
    EXPECT_EQ(builder.key_of("ja", "ありがとうございます"), "");  // ICU: 5 words
    EXPECT_EQ(builder.key_of("de", "x"), "");
    EXPECT_EQ(builder.entries_added(), kSamples.size());
    EXPECT_EQ(builder.entries_unused(), 5u);
}

TEST(LexiconBuilder, KoreanKeysDropParticlesAndEndings) {
    // Korean has no Snowball stemmer: the stemmer's own rule strips particles and the endings of
    // noun + 하다/되다 verbs while two syllables stay, for keys and lookup alike.
    LexiconBuilder b;
    EXPECT_EQ(b.key_of("ko", "문서를"), "문서");
    EXPECT_EQ(b.key_of("ko", "문서에서는"), "문서");
    EXPECT_EQ(b.key_of("ko", "선택하십시오"), "선택");
    EXPECT_EQ(b.key_of("ko", "선택된"), "선택");
    EXPECT_EQ(b.key_of("ko", "파일들을"), "파일");
    EXPECT_EQ(b.key_of("ko", "추가가"), "추가");
    EXPECT_EQ(b.key_of("ko", "추가"), "추가");  // two syllables stay whole
    EXPECT_EQ(b.key_of("ko", "문서 삽입"), "문서 삽입");
}

TEST_F(LexiconBuilderTest, RanksConceptsByWeight) {
    BridgeLexicon lex(dir / "bridge.lex");
    const auto de = find(lex, "de", "Sitzungen");
    ASSERT_EQ(de.size(), 2u);
    EXPECT_EQ(de[0], "meet");  // weight 1 beats "session" at 0.5
    EXPECT_EQ(de[1], "session");
    EXPECT_EQ(find(lex, "vi", "giúp đỡ"), std::vector<std::string>{"help"});
    EXPECT_EQ(find(lex, "ar", "الامم المتحده"), (std::vector<std::string>{"nation", "unit"}));  // a tie: by name
    EXPECT_EQ(lex.describe(), "bridge.lex:v1:feedfacecafe");
    EXPECT_NE(lex.header_json().find("\"builder\":\"lexicon:max_concepts=8"), std::string::npos);
}

// Coverage: content words a phrase covers, over content words (numbers and one-letter words
// left out), Chinese read in Simplified characters.
TEST_F(LexiconBuilderTest, CoverageCountsContentWordsAPhraseCovers) {
    BridgeLexicon lex(dir / "bridge.lex");
    LexiconCoverageCounter counter(lex);
    LexiconCoverage de;
    counter.add("de", "Die Sitzungen der Arbeitsgruppe, 2024 x", de);
    EXPECT_EQ(de.words, 4u);  // die, sitzungen, der, arbeitsgruppe
    EXPECT_EQ(de.covered, 2u);
    EXPECT_DOUBLE_EQ(de.share(), 0.5);
    counter.add("de", "Vertrag von Lissabon", de);  // one phrase of three words
    EXPECT_EQ(de.words, 7u);
    EXPECT_EQ(de.covered, 5u);
    LexiconCoverage zh;
    counter.add("zh", "會議室", zh);  // Traditional, found in Simplified
    EXPECT_GE(zh.words, 1u);
    EXPECT_EQ(zh.covered, zh.words);
    LexiconCoverage none;
    counter.add("ko", "회의실 회의", none);
    EXPECT_EQ(none.covered, 0u);
    EXPECT_EQ(none.share(), 0.0);
}

// English words of the entries reach Hangul spellings of them through the loanword table,
// common words (more entries) first; the embedder and the coverage count find them.
TEST(LexiconBuilder, KoreanLoanwordsReachTheirEnglishConcepts) {
    test::TempDir dir("lexicon_loanwords");
    const std::vector<LexiconEntry> entries = {
        {"de", "Maus", "mouse", 1.0},    {"fr", "souris", "mouse", 1.0}, {"de", "Moos", "moss", 1.0},
        {"de", "Knopf", "button", 1.0},  {"de", "Diener", "server", 1.0}, {"de", "Tisch", "table", 1.0},
        {"de", "Zelle", "cell", 1.0},    {"de", "Polen", "Poland", 2.0},  // a name: no loanword key
        {"de", "Tisch", "a small table", 1.0},  // two content words: no loanword key
    };
    LexiconBuilder builder(LexiconBuilderOptions::parse_spec("lexicon:loanword_concepts=2"));
    builder.add(entries);
    builder.write(dir / "bridge.lex");
    BridgeLexicon lex(dir / "bridge.lex");
    auto names = [&](std::span<const uint32_t> ids) {
        std::vector<std::string> out;
        for (uint32_t c : ids) out.emplace_back(lex.concept_name(c));
        return out;
    };
    EXPECT_EQ(names(lex.lookup_korean_loanword("마우스")), (std::vector<std::string>{"mous", "moss"}));
    EXPECT_EQ(names(lex.lookup_korean_loanword("버튼")), std::vector<std::string>{"button"});
    EXPECT_EQ(names(lex.lookup_korean_loanword("서버")), std::vector<std::string>{"server"});
    EXPECT_EQ(names(lex.lookup_korean_loanword("테이블")), std::vector<std::string>{"tabl"});
    EXPECT_EQ(names(lex.lookup_korean_loanword("셀을")), std::vector<std::string>{"cell"});  // one syllable stays
    EXPECT_TRUE(lex.lookup_korean_loanword("폴란드").empty());
    EXPECT_TRUE(lex.lookup_korean_loanword("문서").empty());
    EXPECT_TRUE(lex.lookup_korean_loanword("mouse").empty());  // not Hangul
    EXPECT_FALSE(lex.has_language("ko"));

    LexiconCoverageCounter counter(lex);
    LexiconCoverage ko;
    counter.add("ko", "마우스를 버튼 문서", ko);  // particle stripped, as the embedder reads it
    EXPECT_EQ(ko.words, 3u);
    EXPECT_EQ(ko.covered, 2u);

    LexiconBuilder none(LexiconBuilderOptions::parse_spec("lexicon:loanword_concepts=0"));
    none.add(entries);
    none.write(dir / "none.lex");
    EXPECT_TRUE(BridgeLexicon(dir / "none.lex").lookup_korean_loanword("마우스").empty());
}

TEST(LexiconBuilder, EntriesFileReportsBadLinesAndSkipsThem) {
    test::TempDir dir("lexicon_entries");
    test::write_file(dir / "e.tsv",
                     "#doppel-lexicon-entries 1\n"
                     "de\tSitzung\tmeeting\t1\n"
                     "de\tSitzung\tmeeting\n"
                     "vi\tgiúp\thelp\t-1\n"
                     "# a comment\n"
                     "\n"
                     "vi\ttrợ giúp\thelp\t0.5\t2\n");
    std::vector<LexiconEntry> got;
    std::vector<RecordError> errors;
    const std::size_t n = read_lexicon_entries(
        dir / "e.tsv", [&](std::span<const LexiconEntry> b) { got.insert(got.end(), b.begin(), b.end()); }, errors, 1);
    EXPECT_EQ(n, 2u);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].phrase, "trợ giúp");
    EXPECT_EQ(got[1].weight, 0.5);
    EXPECT_EQ(got[1].max_concepts, 2u);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].to_string(), dir / "e.tsv" + ":3: expected 4 or 5 tab-separated fields, got 3");
    EXPECT_EQ(errors[1].line, 4u);

    test::write_file(dir / "old.tsv", "#doppel-lexicon-entries 7\n");
    EXPECT_THROW(read_lexicon_entries(dir / "old.tsv", [](auto) {}, errors), Error);
    test::write_file(dir / "none.tsv", "de\tSitzung\tmeeting\t1\n");
    EXPECT_THROW(read_lexicon_entries(dir / "none.tsv", [](auto) {}, errors), Error);
}

TEST(LexiconBuilder, OptionsSpecRoundTrips) {
    const auto o = LexiconBuilderOptions::parse_spec("lexicon:max_concepts=4,prior=0.25");
    EXPECT_EQ(o.max_concepts, 4u);
    EXPECT_EQ(o.describe(), "lexicon:max_concepts=4,prior=0.25,max_english_words=3,loanword_concepts=16");
    EXPECT_EQ(LexiconBuilderOptions::parse_spec(o.describe()).describe(), o.describe());
    EXPECT_THROW(LexiconBuilderOptions::parse_spec("lexicon:bogus=1"), Error);
}

}  // namespace
}  // namespace doppel
