// doppel: the persistent, incremental near-duplicate index kept in a Store.
//
// Two parts:
//  - NearDuplicateStage, an IndexStage (index_stage.h): for every added or replaced document it
//    writes two artifacts to the store (store/store.h), in one transaction per batch:
//      "shingles"  magic "DPSH", uint32 version 1, uint32 count, then count uint64 shingle hashes
//                  (sorted, unique; sketch/shingler.h), little-endian;
//      "minhash"   magic "DPMH", uint32 version 1, uint32 perms, uint64 seed, then perms uint32
//                  values (sketch/min_hash.h).
//    Deleted documents lose their artifacts with them (Store::remove, Store::expire), so delete
//    and expiry need nothing more. The stage records its spec in the store's metadata
//    ("near_duplicate_spec"); an index opened with another spec is refused.
//  - NearDuplicateIndex: opens the index of a store. The LSH tables (index/lsh_index.h) are
//    rebuilt from the "minhash" artifacts at open (a sequential scan: about 0.1 s per 100,000
//    documents), so there is no separate index file to keep in step with the database. query()
//    answers for a new document without storing it: the stored document it is most similar to,
//    with exact Jaccard and containment from the stored shingle sets.
//
// The stored shingles are those of the whole text: boilerplate removal needs statistics over a
// source's documents, which `doppel dedup` computes over the stored texts at run time.
//
// Thread safety: neither class is safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/index/index_stage.h"
#include "doppel/index/lsh_index.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/sketch/shingler.h"

namespace doppel {

class Store;

struct NearDuplicateIndexOptions {
    std::string shingle_spec = kDefaultShingleSpec;  // sketch/shingler.h
    std::string minhash_spec = kDefaultMinHashSpec;  // sketch/min_hash.h
};

// Artifact encoding (formats above). decode_* throw doppel::Error on a wrong magic or version.
std::string encode_shingles(const std::vector<uint64_t>& shingles);
std::vector<uint64_t> decode_shingles(std::string_view blob);
std::string encode_signature(const std::vector<uint32_t>& sig, uint64_t seed);
std::vector<uint32_t> decode_signature(std::string_view blob, int perms, uint64_t seed);

// The spec the stage records in a store's metadata (kNearDuplicateSpecMeta) for these shingle and
// MinHash specs, each written out in full: a reader may take the stored artifacts as its own
// shingles and signatures only when the spec it would record is the stored one.
inline constexpr const char* kNearDuplicateSpecMeta = "near_duplicate_spec";
std::string near_duplicate_sketch_spec(const std::string& shingle_spec, const std::string& minhash_spec);

class NearDuplicateStage : public IndexStage {
public:
    explicit NearDuplicateStage(NearDuplicateIndexOptions options = {});
    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override;
    // Shingles and signs the batch (the artifacts' blobs), on all cores.
    void prepare(std::size_t n, const AnalyzedDocument* docs) override;
    void flush(Store& store) override;
    // Shingles and signatures depend on the text alone: nothing to do.
    void relabeled(Store&, std::size_t, const int64_t*, const AnalyzedDocument*) override {}
    std::vector<std::string> artifact_kinds() const override { return {"shingles", "minhash"}; }
    std::string describe() const override;

private:
    NearDuplicateIndexOptions options_;
    std::unique_ptr<Shingler> shingler_;
    std::unique_ptr<MinHash> minhash_;
    Segmenter segmenter_;
    // What prepare() made, and the content hashes of the texts it made them of.
    std::vector<std::string> prepared_hashes_, shingle_blobs_, sig_blobs_;
    bool is_prepared(std::size_t n, const AnalyzedDocument* docs) const;
};

struct NearDuplicateMatch {
    int64_t seq = 0;         // the stored document
    double jaccard = 0;      // exact, from the shingle sets
    double containment = 0;  // |A ∩ B| / min(|A|, |B|)
};

class NearDuplicateIndex {
public:
    // Loads the signatures of `store` (which must outlive the index) and builds LSH tables for
    // `threshold` and `target_recall`. Throws doppel::Error if the store was indexed with another
    // spec or an artifact is malformed.
    NearDuplicateIndex(const Store& store, double threshold, double target_recall = 0.99,
                       NearDuplicateIndexOptions options = {});

    // The stored documents whose Jaccard (or, with partial, containment) with `text` is at least
    // the threshold, best Jaccard first.
    std::vector<NearDuplicateMatch> query(std::string_view text, bool partial = false);
    std::size_t size() const { return lsh_.size(); }
    LshParams params() const { return lsh_.params(); }

private:
    const Store& store_;
    double threshold_;
    std::unique_ptr<Shingler> shingler_;
    std::unique_ptr<MinHash> minhash_;
    uint64_t seed_;
    Segmenter segmenter_;
    LshIndex lsh_;
};

}  // namespace doppel
