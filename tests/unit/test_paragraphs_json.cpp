// The documents table's paragraphs column (store/paragraphs_json.h): the blob of schema 7 reads
// back every field bit for bit, and a cut or padded one as none; the JSON of older stores is
// still read; its hand-written encoder writes exactly what nlohmann::json's dump() wrote.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "impl/varint.h"
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
    const std::vector<Paragraph> back = store_detail::parse_paragraphs(store_detail::paragraphs_json(ps)).value();
    ASSERT_EQ(back.size(), ps.size());
    for (std::size_t i = 0; i < ps.size(); ++i) {
        EXPECT_EQ(back[i].span, ps[i].span);
        EXPECT_EQ(back[i].lang, ps[i].lang);
        EXPECT_EQ(back[i].lang_confidence, ps[i].lang_confidence);
        EXPECT_EQ(back[i].lang_inherited, ps[i].lang_inherited);
    }
    EXPECT_FALSE(store_detail::parse_paragraphs("not json"));
}

// Field by field, the confidence by its bits (NaN and -0.0 too).
void expect_same(const std::vector<Paragraph>& got, const std::vector<Paragraph>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].span, want[i].span) << i;
        EXPECT_EQ(got[i].lang, want[i].lang) << i;
        EXPECT_EQ(std::memcmp(&got[i].lang_confidence, &want[i].lang_confidence, sizeof(float)), 0) << i;
        EXPECT_EQ(got[i].lang_inherited, want[i].lang_inherited) << i;
    }
}

TEST(ParagraphsBlob, ReadsBackEveryFieldBitForBit) {
    std::vector<Paragraph> ps = {
        paragraph(0, 74, "en", 1.0f, true),
        paragraph(75, 97, "de", 0.6645001769065857f, false),
        paragraph(98, 4294967295u, "zh-Hant", 0.0f, false),
        paragraph(0, 0, "", 1e-5f, true),  // back to the start: a negative offset
        paragraph(9, 3, "x\"y\\z\xff", -0.0f, false),  // end before begin; any bytes as a language
        paragraph(4294967295u, 0, "en", std::numeric_limits<float>::quiet_NaN(), false),
        paragraph(5, 6, "en", std::numeric_limits<float>::quiet_NaN(), true),
        paragraph(7, 8, "en", std::numeric_limits<float>::infinity(), true),
        paragraph(9, 10, "en", std::numeric_limits<float>::denorm_min(), false),
        paragraph(11, 12, "de", 1.0f, false),
    };
    // 70 languages: those past the 62nd numbered in a varint after the flags byte.
    for (int i = 0; i < 70; ++i) ps.push_back(paragraph(100 + i, 200 + i, "l" + std::to_string(i), 0.5f, i % 2));
    for (int i = 69; i >= 0; --i) ps.push_back(paragraph(300, 301, "l" + std::to_string(i), 0.25f, false));
    expect_same(store_detail::read_paragraphs(store_detail::encode_paragraphs(ps)), ps);
    EXPECT_EQ(static_cast<unsigned char>(store_detail::encode_paragraphs(ps)[0]), store_detail::kParagraphsBlobFormat);
    expect_same(store_detail::read_paragraphs(store_detail::encode_paragraphs({})), {});
}

// A document's usual paragraphs (one language, a confidence repeated) take a few bytes each.
TEST(ParagraphsBlob, IsAFractionOfTheJson) {
    std::vector<Paragraph> ps;
    for (uint32_t i = 0; i < 1000; ++i)
        ps.push_back(i % 4 ? paragraph(60 * i, 60 * i + 50, "en", 1.0f, true)
                           : paragraph(60 * i, 60 * i + 50, "en", 0.75f + 0.001f * (i % 7), false));
    const std::string blob = store_detail::encode_paragraphs(ps);
    EXPECT_LT(blob.size(), 6 * ps.size());
    EXPECT_LT(blob.size() * 5, store_detail::paragraphs_json(ps).size());
    expect_same(store_detail::read_paragraphs(blob), ps);
}

TEST(ParagraphsBlob, ACutOrPaddedBlobReadsAsNone) {
    const std::vector<Paragraph> ps = {paragraph(0, 74, "en", 1.0f, true), paragraph(75, 97, "de", 0.66f, false),
                                       paragraph(98, 300, "en", 0.66f, false)};
    const std::string blob = store_detail::encode_paragraphs(ps);
    for (std::size_t n = 1; n < blob.size(); ++n)
        EXPECT_TRUE(store_detail::read_paragraphs(std::string_view(blob).substr(0, n)).empty()) << n;
    EXPECT_TRUE(store_detail::read_paragraphs(blob + '\0').empty());
    std::string bad_language = blob;
    bad_language[1 + 1 + 1 + 2 + 1 + 2 + 1] = static_cast<char>(2 << 2);  // the first paragraph names language 2 of 2
    EXPECT_TRUE(store_detail::read_paragraphs(bad_language).empty());
    EXPECT_TRUE(store_detail::read_paragraphs("").empty());
}

