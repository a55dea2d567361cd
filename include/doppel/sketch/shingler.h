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
// Thread safety: a Shingler is immutable; shingle(), shingle_counted(), shingle_without() and
// line_word_hashes() may be called from many threads at once, each with its own Segmenter
// (segmenter.h); their scratch buffers are per thread.
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

// What the shingles of a whole text need beside them so that the shingles of the text without
// some of its lines (boilerplate) can be derived from them (Shingler::shingle_without) without
// splitting the whole text into words again. A *place* of a shingle is one run of n consecutive
// words of the text that hashes to it; most shingles have one.
//   words            the words of the text;
//   repeated_at      the positions, in the (sorted) set, of the shingles with two places or more,
//                    increasing, and
//   repeated_places  their numbers of places.
// Made by Shingler::shingle_counted for word shingles under the default normalization; `valid`
// is false for a text that gets character shingles, has words of a script written without spaces
// or has no more than n words (its shingles are then made again from the text when lines go).
struct ShingleCounts {
    bool valid = false;
    uint64_t words = 0;
    std::vector<uint32_t> repeated_at, repeated_places;
    bool operator==(const ShingleCounts&) const = default;
};

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
    // shingle() of the whole text, and its ShingleCounts in *counts.
    void shingle_counted(std::string_view text, Segmenter& segmenter, std::vector<uint64_t>* out,
                         ShingleCounts* counts) const;
    // What shingle(text, segmenter, out, &skip, skipped) gives, derived from `all` (the n_all
    // shingles of the whole text, shingle_counted) and their counts: only the lines left out and
    // the lines next to them (n - 1 words each side) are split into words. The places touching a
    // left-out line are hashed again; a shingle all of whose places are among them goes, and the
    // runs of n words formed across the left-out lines come in. Returns false (*out then means
    // nothing) when it cannot give that answer: counts not valid or not of this text, or fewer
    // than max(min_words, n + 1) words left (shingle() would then make one shingle of all of
    // them, or character shingles). *removed (when given) gets the shingles of `all` that went
    // (and perhaps some that came back across), *added the ones that came across (perhaps some
    // that were there): what MinHash::sign_changed needs.
    bool shingle_without(std::string_view text, const uint64_t* all, std::size_t n_all, const ShingleCounts& counts,
                         const LineHashSet& skip, Segmenter& segmenter, std::vector<uint64_t>* out,
                         std::size_t* skipped = nullptr, std::vector<uint64_t>* removed = nullptr,
                         std::vector<uint64_t>* added = nullptr) const;
    // The hashes of the words of one line (no line break inside) as shingle() makes them, appended
    // to *out.
    void line_word_hashes(std::string_view line, Segmenter& segmenter, std::vector<uint64_t>* out) const;
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
                             const LineHashSet* skip, std::size_t* skipped, ShingleCounts* counts = nullptr) const;

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

// The hash by which identical shingle sets (sorted unique arrays) are found: XXH3-64 of the n
// hashes as they lie in memory (little-endian uint64s). The one rule for the finder
// (match/near_duplicate_finder.h), `dedup --store` and the stored set keys
// (index/near_duplicate_index.h, "shingle_set").
uint64_t shingle_set_hash(const uint64_t* shingles, std::size_t n);

}  // namespace doppel
