// BridgeLexicon: loading a tiny lexicon written here in the documented format, phrase matching,
// format checks; and the real models/bridge.lex when it has been built.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/error.h"
#include "support/test_support.h"

namespace doppel {
namespace {

void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void pad(std::string& s, char c) {
    while (s.size() % 4) s.push_back(c);
}

// Writes a lexicon with the given concepts and (lang\tkey -> concept ids) entries.
std::string tiny_lexicon(const std::vector<std::string>& concepts,
                         const std::map<std::string, std::vector<uint32_t>>& entries,
                         uint32_t version = BridgeLexicon::kFormatVersion) {
    std::string s(BridgeLexicon::kMagic, 4);
    put32(s, version);
    std::string hdr = R"({"fingerprint": "0123456789abcdef", "format": 1})";
    while ((hdr.size()) % 4) hdr.push_back(' ');
    put32(s, static_cast<uint32_t>(hdr.size()));
    s += hdr;
    auto block = [&](const std::vector<std::string>& items) {
        uint32_t pos = 0;
        for (auto& i : items) {
            put32(s, pos);
            pos += static_cast<uint32_t>(i.size());
        }
        put32(s, pos);
        for (auto& i : items) s += i;
        pad(s, '\0');
    };
    put32(s, static_cast<uint32_t>(concepts.size()));
    block(concepts);
    std::vector<std::string> keys;
    for (auto& [k, v] : entries) keys.push_back(k);  // std::map: sorted bytewise
    put32(s, static_cast<uint32_t>(keys.size()));
    block(keys);
    uint32_t n = 0;
    put32(s, 0);
    for (auto& [k, v] : entries) put32(s, n += static_cast<uint32_t>(v.size()));
    for (auto& [k, v] : entries)
        for (uint32_t id : v) put32(s, id);
    return s;
}

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
    test::write_file(dir / "range.lex", tiny_lexicon({"a"}, {{"de\tx", {7}}}));
    EXPECT_THROW(BridgeLexicon(dir / "range.lex"), Error);
    EXPECT_THROW(BridgeLexicon(dir / "missing.lex"), Error);
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
