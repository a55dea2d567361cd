// doppel: the index stage that embeds documents for cross-language matching.
//
// For every added document it writes two artifacts to the store (their formats, and the
// functions that read them back, are in embed/feature_artifacts.h):
//   "features/bridge"  the raw bridge feature counts (embed/sparse_vector.h format), from which
//                      document frequencies (IDF) and exact sparse vectors are derived;
//   "mlang/bridge"     the language the document is matched under (its language; "zh-Hant"
//                      for Traditional Chinese, see BridgeEmbedder::matching_language).
// At flush() it computes document frequencies over all stored features, embeds the documents
// missing from the store's VectorIndex (index/vector_index.h, one FAISS index per matching
// language; dense form, signed feature hashing), adds them and removes deleted ones. The index is
// derived data, checked against the store first (index/vector_index_check.h): a missing or
// damaged one is rebuilt, one missing documents stored by an interrupted run is completed, each
// with a warning. When the store has grown by
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
// prepare() computes the features and matching languages of a batch on all cores (what depends
// on the documents and their analysis alone), so the Indexer's pipeline runs it while the batch
// before is written; add_prepared() writes them (and the vectors, computed there: their files load
// lazily, on one thread). A document with the text and analysis of one this stage wrote in an
// earlier batch (up to a million remembered) is left by prepare(); add_prepared() copies that
// one's stored artifacts, checked against its row, and computes them where they are gone.
//
// Thread safety: as IndexStage (one thread, but prepare() may run alongside add_prepared(): each
// has its own embedders).
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/feature_artifacts.h"
#include "doppel/embed/vectors_embedder.h"
#include "doppel/index/index_stage.h"
#include "doppel/index/vector_index.h"

namespace doppel {

// A document longer than this has its features computed in runs of paragraphs of about this
// size by several workers (BridgeEmbedder::append_paragraph_features), so that one long document
// does not keep one core busy while the others wait; the features are the same bit for bit.
inline constexpr std::size_t kEmbeddingPartBytes = 256 * 1024;

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
    std::unique_ptr<Prepared> prepare(std::size_t n, const AnalyzedDocument* docs) override;
    // Takes the prepared features when they were made of the same texts and analysis
    // (Batch::made_of), else computes them as add() does.
    void add_prepared(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs,
                      std::unique_ptr<Prepared> prepared) override;
    // add(), and the seqs listed as relabeled (index/vector_index_check.h): flush() moves them
    // to their new language's part of the vector index.
    void relabeled(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override;
    void removed(Store& store, std::size_t n, const int64_t* seqs) override;
    void flush(Store& store) override;
    std::vector<std::string> artifact_kinds() const override;
    std::string describe() const override;
    std::vector<std::string> take_warnings() override { return std::exchange(warnings_, {}); }

    // What prepare() made (defined in the .cpp): serialized features and matching languages.
    struct Batch;

private:
    using EmbedderPool = std::vector<std::unique_ptr<BridgeEmbedder>>;
    // The features and matching languages of docs[0, n) on all cores, with the embedders of
    // `pool` (one per worker, made as needed, all sharing the lexicon: an embedder and its memos
    // are not thread-safe).
    // A distinct document whose analysis_hash is in `before` is left to take_written (Batch::earlier).
    void featurize(EmbedderPool& pool, std::size_t n, const AnalyzedDocument* docs, Batch& out,
                   const std::unordered_set<uint64_t>* before = nullptr);
    void take_written(Store& store, const AnalyzedDocument* docs, Batch& b);
    // featurize()'s work for the distinct documents docs[todo[k]], a long one cut into runs of
    // paragraphs that several workers compute (kEmbeddingPartBytes).
    void compute_features(EmbedderPool& pool, const AnalyzedDocument* docs, const std::vector<std::size_t>& todo,
                          Batch& out);
    // The vectors artifacts of docs[0, n) (empty without options_.vectors), on this thread.
    std::vector<std::string> vectors_artifacts(std::size_t n, const AnalyzedDocument* docs);
    // Writes a batch's artifacts (and the embedder's spec, the first time) in one transaction.
    void write(Store& store, std::size_t n, const int64_t* seqs, Batch& b, const std::vector<std::string>& vecs);
    // Recomputes the features (and vectors) of every stored document.
    void refeaturize(Store& store);
    // The vector index in step with the stored features (index/vector_index_check.h): rebuilt
    // when missing, damaged, stale or grown, else updated; saved and recorded.
    struct IndexPlan;
    IndexPlan plan_index(Store& store, bool stale);
    void sync_index(Store& store, bool stale);
    // Saves `index` and records it (with `built_docs`, after a full build) in one transaction.
    void save_index(Store& store, const VectorIndex& index, std::optional<std::size_t> built_docs);
    // Trains an "auto" index that a build of every document of `all` will take past its exact limit.
    void train_index(VectorIndex& index, const StoredFeatures& all, const StoredVectors& vecs);
    // Embeds the stored documents `seqs` into `index` (trained first when `rebuild`). Returns the
    // freeing, on a thread of its own, of what only it needed (every stored feature vector, the
    // frequencies: a node per feature), to be waited for once the index is saved.
    std::future<void> add_to_index(Store& store, VectorIndex& index, const std::vector<int64_t>& seqs,
                                   bool rebuild);
    EmbeddingStageOptions options_;
    std::unique_ptr<BridgeEmbedder> embedder_;
    EmbedderPool workers_;    // add()'s, one per worker
    EmbedderPool preparers_;  // prepare()'s, one per worker
    std::unique_ptr<VectorsEmbedder> vectors_;              // null without options_.vectors
    std::set<std::string> missing_;                         // languages without vectors (warned)
    std::vector<std::string> warnings_;
    std::vector<int64_t> pending_;  // documents added since the last flush
    // Exact copies of a document of an earlier batch of the run (the same text and analysis: the
    // same features) take its stored artifacts instead of being embedded again. prepare() keeps
    // the analysis hashes (64 bits) it has seen; write() the seq each was first written under.
    // At most kRunDocuments each (32 bytes an entry, 64 a document).
    static constexpr std::size_t kRunDocuments = std::size_t{1} << 20;
    std::unordered_set<uint64_t> prepared_;
    std::unordered_map<uint64_t, int64_t> written_;
};

}  // namespace doppel
