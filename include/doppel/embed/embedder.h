// doppel: embedders, which map texts of any language into one vector space where translations
// lie close together (cosine similarity, i.e. inner product of L2-normalized vectors).
//
// Memory layout, for every batched method: out[i * dim() + j] is component j of the vector of
// text i; every vector is L2-normalized (all zeros when a text gives no features).
//
// Backends, built from a spec string (from_spec), describe() giving it back:
//   "bridge:dim=2048"                     language-neutral features through the bridge lexicon
//                                         (embed/bridge_embedder.h); the default
//   "vectors:path=FILE.vec,max_words=200000"  aligned word vectors (embed/vectors_embedder.h);
//                                         combined with the bridge by the index stage
//                                         (index/embedding_stage.h, BridgeEmbedder::with_vectors)
//
// Thread safety: embedders keep per-call scratch state (ICU transliterators, stemmers) and are
// NOT safe for concurrent use; make one per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "doppel/document.h"

namespace doppel {

// Where embedders find their model files.
struct EmbedderContext {
    std::string models_dir = "models";  // folder holding bridge.lex and other models
};

class Embedder {
public:
    virtual ~Embedder() = default;
    virtual std::size_t dim() const = 0;
    // The spec string that builds this embedder.
    virtual std::string describe() const = 0;
    // Embeds n whole documents (each paragraph read in its own language) into out[n * dim()].
    virtual void embed_documents(std::size_t n, const AnalyzedDocument* docs, float* out) = 0;
    // Embeds n sentences (or paragraphs) of the given languages (ISO 639-1) into out[n * dim()].
    virtual void embed_sentences(std::size_t n, const std::string_view* texts, const std::string* langs,
                                 float* out) = 0;

    // Builds an embedder from its spec. Throws doppel::Error on an unknown backend or option, or
    // a missing model.
    static std::unique_ptr<Embedder> from_spec(const std::string& spec, const EmbedderContext& ctx = {});
};

}  // namespace doppel
