#include "doppel/normalize/text_keys.h"

#include <unicode/translit.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <map>
#include <string>
#include <vector>

#include "doppel/error.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

// The ascii_latin() cache is emptied when it holds more words than this.
constexpr std::size_t kMaxCachedWords = 200000;

bool is_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
char to_lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool has_digit(std::string_view s) {
    for (char c : s)
        if (is_digit(c)) return true;
    return false;
}

bool has_letter(std::string_view s) {
    for (char c : s)
        if (is_lower(c) || is_upper(c)) return true;
    return false;
}

// The letter that stands for `c` in a skeleton, or 0 when `c` is left out.
char skeleton_letter(char c, SkeletonRule rule) {
    if (std::string_view("aeiouhwy").find(c) != std::string_view::npos) return 0;
    if (c == 'c' || c == 'q') return 'k';
    if (rule == SkeletonRule::kConsonants) return c;
    if (c == 'g') return 'j';
    if (c == 'p' || c == 'f' || c == 'v') return 'b';
    if (c == 'z' || c == 'x') return 's';
    if (c == 'd') return 't';
    return c;
}

std::string leading_digits_key(std::string_view token) {
    std::string out;
    for (char c : token)
        if (is_digit(c)) out.push_back(c);
    return out;
}

std::string token_number_key(std::string_view token) {
    std::string out;
    for (char c : token)
        if (c != '.' && c != ',') out.push_back(c);
    if (!has_letter(out)) {
        std::size_t zeros = 0;
        while (zeros + 1 < out.size() && out[zeros] == '0') ++zeros;
        out.erase(0, zeros);
    }
    return out;
}

void host_path_keys(std::string_view text, std::vector<std::string>& out) {
    for (std::size_t p = 0; (p = text.find("http", p)) != std::string_view::npos;) {
        std::size_t e = p;
        while (e < text.size() && !std::isspace(static_cast<unsigned char>(text[e])) && text[e] != ')' &&
               text[e] != '"' && text[e] != '>')
            ++e;
        std::string_view u = text.substr(p, e - p);
        if (u.starts_with("https://") || u.starts_with("http://")) {
            u.remove_prefix(u.find("//") + 2);
            if (u.starts_with("www.")) u.remove_prefix(4);
            while (!u.empty() && (u.back() == '/' || u.back() == '.' || u.back() == ',')) u.remove_suffix(1);
            if (!u.empty()) out.emplace_back(u);
        }
        p = e;
    }
}

void chunk_keys(std::string_view text, std::vector<std::string>& out) {
    constexpr std::string_view kTrailing = ".,;:)]\"'";
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t e = i;
        while (e < text.size() && !std::isspace(static_cast<unsigned char>(text[e]))) ++e;
        std::string_view chunk = text.substr(i, e - i);
        const bool url =
            chunk.starts_with("http://") || chunk.starts_with("https://") || chunk.starts_with("www.");
        const bool mail =
            chunk.find('@') != std::string_view::npos && chunk.find('.') != std::string_view::npos;
        if (url || mail) {
            while (!chunk.empty() && kTrailing.find(chunk.back()) != std::string_view::npos)
                chunk.remove_suffix(1);
            std::string key(chunk);
            for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out.push_back(std::move(key));
        }
        i = e;
    }
}

std::unique_ptr<icu::Transliterator> make_transliterator(const char* id) {
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> t(
        icu::Transliterator::createInstance(icu::UnicodeString::fromUTF8(id), UTRANS_FORWARD, st));
    if (U_FAILURE(st) || !t)
        DOPPEL_THROW(kIcu, std::string("ICU transliterator ") + id + ": " + u_errorName(st));
    return t;
}

std::string transliterate(icu::Transliterator& t, std::string_view s) {
    icu::UnicodeString u =
        icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
    t.transliterate(u);
    std::string out;
    u.toUTF8String(out);
    return out;
}

}  // namespace

std::string name_skeleton(std::string_view ascii, SkeletonRule rule) {
    std::string out;
    for (char c : ascii) {
        c = to_lower(c);
        if (!is_lower(c)) continue;
        c = skeleton_letter(c, rule);
        if (c == 0 || (!out.empty() && out.back() == c)) continue;
        out.push_back(c);
    }
    return out;
}

std::optional<std::string> number_key(std::string_view token, NumberRule rule) {
    switch (rule) {
        case NumberRule::kLeadingDigits:
            if (token.empty() || !is_digit(token[0])) return std::nullopt;
            return leading_digits_key(token);
        case NumberRule::kToken:
            if (!has_digit(token)) return std::nullopt;
            return token_number_key(token);
    }
    return std::nullopt;
}

std::vector<std::string> url_keys(std::string_view text, UrlRule rule) {
    std::vector<std::string> out;
    if (rule == UrlRule::kHostPath)
        host_path_keys(text, out);
    else
        chunk_keys(text, out);
    return out;
}

