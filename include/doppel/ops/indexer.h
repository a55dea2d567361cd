// doppel: the indexing operation, from files to the store.
//
//   Document --analyze()--> AnalyzedDocument --Store::put--> stored row --IndexStage::add-->
//   artifacts (sketches, embeddings) and index files
//
// analyze() identifies the languages of the document and of each paragraph and computes the
// content hash (hex XXH3-128 of the text). add() analyzes and stores a batch in one transaction,
// then hands the documents that were added or replaced to each registered IndexStage.
//
// Language ID's fallback (langid/language_identifier.h) makes a short or unsure document's
// language depend on the likely languages, counted from the model's top labels of the stored
// documents. A batch is decided with those of the store and the batch; finish() then settles
// (settle_languages()): every fallback decision is made again with the store's final counts and
// the changed documents are updated in place, so that once a run has finished a document's
// language, confidence, paragraph labels and artifacts depend on the store's content only, not
// on the order, the batches or the interrupted runs that brought it there. remove() and expire()
// settle too. A run killed before it settled leaves Store::kSettledMeta unset: the next one
// re-checks every fallback decision.
//
// Exact copies cost little. A text repeated within a batch is read by language ID once, and the
// stages compute its sketches and features once. A text that a document written earlier by the
// same Indexer holds (a feed's item copied again a few batches later) takes that document's
// stored analysis, and the embedding stage its stored features, where they are what analyzing
// the copy would give: a decision of the text alone, or one made among the same likely languages
// with the same lang hint; texts are compared byte for byte. The store is the same either way.
// The Indexer remembers up to a million texts (48 bytes each); copies of documents stored by an
// earlier run are analyzed as new.
//
// The whole `doppel index` operation is one call, index_paths(): read the inputs in batches
// (ingest/document_reader.h), add each batch, finish; bad records are collected, not fatal.
// open_index_stages() builds the stages a store gets at index time from an IndexConfig
// (near-duplicate sketches, and cross-language embeddings when the bridge model is there).
//
// Usage:
//   Store store(dir);
//   LanguageIdentifier langid(config.models_dir + "/lid.176.ftz");
//   IndexStages stages = open_index_stages(config);   // stages.warnings: say them or not
//   IndexRun run = index_paths(store, langid, std::move(stages.stages), {"news/"});
//
// Thread safety: an Indexer writes to one Store and is not safe for concurrent use; the same
// holds for index_paths() and the Store it is given.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

#include "doppel/document.h"
#include "doppel/error.h"
#include "doppel/index/index_stage.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/store/store.h"
#include "doppel/store/store_write_lock.h"

namespace doppel {

// A document as `doppel index` analyzes it before storing: content hash, then language ID of the
// document and of each paragraph (LanguageIdentifier::analyze; a short or unsure text falls back
// to the `likely` languages, none given: its top label). Indexer::analyze calls it.
AnalyzedDocument analyze_document(Document doc, const LanguageIdentifier& langid,
                                  const std::vector<std::string>& likely = {});

// Hex XXH3-128 of a text: the content hash stored with every document.
std::string content_hash(std::string_view text);

// What a run of add() / finish() did, and where its time went: wall seconds per step, in the
// order first seen ("analyze": language ID and segmentation; "store": SQLite writes; then each
// stage by name, "<name> flush" for its flush at finish()).
struct IndexSummary {
    std::size_t added = 0, replaced = 0, unchanged = 0;
    // Of the unchanged: stored earlier without some artifact (an interrupted run of an older
    // build, or a stage not configured then), whose artifacts were computed now.
    std::size_t completed = 0;
    // Stored documents whose language the settling at finish() changed (Indexer::settle_languages).
    std::size_t relabeled = 0;
    std::vector<std::pair<std::string, double>> seconds;
    std::vector<std::string> warnings;  // from the stages (IndexStage::take_warnings)
    // Documents not stored because a later one of the same batch had the same id, each named by
    // its source and the source of the one that replaced it.
    std::vector<RecordError> superseded;
    void add_seconds(const std::string& step, double s);
};

class Indexer {
public:
    // The store and language identifier must outlive the Indexer. Takes the store's write lock
    // (store/store_write_lock.h) for the Indexer's lifetime: waits while another writer holds it.
    Indexer(Store& store, const LanguageIdentifier& langid);
    // An Indexer for the documents already stored (complete_stored, remove, expire, finish), which
    // needs no language model: add() and analyze() throw doppel::Error (kInvalidArgument), and finish()
    // keeps the language identifier's part of the specs the store recorded. `verify --repair`.
    explicit Indexer(Store& store);
    // An Indexer for a store kept for near-duplicates only (IndexConfig::for_duplicates): add()
    // stores documents with their content hash and no language analysis (no language, no
    // paragraphs), so no language model is needed and none is loaded.
    struct WithoutLanguages {};
    Indexer(Store& store, WithoutLanguages);

