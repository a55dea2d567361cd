// doppel: shingles, the units near-duplicate detection compares.
//
// A shingle is one n-gram of a document, hashed to 64 bits (XXH3). Two documents are compared by
// the Jaccard similarity of their shingle SETS, |A ∩ B| / |A ∪ B|, and a document is contained in
// another by |A ∩ B| / |A|. A Shingler turns a text into the sorted, duplicate-free array of its
// shingle hashes:
//
//   1. lines listed in `skip` (boilerplate of the document's source, see line_hash) are dropped;
//   2. the text is normalized (normalize/normalizer.h: NFKC case folding, digits, Arabic, spaces);
//   3. the remaining text is split into words by the Segmenter (ICU; punctuation dropped);
//   4. kind "word": every run of n consecutive words is one shingle. A document whose words are
//      mostly in scripts written without spaces (Han, Kana, Thai, Lao, Khmer, Myanmar), or that
//      has fewer than `min_words` words, gets character n-grams instead (step 5), since its word
//      n-grams would be too few or too coarse;
//   5. kind "char": every run of char_n consecutive characters of the words, spaces and
//      punctuation left out, is one shingle. A text shorter than n units gives one shingle (all
//      of it); an empty text gives none.
//
// Spec strings: "word:n=3,char_n=5,min_words=10" (the default) or "char:n=5". describe() gives
// the spec back.
//
// Why word 3-grams: on simulated news reprints of 832 real texts (scripts/measure-shingles: a
// credit line and a footer added, one word in 100 changed, the last paragraph dropped), the
// share of reprints whose Jaccard reaches 0.8 is 93% with n=3, 88% with n=4, 83% with n=5 and
// 66% with n=7; character 5-grams find 94% but make 2-3x more shingles per document. Unrelated
// texts stay far apart with n=3 (the five seeds: at most 0.05).
//
// Thread safety: a Shingler is immutable; shingle() may be called from many threads at once, each
// with its own Segmenter (segmenter.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"

namespace doppel {

// The shingle spec doppel uses unless told otherwise (near-duplicate finder and index).
inline constexpr const char* kDefaultShingleSpec = "word:n=3";

struct ShinglerOptions {
    enum class Kind { kWord, kChar };
    Kind kind = Kind::kWord;  // word n-grams (with the character fallback above)
    int n = 3;                // words per shingle (kWord) or characters per shingle (kChar)
    int char_n = 5;           // characters per shingle of the fallback (kWord only)
    int min_words = 10;       // fewer words than this: character shingles (kWord only)
};

// Lines to leave out of the shingles, by line_hash().
using LineHashSet = std::unordered_set<uint64_t>;

class Shingler {
public:
    explicit Shingler(ShinglerOptions options = {}, NormalizerOptions normalizer = {});
    // Builds from a spec such as "word:n=5" or "char:n=4". Throws doppel::Error on a bad spec.
    static std::unique_ptr<Shingler> from_spec(const std::string& spec);

    // The sorted unique shingle hashes of `text` (original, not yet normalized) into *out
    // (cleared first). Lines whose line_hash is in *skip are left out; *skipped (when given) is
    // set to how many.
    void shingle(std::string_view text, Segmenter& segmenter, std::vector<uint64_t>* out,
                 const LineHashSet* skip = nullptr, std::size_t* skipped = nullptr) const;
    // The same for a text that is normalized already (Normalizer::normalize_text).
    void shingle_normalized(std::string_view normalized, Segmenter& segmenter,
                            std::vector<uint64_t>* out) const;

    // The hash that identifies a line for boilerplate detection and repeated-line reports: XXH3 of
    // the line with surrounding spaces trimmed, byte for byte (cheap enough to run over raw text
    // before normalization; page chrome repeats verbatim). Never 0 for a non-blank line, 0 for a
    // blank one.
    static uint64_t line_hash(std::string_view line);

    // The text as shingling sees it: Normalizer::normalize_text, with a fast path for ASCII text
    // (lower-casing; space runs are left alone since they do not change the words).
    std::string normalize(std::string_view text) const;

    const Normalizer& normalizer() const { return normalizer_; }
    const ShinglerOptions& options() const { return options_; }
    std::string describe() const;

private:
    bool fused_word_shingles(std::string_view text, Segmenter& segmenter, std::vector<uint64_t>* out,
                             const LineHashSet* skip, std::size_t* skipped) const;

    ShinglerOptions options_;
    Normalizer normalizer_;
};

// The overlap of two shingle sets given as sorted unique arrays (the form shingle() writes).
struct ShingleOverlap {
    uint32_t common = 0;     // |A ∩ B|
    double jaccard = 0;      // common / |A ∪ B| (0 when both are empty)
    double containment = 0;  // common / min(|A|, |B|) (0 when one is empty)
};
ShingleOverlap shingle_overlap(const uint64_t* a, std::size_t na, const uint64_t* b, std::size_t nb);

}  // namespace doppel
