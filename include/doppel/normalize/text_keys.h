// doppel: text keys, the forms in which a word, number or address is compared across languages.
//
// A text key is what a piece of text is reduced to so that two documents in different languages
// (or scripts) can share it as a feature:
//  - ASCII Latin form: a word transliterated to lower-case ASCII ("Any-Latin; Latin-ASCII;
//    Lower": "كارولين" -> "karwlyn", "Nguyễn" -> "nguyen", "Москва" -> "moskva").
//  - name skeleton: the consonants of an ASCII Latin form, with the letters that
//    transliteration confuses merged, so that a name written in two scripts keeps one key
//    ("caroline" and the Latin form of "كارولين" both give "krln").
//  - number key: a number written with or without grouping separators ("1,000", "1.000").
//  - URL / e-mail key: an address found in running text, without the punctuation around it.
//  - Korean loanword key: the consonants of an English word as Korean writes it in Hangul
//    (마우스 "mouse", 서버 "server"), so that the Hangul word and the English word share a key
//    (see hangul_loanword_key below).
//
// The bridge embedder (embed/bridge_embedder.h) and the aligner's encoders (align/) both take
// their keys from here. Where they need different keys, the rule is named (SkeletonRule,
// NumberRule, UrlRule) and each caller states the one it uses:
//
//   purpose                     skeleton        number            URL
//   bridge embedder (document)  kConsonants     kLeadingDigits    kHostPath
//   aligner anchors (unit)      kSoundClasses   kToken            kChunk
//
// The Korean loanword key has one rule, and one user: the bridge lexicon's Korean loanword
// table (LexiconBuilder keys English headwords with english_loanword_key,
// BridgeLexicon::lookup_korean_loanword keys Hangul words with hangul_loanword_key).
//
// The rules were measured, not guessed: each is what its caller was tuned with, and the figures
// of scripts/eval-translations and scripts/eval-align depend on them.
//
// Input: the key functions take normalized text (normalize/normalizer.h: NFKC case-folded,
// Unicode decimal digits already ASCII, so "٢٠٢٤" is "2024" by the time it gets here) and
// word tokens from Segmenter::words (a digit run keeps its inner '.' and ',').
//
// Usage:
//   doppel::TextKeys keys;                                       // one per thread
//   std::string latin = keys.ascii_token("كارولين");             // "karwlyn"
//   doppel::name_skeleton(latin, doppel::SkeletonRule::kSoundClasses);  // "krln"
//   doppel::number_key("1.000", doppel::NumberRule::kToken);     // "1000"
//   doppel::url_keys("see www.un.org.", doppel::UrlRule::kChunk);  // {"www.un.org"}
//
// Thread safety: the free functions are pure and safe everywhere. A TextKeys holds ICU
// transliterators and a cache, which are NOT safe for concurrent use: give each thread its own
// (each of its three transliterators is built on first use, so keep one for many calls). It cannot be copied,
// as ICU transliterators are not meant to be shared.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace doppel {

// How a name skeleton is made from an ASCII Latin form. Both lower A-Z, keep only the letters
// a-z, drop the vowels and 'h', 'w', 'y', and collapse doubled letters after merging.
enum class SkeletonRule {
    // c and q -> k: "beresford" -> "brsfrd". The bridge embedder's name features, compared
    // over whole documents, where a looser key would join more unrelated names.
    kConsonants,
    // kConsonants, and the consonants that transliteration from Arabic or Vietnamese confuses
    // merged: g -> j, p/f/v -> b (Arabic has no p or v), z/x -> s (Vietnamese x sounds s),
    // d -> t: "beresford" -> "brsbrt". The aligner's anchors, compared between two units.
    kSoundClasses,
};

// Which tokens are numbers, and their keys.
enum class NumberRule {
    // A token that starts with an ASCII digit; the key is its digits in order:
    // "1,000" and "1.000" -> "1000", "3rd" -> "3", "007" -> "007". The bridge embedder.
    kLeadingDigits,
    // A token that holds an ASCII digit anywhere; the key is the token without '.' and ',',
    // and, when it holds no letter a-z, without leading zeros: "1.000" -> "1000",
    // "007" -> "7", "3rd" -> "3rd", "covid19" -> "covid19". The aligner's anchors.
    kToken,
};

// Which addresses are found in a text, and their keys.
enum class UrlRule {
    // "http://" and "https://" links anywhere in the text, up to a space, ')', '"' or '>'; the
    // key drops the scheme, a leading "www." and trailing '/', '.' and ',':
    // "(https://www.un.org/en/)" -> "un.org/en". E-mail addresses are not found. The bridge
    // embedder, on normalized (lower-case) text.
    kHostPath,
    // Whitespace-separated chunks that start with "http://", "https://" or "www.", and e-mail
    // addresses (chunks holding '@' and '.'); the key is the chunk without trailing
    // . , ; : ) ] " ' and lower-cased, scheme kept: "https://UN.org/en." -> "https://un.org/en".
    // The aligner's anchors, on the unit as written.
    kChunk,
};

// The skeleton of an ASCII Latin word under `rule` (see SkeletonRule); may be empty.
std::string name_skeleton(std::string_view ascii, SkeletonRule rule);

// The key of `token` when it is a number under `rule`, else nothing.
std::optional<std::string> number_key(std::string_view token, NumberRule rule);