    // Registers a stage that derives data for every added or replaced document.
    void add_stage(std::unique_ptr<IndexStage> stage);

    // Language ID (the likely languages: the store's, see langid/language_identifier.h; counted
    // once per Indexer and again after it changed the store), paragraphs and content hash of one
    // document.
    AnalyzedDocument analyze(Document doc) const;

    // Analyzes and stores n documents (moved from) and every stage's artifacts of them, in one
    // transaction: after a kill or an error a document is stored with all its artifacts or not
    // at all. Unchanged documents that lack an artifact of a stage get it now (summary->completed).
    // Returns what happened to each. When several
    // have the same id, the last one is stored (it replaces the others, as a later batch would)
    // and the earlier ones get PutStatus::kSuperseded and an entry in summary->superseded.
    std::vector<PutStatus> add(std::size_t n, Document* docs, int64_t now, IndexSummary* summary = nullptr);

    // The batches `next` gives, each added as add() would (one transaction a batch: the same
    // statuses, summary and store), in a pipeline: batch k+1 is analyzed (once batch k is put,
    // beside batch k's prepare()) and its stages prepare it (IndexStage::prepare, side by side,
    // on other threads) while batch k is written and committed. It
    // holds two batches at most, the one written and the one prepared: `next` reads batch k+2 on
    // a thread of its own once batch k is committed. `done` is called on the caller's thread
    // after each batch was committed (or after a batch without documents), in order, with its
    // documents' statuses; summary->superseded then holds that batch's. `next` and `done` are
    // never called at the same time. A batch that fails rolls back alone: the batches before it
    // are committed and done; an error reading or beginning the next batch is thrown once the
    // batch before it is committed and done. With DOPPEL_DEBUG_PIPELINE set, each batch's times
    // on the writing thread and on the preparing ones go to stderr (the overlap).
    //   BatchSource: fills `docs` (empty on the call) with the next batch; false once there is none.
    using BatchSource = std::function<bool(std::vector<Document>& docs)>;
    using BatchDone = std::function<void(const std::vector<PutStatus>& status)>;
    void add_stream(const BatchSource& next, int64_t now, IndexSummary* summary, const BatchDone& done);

    // Computes the missing artifacts of every stored document that lacks one of the stages'
    // kinds (see Store::documents_missing), a batch per transaction; returns how many documents
    // were incomplete. `doppel verify --repair` calls it, then finish().
    std::size_t complete_stored(IndexSummary* summary = nullptr);

    // Deletes documents, settles language ID and tells the stages; returns how many were stored.
    std::size_t remove(const std::vector<std::string>& ids);
    // Deletes documents added before `cutoff` (seconds since the epoch), as remove(); returns
    // their ids.
    std::vector<std::string> expire(int64_t cutoff);

    // Settles language ID (see the top of this file): the documents whose language the fallback
    // chose are decided again among the likely languages of the store as it is now, and the
    // changed ones updated in place with their artifacts (IndexStage::relabeled), a batch per
    // transaction. Returns how many changed. Nothing to do (0) without a language identifier,
    // and when the store is unchanged since the last settling (Store::kSettledMeta). A decision
    // this Indexer made among the same likely languages is not read again (it would not change).
    std::size_t settle_languages(IndexSummary* summary = nullptr);

    // Settles language ID, flushes every stage and records the specs that built the store in its
    // metadata (written with the first batch already, in its transaction: finish() then writes
    // only what changed, so a run commits no transaction of its own for them).
    void finish(IndexSummary* summary = nullptr);