namespace {
// Whether Traditional-Simplified leaves a text as it is, found without running it (it read text
// at about 8 MB/s, and most Chinese text is Simplified already). Its rules are "key > output;"
// (3,951 in ICU 72), and a rule changes nothing unless its key is in the text. So the text comes
// out as it went in when it has none of the characters a rule of one character changes
// (`changing`: 2,855 in ICU 72) and none of the keys of the longer rules that change a text
// without one of those (`phrases`: 50, such as 祇管 > 只管 and 剃发 > 剃髮). Rules of another
// form (another ICU) or a filter: `changing` is every character of every key (ICU's source set;
// 3,464 in ICU 72, among them common Simplified ones such as 于), which is exact too. (Bytes
// that are not UTF-8 pass as they are, where the transliterator gave U+FFFD for them; documents
// are checked as UTF-8 when read.)
class UnchangedBySimplified {
public:
    explicit UnchangedBySimplified(const icu::Transliterator& t) {
        if (t.getFilter() != nullptr || !read_rules(t)) {
            changing_.clear();
            phrases_.clear();
            t.getSourceSet(changing_);
        }
        changing_.freeze();
    }
    bool operator()(std::string_view text) const {
        if (text.size() > INT32_MAX) return false;
        const auto size = static_cast<int32_t>(text.size());
        if (changing_.spanUTF8(text.data(), size, USET_SPAN_NOT_CONTAINED) != size) return false;
        return std::none_of(phrases_.begin(), phrases_.end(),
                            [&](const std::string& p) { return text.find(p) != std::string_view::npos; });
    }

private:
    // Reads the rules as "key > output;" lines of characters outside ASCII; false for any other form.
    bool read_rules(const icu::Transliterator& t) {
        icu::UnicodeString text;
        t.toRules(text, false);
        std::string rules;
        text.toUTF8String(rules);
        std::vector<std::pair<std::string, std::string>> longer;
        std::map<std::string, std::string> single;  // a character's rule
        for (std::size_t pos = 0; pos < rules.size();) {
            std::size_t nl = rules.find('\n', pos);
            if (nl == std::string::npos) nl = rules.size();
            const std::string_view line = std::string_view(rules).substr(pos, nl - pos);
            pos = nl + 1;
            if (line.empty()) continue;
            const std::size_t arrow = line.find(" > ");
            if (arrow == std::string_view::npos || !line.ends_with(';')) return false;
            const std::string key(line.substr(0, arrow)),
                out(line.substr(arrow + 3, line.size() - arrow - 4));
            const auto plain = [](std::string_view s) {
                return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; });
            };
            if (!plain(key) || !plain(out)) return false;
            std::size_t i = 0;
            impl::next_code_point(key, i);
            if (i == key.size())
                single.emplace(key, out);  // the first rule of a key is the one ICU applies
            else
                longer.emplace_back(key, out);
        }
        for (const auto& [key, out] : single)
            if (out != key) changing_.add(icu::UnicodeString::fromUTF8(key).char32At(0));
        for (const auto& [key, out] : longer) {
            if (out == key) continue;
            bool has_changing = false;
            for (std::size_t i = 0; i < key.size() && !has_changing;)
                has_changing = changing_.contains(static_cast<UChar32>(impl::next_code_point(key, i)));
            if (!has_changing) phrases_.push_back(key);
        }
        return true;
    }
    icu::UnicodeSet changing_;
    std::vector<std::string> phrases_;
};
}  // namespace

// Each transliterator is built on its first use: building one costs milliseconds (the first in
// a process also ICU's registry of them, about 25 ms), and most texts need few of them or none
// (Latin-ASCII only for a non-ASCII Latin word, Traditional-Simplified only for Chinese). An
// embedder made for the index's stages that never meets such a word builds none.
struct TextKeys::Transliterators {
    std::unique_ptr<icu::Transliterator> any_to_ascii, latin_to_ascii, traditional_to_simplified;
    std::unique_ptr<UnchangedBySimplified> unchanged_by_simplified;  // made with it

    static icu::Transliterator& made(std::unique_ptr<icu::Transliterator>& t, const char* id) {
        if (!t) t = make_transliterator(id);
        return *t;
    }
    icu::Transliterator& any() { return made(any_to_ascii, "Any-Latin; Latin-ASCII; Lower"); }
    icu::Transliterator& latin() { return made(latin_to_ascii, "Latin-ASCII"); }
    icu::Transliterator& simplified() {
        if (!traditional_to_simplified)
            unchanged_by_simplified = std::make_unique<UnchangedBySimplified>(
                made(traditional_to_simplified, "Traditional-Simplified"));
        return *traditional_to_simplified;
    }
};

TextKeys::TextKeys() : icu_(std::make_unique<Transliterators>()) {}

// Counting the available IDs builds the registry and nothing else (building a transliterator
// for it cost 13 M instructions more).
void TextKeys::prepare_shared() { icu::Transliterator::countAvailableIDs(); }

std::size_t TextKeys::transliterators_built() const {
    return std::size_t{icu_->any_to_ascii != nullptr} + std::size_t{icu_->latin_to_ascii != nullptr} +
           std::size_t{icu_->traditional_to_simplified != nullptr};
}

TextKeys::~TextKeys() = default;

const std::string& TextKeys::ascii_latin(std::string_view word) {
    std::string key(word);
    auto it = ascii_cache_.find(key);
    if (it != ascii_cache_.end()) return it->second;
    if (ascii_cache_.size() > kMaxCachedWords) ascii_cache_.clear();
    std::string latin = transliterate(icu_->any(), word);
    return ascii_cache_.emplace(std::move(key), std::move(latin)).first->second;
}

std::string TextKeys::ascii_token(std::string_view token) {
    if (is_ascii(token)) return std::string(token);
    std::string out;
    for (char c : ascii_latin(token)) {
        c = to_lower(c);
        if (is_lower(c) || is_digit(c)) out.push_back(c);
    }
    return out;
}

std::string TextKeys::latin_to_ascii(std::string_view latin_word) {
    if (is_ascii(latin_word)) return std::string(latin_word);
    return transliterate(icu_->latin(), latin_word);
}

std::string TextKeys::simplified_chinese(std::string_view text) {
    icu::Transliterator& t = icu_->simplified();
    if ((*icu_->unchanged_by_simplified)(text)) return std::string(text);
    return transliterate(t, text);
}

}  // namespace doppel
