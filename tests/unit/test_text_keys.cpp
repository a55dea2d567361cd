// Text keys (normalize/text_keys.h): name skeletons, number keys, URL keys and transliteration.
#include <gtest/gtest.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>
#include <random>
#include <utility>

#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/normalize/text_keys.h"

namespace doppel {
namespace {

// The word tokens of `text` after normalization, as the embedder and the aligner see them.
std::vector<std::string> normalized_words(std::string_view text) {
    Normalizer normalizer;
    Segmenter segmenter;
    const std::string norm = normalizer.normalize_text(text);
    std::vector<std::string> out;
    for (const Span& w : segmenter.words(norm)) out.push_back(norm.substr(w.begin, w.size()));
    return out;
}

TEST(TextKeys, SkeletonRulesOfLatinNames) {
    EXPECT_EQ(name_skeleton("beresford", SkeletonRule::kConsonants), "brsfrd");
    EXPECT_EQ(name_skeleton("beresford", SkeletonRule::kSoundClasses), "brsbrt");
    EXPECT_EQ(name_skeleton("caroline", SkeletonRule::kConsonants), "krln");
    EXPECT_EQ(name_skeleton("caroline", SkeletonRule::kSoundClasses), "krln");
    // Upper case is lowered, everything but letters dropped, doubles collapsed after merging.
    EXPECT_EQ(name_skeleton("Mc-Queen 2", SkeletonRule::kConsonants), "mkn");
    EXPECT_EQ(name_skeleton("Vivaldi", SkeletonRule::kSoundClasses), "blt");
    EXPECT_EQ(name_skeleton("Appelzell", SkeletonRule::kSoundClasses), "blsl");
    EXPECT_EQ(name_skeleton("Xuzhou", SkeletonRule::kSoundClasses), "s");
    EXPECT_EQ(name_skeleton("aeiou hwy", SkeletonRule::kConsonants), "");
    EXPECT_EQ(name_skeleton("", SkeletonRule::kSoundClasses), "");
}

TEST(TextKeys, ArabicAndLatinNamesShareASkeleton) {
    TextKeys keys;
    for (const SkeletonRule rule : {SkeletonRule::kConsonants, SkeletonRule::kSoundClasses}) {
        const std::string ar = name_skeleton(keys.ascii_latin("كارولين"), rule);
        EXPECT_EQ(ar, name_skeleton("caroline", rule)) << keys.ascii_latin("كارولين");
    }
    EXPECT_EQ(keys.ascii_token("كارولين"), "karwlyn");
    EXPECT_EQ(name_skeleton(keys.ascii_token("كارولين"), SkeletonRule::kSoundClasses), "krln");
    // Arabic has no p: "باريس" comes out with b, which only the sound classes join to "paris".
    const std::string paris = keys.ascii_token("باريس");
    EXPECT_EQ(name_skeleton(paris, SkeletonRule::kSoundClasses),
              name_skeleton("paris", SkeletonRule::kSoundClasses));
    EXPECT_NE(name_skeleton(paris, SkeletonRule::kConsonants),
              name_skeleton("paris", SkeletonRule::kConsonants));
}

TEST(TextKeys, VietnameseNamesLoseTheirDiacritics) {
    TextKeys keys;
    EXPECT_EQ(keys.latin_to_ascii("nguyễn"), "nguyen");
    EXPECT_EQ(keys.latin_to_ascii("hà"), "ha");
    EXPECT_EQ(keys.latin_to_ascii("hanoi"), "hanoi");
    EXPECT_EQ(keys.ascii_token("nguyễn"), "nguyen");
    EXPECT_EQ(name_skeleton(keys.ascii_token("nguyễn"), SkeletonRule::kSoundClasses), "njn");
    // Vietnamese x sounds s: "xuân" and "suan" share the sound-class skeleton.
    EXPECT_EQ(name_skeleton(keys.ascii_token("xuân"), SkeletonRule::kSoundClasses),
              name_skeleton("suan", SkeletonRule::kSoundClasses));
}

TEST(TextKeys, AsciiTokenKeepsLettersAndDigits) {
    TextKeys keys;
    EXPECT_EQ(keys.ascii_token("beresford"), "beresford");  // ASCII: as it is
    EXPECT_EQ(keys.ascii_token("l'été"), "lete");           // apostrophe dropped
    EXPECT_EQ(keys.ascii_token("москва"), "moskva");
    EXPECT_EQ(keys.ascii_latin("москва"), "moskva");
    EXPECT_EQ(keys.ascii_latin("Nguyễn"), "nguyen");
    // The cached form is the same on the second call.
    EXPECT_EQ(keys.ascii_latin("москва"), "moskva");
    EXPECT_EQ(keys.ascii_latin("Nguyễn"), "nguyen");
}

// A transliterator is built when a call first needs it (building one costs milliseconds, and an
// index's embedders often need none): ASCII words need none, and each is built once.
TEST(TextKeys, BuildsEachTransliteratorOnFirstUse) {
    TextKeys keys;
    EXPECT_EQ(keys.transliterators_built(), 0u);
    EXPECT_EQ(keys.latin_to_ascii("engelhorner"), "engelhorner");
    EXPECT_EQ(keys.ascii_token("karl"), "karl");
    EXPECT_EQ(keys.transliterators_built(), 0u);
    EXPECT_EQ(keys.latin_to_ascii("engelhörner"), "engelhorner");
    EXPECT_EQ(keys.transliterators_built(), 1u);
    EXPECT_EQ(keys.latin_to_ascii("nguyễn"), "nguyen");
    EXPECT_EQ(keys.transliterators_built(), 1u);
    EXPECT_FALSE(keys.ascii_latin("كارولين").empty());
    EXPECT_EQ(keys.transliterators_built(), 2u);
    EXPECT_EQ(keys.simplified_chinese("漢語"), "汉语");
    EXPECT_EQ(keys.transliterators_built(), 3u);
}

TEST(TextKeys, SimplifiedChinese) {
    TextKeys keys;
    EXPECT_EQ(keys.simplified_chinese("會議"), "会议");
    EXPECT_EQ(keys.simplified_chinese("会议 2024"), "会议 2024");
}

// A text that Traditional-Simplified would leave as it is (none of the characters its rules change
// alone, none of the keys of its longer rules that change text without one) is not handed to it:
// what comes out is what ICU's transliterator gives, for every CJK ideograph alone (those it
// changes and those it leaves), for its rules of several characters, and in random strings.
TEST(TextKeys, SimplifiedChineseSkipsTextsWithoutTraditionalCharactersAndGivesWhatICUGives) {
    TextKeys keys;
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> icu_t(
        icu::Transliterator::createInstance("Traditional-Simplified", UTRANS_FORWARD, st));
    ASSERT_TRUE(U_SUCCESS(st));
    auto direct = [&](const std::string& s) {
        icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
        icu_t->transliterate(u);
        std::string out;
        return u.toUTF8String(out);
    };
    std::size_t changed = 0;
    for (const auto& [first, last] : {std::pair<UChar32, UChar32>{0x3400, 0x4DBF},
                                      {0x4E00, 0x9FFF},
                                      {0xF900, 0xFAFF},
                                      {0x20000, 0x2A6DF}}) {
        for (UChar32 c = first; c <= last; ++c) {
            std::string s;
            icu::UnicodeString(c).toUTF8String(s);
            const std::string want = direct(s);
            ASSERT_EQ(keys.simplified_chinese(s), want) << "U+" << std::hex << c;
            changed += want != s;
        }
    }
    EXPECT_GT(changed, 2000u);  // the fast path was not all there was
    for (const std::string s :
         {"于飛", "單于", "鬼子薑", "赤皮崙", "于思", "姜", "计算机 漢字 ok", "plain ASCII"})
        EXPECT_EQ(keys.simplified_chinese(s), direct(s)) << s;
    // Rules of several characters that change a text in which no character changes alone, among
    // common Simplified characters and a few Traditional ones, in random strings.
    const std::vector<std::string> pieces = {"祇管", "祇",   "管",   "剃发", "剃",   "发",   "生旦净末丑",
                                             "净末", "鞦韆", "英吋", "五嶽", "巡察", "砂金", "像片",
                                             "于",   "我们", "会议", "北京", "發",   "會",   "乾隆",
                                             "乾",   "隆",   "，",   "。",   " ",    "2024", "ok"};
    std::mt19937 rng(11);
    for (int trial = 0; trial < 20000; ++trial) {
        std::string s;
        for (std::size_t n = 1 + rng() % 6; n > 0; --n) s += pieces[rng() % pieces.size()];
        ASSERT_EQ(keys.simplified_chinese(s), direct(s)) << s;
    }
}

// English loanwords written in Hangul and the English words share a key (vowels, epenthetic
// eu / i, a non-rhotic r and doubled letters left out; r / l, p / f, b / v folded).
TEST(TextKeys, KoreanLoanwordKeys) {
    const std::pair<const char*, const char*> pairs[] = {
        {"마우스", "mouse"}, {"클릭", "click"},   {"버튼", "button"},     {"서버", "server"},
        {"아이콘", "icon"},  {"테이블", "table"}, {"텍스트", "text"},     {"스타일", "style"},
        {"페이지", "page"},  {"그래픽", "graphic"}, {"인터넷", "internet"}, {"옵션", "option"},
        {"버전", "version"}, {"링크", "link"},    {"스트링", "string"},   {"필터", "filter"},
        {"파일", "file"},    {"셀", "cell"},      {"매쓰", "math"},       {"익스포트", "export"},
        {"그룹", "group"},   {"코드", "code"},    {"탭", "tab"},          {"차트", "chart"},
        {"이미지", "image"}, {"브리지", "bridge"}, {"태그", "tag"},        {"쿼리", "query"}};
    for (const auto& [ko, en] : pairs) EXPECT_EQ(hangul_loanword_key(ko), english_loanword_key(en)) << ko << " " << en;
    EXPECT_EQ(english_loanword_key("server"), "sba");  // not "srvr": r before a consonant or at the end is silent
    EXPECT_EQ(hangul_loanword_key("서버"), "sba");  // a vowel sound at the end: a
    EXPECT_EQ(english_loanword_key("icon"), "akn");  // ... and at the start
    EXPECT_EQ(hangul_loanword_key("아이콘"), "akn");
    EXPECT_EQ(hangul_loanword_key("페이지"), "pj");  // the ㅣ of 지 is epenthetic
    EXPECT_EQ(english_loanword_key("click"), "klk");
    EXPECT_EQ(hangul_loanword_key("클릭"), "klk");  // keul-lik: ㄹ ㄹ collapse
    EXPECT_EQ(english_loanword_key("table"), "tbl");
    EXPECT_EQ(english_loanword_key("mouse"), "ms");
    EXPECT_EQ(english_loanword_key("knight"), "nt");  // silent k, gh
    EXPECT_EQ(hangul_loanword_key("사용"), "sN");      // final ㅇ is ng, not n
    // Native words that loanword spelling cannot give: tense ㄸ, final ㅆ, 으 without a consonant.
    EXPECT_EQ(hangul_loanword_key("또는"), "");
    EXPECT_EQ(hangul_loanword_key("있는"), "");
    EXPECT_EQ(hangul_loanword_key("다음"), "");
    EXPECT_EQ(loanword_key_consonants("akn"), 2u);
    EXPECT_NE(hangul_loanword_key("사용"), english_loanword_key("sun"));
    // Only Hangul syllables, only a-z.
    EXPECT_EQ(hangul_loanword_key("마우스a"), "");
    EXPECT_EQ(hangul_loanword_key("ㅁ"), "");
    EXPECT_EQ(english_loanword_key("Mouse"), "");
    EXPECT_EQ(english_loanword_key("e-mail"), "");
    EXPECT_EQ(english_loanword_key(""), "");
}

TEST(TextKeys, NumberKeysUnderEachRule) {
    EXPECT_EQ(number_key("1,000", NumberRule::kLeadingDigits), "1000");
    EXPECT_EQ(number_key("1.000", NumberRule::kLeadingDigits), "1000");
    EXPECT_EQ(number_key("007", NumberRule::kLeadingDigits), "007");
    EXPECT_EQ(number_key("3rd", NumberRule::kLeadingDigits), "3");
    EXPECT_EQ(number_key("covid19", NumberRule::kLeadingDigits), std::nullopt);
    EXPECT_EQ(number_key("word", NumberRule::kLeadingDigits), std::nullopt);
    EXPECT_EQ(number_key("", NumberRule::kLeadingDigits), std::nullopt);

    EXPECT_EQ(number_key("1,000", NumberRule::kToken), "1000");
    EXPECT_EQ(number_key("1.000", NumberRule::kToken), "1000");
    EXPECT_EQ(number_key("007", NumberRule::kToken), "7");
    EXPECT_EQ(number_key("000", NumberRule::kToken), "0");
    EXPECT_EQ(number_key("3rd", NumberRule::kToken), "3rd");
    EXPECT_EQ(number_key("covid19", NumberRule::kToken), "covid19");
    EXPECT_EQ(number_key("word", NumberRule::kToken), std::nullopt);
}

TEST(TextKeys, ArabicIndicDigitsAfterNormalization) {
    // The normalizer makes every decimal digit ASCII; the segmenter keeps a digit run's inner
    // '.' and ','. So Arabic-Indic and Latin writings of a number give one key.
    const auto ar = normalized_words("عام ٢٠٢٤ و ١,٥٠٠ شخص");
    const auto en = normalized_words("in 2024 and 1.500 people");
    ASSERT_EQ(ar.size(), 5u);
    ASSERT_EQ(en.size(), 5u);
    for (const NumberRule rule : {NumberRule::kLeadingDigits, NumberRule::kToken}) {
        EXPECT_EQ(number_key(ar[1], rule), "2024");
        EXPECT_EQ(number_key(ar[1], rule), number_key(en[1], rule));
        EXPECT_EQ(number_key(ar[3], rule), "1500");
        EXPECT_EQ(number_key(ar[3], rule), number_key(en[3], rule));
        EXPECT_EQ(number_key(ar[0], rule), std::nullopt);
    }
    // Persian (extended Arabic-Indic) digits too.
    const auto fa = normalized_words("۱۳۹۹");
    ASSERT_EQ(fa.size(), 1u);
    EXPECT_EQ(number_key(fa[0], NumberRule::kToken), "1399");
}

TEST(TextKeys, HostPathUrlKeys) {
    using V = std::vector<std::string>;
    EXPECT_EQ(url_keys("see (https://www.un.org/en/) and http://example.com/a,", UrlRule::kHostPath),
              (V{"un.org/en", "example.com/a"}));
    EXPECT_EQ(url_keys("<a href=\"http://x.org/p\">", UrlRule::kHostPath), (V{"x.org/p"}));
    // Not found: no scheme, e-mail, a bare scheme.
    EXPECT_EQ(url_keys("www.un.org mail@un.org http:// httpd", UrlRule::kHostPath), V{});
}

TEST(TextKeys, ChunkUrlKeys) {
    using V = std::vector<std::string>;
    EXPECT_EQ(url_keys("See https://UN.org/en. or www.who.int;", UrlRule::kChunk),
              (V{"https://un.org/en", "www.who.int"}));
    EXPECT_EQ(url_keys("Write to Info@Example.COM) now", UrlRule::kChunk), (V{"info@example.com"}));
    EXPECT_EQ(url_keys("(https://x.org) example.com user@localhost", UrlRule::kChunk), V{});
    EXPECT_EQ(url_keys("", UrlRule::kChunk), V{});
}

}  // namespace
}  // namespace doppel
