// doppel: the pluggable unit similarity of the aligner.
//
// Terms:
//  - unit: the smallest piece of text the aligner places: a line, a sentence or a paragraph
//    (see align/units.h).
//  - bead: a group of consecutive units of document A matched with a group of consecutive units
//    of document B ("2-1": two units of A that together translate one unit of B; "1-0": a unit of
//    A with no counterpart in B).
//  - feature vector: what a UnitEncoder makes of one unit, a sparse vector in a space that both
//    languages share (a number, a transliterated name, a dictionary translation, a dimension of a
//    cross-language embedding). The similarity of a bead is the cosine of the SUM of the vectors
//    of its A units with the SUM of the vectors of its B units; summing is how a bead of two
//    sentences is compared with one sentence that translates both.
//
// A UnitEncoder turns a batch of units of one document into feature vectors. Several encoders
// are combined by the Aligner, each with a weight (its features are scaled by the weight and kept
// apart from the other encoders' by their ids). The Aligner then weights every feature by its
// inverse document frequency over the units of the two documents being aligned, so that
// features common to every unit (punctuation, frequent words) count little.
//
// Feature ids are 64-bit hashes of a string naming the feature ("num:1988", "sk:krln");
// encoders make them with feature_id(). Layout: out[i] holds the features of units[i], in any
// order; an id may appear more than once (the weights add up).
//
// Thread safety: encode() is const and must be safe to call from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace doppel {

struct Feature {
    uint64_t id = 0;
    float weight = 0;
};
using FeatureVector = std::vector<Feature>;

// A unit as the encoders see it, prepared once by the Aligner for all of them.
struct UnitTokens {
    std::string_view text;            // the unit as written
    std::vector<std::string> tokens;  // word tokens, NFKC case-folded (Segmenter::words)
    std::vector<std::string> latin;   // tokens[k] in lower-case ASCII ("Any-Latin; Latin-ASCII;
                                      // Lower": TextKeys::ascii_token of
                                      // normalize/text_keys.h); empty where nothing Latin
                                      // comes out
};

// The language context of one encode() call: the units are in `lang`, to be compared with units
// in `other_lang` (ISO 639-1 codes; empty when unknown).
struct EncodeContext {
    std::string lang;
    std::string other_lang;
};

class UnitEncoder {
public:
    virtual ~UnitEncoder() = default;
    // Encodes units[0..n) into out[0..n).
    virtual void encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                        FeatureVector* out) const = 0;
    // The spec string that builds this encoder ("anchors", "cognates:prefix=4").
    virtual std::string describe() const = 0;
};

// 64-bit id of a feature named `name` (XXH3).
uint64_t feature_id(std::string_view name);

}  // namespace doppel
