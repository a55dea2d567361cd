// The documents table's paragraphs column (store/paragraphs_json.h): the hand-written encoder
// writes exactly what nlohmann::json's dump() wrote for the same paragraphs, and reads back.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "store/paragraphs_json.h"

namespace doppel {
namespace {

// The column as it was written before the hand-written encoder.
std::string nlohmann_json(const std::vector<Paragraph>& ps) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : ps) j.push_back({p.span.begin, p.span.end, p.lang, p.lang_confidence, p.lang_inherited});
    return j.dump();
}

Paragraph paragraph(uint32_t begin, uint32_t end, std::string lang, float confidence, bool inherited) {
    Paragraph p;
    p.span = {begin, end};
    p.lang = std::move(lang);
    p.lang_confidence = confidence;
    p.lang_inherited = inherited;
    return p;
}

TEST(ParagraphsJson, WritesWhatNlohmannWrote) {
    std::vector<Paragraph> ps = {
        paragraph(0, 74, "en", 1.0f, true),
        paragraph(75, 97, "de", 0.6645001769065857f, false),
        paragraph(98, 4294967295u, "zh-Hant", 0.0f, false),
        paragraph(1, 2, "", 1e-5f, true),
        paragraph(3, 4, "x\"y\\z", 123456789.0f, false),
        paragraph(5, 6, "tab\there\n", 1e20f, true),
        paragraph(7, 8, "\xc3\xa9t\xc3\xa9", std::numeric_limits<float>::denorm_min(), false),
        paragraph(9, 10, "en", std::numeric_limits<float>::quiet_NaN(), false),
        paragraph(11, 12, "en", -0.5f, false),
        paragraph(13, 14, "en", std::numeric_limits<float>::infinity(), true),
        // Runs and neighbours that compare equal as floats but are written apart (the encoder
        // keeps the last value's text).
        paragraph(15, 16, "en", 0.0f, false),
        paragraph(17, 18, "en", -0.0f, false),
        paragraph(19, 20, "en", 0.0f, false),
        paragraph(21, 22, "en", std::numeric_limits<float>::quiet_NaN(), false),
        paragraph(23, 24, "en", std::numeric_limits<float>::quiet_NaN(), false),
        paragraph(25, 26, "en", 0.9025583267211914f, true),
        paragraph(27, 28, "en", 0.9025583267211914f, true),
    };
    for (int i = 0; i < 1000; ++i) ps.push_back(paragraph(i, 2 * i, "fr", std::ldexp(static_cast<float>(i), -9), i % 2));
    EXPECT_EQ(store_detail::paragraphs_json(ps), nlohmann_json(ps));
    EXPECT_EQ(store_detail::paragraphs_json({}), "[]");
    EXPECT_EQ(store_detail::paragraphs_json({paragraph(0, 3, "en", 1.0f, true)}), "[[0,3,\"en\",1.0,true]]");
}

TEST(ParagraphsJson, RefusesALanguageThatIsNotUtf8AsBefore) {
    const std::vector<Paragraph> ps = {paragraph(0, 1, "\xff", 1.0f, false)};
    EXPECT_THROW(nlohmann_json(ps), nlohmann::json::type_error);
    EXPECT_THROW(store_detail::paragraphs_json(ps), nlohmann::json::type_error);
}

TEST(ParagraphsJson, ReadsBackWhatItWrote) {
    const std::vector<Paragraph> ps = {paragraph(0, 74, "en", 1.0f, true), paragraph(75, 97, "x\"y", 0.6645f, false)};
    const std::vector<Paragraph> back = store_detail::parse_paragraphs(store_detail::paragraphs_json(ps));
    ASSERT_EQ(back.size(), ps.size());
    for (std::size_t i = 0; i < ps.size(); ++i) {
        EXPECT_EQ(back[i].span, ps[i].span);
        EXPECT_EQ(back[i].lang, ps[i].lang);
        EXPECT_EQ(back[i].lang_confidence, ps[i].lang_confidence);
        EXPECT_EQ(back[i].lang_inherited, ps[i].lang_inherited);
    }
    EXPECT_TRUE(store_detail::parse_paragraphs("not json").empty());
}

}  // namespace
}  // namespace doppel
