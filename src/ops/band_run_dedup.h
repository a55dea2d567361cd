// doppel (private): `dedup --store` with memory bounded by design, for find_stored_duplicates.
//
// The finder (match/near_duplicate_finder.h) keeps every document's shingles and signature in
// memory until finish(). Over a store whose band runs (index/lsh_band_store.h) are for the
// finder's banding, BandRunDedup keeps only small per-document arrays instead (seq, set hash,
// set size, the finder's FinderDocument) and applies the finder's rules one at a time:
//   add()     a document without a boilerplate line whose set key is stored (with its line
//             summary) is kept by it: its sketches are not read (its band keys are in the runs,
//             its shingles are read if it is a candidate or shares its set hash); the others go
//             through the finder (boilerplate, repeated lines; the stored sketches are read and
//             taken where no line is boilerplate, and the shingles without the boilerplate lines
//             derived from them where one is), which hands its sketches
//             back at once (take_sketches); a document whose set is not the stored one (a
//             boilerplate line left out, or no stored sketch) keeps its shingles in memory up to
//             a bound, then in a temporary file, and its band keys beside the runs;
//   finish()  groups identical sets (group_identical_sets; the sets sharing a set hash read a
//             window at a time), takes candidate pairs from a merge of the band runs, a band at a
//             time on each worker (equal keys: a bucket; entries of seqs no longer stored are
//             skipped), verifies them in chunks on each worker with the shingles read from the
//             store by seq (verify_candidate_pair), then expands and clusters the pairs as the
//             finder does.
// The result is the finder's, byte for byte (a bucket is 54 bits of the 64-bit band key: a
// collision adds a candidate with odds of about 2^-54, which verification then drops).
//
// Only the new documents (`dedup --store --new`, ops/dedup_state.h): opened with the state of an
// earlier run, the documents up to its seq `since` are earlier ones. add() keeps an earlier
// document without reading its sketch unless a line of it is boilerplate: then by the band keys
// an earlier run recorded for its set without those lines (ops/dedup_state.h, "boilerplate
// bands"; its set is derived only if it is a candidate), else it is shingled again, as in a full
// run; finish() takes only the buckets holding a new document, verifies each pair
// with a new document directly (identical sets give exact pairs, as their groups would), and
// puts each new document in the cluster of the earliest representative within the threshold
// (the earlier representatives are the earlier documents that are not members in the state).
// Its pairs are the full run's pairs with a new document, its clusters the full run's with their
// new members only, as long as no earlier document was deleted and none changed its boilerplate
// lines (the caller checks both, and runs a full run otherwise).
//
// Thread safety: one thread drives it (it runs workers inside finish()); the Store is only read,
// and finish()'s workers but the first read the same folder through read-only Stores of their own
// (a Store is not safe for concurrent use), each in its own short reads as the first does.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "doppel/document.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/duplicates.h"
#include "impl/temp_file.h"
#include "ops/dedup_state.h"

