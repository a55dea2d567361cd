#include <gtest/gtest.h>

#include <algorithm>

#include "doppel/error.h"
#include "doppel/ops/indexer.h"
#include "doppel/langid/language_identifier.h"
#include "support/test_support.h"

using doppel::AnalyzedDocument;
using doppel::LanguageIdentifier;

namespace {
const LanguageIdentifier& lid() {
    static LanguageIdentifier model(doppel::test::lid_model());
    return model;
}

AnalyzedDocument analyze_seed(const std::string& name) {
    AnalyzedDocument d;
    d.doc.text = doppel::test::read_file(doppel::test::seed_path(name));
    lid().analyze(&d);
    return d;
}
}  // namespace

TEST(LanguageIdentifier, EachSeedHasItsLanguage) {
    EXPECT_EQ(analyze_seed("vi-2019-bali-process-som14.txt").lang, "vi");
    EXPECT_EQ(analyze_seed("vi-2019-gcm-central-region.txt").lang, "vi");
    EXPECT_EQ(analyze_seed("vi-2024-nz-interview-ben-quinn.txt").lang, "vi");
    const auto ar = analyze_seed("ar-2024-hanoi-working-group.txt");
    EXPECT_EQ(ar.lang, "ar");
    EXPECT_GT(ar.lang_confidence, 0.9f);
    EXPECT_EQ(analyze_seed("en-2024-hanoi-working-group.txt").lang, "en");
}

TEST(LanguageIdentifier, VietnameseCaptionsInsideTheEnglishSeed) {
    const auto en = analyze_seed("en-2024-hanoi-working-group.txt");
    EXPECT_NE(std::find(en.other_languages.begin(), en.other_languages.end(), "vi"), en.other_languages.end());
    // The caption paragraph itself is Vietnamese, the English caption next to it English.
    const std::string& t = en.doc.text;
    bool saw_vi_caption = false, saw_en_caption = false;
    for (const auto& p : en.paragraphs) {
        const std::string s = t.substr(p.span.begin, p.span.size());
        if (s.rfind("Ông Doãn Hoàng Minh, Cục trưởng", 0) == 0) {
            EXPECT_EQ(p.lang, "vi");
            EXPECT_FALSE(p.lang_inherited);
            saw_vi_caption = true;
        }
        if (s.rfind("Mr. Doan Hoang Minh, Director of the Consular Department, Ministry of Foreign Affairs, delivered", 0) == 0) {
            EXPECT_EQ(p.lang, "en");
            saw_en_caption = true;
        }
    }
    EXPECT_TRUE(saw_vi_caption);
    EXPECT_TRUE(saw_en_caption);
}

TEST(LanguageIdentifier, ShortLinesInheritTheDocumentLanguage) {
    AnalyzedDocument d;
    d.doc.text = "This is a longer English paragraph about the meeting in Hanoi last July.\nComment (0)\n";
    lid().analyze(&d);
    ASSERT_EQ(d.paragraphs.size(), 2u);
    EXPECT_EQ(d.paragraphs[1].lang, "en");
    EXPECT_TRUE(d.paragraphs[1].lang_inherited);
    EXPECT_TRUE(d.other_languages.empty());
}

TEST(LanguageIdentifier, SentencesInManyScripts) {
    EXPECT_EQ(lid().identify("Das ist ein kurzer deutscher Satz über das Wetter.").lang, "de");
    EXPECT_EQ(lid().identify("Ceci est une phrase française sur la météo.").lang, "fr");
    EXPECT_EQ(lid().identify("これは天気についての日本語の文です。").lang, "ja");
    EXPECT_EQ(lid().identify("Hội nghị diễn ra tại Hà Nội trong ba ngày.").lang, "vi");
}

TEST(LanguageIdentifier, MissingModelIsAClearError) {
    try {
        LanguageIdentifier bad("/nonexistent/lid.176.ftz");
        FAIL() << "expected an error";
    } catch (const doppel::Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/lid.176.ftz"), std::string::npos);
    }
}

TEST(Indexer, ContentHashIsStableAndSensitive) {
    EXPECT_EQ(doppel::content_hash("abc"), doppel::content_hash("abc"));
    EXPECT_NE(doppel::content_hash("abc"), doppel::content_hash("abd"));
    EXPECT_EQ(doppel::content_hash("abc").size(), 32u);
}
