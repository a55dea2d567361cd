// Korean loanword keys (normalize/text_keys.h): Hangul words and English words reduced to the
// consonant classes of Korean loanword spelling.
#include <string>
#include <string_view>
#include <vector>

#include "doppel/normalize/text_keys.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

constexpr char32_t kFirstSyllable = 0xAC00, kLastSyllable = 0xD7A3;
constexpr int kVowelsTimesFinals = 21 * 28, kFinals = 28;

// The class of each initial consonant (ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ); ㅇ is silent;
// the tense ㄲ ㄸ ㅃ ㅉ write no English sound (nullptr: the word is no loanword).
constexpr const char* kInitials[19] = {"g", nullptr, "n", "d", nullptr, "l", "m", "b", nullptr, "s",
                                       "s", "",      "j", nullptr, "c", "k", "t", "p", "h"};
constexpr int kSilentInitial = 11, kInitialJ = 12, kInitialC = 14, kInitialS = 9, kInitialSS = 10;
// The class of each final (none, ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅄ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ):
// loanwords use only ㄱ ㄴ ㄹ ㅁ ㅂ ㅅ ㅇ (nullptr: no loanword), unreleased and voiceless (클릭
// click, 탭 tab, 인터넷 internet); final ㅇ is ng.
constexpr const char* kFinalClasses[kFinals] = {
    "",      "k",     nullptr, nullptr, "n",     nullptr, nullptr, nullptr, "l",     nullptr,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "m",     "p",     nullptr, "t",
    nullptr, "N",     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
constexpr int kVowelEu = 18, kVowelUi = 19, kVowelI = 20;  // ㅡ ㅢ ㅣ
// The mark of a vowel sound at the start or the end of a word.
constexpr char kVowelMark = 'a';

// A Hangul syllable's parts: initial, vowel, final indices.
struct Syllable {
    int initial, vowel, final;
};

// Appends classes, leaving out one equal to the last class written (doubles collapse).
void append_collapsed(std::string& key, std::string_view classes) {
    for (char c : classes)
        if (key.empty() || key.back() != c) key.push_back(c);
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }
bool is_front_vowel(char c) { return c == 'e' || c == 'i' || c == 'y'; }

// Reads an English word letter by letter; each step consumes one or more letters and gives the
// classes they sound as.
class EnglishReader {
public:
    explicit EnglishReader(std::string_view w) : w_(w) {}
    std::string key() {
        if (w_.starts_with("kn") || w_.starts_with("wr")) i_ = 1;  // silent first letter
        std::string key;
        while (i_ < w_.size()) append_collapsed(key, step());
        return key;
    }

private:
    char at(std::size_t j) const { return j < w_.size() ? w_[j] : '\0'; }
    bool final_e(std::size_t j) const { return at(j) == 'e' && j + 1 == w_.size(); }
    std::string_view take(std::size_t letters, std::string_view classes) {
        i_ += letters;
        return classes;
    }
    std::string_view step();
    std::string_view step_c(char next);
    std::string_view step_g(char next);
    std::string_view step_t(char next);
    std::string_view step_s(char next);
    std::string_view step_n(char next);

    std::string_view w_;
    std::size_t i_ = 0;
};

std::string_view EnglishReader::step() {
    const char c = w_[i_], next = at(i_ + 1);
    switch (c) {
        case 'r':  // non-rhotic: sounded only before a vowel (not a silent final e)
            return take(1, is_vowel(next) && !final_e(i_ + 1) ? "l" : "");
        case 'c': return step_c(next);
        case 'g': return step_g(next);
        case 't': return step_t(next);
        case 's': return step_s(next);
        case 'n': return step_n(next);
        case 'p': return take(next == 'h' ? 2 : 1, "p");
        case 'f': return take(1, "p");
        case 'v': return take(1, "b");
        case 'b': return take(1, i_ + 1 == w_.size() ? "p" : "b");  // a final b is unreleased: 탭 tab
        case 'd': return take(1, next == 'g' && is_front_vowel(at(i_ + 2)) ? "" : "d");  // bridge
        case 'k': case 'q': return take(1, "k");
        case 'x': return take(1, "ks");
        case 'z': case 'j': return take(1, "j");
        case 'l': case 'h': return take(1, c == 'l' ? "l" : "h");
        case 'm': return take(next == 'b' && i_ + 2 == w_.size() ? 2 : 1, "m");  // final mb
        default: return take(1, "");  // vowels, w, y
    }
}

std::string_view EnglishReader::step_c(char next) {
    if (next == 'h') return take(2, "c");
    if (next == 'k') return take(2, "k");
    return take(1, is_front_vowel(next) ? "s" : "k");
}

std::string_view EnglishReader::step_g(char next) {
    if (next == 'h') return take(2, "");                        // light, high
    if (next == 'n' && i_ + 2 == w_.size()) return take(1, "");  // design
    return take(1, is_front_vowel(next) ? "j" : "g");
}

std::string_view EnglishReader::step_t(char next) {
    if (next == 'h') return take(2, "s");                                       // math: 매쓰
    if (next == 'i' && (at(i_ + 2) == 'o' || at(i_ + 2) == 'a')) return take(2, "s");  // option
    if (next == 'u' && at(i_ + 2) == 'r') return take(2, "c");                  // picture 픽처
    if (next == 'c' && at(i_ + 2) == 'h') return take(1, "");                   // match
    return take(1, "t");
}

std::string_view EnglishReader::step_s(char next) {
    if (next == 'h') return take(2, "s");
    if (next == 'i' && at(i_ + 2) == 'o') {  // version 버전, session 세션
        const char before = i_ > 0 ? w_[i_ - 1] : '\0';
        return take(2, is_vowel(before) || before == 'r' ? "j" : "s");
    }
    return take(1, "s");
}

std::string_view EnglishReader::step_n(char next) {
    if (next == 'g') {  // ng: 링 ; sounded g before a vowel or l / r (single 싱글)
        const char after = at(i_ + 2);
        const bool g = after == 'l' || after == 'r' || (is_vowel(after) && !final_e(i_ + 2));
        return take(2, g ? "Ng" : "N");
    }
    if (next == 'k' || next == 'q' || (next == 'c' && !is_front_vowel(at(i_ + 2)))) return take(1, "N");
    return take(1, "n");
}

}  // namespace

