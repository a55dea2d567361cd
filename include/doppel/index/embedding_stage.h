// doppel: the index stage that embeds documents for cross-language matching.
//
// For every added document it writes two artifacts to the store (their formats, and the
// functions that read them back, are in embed/feature_artifacts.h):
//   "features/bridge"  the raw bridge feature counts (embed/sparse_vector.h format), from which
//                      document frequencies (IDF) and exact sparse vectors are derived;
//   "mlang/bridge"     the language the document is matched under (its language; "zh-Hant"
//                      for Traditional Chinese, see BridgeEmbedder::matching_language).
// At flush() it computes document frequencies over all stored features, embeds the new
// documents (dense form, signed feature hashing) and adds them to the store's VectorIndex
// (index/vector_index.h, one FAISS index per matching language). When the store has grown by
// more than `rebuild_growth` since the index was last built from scratch, every document is
// re-embedded with the new frequencies and the index rebuilt, so early documents do not keep
// embeddings weighted by a few documents' statistics. When the store's features were computed
// with another bridge lexicon (store metadata "bridge.lexicon"), flush() first recomputes the
// features of every stored document from its stored text and analysis.
//
// With a `vectors` spec (aligned word vectors, embed/vectors_embedder.h) the stage also writes
//   "vectors/dense"    each document's vectors embedding,
// and every document's weighted bridge vector is joined with it
// (BridgeEmbedder::with_vectors, weight `vectors_weight`) before it is densified for the index
// and when the matcher rescores: bridge and vectors combined.
//
// Store metadata written: "embedder" (spec), "vector_index" (spec), "bridge.lexicon"
// (lexicon describe()), "embedding.built_docs" (documents at the last full build), and with
// vectors "embedding.vectors" (its spec) and "embedding.vectors_weight".
//
// Thread safety: as IndexStage (one thread).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/feature_artifacts.h"
#include "doppel/embed/vectors_embedder.h"
#include "doppel/index/index_stage.h"
#include "doppel/index/vector_index.h"

namespace doppel {

struct EmbeddingStageOptions {
    std::string embedder = "bridge:dim=2048";  // embedder spec (bridge_embedder.h)
    std::string index = "auto";                // FAISS factory string or "auto" spec (vector_index.h)
    double rebuild_growth = 0.25;              // full rebuild when the store grew by more
    std::string vectors;                       // "vectors:path=..." to combine with the bridge; "" none
    float vectors_weight = 0.5f;               // share of the vectors cosine in the similarity
};

class EmbeddingStage : public IndexStage {
public:
    // The artifacts it writes (embed/feature_artifacts.h).
    static constexpr const char* kFeaturesKind = kBridgeFeaturesArtifact;
    static constexpr const char* kLanguageKind = kMatchingLanguageArtifact;
    static constexpr const char* kVectorsKind = kVectorsArtifact;

    EmbeddingStage(EmbeddingStageOptions options, const EmbedderContext& ctx);
    ~EmbeddingStage() override;

    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override;
    void removed(Store& store, std::size_t n, const int64_t* seqs) override;
    void flush(Store& store) override;
    std::string describe() const override;
    std::vector<std::string> take_warnings() override { return std::exchange(warnings_, {}); }

private:
    // Recomputes the features (and vectors) of every stored document.
    void refeaturize(Store& store);
    // Trains an "auto" index that a build of todo will take past its exact limit.
    void train_index(VectorIndex& index, const StoredFeatures& all, const std::vector<std::size_t>& todo,
                     const StoredVectors& vecs);
    EmbeddingStageOptions options_;
    std::unique_ptr<BridgeEmbedder> embedder_;
    std::vector<std::unique_ptr<BridgeEmbedder>> workers_;  // per extra thread in add()
    std::unique_ptr<VectorsEmbedder> vectors_;              // null without options_.vectors
    std::set<std::string> missing_;                         // languages without vectors (warned)
    std::vector<std::string> warnings_;
    std::vector<int64_t> pending_;
    bool removed_any_ = false;
};

}  // namespace doppel
