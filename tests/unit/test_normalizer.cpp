#include <gtest/gtest.h>

#include "doppel/error.h"
#include "doppel/normalize/normalizer.h"

using doppel::Normalizer;
using doppel::NormalizerOptions;
using doppel::Span;

TEST(Normalizer, ArabicIndicAndOtherDecimalDigitsBecomeAscii) {
    Normalizer n;
    EXPECT_EQ(n.normalize_text("٢٠٢٤"), "2024");            // Arabic-Indic
    EXPECT_EQ(n.normalize_text("۱۲۳"), "123");              // Extended Arabic-Indic (Persian)
    EXPECT_EQ(n.normalize_text("२०२४"), "2024");            // Devanagari
    EXPECT_EQ(n.normalize_text("１２３"), "123");            // full-width, via NFKC
}

TEST(Normalizer, ArabicLetterFormsAndMarks) {
    Normalizer n;
    // alef with hamza above/below and madda -> bare alef
    EXPECT_EQ(n.normalize_text("أحمد"), "احمد");
    EXPECT_EQ(n.normalize_text("إسلام"), "اسلام");
    EXPECT_EQ(n.normalize_text("آخر"), "اخر");
    // tatweel and harakat removed
    EXPECT_EQ(n.normalize_text("مـــرحبا"), "مرحبا");
    EXPECT_EQ(n.normalize_text("مُحَمَّد"), "محمد");
    // alef maqsura -> yeh; ta marbuta -> heh
    EXPECT_EQ(n.normalize_text("على"), "علي");
    EXPECT_EQ(n.normalize_text("مدرسة"), "مدرسه");
    // With the Arabic step off, letters are kept.
    NormalizerOptions o;
    o.arabic = false;
    EXPECT_EQ(Normalizer(o).normalize_text("أحمد"), "أحمد");
}

TEST(Normalizer, CaseFoldingCompatibilityAndSpace) {
    Normalizer n;
    EXPECT_EQ(n.normalize_text("Hello  WORLD"), "hello world");
    EXPECT_EQ(n.normalize_text("ﬁne Straße"), "fine strasse");
    EXPECT_EQ(n.normalize_text("Việt Nam"), "việt nam");
    EXPECT_EQ(n.normalize_text("a\u00A0\u2003b\tc"), "a b c");
    EXPECT_EQ(n.normalize_text("zero\u200Bwidth"), "zerowidth");
    EXPECT_EQ(n.normalize_text("line one  \n  line two"), "line one\nline two");
    // Decomposed input composes: e + combining acute == é
    EXPECT_EQ(n.normalize_text("Cafe\u0301"), n.normalize_text("Café"));
}

TEST(Normalizer, OffsetsMapBackToTheOriginal) {
    Normalizer n;
    const std::string original = "  Ông Doãn HOÀNG Minh, ٢٠٢٤ — ﬁne";
    const auto r = n.normalize(original);
    ASSERT_EQ(r.source_offsets.size(), r.text.size() + 1);
    auto quote = [&](const std::string& needle) {
        const auto pos = r.text.find(needle);
        EXPECT_NE(pos, std::string::npos) << needle;
        const Span s = r.source_span({static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + needle.size())});
        return original.substr(s.begin, s.size());
    };
    EXPECT_EQ(quote("hoàng"), "HOÀNG");
    EXPECT_EQ(quote("2024"), "٢٠٢٤");
    EXPECT_EQ(quote("fine"), "ﬁne");
    EXPECT_EQ(quote("ông doãn"), "Ông Doãn");
}

TEST(Normalizer, SpecRoundTrip) {
    Normalizer n;
    EXPECT_EQ(n.describe(), "icu:nfkc_cf,digits,arabic,space");
    auto m = Normalizer::from_spec("icu:nfkc_cf,space");
    EXPECT_EQ(m->describe(), "icu:nfkc_cf,space");
    EXPECT_EQ(m->normalize_text("A ٢"), "a ٢");
    EXPECT_THROW(Normalizer::from_spec("icu:bogus"), doppel::Error);
    EXPECT_THROW(Normalizer::from_spec("nfc"), doppel::Error);
}

// normalize_text() into a caller's string gives what normalize_text() returns, whatever the
// string held before.
TEST(Normalizer, NormalizeTextIntoAReusedString) {
    Normalizer n;
    std::string reused = "left over from a longer text before this one";
    for (const std::string text : {"Ｆｕｌｌ ＷＩＤＴＨ  Straße", "x", "", "  ÉCOLE  "}) {
        n.normalize_text(text, &reused);
        EXPECT_EQ(reused, n.normalize_text(text)) << text;
    }
}