std::string hangul_loanword_key(std::string_view word) {
    std::string key;
    Syllable first{}, last{};
    bool at_start = true;
    for (std::size_t i = 0; i < word.size();) {
        const char32_t c = impl::next_code_point(word, i);
        if (c < kFirstSyllable || c > kLastSyllable) return {};
        const int s = static_cast<int>(c - kFirstSyllable);
        last = {s / kVowelsTimesFinals, (s % kVowelsTimesFinals) / kFinals, s % kFinals};
        if (at_start) first = last;
        at_start = false;
        const char* initial = kInitials[last.initial];
        const char* final = kFinalClasses[last.final];
        // Nor do loanwords have 의, or 으 without a consonant before it (다음, 이름은 are native).
        const bool native_vowel = last.vowel == kVowelUi || (last.vowel == kVowelEu && last.initial == kSilentInitial);
        if (!initial || !final || native_vowel) return {};
        append_collapsed(key, initial);
        append_collapsed(key, final);
    }
    if (word.empty()) return {};
    if (first.initial == kSilentInitial) key.insert(key.begin(), kVowelMark);
    // A vowel sound at the end: no final, and not the epenthetic ㅡ, nor the ㅣ after ㅈ ㅊ ㅅ ㅆ
    // (페이지 page, 플래시 flash).
    const bool epenthetic_i = last.vowel == kVowelI && (last.initial == kInitialJ || last.initial == kInitialC ||
                                                        last.initial == kInitialS || last.initial == kInitialSS);
    if (last.final == 0 && last.vowel != kVowelEu && !epenthetic_i) key.push_back(kVowelMark);
    return key;
}