namespace doppel {

class Store;

// Stored documents of one batch, in seq order. Where the store holds a document's line summary
// (its "lines" artifact, index/near_duplicate_index.h), its text is not read: the summary stands
// for it (NearDuplicateFinder::add) until read_texts() reads the texts a caller needs.
struct StoredDocuments {
    std::vector<Document> docs;
    std::vector<int64_t> seqs;
    std::vector<LineSummary> summaries;     // by position (empty where lines[i] is null)
    std::vector<const LineSummary*> lines;  // &summaries[i], or null: docs[i].text was read
    // The stored shingle set keys ("shingle_set", index/near_duplicate_index.h) by position, read
    // with the summaries where has_set_key[i] (both empty: none read). Two arrays, not optionals:
    // 17 bytes a document instead of 24 in the batches pass 1 keeps.
    std::vector<ShingleSetKey> set_keys;
    std::vector<uint8_t> has_set_key;
    const ShingleSetKey* set_key(std::size_t i) const {
        return i < has_set_key.size() && has_set_key[i] ? &set_keys[i] : nullptr;
    }
    // The content hashes (hex XXH3-128, StoredDocument::content_hash) by position, taken from the
    // scan of the keys where each is that long (empty: not taken; BandRunDedup reads them):
    // reading them again by seq read the rows' pages again, with the texts stored in them (2% of
    // dedup --store's samples on the copyright corpus).
    static constexpr std::size_t kHashChars = 32;
    std::vector<std::array<char, kHashChars>> content_hashes;
    std::optional<std::string_view> content_hash(std::size_t i) const {
        if (content_hashes.size() != docs.size()) return std::nullopt;
        return std::string_view(content_hashes[i].data(), kHashChars);
    }
    // The source hashes (document_source_hash) by position, where the batch's rows were not all
    // read (docs[i] without id or source: for_each_summarized_batch); empty where docs name them.
    std::vector<uint64_t> sources;
    // The boilerplate band keys that serve, by position (BandRunDedup::rows_needed; empty: not
    // looked up yet).
    std::vector<std::optional<BoilerplateBands>> stored_bands;
    // Reads the text of each document i with need[i] whose text was not read.
    void read_texts(const Store& store, const std::vector<uint8_t>& need);
    std::size_t memory() const;  // bytes held, the objects and their heap buffers (impl/held_bytes.h)
};

class BandRunDedup {
public:
    // Null when the store cannot serve the finder's options this way: exact mode, sketches of
    // another spec, no band runs of the finder's banding, or runs that miss a signature.
    // own_sets_in_memory: bytes of shingle sets that are not the stored ones (a boilerplate
    // line left out) kept in memory before all of them go to a temporary file.
    static constexpr uint64_t kOwnSetsInMemory = uint64_t{kDedupMemoryBudgetMb} << 20;

    // With `earlier` (which must outlive it), only the documents after earlier->since are new.
    // held_text_bytes: texts of a batch held at once by add() (it sketches a batch in parts).
    static constexpr uint64_t kHeldTextBytes = uint64_t{8} << 20;
    // shared_sets_in_memory: bytes of the sets that share a set hash read at once by finish()
    // (a window of them, one set at least).
    static constexpr uint64_t kSharedSetsInMemory = uint64_t{kDedupMemoryBudgetMb} << 20;
    // own_band_keys_in_memory: bytes of the band keys of documents whose signature is not the
    // stored one held before they go to temporary files, a file a band (OwnBandKeys).
    static constexpr uint64_t kOwnBandKeysInMemory = uint64_t{kDedupMemoryBudgetMb} << 20;
    static std::unique_ptr<BandRunDedup> open(const Store& store, NearDuplicateFinder& finder,
                                              uint64_t own_sets_in_memory = kOwnSetsInMemory,
                                              const DedupState* earlier = nullptr,
                                              uint64_t held_text_bytes = kHeldTextBytes,
                                              uint64_t shared_sets_in_memory = kSharedSetsInMemory,
                                              uint64_t own_band_keys_in_memory = kOwnBandKeysInMemory);
    ~BandRunDedup();

