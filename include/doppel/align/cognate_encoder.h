// doppel: cognates, words that two related languages spell nearly alike ("direkt" / "directe",
// "Nordostwand" / "nordest", "Expedition" / "expédition").
//
// Each token of at least `min_length` letters, in its lower-case ASCII form, gives its first
// `prefix` letters as one feature (weight prefix_weight) and its character n-grams, with '^'
// and '$' marking the ends of the word, as others (weight ngram_weight, shared among the word's
// n-grams so that long words do not outweigh short ones). Cognates share their prefix and most
// n-grams; unrelated words share few. This is the evidence hunalign and Bleualign lack without
// a dictionary, and it is free for languages written in the same script.
//
// Spec string: "cognates" or "cognates:prefix=4,n=4,min=4,prefix_weight=1,ngram_weight=1"
// (those are the defaults).
//
// Thread safety: immutable after construction; encode() may run on many threads at once.
#pragma once

#include <memory>
#include <string>

#include "doppel/align/unit_encoder.h"

namespace doppel {

struct CognateEncoderOptions {
    int prefix = 4;              // letters of the prefix feature (0: none)
    int n = 4;                   // n of the character n-grams (0: none)
    int min_length = 4;          // shorter tokens give no feature
    float prefix_weight = 1.0f;  // weight of the prefix feature
    float ngram_weight = 1.0f;   // total weight of a word's n-grams
};

class CognateEncoder : public UnitEncoder {
public:
    explicit CognateEncoder(CognateEncoderOptions options = {}) : options_(options) {}
    static std::unique_ptr<CognateEncoder> from_spec(const std::string& spec);

    void encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                FeatureVector* out) const override;
    std::string describe() const override;

private:
    CognateEncoderOptions options_;
};

}  // namespace doppel
