#include "doppel/align/bridge_encoder.h"

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "impl/spec.h"

namespace doppel {

BridgeEncoder::BridgeEncoder(std::shared_ptr<const BridgeLexicon> lexicon, BridgeEncoderOptions options)
    : lexicon_(std::move(lexicon)), options_(options) {
    DOPPEL_CHECK(kInvalidArgument, lexicon_ != nullptr, "bridge encoder: no lexicon");
}

std::unique_ptr<BridgeEncoder> BridgeEncoder::from_spec(const std::string& spec, const std::string& models_dir) {
    auto p = impl::parse_spec(spec);
    if (p.name != "bridge") DOPPEL_THROW(kBadSpec, "not a bridge encoder spec: '" + spec + "'");
    BridgeEncoderOptions o;
    int anchors = 0;
    p.take_number("anchors", anchors);
    o.anchors = anchors != 0;
    p.check_empty();
    const std::string path = (models_dir.empty() ? std::string("models") : models_dir) + "/bridge.lex";
    return std::make_unique<BridgeEncoder>(std::make_shared<const BridgeLexicon>(path), o);
}

std::string BridgeEncoder::describe() const {
    return std::string("bridge:anchors=") + (options_.anchors ? "1" : "0");
}

void BridgeEncoder::encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                           FeatureVector* out) const {
    BridgeEmbedder embedder(BridgeEmbedderOptions{}, lexicon_);
    for (std::size_t u = 0; u < n; ++u) {
        out[u].clear();
        const SparseVector f = embedder.features(units[u].text, context.lang);
        for (std::size_t k = 0; k < f.ids.size(); ++k) {
            const auto kind = BridgeEmbedder::kind_of(f.ids[k]);
            if (!options_.anchors && kind != BridgeEmbedder::FeatureKind::kConcept) continue;
            out[u].push_back({f.ids[k], f.weights[k]});
        }
    }
}

}  // namespace doppel