// A damaged blob's steps can be as large as a varint holds: they read as none, and the sums stay
// defined (the fuzzer found begin + length overflowing; UBSan fails this test without the check).
TEST(ParagraphsBlob, StepsPastTheRangeOfOffsetsReadAsNone) {
    auto blob_with_steps = [](uint64_t gap, uint64_t length) {
        std::string blob(1, static_cast<char>(store_detail::kParagraphsBlobFormat));
        for (const uint64_t v : {uint64_t{1}, uint64_t{2}}) impl::put_varint(v, &blob);  // one language, "en"
        blob += "en";
        impl::put_varint(1, &blob);  // one paragraph
        blob.push_back(0);           // language 0, no confidence
        impl::put_varint(gap, &blob);
        impl::put_varint(length, &blob);
        return blob;
    };
    EXPECT_EQ(store_detail::read_paragraphs(blob_with_steps(impl::zigzag(3), impl::zigzag(4))).size(), 1u);
    EXPECT_TRUE(store_detail::read_paragraphs(blob_with_steps(impl::zigzag(-3618635776), UINT64_MAX)).empty());
    EXPECT_TRUE(store_detail::read_paragraphs(blob_with_steps(UINT64_MAX - 1, impl::zigzag(1))).empty());
    EXPECT_TRUE(store_detail::read_paragraphs(blob_with_steps(impl::zigzag(5), UINT64_MAX - 1)).empty());
}

// Rows written before schema 7 hold JSON: read_paragraphs reads them as parse_paragraphs does.
TEST(ParagraphsBlob, TheJsonOfOlderStoresIsStillRead) {
    const std::vector<Paragraph> ps = {paragraph(0, 74, "en", 1.0f, true), paragraph(75, 97, "x\"y", 0.6645f, false),
                                       paragraph(98, 99, "\xc3\xa9", 1e-7f, false)};
    expect_same(store_detail::read_paragraphs(store_detail::paragraphs_json(ps)), ps);
    expect_same(store_detail::read_paragraphs("[]"), {});
    EXPECT_TRUE(store_detail::read_paragraphs("not json").empty());
}

// A damaged row is told apart from a document without paragraphs (what `doppel verify` names):
// either format cut short, an element that is not a paragraph, bytes that are neither format.
TEST(ParagraphsBlob, ADamagedRowIsToldApartFromNoParagraphs) {
    const std::vector<Paragraph> ps = {paragraph(0, 74, "en", 1.0f, true), paragraph(75, 97, "de", 0.66f, false)};
    const std::string blob = store_detail::encode_paragraphs(ps);
    const std::string json = store_detail::paragraphs_json(ps);
    ASSERT_TRUE(store_detail::try_read_paragraphs(blob));
    expect_same(*store_detail::try_read_paragraphs(json), ps);
    expect_same(store_detail::try_read_paragraphs(store_detail::encode_paragraphs({})).value(), {});
    expect_same(store_detail::try_read_paragraphs("[]").value(), {});
    EXPECT_FALSE(store_detail::try_read_paragraphs(std::string_view(blob).substr(0, blob.size() - 1)));
    EXPECT_FALSE(store_detail::try_read_paragraphs(json.substr(0, json.size() - 1)));
    EXPECT_FALSE(store_detail::try_read_paragraphs("[[0, 74, \"en\"]]"));
    EXPECT_FALSE(store_detail::try_read_paragraphs("[\"en\"]"));
    EXPECT_FALSE(store_detail::try_read_paragraphs(""));
    EXPECT_TRUE(store_detail::read_paragraphs("[[0, 74, \"en\"]]").empty());  // readers go on
}

// A confidence that was not finite was written as null (as nlohmann's dump() writes it): it
// reads back as NaN, not as a damaged row.
TEST(ParagraphsJson, ANullConfidenceReadsAsNaN) {
    const auto back = store_detail::try_read_paragraphs("[[0,4,\"en\",null,false]]");
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 1u);
    EXPECT_TRUE(std::isnan((*back)[0].lang_confidence));
    EXPECT_EQ((*back)[0].span.end, 4u);
}

}  // namespace
}  // namespace doppel