    // The next stored documents, in seq order (after the finder's count_lines pass); the texts
    // the finder shingles again are read into b.
    void add(StoredDocuments& b);
    // For a batch of earlier documents of an only-new run whose rows are not read (b.sources and
    // the line summaries given): whether add() needs each one's row (id, source, url), which it
    // does not for a document it keeps by stored band keys (looked up now, into b.stored_bands).
    std::vector<uint8_t> rows_needed(StoredDocuments& b) const;
    NearDuplicateResult finish();
    // The seq of each document number (all of them, earlier ones included).
    const std::vector<int64_t>& seqs() const { return seqs_; }
    // Boilerplate band keys (ops/dedup_state.h) for the run's record. Before add(): the keys of
    // the documents whose set leaves a boilerplate line out are kept where they are not stored,
    // and only-new runs take the stored ones that serve instead of deriving those sets; after
    // finish(): those it made (null: none).
    void keep_boilerplate_bands() { keep_bands_ = true; }
    std::shared_ptr<const BoilerplateBandsMade> take_boilerplate_bands() { return std::move(bands_made_); }
    // Whether a document kept by its stored band keys turned out, once its set was derived as a
    // candidate, to have another set than they were made for (the caller runs a full run).
    bool stored_bands_disagree() const { return bands_disagree_; }

private:
    BandRunDedup(const Store& store, NearDuplicateFinder& finder, LshBandStore bands,
                 uint64_t own_sets_in_memory, const DedupState* earlier, uint64_t held_text_bytes,
                 uint64_t shared_sets_in_memory, uint64_t own_band_keys_in_memory);
    struct StoredBatch;
    class SketchBlobs;
    StoredBatch read_stored(const std::vector<int64_t>& seqs, const std::vector<uint8_t>& want,
                            const std::vector<uint8_t>& maps = {}) const;
    struct Sketched;
    // `need`: finder_.needs_text of b's documents when the caller has it (empty: computed here).
    Sketched sketch(StoredDocuments& b, std::vector<uint8_t> need = {});
    void keep_earlier(StoredDocuments& b, std::size_t i);
    std::vector<std::optional<BoilerplateBands>> stored_bands(const StoredDocuments& b,
                                                              const std::vector<uint8_t>& again,
                                                              const std::vector<uint64_t>& lines) const;
    std::vector<uint64_t> sources_of(const StoredDocuments& b) const;
    void keep_by_bands(StoredDocuments& b, std::size_t i, const BoilerplateBands& bands);
    class KeySet;  // a sorted set of band keys, asked many times
    void add_stored_bands(const KeySet& keys);
    void make_bands(uint32_t k, uint64_t lines, const uint32_t* sig);
    void derive_candidates(const std::vector<uint64_t>& candidates);
    void sort_own_sets();
    void keep_stored(StoredDocuments& b, std::size_t i);
    static constexpr uint32_t kNoCopy = UINT32_MAX;
    std::vector<uint32_t> exact_copies(const StoredDocuments& b, const std::vector<uint8_t>& need) const;
    void keep_copy(StoredDocuments& b, std::size_t i, uint32_t k);
    void keep_own_set(uint32_t k, std::vector<uint64_t> sh);
    void share_own_set(uint32_t k, std::size_t at);
    static StoredDocuments part_of(StoredDocuments& b, std::size_t from, std::size_t to);
    void add_part(StoredDocuments& b, std::vector<uint8_t> again, const std::vector<uint32_t>& copy_of);
    NearDuplicateResult finish_new();
    std::vector<NearDuplicateCluster> clusters_of_new(const std::vector<NearDuplicatePair>& pairs,
                                                      uint32_t first_new) const;
    void keep(FinderSketches& s, std::size_t i, int64_t seq, const StoredBatch& stored, uint64_t lines);
    std::vector<uint64_t> shingles_of(uint32_t k) const;
    std::vector<std::vector<uint64_t>> shingles_of(const std::vector<uint32_t>& ks) const;
    std::vector<std::vector<uint64_t>> shingles_of(const std::vector<uint32_t>& ks, const Store& store) const;
    std::vector<uint64_t> candidate_pairs(const std::vector<bool>& skip, uint32_t first_new) const;
    // One pass over the runs of `bands` (candidate_pairs() reads the catalogue again where a
    // writer's merge dropped a run it names, and makes the pass again).
    std::vector<uint64_t> candidate_pairs(const LshBandStore& bands, const std::vector<bool>& skip,
                                          uint32_t first_new) const;
    class SeqNumbers;   // the document number of a seq
    class BucketPairs;  // the candidate pairs of a merge's buckets
    std::vector<uint64_t> candidate_pairs_by_band(const LshBandStore& bands, const SeqNumbers& numbers,
                                                  const std::vector<bool>& skip) const;
    std::vector<LshBandStore::Entry> new_key_entries(const LshBandStore& bands) const;
    std::size_t threads() const { return finder_.threads(); }
    // A read-only Store for each worker of the parallel phases but the first (which reads
    // store_), opened once a run, by each worker at its first read.
    class WorkerStores;
    WorkerStores& worker_stores() const;
    class SharedSets;  // the sets group_identical_sets compares, read a window at a time
    std::vector<NearDuplicatePair> verify(const std::vector<uint64_t>& candidates) const;
    void verify_chunk(const Store& store, const uint64_t* candidates, std::size_t n,
                      std::vector<NearDuplicatePair>& out) const;