    // Records `purpose` as the store's (kPurposeMeta) in the transaction of the first batch
    // written, or at finish() when none is: open_indexer() for a store that has none yet.
    void record_purpose(const std::string& purpose) { purpose_to_record_ = purpose; }

private:
    // A batch on its way through add() or add_stream() (defined in the .cpp), in phases:
    // begin_batch (which documents to analyze; reads the store), analyze_pending and
    // prepare_pending (language ID or hashes, the stages' prepare(); no store: any thread), and
    // write_batch (one transaction; `before_stages` runs in it once the documents are put, and
    // must leave the batch's prepared work ready).
    struct Pending;
    void begin_batch(Pending& b, const Pending* writing);
    void analyze_pending(Pending& b) const;
    void prepare_pending(Pending& b);
    std::vector<PutStatus> write_batch(Pending& b, int64_t now, IndexSummary* summary,
                                       const std::function<void()>& before_stages);
    struct Preparing;  // analyze_pending and prepare_pending of a batch on a task of its own
    Preparing start_preparing(Pending& b, const Preparing* before);
    // `prepared`: per stage, what its prepare() made of `analyzed` (null or empty: nothing).
    void run_stages(const std::vector<PutStatus>& put, const std::vector<int64_t>& seqs,
                    const std::vector<AnalyzedDocument>& analyzed,
                    std::vector<std::unique_ptr<IndexStage::Prepared>>* prepared, IndexSummary* summary);
    void record_artifact_kinds();
    std::vector<AnalyzedDocument> analyze_batch(Pending& b) const;
    // Texts stored by this Indexer: the high 64 bits of the content hash -> a document holding
    // it, with what its decision was made of: the text alone (the top label trusted, no
    // lang_scores), or the text, the lang hint (its hash) and the likely languages
    // run_likely_[likely]. A later batch's copy of one takes that document's stored analysis
    // where it holds (find_stored_copies, in begin_batch; analyze_batch) instead of language ID
    // reading the text again. At most kRunHolders; emptied when a batch fails.
    static constexpr uint32_t kAnyLikely = UINT32_MAX;
    struct RunHolder {
        int64_t seq = 0;
        uint32_t likely = kAnyLikely;
        uint64_t hint = 0;
    };
    std::unordered_map<uint64_t, RunHolder> run_holders_;
    std::vector<std::vector<std::string>> run_likely_;
    void note_holders(const std::vector<PutStatus>& put, const std::vector<int64_t>& seqs,
                      const std::vector<AnalyzedDocument>& analyzed, const std::vector<std::string>& likely);
    void find_stored_copies(Pending& b) const;
    static void hash_texts(Pending& b);
    std::vector<bool> done_already(const std::vector<std::size_t>& kept, const Pending& b,
                                   const Pending* writing, std::vector<bool>* absent) const;

    Store& store_;
    StoreWriteLock lock_;  // after store_: built from its folder
    std::string language_spec() const;
    std::string specs() const;  // what finish() records: the language spec and every stage's
    void record_run_meta();     // the pending purpose and the specs, in the caller's transaction
    std::optional<std::string> purpose_to_record_;
    bool run_meta_recorded_ = false;  // both committed with a batch or by finish()

