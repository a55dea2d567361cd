#include "doppel/langid/script_evidence.h"

#include <unicode/uscript.h>

#include <algorithm>
#include <string>

#include "doppel/langid/language_relatives.h"
#include "impl/utf8.h"

namespace doppel {

CjkScriptCounts count_cjk_scripts(std::string_view text) {
    CjkScriptCounts n;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<UChar32>(impl::next_code_point(text, i));
        if (c < 0x1100) continue;  // below Hangul jamo: no CJK script
        UErrorCode err = U_ZERO_ERROR;
        switch (uscript_getScript(c, &err)) {
            case USCRIPT_HAN: ++n.han; break;
            case USCRIPT_HIRAGANA:
            case USCRIPT_KATAKANA: ++n.kana; break;
            case USCRIPT_HANGUL: ++n.hangul; break;
            default: break;
        }
    }
    return n;
}

namespace {
// The language the script of a text with counts `n` shows, and whether `label` contradicts
// it; "" when the script says nothing.
std::string_view script_language(const CjkScriptCounts& n) {
    const std::size_t cjk = n.han + n.kana + n.hangul;
    if (cjk == 0) return {};
    if (2 * n.hangul >= cjk) return "ko";
    if (n.kana >= 2 && n.kana >= n.hangul && static_cast<double>(n.kana) >= kMinKanaShare * static_cast<double>(cjk))
        return "ja";
    if (n.han >= 2 && n.kana == 0 && n.hangul == 0) return "zh";
    return {};
}

bool ruled_out(std::string_view label, std::string_view shown) {
    const bool chinese = language_family(label) == "zh";
    if (shown == "zh") return label == "ja" || label == "ko";
    if (shown == "ja") return chinese;
    if (shown == "ko") return chinese || label == "ja";
    return false;
}
}  // namespace

void apply_script_evidence(std::string_view text, std::vector<LanguageGuess>* labels) {
    if (labels->empty()) return;
    const std::string_view shown = script_language(count_cjk_scripts(text));
    if (shown.empty() ||
        std::none_of(labels->begin(), labels->end(), [&](const LanguageGuess& g) { return ruled_out(g.lang, shown); }))
        return;
    std::vector<LanguageGuess> out;
    for (LanguageGuess& g : *labels) {
        if (ruled_out(g.lang, shown)) g.lang = std::string(shown);
        auto same = std::find_if(out.begin(), out.end(), [&](const LanguageGuess& o) { return o.lang == g.lang; });
        if (same == out.end())
            out.push_back(std::move(g));
        else
            same->confidence = std::min(1.0f, same->confidence + g.confidence);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const LanguageGuess& a, const LanguageGuess& b) { return a.confidence > b.confidence; });
    *labels = std::move(out);
}

}  // namespace doppel