    const Store& store_;
    const DedupState* earlier_ = nullptr;  // null: a full run
    NearDuplicateFinder& finder_;
    LshBandStore bands_;
    std::unique_ptr<Shingler> shingler_;  // the store's (read_shingle_sets)
    std::unique_ptr<MinHash> minhash_;    // the store's (sign_stored_sets)
    int perms_ = 0;
    uint64_t seed_ = 0;
    // By document number (position in seq order).
    std::vector<int64_t> seqs_;
    std::vector<FinderDocument> docs_;
    std::vector<uint64_t> set_hash_;
    std::vector<uint32_t> set_size_;
    std::vector<bool> own_keys_;  // band keys in own_band_keys_ (not the runs')
    // Documents whose shingles are not the stored ones: number, offset among the sets kept
    // (own_bytes_ before it; in own_file_ once spilled), sorted by number.
    // Their sets stay in memory (own_mem_, by own_slot_) while they fit in
    // own_sets_in_memory_; past that all of them go to own_file_ (spill_own_sets).
    // An exact copy's own set is its original's (share_own_set): own_slot_ (by position in
    // own_sets_) is the set's position among the sets kept (own_mem_'s, and the file's order).
    std::vector<uint32_t> own_sets_;
    std::vector<uint64_t> own_set_at_;
    std::vector<uint32_t> own_slot_;
    std::size_t own_slots_ = 0;
    std::vector<std::vector<uint64_t>> own_mem_;
    uint64_t own_sets_in_memory_ = 0;
    uint64_t held_text_bytes_ = 0;
    uint64_t shared_sets_in_memory_ = 0;
    uint64_t own_bytes_ = 0;
    impl::TempFile own_file_;
    bool own_spilled_ = false;  // the sets are in own_file_ (empty sets write nothing there)
    void spill_own_sets();
    // The band keys of own_keys_ documents, by band (memory bounded: OwnBandKeys), and those
    // finish() takes at once beside the runs (sorted: an only-new run's, of the new keys).
    class OwnBandKeys;
    std::unique_ptr<OwnBandKeys> own_band_keys_;
    std::vector<LshBandStore::Entry> extra_;
    // Of the batch being added: the band keys of its own_keys_ documents that went through the
    // finder, by document number (their exact copies take them).
    std::unordered_map<uint32_t, std::vector<uint64_t>> keys_of_original_;
    std::vector<uint64_t> new_keys_;          // band keys of the new documents (only new ones run)
    // Boilerplate band keys (keep_boilerplate_bands): their spec; the earlier documents kept by
    // their stored ones (keep_by_bands), by number, whose sets are derived only as candidates
    // (derive_candidates); the keys made; whether a derived set disagreed with its keys.
    bool keep_bands_ = false;
    uint64_t bands_spec_ = 0;
    std::vector<uint32_t> by_bands_;
    std::shared_ptr<BoilerplateBandsMade> bands_made_;
    bool bands_disagree_ = false;
    mutable std::unique_ptr<WorkerStores> worker_stores_;
};

}  // namespace doppel