    const LanguageIdentifier* langid_;  // null: stored documents only, or without_languages_
    bool without_languages_ = false;
    std::vector<std::unique_ptr<IndexStage>> stages_;
    std::vector<std::string> kinds_;  // the stages' artifact kinds
    bool kinds_recorded_ = false;
    std::map<std::string, std::size_t>& stored_top_labels();
    void relabel(std::size_t n, const int64_t* seqs, const LanguageGuess* guesses);
    // Stored documents per top label (Store::top_label_counts), read at the first batch and
    // counted on by add(); null until then and after a removal.
    std::optional<std::map<std::string, std::size_t>> top_labels_;
    mutable std::optional<std::vector<std::string>> likely_;  // analyze()'s likely languages
    // The fallback decisions this Indexer wrote since it last settled: per seq, the likely
    // languages (an entry of decided_likely_) its batch was decided among. settle_languages()
    // reads the stored decisions of the others only: one decided among the likely languages of
    // the settling stays as it is.
    std::unordered_map<int64_t, std::size_t> decided_with_;
    std::vector<std::vector<std::string>> decided_likely_;
    void note_decisions(const std::vector<PutStatus>& put, const std::vector<int64_t>& seqs,
                        const std::vector<AnalyzedDocument>& analyzed, const std::vector<std::string>& likely);
    std::vector<Store::LanguageDecision> decisions_to_settle(const std::vector<std::string>& likely) const;
};

// Store metadata key: the artifact kinds every document of the store should have, comma-separated
// (the union of the kinds of the stages that have indexed into it). split_kinds() splits it.
constexpr const char* kArtifactKindsMeta = "artifact_kinds";
std::vector<std::string> split_kinds(const std::string& joined);

// Which index stages a store gets, and what they need.
//
//   setting          default    meaning
//   models_dir       "models"   folder holding bridge.lex (and lid.176.ftz, see the usage above)
//   near_duplicates  true       NearDuplicateStage: shingles and MinHash for dedup and check
//   embeddings       true       EmbeddingStage: features and vectors for translations; needs
//                               models_dir/bridge.lex (skipped with a warning when missing).
//                               A store used only for duplicates needs none.
//   vector_index     "auto"     FAISS factory string or "auto" spec (index/vector_index.h)
//   vectors          ""         "vectors:path=..." aligned word vectors combined with the bridge
//   vectors_weight   0.5        share of the vectors cosine in the similarity
//   language_id      true       language of every document and paragraph (lid.176.ftz);
//                               translations need it, a store for duplicates alone does not
//
// What a store is for, its *purpose* (`doppel index --for duplicates|all`), picks these:
//   "all"         every stage above, language ID (the default)
//   "duplicates"  near-duplicates only: no language ID, no embeddings; `dedup --store` and
//                 `check` work as with "all", `translations` finds nothing to link.
// The purpose is recorded in the store's metadata (kPurposeMeta) at the first index run; later
// runs keep it, and one asking for the other purpose is refused (its documents would lack the
// analysis, or carry one nobody uses): index into a new store instead.
struct IndexConfig {
    std::string models_dir = "models";
    bool near_duplicates = true;
    bool embeddings = true;
    bool language_id = true;
    std::string vector_index = "auto";
    std::string vectors;
    float vectors_weight = 0.5f;
    // Near-duplicate thresholds under 0.8 to serve from band runs on disk too
    // (NearDuplicateIndexOptions::extra_band_thresholds; `index --dedup-thresholds`).
    std::vector<double> dedup_thresholds;
    // Near-duplicate thresholds whose kept band runs to drop
    // (NearDuplicateIndexOptions::dropped_band_thresholds; `index --drop-dedup-thresholds`).
    std::vector<double> dropped_dedup_thresholds;
};

// Store metadata key: the store's purpose, "all" or "duplicates" (see IndexConfig).
constexpr const char* kPurposeMeta = "purpose";

// The purpose of `store`: `requested` when given ("all" or "duplicates"), else the one it
// recorded, else "all". Throws doppel::Error (kInvalidArgument) on another name, and when the
// store recorded another purpose than the one requested.
std::string store_purpose(const Store& store, const std::string& requested = "");
// `config` (models folder, vector index, ...) set up for `purpose`: "duplicates" turns off the
// embeddings and language ID, "all" keeps them as given.
IndexConfig config_for_purpose(IndexConfig config, const std::string& purpose);

struct IndexStages {
    std::vector<std::unique_ptr<IndexStage>> stages;  // in the order they run
    std::vector<std::string> warnings;                // e.g. bridge.lex missing: no embeddings
};

// Builds the stages of `config`, each from its default spec. Throws doppel::Error when a model
// that is there cannot be loaded.
IndexStages open_index_stages(const IndexConfig& config);

// How index_paths() reads and stores.
//   batch        0       documents per transaction; 0: by the store's purpose (index_batch_size)
//   batch_bytes  0       a batch also ends once its texts reach this many bytes (bounds memory:
//                        the copyright corpus, 28 KB a document, peaks at 99 MB, 122 with 64 MiB);
//                        0: by the store's purpose (index_batch_bytes)
//   now          0       time recorded as added, seconds since the epoch (0: the current time)
//   reader       {}      ingest options (largest document, ...)
struct IndexRunOptions {
    std::size_t batch = 0;
    std::size_t batch_bytes = 0;
    int64_t now = 0;
    ReaderOptions reader;
    // Count the store's documents at the end (IndexRun::stored). The count reads every entry of
    // an index of the documents, so it grows with the store (about 0.1 s of each `index` call at
    // 10,000,000 documents): a caller that does not show it (`doppel -q index`) turns it off.
    bool count_stored = true;
};

// Documents per batch (transaction) when IndexRunOptions::batch is 0. With language ID a batch's
// likely languages are decided together: 256, as before. A store for duplicates only takes
// 16384: each transaction rewrites the last pages of every table and index it appends to (and
// the random leaves of the id index it inserts into), copies the log into the database with two
// fsyncs, and adds a run of band keys that later merges rewrite, so bigger ones write less (a
// 100,000-item feed: 1.42 -> 0.88 GB written, index 4.2 -> 3.6 s CPU, with 4096 against 256; a
// 1,000,000-item feed in ten files: the writing thread's CPU 13.9-14.1 -> 12.5-12.8 s with 16384
// against 4096, peak 120 -> 280-320 MB: two batches are held, and it does not grow with the store).
inline constexpr std::size_t kLanguageBatch = 256;
inline constexpr std::size_t kDuplicatesBatch = 16384;
// The first batch of a run into a store for duplicates, with neither cap given, is read with a
// kFirstBatchShare-th of each (4096 documents, 4 MiB): nothing is written until a batch is read
// and hashed, and it is sketched while it is written and the next one read, so a smaller first
// batch starts the writing and the overlap sooner (the copyright corpus here, 967 documents, 27
// MB: batches of 113, 331 and 523 documents instead of 278 and 689; the store is the same but for
// one band run more).
inline constexpr std::size_t kFirstBatchShare = 4;
std::size_t index_batch_size(const IndexRunOptions& options, bool with_languages, bool first_batch = false);
// Bytes of text that end a batch when IndexRunOptions::batch_bytes is 0: 8 MiB with language ID,
// 16 MiB for a store for duplicates (room for kDuplicatesBatch items of 1 KB, the size of a feed's).
inline constexpr std::size_t kLanguageBatchBytes = std::size_t{8} << 20;
inline constexpr std::size_t kDuplicatesBatchBytes = std::size_t{16} << 20;
std::size_t index_batch_bytes(const IndexRunOptions& options, bool with_languages, bool first_batch = false);

// What index_paths() did.
struct IndexRun {
    IndexSummary summary;             // added, replaced, unchanged; seconds ("read" first: reading
                                      // and parsing, on its own thread alongside the other steps,
                                      // the next batch read while one is stored); warnings
    std::size_t read = 0;             // documents read
    uint64_t text_bytes = 0;          // bytes of their texts (UTF-8): each stage's throughput
    std::vector<RecordError> errors;  // records skipped (unreadable, invalid, too large, ...,
                                      // or replaced by a later record of its batch with its id)
    std::size_t stored = 0;           // documents in the store afterwards (0 without
                                      // IndexRunOptions::count_stored)
};

// Called after every batch with the run so far (errors and warnings grow at the end, so a
// caller can show the new ones) and the bytes read of the bytes to read (0 when unknown, e.g.
// standard input).
using IndexProgressCallback =
    std::function<void(const IndexRun& so_far, uint64_t bytes_read, uint64_t bytes_total)>;

// The Indexer of a store's purpose (see store_purpose): with language ID when `langid` is given
// (purpose "all"), without it (Indexer::WithoutLanguages, purpose "duplicates") when null. Records
// the purpose in a store that has none yet; throws doppel::Error (kInvalidArgument) when the store
// recorded the other one. `langid`, when given, must outlive the Indexer.
std::unique_ptr<Indexer> open_indexer(Store& store, const LanguageIdentifier* langid);

// Reads `paths` (files, folders, "-" for JSONL on standard input; see DocumentReader), adds every
// document to `store` through an Indexer with `stages`, and finishes it (flushes the stages,
// records the specs). A bad record is collected in IndexRun::errors and reading goes on; I/O and
// store failures throw doppel::Error.
IndexRun index_paths(Store& store, const LanguageIdentifier& langid,
                     std::vector<std::unique_ptr<IndexStage>> stages, const std::vector<std::string>& paths,
                     const IndexRunOptions& options = {}, const IndexProgressCallback& progress = {});
// The same without language ID (langid null): a store for duplicates only (see IndexConfig),
// through Indexer(store, Indexer::WithoutLanguages{}); records the purpose "duplicates". Such a
// run writes with a rollback journal where no other connection has the store open
// (Store::use_journal: a reader that comes meanwhile waits for each batch's commit), and every
// run leaves the store in the write-ahead log (Store::use_wal).
IndexRun index_paths(Store& store, const LanguageIdentifier* langid,
                     std::vector<std::unique_ptr<IndexStage>> stages, const std::vector<std::string>& paths,
                     const IndexRunOptions& options = {}, const IndexProgressCallback& progress = {});

}  // namespace doppel
