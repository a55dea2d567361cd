// doppel: the stored forms of the bridge embedder's per-document data (one home for each file
// format), written by the embedding stage (index/embedding_stage.h) and read by it and by the
// operations that match stored documents (ops/translations.h).
//
// Artifacts (Store::put_artifacts, one blob per document and kind):
//   "features/bridge"  the raw bridge feature counts (SparseVector::serialize format), from which
//                      document frequencies (IDF) and exact sparse vectors are derived;
//   "mlang/bridge"     the language the document is matched under (its language; "zh-Hant"
//                      for Traditional Chinese, see BridgeEmbedder::matching_language);
//   "vectors/dense"    with aligned word vectors (embed/vectors_embedder.h): the document's
//                      vectors embedding, magic "DPVV", uint32 format version (1), uint32 dim,
//                      then dim floats (host byte order).
// Store metadata read: "embedding.vectors" (the vectors spec) and "embedding.vectors_weight".
//
// Thread safety: plain functions of their arguments; they read the store through the given
// object only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/sparse_vector.h"

namespace doppel {

class Store;

// Artifact kinds.
inline constexpr const char* kBridgeFeaturesArtifact = "features/bridge";
inline constexpr const char* kMatchingLanguageArtifact = "mlang/bridge";
inline constexpr const char* kVectorsArtifact = "vectors/dense";

// Every document's bridge features and matching language, in the store's artifact order: the
// frequencies over them, and per seq the raw counts and language. first[i]: the first i' <= i
// whose counts are the same, entry for entry (same_entries: exact copies), found once by
// load_features for its counting and for the embedding of the copies once.
struct StoredFeatures {
    std::vector<int64_t> seqs;
    std::vector<std::string> langs;
    std::vector<SparseVector> counts;
    std::vector<std::size_t> first;
    DocumentFrequencies frequencies;
};
StoredFeatures load_features(const Store& store);
// The frequencies over every stored document's features, as above, and the counts and language
// of the documents `wanted` (ascending seqs) only: an index run embeds its new documents with a
// store's frequencies without holding every document's counts (a store of 100,000 documents:
// most of the flush's fresh memory).
StoredFeatures load_features(const Store& store, std::span<const int64_t> wanted);
// The stored counts of the documents `seqs`, in that order, read again (doppel translations
// lets them go between weighing and learning). Throws kNotFound when one of them has no
// features any more (the store changed). `scan`: one pass over every stored document's (cheaper
// when `seqs` are most of the store); else each document's looked up (a few of a large store).
std::vector<SparseVector> load_counts(const Store& store, std::span<const int64_t> seqs, bool scan = true);

// The vectors embeddings of a store indexed with a `vectors` spec (empty otherwise).
struct StoredVectors {
    float weight = 0;
    std::unordered_map<int64_t, std::vector<float>> by_seq;
    // The weighted bridge vector of document `seq` joined with its vectors embedding (as it is
    // when the stage built the index); unchanged without one.
    SparseVector join(SparseVector weighted, int64_t seq) const;
};
StoredVectors load_vectors(const Store& store);

// The "vectors/dense" blob of a dim-float embedding, and back (throws doppel::Error kBadFormat
// on another format version or a bad size; `what` names the blob in the message). A blob
// without the magic decodes to an empty vector (not a vectors artifact).
std::string encode_vectors_artifact(const float* v, uint32_t dim);
std::vector<float> decode_vectors_artifact(std::string_view blob, const std::string& what);

}  // namespace doppel
