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
// With split=1 (off by default), in a language that writes compounds as one word (German, Dutch,
// the Scandinavian languages), a word the lexicon lacks is read as the known words it splits into
// (align/pair_encoder.h, "Compounds"): "Gletscherzunge" as "Gletscher Zunge".
//
// Spec string: "bridge" or "bridge:anchors=0,split=0,part=3" (those are the defaults; anchors=1
// keeps the embedder's anchor features too; split=1 splits compounds; part: fewest letters of a
// compound's part); the lexicon is the file bridge.lex of the models folder given to
// Aligner::from_spec.
//
// Thread safety: encode() is const and safe to call from many threads at once (each call makes
// its own embedder; the lexicon is shared read-only).
#pragma once

#include <memory>
#include <string>

#include "doppel/align/unit_encoder.h"
#include "doppel/embed/bridge_lexicon.h"

namespace doppel {

struct BridgeEncoderOptions {  // spec key
    bool anchors = false;     // anchors: also keep the embedder's number, name and URL features
    bool split = false;       // split: read unknown compounds as their known parts
    int min_part = 3;         // part: fewest letters of a compound's part
};

class BridgeEncoder : public UnitEncoder {
public:
    BridgeEncoder(std::shared_ptr<const BridgeLexicon> lexicon, BridgeEncoderOptions options = {});
    // Parses "bridge[:anchors=0|1,split=0|1,part=N]" and loads models_dir/bridge.lex. Throws doppel::Error when
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
