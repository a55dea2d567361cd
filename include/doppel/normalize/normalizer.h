// doppel: text normalization with a map back to the original.
//
// Normalization makes two spellings of the same text compare equal before shingling and
// embedding. With the default options it applies, in order:
//   1. Unicode NFKC with case folding (ICU's NFKC_Casefold: compatibility forms, full-width
//      letters, ligatures, case; default-ignorable characters such as zero-width spaces removed);
//   2. every Unicode decimal digit to its ASCII digit ("٢٠٢٤" and "२०२४" become "2024");
//   3. Arabic: tatweel and harakat (short-vowel marks, shadda, sukun, superscript alef) removed;
//      alef forms (آ أ إ ٱ) to bare alef; alef maqsura and Farsi yeh to yeh; hamza carriers (ؤ ئ)
//      to their letters; ta marbuta to heh;
//   4. whitespace: every run of spaces, tabs and other Unicode spaces becomes one ASCII space;
//      line breaks are kept (they separate paragraphs) and spaces around them dropped.
//
// Every byte of the output records which byte of the input produced it, so a span found in the
// normalized text can be quoted from the original (NormalizedText::source_span).
//
// Spec string: "icu:nfkc_cf,digits,arabic,space" (describe() gives it back; omit a flag to turn
// the step off, e.g. "icu:nfkc_cf,space").
//
// Thread safety: a Normalizer is immutable after construction; normalize() may be called from
// many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"

namespace doppel {

struct NormalizerOptions {
    bool nfkc_casefold = true;     // step 1
    bool ascii_digits = true;      // step 2
    bool arabic = true;            // step 3
    bool collapse_space = true;    // step 4
};

struct NormalizedText {
    std::string text;
    // source_offsets[i] is the input byte where the character that produced output byte i begins;
    // it has text.size() + 1 entries, the last being the input's size.
    std::vector<uint32_t> source_offsets;

    // The input byte range that produced output bytes [span.begin, span.end).
    Span source_span(Span span) const;
};

class Normalizer {
public:
    explicit Normalizer(NormalizerOptions options = {});
    // Builds from a spec string such as "icu:nfkc_cf,digits,arabic,space". Throws doppel::Error
    // on an unknown spec.
    static std::unique_ptr<Normalizer> from_spec(const std::string& spec);

    NormalizedText normalize(std::string_view text) const;
    // Batched form: normalizes n texts into out[0..n).
    void normalize_batch(std::size_t n, const std::string_view* texts, NormalizedText* out) const;
    // The normalized text alone, without the offset map (faster).
    std::string normalize_text(std::string_view text) const;
    // The same into *out (its capacity reused from one text to the next).
    void normalize_text(std::string_view text, std::string* out) const { run(text, *out, nullptr); }

    std::string describe() const;
    const NormalizerOptions& options() const { return options_; }

private:
    void run(std::string_view text, std::string& out, std::vector<uint32_t>* offsets) const;
    NormalizerOptions options_;
    const void* nfkc_cf_;  // icu::Normalizer2*, owned by ICU
};

}  // namespace doppel
