// doppel: Snowball stemming (libstemmer) of normalized words, per language.
//
// stem("de", "sitzungen") gives "sitzung"; a language without a Snowball stemmer (vi, ja, zh,
// ...) gives the word back unchanged. Words must be normalized first (normalizer.h: lower case,
// NFKC), as doppel's lexicons are built from normalized, stemmed keys.
//
// Languages with a stemmer: ar ca da de el en es eu fi fr ga hi hu hy id it lt ne nl no pt ro
// ru sr sv ta tr yi (ISO 639-1 codes, as fastText's language ID gives them).
//
// Thread safety: a Stemmer caches libstemmer handles, which keep state between calls: NOT safe
// for concurrent use; give each thread its own (construction is free, handles are made on first
// use per language).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace doppel {

class Stemmer {
public:
    Stemmer();
    ~Stemmer();
    Stemmer(const Stemmer&) = delete;
    Stemmer& operator=(const Stemmer&) = delete;
    Stemmer(Stemmer&&) noexcept;
    Stemmer& operator=(Stemmer&&) noexcept;

    // True when `lang` has a Snowball stemmer.
    static bool has_stemmer(std::string_view lang);
    // The stem of a normalized word; the word itself when the language has no stemmer or the
    // stem would be empty. Korean ("ko", no Snowball stemmer) has a rule of its own: a word of
    // Hangul syllables loses its particle or verb ending (문서를 -> 문서, 선택하십시오 -> 선택)
    // while two syllables stay.
    std::string stem(std::string_view lang, std::string_view word);
    // Korean's rule with `min_syllables` left to stay: stem("ko", w) is korean_stem(w, 2); the
    // Korean loanword lookup (embed/bridge_lexicon.h) also tries 1, for one-syllable loanwords
    // (셀을 -> 셀 "cell", 탭의 -> 탭 "tab").
    static std::string korean_stem(std::string_view word, std::size_t min_syllables);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
