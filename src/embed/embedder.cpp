#include "doppel/embed/embedder.h"

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/vectors_embedder.h"
#include "doppel/error.h"

namespace doppel {

std::unique_ptr<Embedder> Embedder::from_spec(const std::string& spec, const EmbedderContext& ctx) {
    if (spec.starts_with("bridge")) return std::make_unique<BridgeEmbedder>(BridgeEmbedder::parse_spec(spec), ctx);
    if (spec.starts_with("vectors:")) return std::make_unique<VectorsEmbedder>(VectorsEmbedder::parse_spec(spec));
    DOPPEL_THROW(kBadSpec, "unknown embedder spec '" + spec + "' (known: bridge:..., vectors:...)");
}

}  // namespace doppel
