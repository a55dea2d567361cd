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
//
// The bridge embedder (embed/bridge_embedder.h) and the aligner's encoders (align/) both take
// their keys from here. Where they need different keys, the rule is named (SkeletonRule,
// NumberRule, UrlRule) and each caller states the one it uses:
//
//   purpose                     skeleton        number            URL
//   bridge embedder (document)  kConsonants     kLeadingDigits    kHostPath
//   aligner anchors (unit)      kSoundClasses   kToken            kChunk
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
// (construction builds three transliterators, so keep one for many calls). It cannot be copied,
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

// Transliteration to ASCII Latin (and between Chinese scripts), with the ICU transliterators
// built once. See the file comment for thread safety.
class TextKeys {
public:
    // Builds the transliterators; throws doppel::Error (kIcu) when ICU lacks one.
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

private:
    struct Transliterators;  // the ICU objects
    std::unique_ptr<Transliterators> icu_;
    std::unordered_map<std::string, std::string> ascii_cache_;
};

}  // namespace doppel