// The keys of the addresses in `text` under `rule`, in order of appearance.
std::vector<std::string> url_keys(std::string_view text, UrlRule rule);

// Korean loanword keys. Korean writes an English loanword by its (British, non-rhotic)
// sound, with Korean phonology and a regular spelling: 서버 seobeo "server", 클릭 keullik
// "click", 테이블 teibeul "table". Both sides are reduced to consonant classes, vowels left out
// (so the epenthetic eu / i of 스, 트, 지 and the vowel spellings of English do not count),
// doubled classes collapsed (클릭 kll-k and "click" both give "klk"). Voiceless English stops
// are written aspirated, voiced ones plain, and the key keeps that apart (native Korean words,
// full of plain consonants, then meet fewer English words):
//   k  k c(hard) q ck, ㅋ, final ㄱ     g  g(hard), ㄱ        t  t, ㅌ, finals ㅅ ㅈ ㅊ ㅌ ㄷ
//   d  d, ㄷ                           p  p f ph, ㅍ, final ㅂ, a final b    b  b v, ㅂ
//   s  s c(soft) sh th -tio- -ssion, ㅅ ㅆ    j  j z g(soft) -sion after a vowel or r, ㅈ
//   c  ch -ture, ㅊ                    l  l r, ㄹ            m n h as they are
//   N  ng, n before a hard k sound, final ㅇ
// English spelling is read as it sounds: an 'r' not followed by a vowel is silent (non-rhotic:
// "server" -> "sb" as 서버), as are w, y, gh, initial kn / wr, final mb and gn.
// A vowel sound at the start or the end of the word is marked 'a' (Korean: a silent initial ㅇ;
// no final and a vowel other than the epenthetic ㅡ, or ㅣ after ㅈ ㅊ ㅅ ㅆ: 페이지 page, 플래시
// flash. English: a vowel letter, or y / w before one, first; a vowel letter other than a silent
// final e, y, w, r, re or gh last).
// A Hangul word that Korean loanword spelling cannot give has no key: a tense ㄲ ㄸ ㅃ ㅉ, a
// final other than ㄱ ㄴ ㄹ ㅁ ㅂ ㅅ ㅇ (있는, 같은), 의, or 으 without a consonant (다음).
// Examples: 마우스 / "mouse" -> "ms", 버튼 / "button" -> "btn", 아이콘 / "icon" -> "akn",
// 서버 / "server" -> "sba", 테이블 / "table" -> "tbl", 링크 / "link" -> "lNk".

// The key of a word of Hangul syllables (U+AC00..U+D7A3 only), else empty.
std::string hangul_loanword_key(std::string_view hangul_word);
// The key of an English word of ASCII letters a-z (lower case), else empty.
std::string english_loanword_key(std::string_view english_word);
// The consonant classes of a loanword key (its length without the vowel marks).
std::size_t loanword_key_consonants(std::string_view key);
// How many vowels of a Hangul word agree with those of an English word (or its stem), in order:
// each Korean vowel writes some English vowel letters (ㅏ a o u, ㅔ e a, ㅣ i e y, ㅓ any, ...;
// 아이 / 에이 / 아우 one vowel: i y / a / o; ㅡ and a final 지 치 시's ㅣ none), compared with the
// first letter of each vowel group of the English word. Ranks the English words of one key:
// 셀 "cell" 1, "sole" 0.
std::size_t loanword_vowel_agreement(std::string_view hangul_word, std::string_view english_word);

// Transliteration to ASCII Latin (and between Chinese scripts), with the ICU transliterators
// built once. See the file comment for thread safety.
class TextKeys {
public:
    // Builds each transliterator on its first use (a call below that needs it throws
    // doppel::Error (kIcu) when ICU lacks it).
    TextKeys();
    ~TextKeys();
    TextKeys(const TextKeys&) = delete;
    TextKeys& operator=(const TextKeys&) = delete;

    // "Any-Latin; Latin-ASCII; Lower" of a word, as ICU gives it (it may keep characters ICU
    // has no Latin for, and punctuation). Cached: the reference stays valid until the next call.
    const std::string& ascii_latin(std::string_view word);
    // The ASCII Latin form of a token for comparison: an ASCII token as it is; any other
    // token's ascii_latin() with everything but a-z and 0-9 dropped (empty where nothing Latin
    // comes out, as for Han without a reading).
    std::string ascii_token(std::string_view token);
    // A Latin-script word without its diacritics ("Latin-ASCII": "engelhörner" -> "engelhorner",
    // "nguyễn" -> "nguyen"); an ASCII word as it is.
    std::string latin_to_ascii(std::string_view latin_word);
    // Traditional Chinese characters to Simplified ("Traditional-Simplified"); other text as
    // it is.
    std::string simplified_chinese(std::string_view text);
    // Builds what all transliterators share (ICU's registry of them: about 140 M instructions,
    // once a process), so that a TextKeys's first transliteration need not; safe on any thread,
    // beside other work (`doppel index` runs it beside the models' loading).
    static void prepare_shared();
    // How many of its ICU transliterators (at most 3) were built so far.
    std::size_t transliterators_built() const;

private:
    struct Transliterators;  // the ICU objects
    std::unique_ptr<Transliterators> icu_;
    std::unordered_map<std::string, std::string> ascii_cache_;
};

}  // namespace doppel
