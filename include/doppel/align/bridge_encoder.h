// doppel: dictionary evidence for the aligner, through the cross-language bridge lexicon.
//
// Each unit becomes the English concepts its words reach in the bridge lexicon
// (embed/bridge_lexicon.h; features as the bridge embedder makes them, embed/bridge_embedder.h):
// "Sitzung" (de) and "séance" (fr) both reach "session", so a German and a French sentence that
// translate each other share concepts although they share no word. English words are their own
// concepts (Snowball stems); Latin-script words the lexicon does not know are read as English.
// By default only concept features are kept: numbers, names and URLs come from the anchor
// encoder (align/anchor_encoder.h), so they are not counted twice.
//
// Spec string: "bridge" or "bridge:anchors=1" (keep the embedder's anchor features too); the
// lexicon is the file bridge.lex of the models folder given to Aligner::from_spec.
//
// Thread safety: encode() is const and safe to call from many threads at once (each call makes
// its own embedder; the lexicon is shared read-only).
#pragma once

#include <memory>
#include <string>

#include "doppel/align/unit_encoder.h"
#include "doppel/embed/bridge_lexicon.h"

namespace doppel {

struct BridgeEncoderOptions {
    bool anchors = false;  // also keep the embedder's number, name and URL features
};

class BridgeEncoder : public UnitEncoder {
public:
    BridgeEncoder(std::shared_ptr<const BridgeLexicon> lexicon, BridgeEncoderOptions options = {});
    // Parses "bridge[:anchors=0|1]" and loads models_dir/bridge.lex. Throws doppel::Error when
    // the spec is bad or the lexicon missing.
    static std::unique_ptr<BridgeEncoder> from_spec(const std::string& spec, const std::string& models_dir);

    void encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                FeatureVector* out) const override;
    std::string describe() const override;

private:
    std::shared_ptr<const BridgeLexicon> lexicon_;
    BridgeEncoderOptions options_;
};

}  // namespace doppel
