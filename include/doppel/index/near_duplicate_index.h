// doppel: the persistent, incremental near-duplicate index kept in a Store.
//
// Two parts:
//  - NearDuplicateStage, an IndexStage (index_stage.h): for every added or replaced document it
//    writes four artifacts to the store (store/store.h), in one transaction per batch, as
//    columns of two rows a document (Store::kSketchKinds; their names: store/sketch_artifacts.h):
//      "shingles"  magic "DPSH", uint32 version 2, uint32 count, then count uint64 shingle hashes
//                  (sorted, unique; sketch/shingler.h), little-endian; then their ShingleCounts
//                  (sketch/shingler.h): uint8 valid (0: nothing follows), uint64 words, uint32
//                  repeated, then per repeated shingle two varints (7 bits a byte, low first):
//                  its position in the set less the one before's less 1 (the first: its
//                  position), and its places less 2. With valid counts `dedup --store` derives a
//                  document's shingles without its boilerplate lines (Shingler::shingle_without:
//                  the same set, from the words of those lines and their neighbours alone)
//                  instead of shingling its whole text again. Version 1 (without counts) is
//                  still read: those documents are shingled again, as before. Version 3 is
//                  the magic and the version alone (8 bytes), a note: "make the set from the
//                  stored text". The stage writes it for texts under kShingleSetStoredFromBytes
//                  (schema version 5, store/store.h): the set of a short text takes more bytes
//                  than the text, and was most of what `doppel index` wrote of a news feed;
//                  and for an exact copy of a longer text earlier in its batch, whose first
//                  keeps the set (copies' sets were half of what `index` wrote of the copyright
//                  corpus). Every reader reads the sets through read_shingle_sets(), which gives
//                  a copy (schema 8) the set its text's holder stores, and shingles the other
//                  notes' texts again (shingle_counted: the set and counts a version 2 blob
//                  would hold), a text read more than once shingled once;
//      "minhash"   magic "DPMH", uint32 version 1, uint32 perms, uint64 seed, then perms uint32
//                  values (sketch/min_hash.h). Version 2 is the magic and the version alone (8
//                  bytes), a note: "sign the shingle set". The stage writes it where it writes
//                  the shingles' note (schema version 6, store/store.h): a feed item's signature
//                  (536 bytes) was a quarter of what `doppel index` wrote of a news feed, and
//                  only the few documents a reader re-sketches or rebuilds tables from need it
//                  (the band runs hold its keys). Every reader of whole signatures reads them
//                  through read_signatures() (or its two phases), which signs such documents'
//                  stored sets (MinHash::sign of read_shingle_sets: what version 1 would hold);
//      "shingle_set" magic "DPSK", uint32 version 1, uint64 set hash (shingle_set_hash of the
//                  "shingles" set), uint32 set size: the key by which `dedup --store` finds
//                  identical sets without reading the shingles of a document it takes as stored
//                  (one without a boilerplate line). A document stored before it has none
//                  (schema version 4, store/store.h): the stage adds the missing ones from the
//                  stored shingles the first time it writes to the store (metadata
//                  "near_duplicate_set_keys"), and `dedup --store` reads the shingles of a
//                  document without one, as before;
//      "lines"     magic "DPLN", uint32 version 2, uint64 text bytes, uint32 count, count uint64
//                  distinct line hashes (sorted), uint32 repeated, then per repeated line uint32
//                  occurrences, uint32 length, its bytes: the LineSummary of the text
//                  (sketch/line_summary.h), from which `dedup --store` counts lines,
//                  reports repeated lines and picks the documents to shingle again (those with a
//                  boilerplate line) without reading the texts; then uint64 the document's
//                  source hash (document_source_hash, sketch/line_summary.h), so that
//                  the count of lines by source reads these artifacts alone, not the documents.
//                  Version 1 (still read) ends before the source. It does not depend on the
//                  spec; a store written before it is read as before (texts) until the stage
//                  first writes to it, which adds the missing ones from the stored texts (once,
//                  version 1; metadata "near_duplicate_lines").
//    Deleted documents lose their artifacts with them (Store::remove, Store::expire), so delete
//    and expiry need nothing more. The stage records its spec in the store's metadata
//    ("near_duplicate_spec"); an index opened with another spec is refused.
//    In the same transaction it adds the documents' LSH band keys, for the banding of
//    default_band_params() (threshold 0.8, recall 0.99: check's defaults) and those of the lower
//    thresholds the store was asked to serve (kExtraBandingsMeta), to the store's band runs
//    (index/lsh_band_store.h); signatures the runs lack (a store written before them, a
//    banding asked for since, or runs that verify's repair dropped) are added first, in the
//    stage's first add() to a store, or in its flush() when the run adds nothing. The bandings of
//    NearDuplicateIndexOptions::dropped_band_thresholds lose their runs and their record there.
//  - NearDuplicateIndex: opens the index of a store. When the store's band runs are for the
//    banding asked for and cover every signature, queries read them from disk and opening builds
//    nothing (memory does not grow with the store); otherwise the LSH tables (index/lsh_index.h)
//    are rebuilt in memory from the "minhash" artifacts (a sequential scan: about 0.1 s per
//    100,000 documents). Both give the same candidates. query() answers for a new document
//    without storing it: the stored document it is most similar to, with exact Jaccard and
//    containment from the stored shingle sets.
//
// The stored shingles are those of the whole text: boilerplate removal needs statistics over a
// source's documents, which `doppel dedup` computes at run time (from the "lines" artifacts); a
// document with a boilerplate line then gets its shingles without it from the stored ones and
// their counts (Shingler::shingle_without, MinHash::sign_changed: the same set and signature as
// shingling its text without the line), reading its text only to split the boilerplate lines and
// their neighbours into words.
//
// Thread safety: neither class is safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/index/index_stage.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/index/lsh_index.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/sketch/line_summary.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/sketch/shingler.h"
#include "doppel/store/sketch_artifacts.h"

