// doppel: language-free anchors, the evidence that two units are translations of each other
// that needs no dictionary.
//
// An anchor is a piece of a unit that a translation keeps as it is or nearly so:
//  - numbers ("1988", "16/07/2024" gives 16, 7, 2024; "1.000" and "1,000" both give 1000), with
//    a high weight (normalize/text_keys.h, NumberRule::kToken);
//  - URLs and e-mail addresses (UrlRule::kChunk);
//  - punctuation that translations keep: parentheses, quotes (all kinds as one), '?', '!', '%',
//    ':' and ellipses;
//  - identical tokens, compared in their lower-case ASCII form (names, acronyms, cognates that
//    are spelled alike such as "Engelhörner");
//  - names that transliterate alike: the consonant skeleton of a token's Latin form (vowels,
//    'h', 'w', 'y' dropped; c/k/q, g/j, b/p/f/v, s/z/x and d/t merged; doubled letters
//    collapsed: normalize/text_keys.h, SkeletonRule::kSoundClasses), so that Arabic
//    "كارولين بيريسفورد" and "Caroline Beresford" share features ("krln", "brsbrt").
//
// Spec string: "anchors" or "anchors:num=3,url=3,punct=0.5,token=1,skeleton=1" (the weights
// of each kind; those are the defaults).
//
// Thread safety: immutable after construction; encode() may run on many threads at once.
#pragma once

#include <memory>
#include <string>

#include "doppel/align/unit_encoder.h"

namespace doppel {

struct AnchorEncoderOptions {
    float number_weight = 3.0f;    // a number
    float url_weight = 3.0f;       // a URL or e-mail address
    float punct_weight = 0.5f;     // one of ( " ? ! % : …
    float token_weight = 1.0f;     // an identical lower-case ASCII token
    float skeleton_weight = 1.0f;  // the consonant skeleton of a token of 3+ letters
};

class AnchorEncoder : public UnitEncoder {
public:
    explicit AnchorEncoder(AnchorEncoderOptions options = {}) : options_(options) {}
    // Parses "anchors[:key=value,...]"; throws doppel::Error on an unknown key.
    static std::unique_ptr<AnchorEncoder> from_spec(const std::string& spec);

    void encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                FeatureVector* out) const override;
    std::string describe() const override;

    // The consonant skeleton of a lower-case ASCII word ("beresford" -> "brsbrt"):
    // name_skeleton(latin, SkeletonRule::kSoundClasses) of normalize/text_keys.h.
    static std::string skeleton(std::string_view latin);

private:
    AnchorEncoderOptions options_;
};

}  // namespace doppel
