// doppel: the index stage that embeds documents for cross-language matching.
//
// For every added document it writes two artifacts to the store:
//   "features/bridge"  the raw bridge feature counts (embed/sparse_vector.h format), from which
//                      document frequencies (IDF) and exact sparse vectors are derived;
//   "mlang/bridge"     the language the document is matched under (its language; "zh-Hant"
//                      for Traditional Chinese, see BridgeEmbedder::matching_language).
// At flush() it computes document frequencies over all stored features, embeds the new
// documents (dense form, signed feature hashing) and adds them to the store's VectorIndex
// (index/vector_index.h, one FAISS index per matching language). When the store has grown by
// more than `rebuild_growth` since the index was last built from scratch, every document is
// re-embedded with the new frequencies and the index rebuilt, so early documents do not keep
// embeddings weighted by a few documents' statistics.
//
// Store metadata written: "embedder" (spec), "vector_index" (spec), "bridge.lexicon"
// (lexicon describe()), "embedding.built_docs" (documents at the last full build).
//
// Thread safety: as IndexStage (one thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/index/index_stage.h"
#include "doppel/index/vector_index.h"

namespace doppel {

struct EmbeddingStageOptions {
    std::string embedder = "bridge:dim=2048";  // embedder spec (bridge_embedder.h)
    std::string index = "Flat";                // FAISS factory string (vector_index.h)
    double rebuild_growth = 0.25;              // full rebuild when the store grew by more
};

class EmbeddingStage : public IndexStage {
public:
    static constexpr const char* kFeaturesKind = "features/bridge";
    static constexpr const char* kLanguageKind = "mlang/bridge";

    EmbeddingStage(EmbeddingStageOptions options, const EmbedderContext& ctx);
    ~EmbeddingStage() override;

    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override;
    void removed(Store& store, std::size_t n, const int64_t* seqs) override;
    void flush(Store& store) override;
    std::string describe() const override;

private:
    EmbeddingStageOptions options_;
    std::unique_ptr<BridgeEmbedder> embedder_;
    std::vector<std::unique_ptr<BridgeEmbedder>> workers_;  // per extra thread in add()
    std::vector<int64_t> pending_;
    bool removed_any_ = false;
};

// Reads every document's bridge features and matching language from a store: the
// frequencies over them, and per seq the raw counts and language. Used by the stage and by
// the matcher's callers.
struct StoredFeatures {
    std::vector<int64_t> seqs;
    std::vector<std::string> langs;
    std::vector<SparseVector> counts;
    DocumentFrequencies frequencies;
};
StoredFeatures load_features(const Store& store);

}  // namespace doppel
