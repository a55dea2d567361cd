// doppel lexicon build: an entries file with one bad line gives a lexicon of the good lines
// (found by BridgeLexicon), a "PATH:LINE: reason" message and exit code 1; the header keeps the
// extractor's fingerprint and inputs.
#include <gtest/gtest.h>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/normalize/text_keys.h"
#include "support/test_support.h"

namespace doppel {
namespace {

TEST(LexiconBuild, WritesALexiconAndReportsBadLines) {
    test::TempDir dir("lexicon_build");
    test::write_file(dir / "e.tsv",
                     "#doppel-lexicon-entries 1\n"
                     "de\tSitzungen\tmeeting\t1\n"
                     "vi\thà nội\tHanoi\t2\n"
                     "ja\t会議\tmeeting\tmany\n");
    test::write_file(dir / "h.json", R"({"fingerprint": "0123456789abcdef", "inputs": [{"name": "t"}]})");
    const auto r = test::run_doppel("lexicon build --entries '" + (dir / "e.tsv") + "' --out '" + (dir / "b.lex") +
                                    "' --header-json '" + (dir / "h.json") + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(dir / "e.tsv" + ":4: weight must be a positive number"), std::string::npos) << r.err;

    BridgeLexicon lex(dir / "b.lex");
    Stemmer stemmer;
    // "sitzung", "hà nội" and its syllables "hà", "nội", and the Korean loanword key of
    // "meeting" (the name Hanoi has none)
    EXPECT_EQ(lex.key_count(), 5u);
    EXPECT_FALSE(lex.lookup(BridgeLexicon::kKoreanLoanwords, english_loanword_key("meeting")).empty());
    ASSERT_EQ(lex.lookup_word("de", "sitzung", stemmer).size(), 1u);
    EXPECT_EQ(lex.concept_name(lex.lookup_word("de", "sitzung", stemmer)[0]), "meet");
    EXPECT_FALSE(lex.lookup("vi", "hà nội").empty());
    EXPECT_FALSE(lex.has_language("ja"));
    EXPECT_EQ(lex.describe(), "bridge.lex:v1:0123456789ab");
    EXPECT_NE(lex.header_json().find("\"inputs\":[{\"name\":\"t\"}]"), std::string::npos) << lex.header_json();
}

}  // namespace
}  // namespace doppel
