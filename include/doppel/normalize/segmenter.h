// doppel: splitting text into paragraphs, sentences and words (ICU break iterators).
//
//  - paragraphs(): the non-blank lines of the text, trimmed of surrounding spaces.
//  - sentences(): ICU sentence boundaries inside each paragraph (a sentence never crosses a line
//    break), trimmed; rules follow the language's locale where ICU has one.
//  - words(): the word tokens (letters, digits, ideographs; punctuation and spaces skipped).
//    Text in scripts written with spaces is split by a fast scanner on letter/digit runs (a
//    digit run keeps inner '.' and ',' as in "3.14" or "1,000"; an apostrophe between letters
//    stays inside the word); runs of Han, Hiragana, Katakana, Thai, Lao, Khmer and Myanmar go
//    through ICU's dictionary-based word break iterator; the words of each such run are kept
//    (up to 4 MiB of runs, then afresh) and given again when the same run comes back.
//
// All spans are byte ranges into the text passed in.
//
// Thread safety: a Segmenter caches ICU break iterators and the runs' words, and is NOT safe for
// concurrent use; give each thread its own (construction is cheap, iterators are created on
// first use).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"

namespace doppel {

class Segmenter {
public:
    Segmenter();
    ~Segmenter();
    Segmenter(const Segmenter&) = delete;
    Segmenter& operator=(const Segmenter&) = delete;

    static std::vector<Span> paragraphs(std::string_view text);
    // `lang` is an ISO 639-1 code ("en", "ar") or empty for the root rules.
    std::vector<Span> sentences(std::string_view text, const std::string& lang = "");
    std::vector<Span> words(std::string_view text);
    // The same into *out (cleared first), reusing its capacity.
    void words(std::string_view text, std::vector<Span>* out);

    std::string describe() const { return "icu:para=line,sent=icu,word=fast+dict"; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