namespace doppel {

class Store;

struct NearDuplicateIndexOptions {
    std::string shingle_spec = kDefaultShingleSpec;  // sketch/shingler.h
    std::string minhash_spec = kDefaultMinHashSpec;  // sketch/min_hash.h
    // Thresholds that `dedup --store` and `check` will be asked for and the default band runs do
    // not serve (under about 0.8): the stage keeps band runs of their bandings too
    // (kExtraBandingsMeta), so those read from disk as well. Recorded in the store: later runs keep
    // them whatever they ask.
    std::vector<double> extra_band_thresholds;
    // Thresholds whose kept band runs the store no longer needs: the stage drops the runs of their
    // bandings (extra_bandings() of them; the default one is never dropped) and takes them off
    // kExtraBandingsMeta. A threshold asked for in both lists is refused.
    std::vector<double> dropped_band_thresholds;
};

// Artifact encoding (formats above). decode_* throw doppel::Error on a wrong magic or version.
std::string encode_shingles(const std::vector<uint64_t>& shingles, const ShingleCounts& counts = {});
// Reads versions 2 and 1 (counts not valid); the counts into *counts when given. A version 3 note
// holds no set: decode_shingles() throws (kInvalidArgument) on it; read_shingle_sets() reads it.
std::vector<uint64_t> decode_shingles(std::string_view blob, ShingleCounts* counts = nullptr);
// The "shingles" artifact of version 3: the set is made from the stored text when read.
std::string encode_shingles_in_text();
// Texts of at least this many bytes keep their shingle set in the store; a shorter text gets the
// version 3 note instead (a feed item of 1 KB has about 1.2 KB of shingles, read back only for
// the few documents that are candidates or share a set's hash: shingling those again costs less
// than writing every set).
inline constexpr std::size_t kShingleSetStoredFromBytes = 4096;

// A document's shingle set as the store gives it (read_shingle_sets).
struct StoredShingleSet {
    bool found = false;    // the document has a "shingles" artifact (and, for a note, its text)
    bool in_text = false;  // the artifact is the version 3 note: the set was made from the text (or
                           // taken from its holder's stored set: the same text)
    std::string error;     // why the artifact does not decode ("": it does); shingles are then empty
    std::vector<uint64_t> shingles;  // sorted, without repeats
    ShingleCounts counts;            // read (or made) only when asked for
};
// The one reader of stored shingle sets: sets[j] is seqs[j]'s, decoded where the artifact holds
// it, made from the stored text where it is the note (Shingler::shingle_counted with counts,
// else shingle(): exactly what the stage would have stored), on all cores, about 16 MiB of text
// at a time; a note of an exact copy takes its holder's stored set instead (with counts where
// asked: else it is made from the text). `shingler` must be the one of the store's
// near_duplicate_spec (the caller checks it). The store is read on the calling thread only; the
// workers shingle texts already read.
std::vector<StoredShingleSet> read_shingle_sets(const Store& store, const Shingler& shingler,
                                                const std::vector<int64_t>& seqs, bool with_counts = false);
// Its two phases, for a reader that has read the blobs with other kinds (one pass over a row):
// the decoding of one blob (a note gives found and in_text, no set yet), then the sets of the
// notes among sets[j] (for seqs[j]) made from the stored texts.
StoredShingleSet decode_stored_shingles(std::string_view blob, bool with_counts);
void make_sets_from_texts(const Store& store, const Shingler& shingler, const std::vector<int64_t>& seqs,
                          std::vector<StoredShingleSet>& sets, bool with_counts);
std::string encode_signature(const std::vector<uint32_t>& sig, uint64_t seed);
// Reads version 1. A version 2 note holds no signature: decode_signature() throws
// (kInvalidArgument) on it; read_signatures() reads it.
std::vector<uint32_t> decode_signature(std::string_view blob, int perms, uint64_t seed);
// The "minhash" artifact of version 2: the signature is made from the stored shingle set when read.
std::string encode_signature_of_set();

// A document's signature as the store gives it (read_signatures).
struct StoredSignature {
    bool found = false;   // decoded, or made from the document's stored set
    bool of_set = false;  // the artifact is the version 2 note
    std::string error;    // why the artifact (or, for a note, the set) does not decode ("": it does)
    std::vector<uint32_t> sig;
};
// The one reader of stored signatures: sigs[j] is seqs[j]'s, decoded where the artifact holds
// it, MinHash::sign of the stored set (read_shingle_sets) where it is the note. `shingler` and
// `minhash` must be those of the store's near_duplicate_spec (the caller checks it).
std::vector<StoredSignature> read_signatures(const Store& store, const Shingler& shingler, const MinHash& minhash,
                                             const std::vector<int64_t>& seqs);
// Its two phases, for a reader that has read the blobs with other kinds: the decoding of one
// blob (a note gives of_set, no signature yet), then the notes among sigs[j] signed from sets[j]
// (the documents' stored sets, read_shingle_sets or its phases), on all cores; a note whose set
// was not found stays not found, one whose set does not decode gets the set's error.
StoredSignature decode_stored_signature(std::string_view blob, int perms, uint64_t seed);
void sign_stored_sets(const MinHash& minhash, const std::vector<StoredShingleSet>& sets,
                      std::vector<StoredSignature>& sigs);
// A "lines" artifact: version 2 with `source` (a document's document_source_hash), else 1.
std::string encode_lines(const LineSummary& summary, std::optional<uint64_t> source = std::nullopt);
// Its summary, and into *source (when given) its source hash, nullopt for version 1.
LineSummary decode_lines(std::string_view blob, std::optional<uint64_t>* source = nullptr);
// A shingle set's key ("shingle_set"): what identical sets share.
struct ShingleSetKey {
    uint64_t hash = 0;  // shingle_set_hash (sketch/shingler.h)
    uint32_t size = 0;  // shingles in the set
};
ShingleSetKey shingle_set_key(const uint64_t* shingles, std::size_t n);
std::string encode_set_key(const ShingleSetKey& key);
ShingleSetKey decode_set_key(std::string_view blob);

// The spec the stage records in a store's metadata (kNearDuplicateSpecMeta) for these shingle and
// MinHash specs, each written out in full: a reader may take the stored artifacts as its own
// shingles and signatures only when the spec it would record is the stored one.
inline constexpr const char* kNearDuplicateSpecMeta = "near_duplicate_spec";
std::string near_duplicate_sketch_spec(const std::string& shingle_spec, const std::string& minhash_spec);

// The banding whose keys the stage keeps on disk: choose_lsh_params() at these defaults.
inline constexpr double kDefaultBandThreshold = 0.8;
inline constexpr double kDefaultBandRecall = 0.99;
LshParams default_band_params(int perms);
// The banding a reader of a store takes for `threshold` and `target_recall`: the stored runs'
// (default_band_params) wherever they find a pair at the threshold with at least that
// probability (lsh_candidate_probability; e.g. at 128 values, any threshold from 0.8 up at recall
// 0.99), so the runs on disk serve it and no table is built in memory; else choose_lsh_params's,
// which the runs cannot serve. Recall at the threshold is at least target_recall either way.
LshParams store_banding(int perms, double threshold, double target_recall);
// The same among the bandings a store keeps runs of (stored_bandings): of those that reach the
// recall at the threshold, the one with the fewest candidates at half the threshold.
LshParams store_banding(const std::vector<LshParams>& stored, int perms, double threshold, double target_recall);
// Store metadata: the bandings kept besides the default one, "<bands>x<rows>" each, separated by
// spaces, in the order they were first asked for (NearDuplicateIndexOptions::extra_band_thresholds),
// less those dropped since (dropped_band_thresholds).
inline constexpr const char* kExtraBandingsMeta = "near_duplicate_extra_bandings";
// A reader without band runs for its banding builds its LSH tables (and, for dedup, keeps every
// shingle set) in memory: refused (doppel::Error kInvalidArgument) where `bytes`, its estimate,
// is over half the machine's memory, with a message naming `what` and `fix`, by default the index
// run that serves `threshold` from disk instead.
void check_fits_in_memory(const Store& store, uint64_t bytes, double threshold, const std::string& what,
                          const std::string& fix = "");
// The bandings whose band runs `store` keeps: default_band_params(perms), then the recorded ones.
std::vector<LshParams> stored_bandings(const Store& store, int perms);
// verify's check of the band runs of every banding `store` keeps (stored_bandings), read whole
// (LshBandStore::problems): a banding is damaged when its runs cannot be read or are unsound, or
// do not cover every stored signature (its readers then fail, or build their tables in memory).
// LshBandStore::drop() of the damaged ones, then an index run (the stage's add() or flush()),
// builds them again. perms 0: the store holds no near-duplicate sketches, nothing was checked.
struct BandRunCheck {
    int perms = 0;
    std::vector<LshParams> bandings;     // checked
    std::vector<LshParams> damaged;      // those with problems
    std::vector<std::string> problems;   // each beginning with its banding's name ("16x6: ...")
};
BandRunCheck check_band_runs(const Store& store);
// The bandings a stage asked for `thresholds` keeps besides the default one: store_banding() of
// each at kDefaultBandRecall where the default one does not serve it, without repeats.
std::vector<LshParams> extra_bandings(const std::vector<double>& thresholds, int perms);

class NearDuplicateStage : public IndexStage {
public:
    explicit NearDuplicateStage(NearDuplicateIndexOptions options = {});
    ~NearDuplicateStage() override;
    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override;
    // Shingles and signs the batch (the artifacts' blobs and their band entries), on all cores.
    std::unique_ptr<Prepared> prepare(std::size_t n, const AnalyzedDocument* docs) override;
    void add_prepared(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs,
                      std::unique_ptr<Prepared> prepared) override;
    void flush(Store& store) override;
    std::vector<std::string> take_warnings() override;
    // Shingles and signatures depend on the text alone: nothing to do.
    void relabeled(Store&, std::size_t, const int64_t*, const AnalyzedDocument*) override {}
    std::vector<std::string> artifact_kinds() const override {
        return {kShinglesArtifact, kMinHashArtifact, kLinesArtifact, kShingleSetArtifact};
    }
    std::string describe() const override;

private:
    NearDuplicateIndexOptions options_;
    std::unique_ptr<Shingler> shingler_;
    std::unique_ptr<MinHash> minhash_;
    Segmenter segmenter_;
    // What prepare() made (defined in the .cpp): the blobs, their band entries, the content
    // hashes of the texts they were made of, and the per-worker state that made them. Its
    // buffers keep their capacity from batch to batch (a fresh page costs a fault, and on the
    // machines measured three blobs a document allocated afresh cost more than the copies they
    // save): add_prepared() hands a written batch back as the spare that the next prepare()
    // fills (two in turn while the Indexer's pipeline holds two batches).
    struct Batch;
    std::unique_ptr<Batch> take_spare();
    void give_back(std::unique_ptr<Batch> b);
    mutable std::mutex spare_mutex_;  // prepare() and add_prepared() may run at once on two threads
    std::unique_ptr<Batch> spare_;
    // The store whose band runs the stage has caught up with the stored signatures (in its first
    // add() to it: a store written by a build without band runs), so later batches skip the check.
    const Store* caught_up_ = nullptr;
    // The bandings asked for besides the default one (options_.extra_band_thresholds), and all
    // those the stage keeps runs of: the default, then (once it has written to a store) the
    // store's recorded ones with those asked for. Read by prepare() under spare_mutex_.
    std::vector<LshParams> extra_;
    std::vector<LshParams> dropped_;  // of options_.dropped_band_thresholds
    std::vector<LshParams> bandings_;
    std::vector<std::string> warnings_;  // a dropped threshold whose banding the store did not keep
    std::vector<LshParams> bandings() const;
    void keep_bandings(Store& store);
    void note_not_dropped(const std::vector<LshParams>& recorded);
    // Whether a banding the store keeps lacks the keys of a stored signature (flush() adds them).
    bool runs_behind(const Store& store) const;
    // add()'s transaction (the band entries are moved into it); `stored` is the spec the store had.
    void write_prepared(Store& store, std::size_t n, const int64_t* seqs, Batch& b,
                        const std::optional<std::string>& stored);
};

struct NearDuplicateMatch {
    int64_t seq = 0;         // the stored document
    double jaccard = 0;      // exact, from the shingle sets
    double containment = 0;  // |A ∩ B| / min(|A|, |B|)
};

class NearDuplicateIndex {
public:
    // For `threshold` and `target_recall`: reads the store's band runs where they serve them
    // (store_banding), else loads every stored signature and builds LSH tables in memory. `store`
    // must outlive the index. Throws doppel::Error if the store was indexed with another spec or
    // an artifact is malformed.
    NearDuplicateIndex(const Store& store, double threshold, double target_recall = 0.99,
                       NearDuplicateIndexOptions options = {});

    // The stored documents whose Jaccard (or, with partial, containment) with `text` is at least
    // the threshold, best Jaccard first. A query reads the store in one snapshot
    // (Store::read_snapshot); where a writer has committed since the band runs' catalogue was
    // read (its merges drop the runs merged), the catalogue is read again first.
    std::vector<NearDuplicateMatch> query(std::string_view text, bool partial = false);
    ~NearDuplicateIndex();
    std::size_t size() const;  // documents with a signature
    LshParams params() const { return lsh_.params(); }
    // Whether queries read the store's band runs (else the tables were built in memory).
    bool on_disk() const { return bands_.has_value(); }

private:
    const Store& store_;
    double threshold_;
    std::unique_ptr<Shingler> shingler_;
    std::unique_ptr<MinHash> minhash_;
    Segmenter segmenter_;
    LshIndex lsh_;  // empty when bands_ is set
    std::optional<LshBandStore> bands_;
    int64_t bands_version_ = 0;  // the store's data_version() when bands_ was read
    std::vector<int64_t> candidates(const uint32_t* sig);
    std::optional<LshBandStore> read_bands();
};

}  // namespace doppel
