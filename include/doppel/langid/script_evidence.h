// doppel: what a text's writing system says about its language, where lid.176 guesses wrong.
//
// Terms:
//  - Han: Chinese characters (hanzi, Japanese kanji, Korean hanja); kana: Japanese hiragana and
//    katakana; Hangul: Korean syllables and jamo (Unicode script properties, through ICU).
//  - script evidence: Japanese is written with kana and Korean with Hangul, Chinese with
//    neither. lid.176 labels many short Chinese texts "ja" (85 of 1,000 LibreOffice help
//    paragraphs in Chinese) and a few "ko", although they hold no kana or Hangul at all.
//
// apply_script_evidence() moves the probability of the labels a text's script rules out to
// the language its script shows, and merges and re-sorts the labels:
//  - Han without kana and without Hangul: "ja" and "ko" count for "zh";
//  - kana at least kMinKanaShare of the CJK characters (and two or more), no more Hangul than
//    kana: "zh" and its family (wuu, yue, gan) count for "ja";
//  - Hangul at least half of the CJK characters: "zh", its family and "ja" count for "ko".
// Texts without CJK characters are left as they are. LanguageIdentifier applies it to every
// prediction (identify(), score()).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "doppel/langid/language_identifier.h"

namespace doppel {

struct CjkScriptCounts {
    std::size_t han = 0;     // Han characters
    std::size_t kana = 0;    // hiragana and katakana (not the prolonged sound mark or the middle dot)
    std::size_t hangul = 0;  // Hangul syllables and jamo
};

// A Japanese text's kana share of its CJK characters is far above this; a Chinese text that
// quotes a Japanese name or two stays below it.
inline constexpr double kMinKanaShare = 0.1;

CjkScriptCounts count_cjk_scripts(std::string_view text);

// Corrects `labels` (best first, probabilities) by the script of `text`, as above: labels the
// script rules out are renamed, labels of one language merged (probabilities added, at most 1),
// and the list sorted best first again.
void apply_script_evidence(std::string_view text, std::vector<LanguageGuess>* labels);

}  // namespace doppel
