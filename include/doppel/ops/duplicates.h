// doppel: the near-duplicate operations, end to end, as batched calls on plain data.
//
//  - find_stored_duplicates(): every near-duplicate pair and cluster among the documents of a
//    store (`doppel dedup --store`).
//  - find_new_stored_duplicates(): the same for the documents added since its last call only
//    (`doppel dedup --store --new`, a daily feed).
//  - run_stored_dedup(): either of them on a store named by its folder, opened once for the run
//    and for writing its output (`doppel dedup --store`).
//  - find_file_duplicates(): the same over files, storing nothing (`doppel dedup PATH...`).
//  - DuplicateChecker: for new documents, whether each copies a stored one (`doppel check`),
//    without storing them.
// The finding itself is match/near_duplicate_finder.h (LSH candidates, exact verification,
// non-chaining clusters, boilerplate lines left out per source) and, for check,
// index/near_duplicate_index.h. The command-line tool and the language bindings call these.
//
// Thread safety: each call reads its store or files through the objects it is given only; do
// not use that Store from another thread meanwhile. A DuplicateChecker is used from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "doppel/document.h"
#include "doppel/error.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/progress.h"

namespace doppel {

class BoilerplateBandsMade;

class Store;
class NearDuplicateIndex;

// The memory, in MiB, a near-duplicate operation may give each part of its input that it keeps
// rather than reads again (or writes to a temporary file): the documents kept between the two
// passes with boilerplate on (find_stored_duplicates; FileDedupOptions::cache_mb's default), and
// in a store's band-run dedup the shingle sets of the documents with boilerplate left out and
// those of documents with identical sets. Each part has a budget of its own, of this size.
constexpr std::size_t kDedupMemoryBudgetMb = 256;

// Stored documents taken at a time by `dedup --store` (the `batch` of the functions below): each
// batch costs the finder three fork-joins of its workers (line counts, which documents need their
// text, sketches), thread starts that a batch of 256 short items does not amortize (1,000,000
// items: 5.1 -> 4.3 s CPU with 4,096). Texts are read only for documents with a boilerplate line.
constexpr std::size_t kStoredDedupBatch = 4096;

// Runs the near-duplicate finder over every stored document. Document numbers in the result are
// positions in seq order (the order documents arrived), so "earliest seen" is the earliest stored.
// `batch` documents are held in memory at a time (with boilerplate on, stores of up to
// kDedupMemoryBudgetMb in memory, their objects counted, are held whole between its two passes,
// so they are read once).
// The shingles and signatures the store's near-duplicate stage made at index time are taken as they are (when
// the options' shingle and MinHash specs are the stage's, and the document has no boilerplate line): only
// documents with boilerplate are shingled again. When the store's band runs (index/lsh_band_store.h) serve
// the options (store_banding, index/near_duplicate_index.h: their banding reaches the options' recall at the
// threshold, as at every threshold from 0.8 up with recall 0.99; the result then reports that banding, and
// the options' spec names it) and cover every signature, memory does not grow with the store beyond small
// per-document arrays (about 200 bytes a document: id, seq, set hash and size, identical-set groups) and the
// verified pairs: candidates come from the runs on disk and shingles are read by seq as they are verified.
// Otherwise (a lower threshold, a higher recall, an explicit banding, exact mode, a store indexed by a build
// without band runs) every document's shingles and signature are held in memory until the end.
NearDuplicateResult find_stored_duplicates(const Store& store, const NearDuplicateOptions& options,
                                           std::size_t batch = kStoredDedupBatch, const ProgressCallback& progress = {});

// The near-duplicates of the documents added since the last call on this store with the same
// options (a daily feed: `index` a batch, then `dedup --store --new`): every pair with a new
// document, exactly the pairs a full find_stored_duplicates() reports with it, and for each new
// document in a cluster its representative, as the full run's clusters have it (a cluster lists
// its new members only; its representative may be an earlier document). The caller then
// records in the store what the next call needs, with record_new_duplicates() once it has kept
// the result (ops/dedup_state.h: the newest seq covered, the earlier cluster members): a run
// whose output was lost is not recorded, and the next one reports its documents again. Where
// the store's band runs serve the options, only the buckets holding a new document are compared
// and only candidates' shingles are read; the first call on a store (or with other options), a
// store without band runs, and a store where earlier documents were deleted or changed their
// boilerplate lines since get a full run, its result cut to the new documents (all of them, on a
// first call). A call that finds no document added or deleted since answers from the recorded
// state without reading the documents (its result's documents are then numbered but not named:
// no pair, cluster or repeated line refers to one). Likewise, where every document's line
// summary names its source (a store indexed since the "lines" artifact's version 2), a call
// through the band runs reads the rows of the new documents, of earlier ones it shingles again
// (a boilerplate line of their source in them) and of those a pair or cluster refers to, and no
// other: every other earlier document is numbered but not named (an empty id). An earlier
// document with a boilerplate line is not shingled again (nor its row read) where a run recorded
// the band keys of its set without that line (the mark's boilerplate_bands, written per document
// with the state): only if it is a candidate. So a store whose every source has a footer does not
// cost a full run each time.
struct NewStoredDuplicates {
    NearDuplicateResult result;  // documents: every stored one, numbered in seq order (see above)
    int64_t since = 0;           // documents after this seq were new (0: all of them)
    std::size_t new_docs = 0;    // how many (result.docs[docs.size() - new_docs ...])
    std::string full_run;        // why a full run was needed; empty when only new ones were compared
    struct Mark {                // what record_new_duplicates() writes
        int64_t since = 0;
        uint64_t docs = 0, boilerplate = 0;
        std::vector<int64_t> members;
        std::string spec;
        bool full = false;
        uint64_t boilerplate_lines = 0;  // result.boilerplate_lines
        // The band keys of documents whose set left a boilerplate line out, made by this run for
        // the next one (ops/dedup_state.h; null: none).
        std::shared_ptr<const BoilerplateBandsMade> boilerplate_bands;
    } mark;
};
NewStoredDuplicates find_new_stored_duplicates(const Store& store, const NearDuplicateOptions& options,
                                               std::size_t batch = kStoredDedupBatch,
                                               const ProgressCallback& progress = {});
// Records a call's place in the store (d.mark, in one transaction): the next call's new
// documents come after it.
void record_new_duplicates(Store& store, const NewStoredDuplicates::Mark& mark);

// `dedup --store DIR [--new]` in one call that opens the store once: read-only for a full run,
// for writing with only_new (find_new_stored_duplicates). The caller keeps the run's store to look
// the documents' metadata up while it writes the result, then calls record(): with only_new it
// records the run's place (record_new_duplicates), so that a run whose output was lost is not
// recorded; without, it does nothing. The store is opened for one thread (StoreOptions::one_thread):
// use it from one thread at a time.
struct StoredDedupRun {
    std::shared_ptr<Store> store;
    NewStoredDuplicates found;  // a full run: found.result alone (since 0, every document new)
    bool only_new = false;
    void record() const;
};
StoredDedupRun run_stored_dedup(const std::string& dir, bool only_new, const NearDuplicateOptions& options,
                                std::size_t batch = kStoredDedupBatch, const ProgressCallback& progress = {});
// The same run on a store the caller holds open (for writing with only_new): find_stored_duplicates,
// or find_new_stored_duplicates then record_new_duplicates. The recording comes with the result,
// so a caller that may lose its output should use the overload above and record() after writing.
NewStoredDuplicates run_stored_dedup(Store& store, bool only_new, const NearDuplicateOptions& options,
                                     std::size_t batch = kStoredDedupBatch, const ProgressCallback& progress = {});

// How find_file_duplicates() reads.
//   batch         256    documents read ahead (on another thread) while the previous are processed
//   cache_mb      256    (kDedupMemoryBudgetMb) with boilerplate on, inputs whose documents take
//                        up to this much memory (their strings and the Document objects) stay
//                        in memory between the two passes (line counts, then shingles) so they
//                        are read once; larger ones are read twice. Standard input ("-") is
//                        always kept (read once).
//   id_from_path  false  a document's id is its source path (else as `doppel index` names it)
struct FileDedupOptions {
    std::size_t batch = 256;
    std::size_t cache_mb = kDedupMemoryBudgetMb;
    bool id_from_path = false;
};

struct FileDedup {
    NearDuplicateResult result;       // documents numbered in reading order
    std::vector<RecordError> errors;  // records skipped (unreadable, invalid, ...)
};

// Called after every batch with (bytes read, bytes to read; 0 when unknown).
using ReadProgressCallback = std::function<void(uint64_t bytes_read, uint64_t bytes_total)>;

// Finds the near-duplicates among the documents of `paths` (files, folders, "-" for JSONL on
// standard input; see DocumentReader). Gives the same pairs and clusters as indexing the
// documents and calling find_stored_duplicates().
FileDedup find_file_duplicates(const std::vector<std::string>& paths, const NearDuplicateOptions& options,
                               const FileDedupOptions& read = {}, const ReadProgressCallback& progress = {});

// What check says about one document.
//   kNew    no stored document within the threshold
//   kExact  a stored document with the same text (content hash) or an identical shingle set
//   kNear   a stored document with Jaccard >= threshold
enum class CheckStatus { kNew, kExact, kNear };
const char* check_status_name(CheckStatus s);  // "new", "exact", "near"

// A stored document that holds most of the checked one (containment >= threshold) without
// being a near-duplicate of it (Jaccard < threshold).
struct PartialMatch {
    std::string id;
    double similarity = 0;   // Jaccard
    double containment = 0;  // |A ∩ B| / min(|A|, |B|)
};

struct CheckResult {
    std::string id;  // of the checked document
    CheckStatus status = CheckStatus::kNew;
    std::string match_id;  // the stored document (kExact, kNear; "" for kNew): an exact copy
                           // when there is one, else the most similar
    double similarity = 0, containment = 0;  // of that match (0 for kNew)
    std::vector<PartialMatch> partial;       // only with CheckOptions::partial, most similar first
};

//   threshold  0.8    Jaccard threshold for near (and containment threshold for partial)
//   recall     0.99   LSH recall target at the threshold
//   partial    false  also report partial copies (CheckResult::partial)
struct CheckOptions {
    double threshold = 0.8;
    double recall = 0.99;
    bool partial = false;
};

class DuplicateChecker {
public:
    // Reads the store's band runs where they serve the threshold and recall (store_banding,
    // index/near_duplicate_index.h: every threshold from 0.8 up at recall 0.99), else builds LSH
    // tables in memory from every stored signature. `store` must outlive the checker.
    // Throws doppel::Error if the store was indexed with another near-duplicate spec.
    DuplicateChecker(const Store& store, CheckOptions options = {});
    ~DuplicateChecker();
    DuplicateChecker(const DuplicateChecker&) = delete;
    DuplicateChecker& operator=(const DuplicateChecker&) = delete;

    // One result per document, in order.
    std::vector<CheckResult> check(std::size_t n, const Document* docs);
    std::size_t size() const;  // stored documents in the index
    // Whether checks read the store's band runs (else the LSH tables were built in memory).
    bool on_disk() const;

private:
    CheckResult check_one(const Document& doc);
    const Store& store_;
    CheckOptions options_;
    std::unique_ptr<NearDuplicateIndex> index_;
};

}  // namespace doppel
