#include "doppel/normalize/stemmer.h"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <map>

namespace doppel {
namespace {
constexpr std::array<std::string_view, 28> kStemmed = {
    "ar", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr", "ga", "hi", "hu", "hy",
    "id", "it", "lt", "ne", "nl", "no", "pt", "ro", "ru", "sr", "sv", "ta", "tr", "yi"};
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