std::string english_loanword_key(std::string_view word) {
    if (word.empty()) return {};
    for (char c : word)
        if (c < 'a' || c > 'z') return {};
    std::string key = EnglishReader(word).key();
    const auto vowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; };
    // A vowel sound at the start (y and w before a vowel are Korean glides: 유저 user, 윈도 window).
    if (vowel(word[0]) || ((word[0] == 'y' || word[0] == 'w') && word.size() > 1 && vowel(word[1])))
        key.insert(key.begin(), kVowelMark);
    // ... and at the end: a final vowel letter, y or w, a final r or re (non-rhotic: 서버 server,
    // 스토어 store), gh (high); a final e after a consonant is silent.
    const char e = word.back(), before = word.size() > 1 ? word[word.size() - 2] : '\0';
    const bool vowel_end = e == 'r' || word.ends_with("re") || (vowel(e) && e != 'e') || e == 'y' || e == 'w' ||
                           (e == 'e' && (vowel(before) || before == 'y')) || word.ends_with("gh");
    if (vowel_end) key.push_back(kVowelMark);
    return key;
}

std::size_t loanword_key_consonants(std::string_view key) {
    std::size_t n = 0;
    for (char c : key) n += c != kVowelMark;
    return n;
}

}  // namespace doppel

namespace doppel {
namespace {

// The English vowel letters each Korean vowel writes (ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅘ ㅙ ㅚ ㅛ ㅜ ㅝ ㅞ ㅟ ㅠ ㅡ ㅢ ㅣ):
// ㅓ is the schwa, any letter; ㅡ is epenthetic, none.
constexpr std::string_view kVowelLetters[21] = {"aou", "ae", "a",   "e", "aeiou", "ea", "e", "e",  "oa", "ao", "a",
                                                "o",   "o",  "uo",  "oua", "e",   "ie", "u", "",   "",   "iey"};
constexpr int kVowelA = 0, kVowelE = 5, kVowelO = 8, kVowelU = 13;

// The vowel sounds of a Hangul word, each as the English letters that may write it; 아이, 에이, 아우
// and 오우 across a syllable without a final are one English vowel (icon, table, mouse, window).
std::vector<std::string_view> hangul_vowels(std::string_view word) {
    std::vector<std::string_view> out;
    int previous = -1;  // the vowel of the syllable before, when it has no final
    for (std::size_t i = 0; i < word.size();) {
        const char32_t c = impl::next_code_point(word, i);
        if (c < kFirstSyllable || c > kLastSyllable) return {};
        const int s = static_cast<int>(c - kFirstSyllable);
        const int initial = s / kVowelsTimesFinals, vowel = (s % kVowelsTimesFinals) / kFinals, final = s % kFinals;
        const bool last = i >= word.size();
        const bool epenthetic_i = last && final == 0 && vowel == kVowelI &&
                                  (initial == kInitialJ || initial == kInitialC || initial == kInitialS || initial == kInitialSS);
        std::string_view letters = epenthetic_i ? "" : kVowelLetters[vowel];
        if (initial == kSilentInitial && !out.empty() && previous >= 0) {
            std::string_view merged;
            if (vowel == kVowelI && previous == kVowelA) merged = "iy";
            else if (vowel == kVowelI && previous == kVowelE) merged = "a";
            else if (vowel == kVowelU && (previous == kVowelA || previous == kVowelO)) merged = "o";
            if (!merged.empty()) {
                out.back() = merged;
                letters = "";
            }
        }
        if (!letters.empty()) out.push_back(letters);
        previous = final == 0 ? vowel : -1;
    }
    return out;
}

// The first letter of each vowel group of an English word (y after the first letter is a
// vowel), a silent final e left out.
std::string english_vowels(std::string_view w) {
    auto vowel = [&](std::size_t j) {
        const char c = w[j];
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || (c == 'y' && j > 0);
    };
    std::string out;
    for (std::size_t j = 0; j < w.size(); ++j) {
        if (!vowel(j) || (j > 0 && vowel(j - 1))) continue;
        if (w[j] == 'e' && j + 1 == w.size() && j > 0) continue;  // silent final e
        out.push_back(w[j]);
    }
    return out;
}

}  // namespace

std::size_t loanword_vowel_agreement(std::string_view hangul_word, std::string_view english_word) {
    const auto ko = hangul_vowels(hangul_word);
    const std::string en = english_vowels(english_word);
    std::size_t agree = 0;
    for (std::size_t i = 0; i < ko.size() && i < en.size(); ++i) agree += ko[i].find(en[i]) != std::string_view::npos;
    return agree;
}

}  // namespace doppel
