#include "doppel/normalize/stemmer.h"

#include <libstemmer.h>

#include "impl/utf8.h"

#include <algorithm>
#include <array>
#include <map>

namespace doppel {
namespace {
constexpr std::array<std::string_view, 28> kStemmed = {
    "ar", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr", "ga", "hi", "hu", "hy",
    "id", "it", "lt", "ne", "nl", "no", "pt", "ro", "ru", "sr", "sv", "ta", "tr", "yi"};

// Korean endings stripped from a word of Hangul syllables (longest first), when at least two
// syllables stay: the verb endings of a noun + 하다/되다 (선택하십시오, 선택된 -> 선택), the copula and
// the case particles (문서를, 문서에서는 -> 문서), then a plural 들. A noun of three or more syllables
// that ends like a particle (디스플레이) loses it too; lexicon keys are made by this same rule.
constexpr std::u32string_view kKoreanEndings[] = {
    U"되었습니다", U"하십시오", U"했습니다", U"하시오", U"합니다", U"하세요", U"하려면", U"하려고",
    U"하거나", U"하지만", U"하므로", U"하도록", U"하여야", U"됩니다", U"입니다", U"에서는",
    U"에서도", U"으로는", U"으로", U"하여", U"하면", U"하고", U"하는", U"하기", U"하지", U"해야",
    U"해서", U"했다", U"한다", U"되어", U"되며", U"되면", U"되고", U"되는", U"되지", U"되기",
    U"이며", U"이고", U"이면", U"이다", U"에서", U"에게", U"에는", U"에도", U"로는", U"부터",
    U"까지", U"처럼", U"보다", U"이나", U"한", U"할", U"함", U"된", U"될", U"을", U"를", U"은",
    U"는", U"의"};
constexpr std::u32string_view kKoreanShortParticles[] = {
    U"이", U"가", U"에", U"와", U"과", U"도", U"로", U"만", U"나", U"인"};

bool hangul_syllable(char32_t c) { return c >= 0xAC00 && c <= 0xD7A3; }

bool strip_one(std::u32string& w, std::u32string_view ending, std::size_t min_syllables) {
    if (w.size() < ending.size() + min_syllables || !std::u32string_view(w).ends_with(ending)) return false;
    w.resize(w.size() - ending.size());
    return true;
}

}  // namespace

std::string Stemmer::korean_stem(std::string_view word, std::size_t min_syllables) {
    std::u32string w;
    for (std::size_t i = 0; i < word.size();) {
        char32_t c = impl::next_code_point(word, i);
        if (!hangul_syllable(c)) return std::string(word);
        w.push_back(c);
    }
    bool stripped = false;
    for (auto e : kKoreanEndings)
        if ((stripped = strip_one(w, e, min_syllables))) break;
    if (!stripped)
        for (auto e : kKoreanShortParticles)
            if (strip_one(w, e, min_syllables)) break;
    strip_one(w, U"들", min_syllables);
    std::string out;
    for (char32_t c : w) impl::append_utf8(out, c);
    return out;
}

struct Stemmer::Impl {
    std::map<std::string, sb_stemmer*, std::less<>> handles;
    ~Impl() {
        for (auto& [k, h] : handles)
            if (h) sb_stemmer_delete(h);
    }
};

Stemmer::Stemmer() : impl_(std::make_unique<Impl>()) {}
Stemmer::~Stemmer() = default;
Stemmer::Stemmer(Stemmer&&) noexcept = default;
Stemmer& Stemmer::operator=(Stemmer&&) noexcept = default;

bool Stemmer::has_stemmer(std::string_view lang) {
    return std::find(kStemmed.begin(), kStemmed.end(), lang) != kStemmed.end();
}

std::string Stemmer::stem(std::string_view lang, std::string_view word) {
    if (lang == "ko") return korean_stem(word, 2);
    if (!has_stemmer(lang) || word.empty()) return std::string(word);
    auto it = impl_->handles.find(lang);
    if (it == impl_->handles.end()) {
        std::string l(lang);
        it = impl_->handles.emplace(l, sb_stemmer_new(l.c_str(), "UTF_8")).first;
    }
    if (!it->second) return std::string(word);
    const sb_symbol* s = sb_stemmer_stem(it->second, reinterpret_cast<const sb_symbol*>(word.data()),
                                         static_cast<int>(word.size()));
    int n = sb_stemmer_length(it->second);
    if (!s || n <= 0) return std::string(word);
    return std::string(reinterpret_cast<const char*>(s), static_cast<std::size_t>(n));
}

}  // namespace doppel
