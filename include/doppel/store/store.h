// doppel: the persistent store (a folder holding an SQLite database and index files).
//
// Layout of a store folder:
//   doppel.sqlite   documents, per-document artifacts (sketches, embeddings), named blobs
//                   (index data kept for the whole store) and metadata
//   *.faiss, ...    index files written by the index stage, named in the metadata
//
// Documents are keyed by their id (document.h) and get a `seq`, an integer assigned in order of
// arrival that never changes while the document is stored; indexes refer to documents by seq.
// Putting an id again with the same text (same content hash) changes nothing; with different
// text it replaces the old version, which gets a new seq (its artifacts are deleted with it).
//
// Artifacts are per-document binary blobs of a named kind ("minhash", "shingles",
// "embedding/bridge"), written by the stages that compute them; each blob starts with its own
// magic number and format version (see the writing stage). Deleting a document deletes its
// artifacts. Every kind is read and written through the same calls, whatever its row layout: the
// near-duplicate sketches (kSketchKinds) are columns of rows keyed by seq, "minhash" and
// "shingles" side by side in table `sketches`, "lines" and "shingle_set" in `line_summaries` (a
// pass over every document's line summary then reads them alone, with the small set key that
// spares `dedup --store` reading the shingles); the other kinds are rows keyed by (kind, seq).
// Two rows a document instead of three, each without a second index by seq, made `doppel index`
// of short items cheaper per document (docs/measurements.md: "Branch feed-speed").
//
// Every write method runs in one SQLite transaction: a failure leaves the store as it was.
// The Indexer (ops/indexer.h) writes a batch of documents and all their artifacts in one
// transaction, so a document is stored with its artifacts or not at all (a kill, a full disk or
// an error in between leaves the store as it was before the batch). A store written by an older
// build may hold documents without some artifact: documents_missing() finds them, and a re-run
// of `doppel index` or `doppel verify --repair` completes them.
// The schema carries a version (kSchemaVersion), checked on open.
//
// Thread safety: a Store is not safe for concurrent use; open one per thread (SQLite allows
// concurrent readers of one folder; writers are serialized by SQLite's file lock).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"
#include "doppel/store/sketch_artifacts.h"

namespace doppel {

struct StoredDocument {
    int64_t seq = 0;
    std::string id, source, url, title, date;
    std::string lang;
    float lang_confidence = 0;
    std::vector<Paragraph> paragraphs;
    std::vector<std::string> other_languages;
    std::string content_hash;
    std::string text;      // empty when read with with_text = false
    int64_t added_at = 0;  // seconds since the Unix epoch
    std::string lang_top;     // AnalyzedDocument::lang_top (a version-1 store: lang)
    std::string lang_scores;  // AnalyzedDocument::lang_scores ("" when trusted; version 1: "")
};

// The analysis of a stored document as the Indexer made it (document fields, languages,
// paragraphs, content hash), for recomputing its artifacts without analyzing it again.
AnalyzedDocument as_analyzed(StoredDocument d);

// What put() did with a document. kSuperseded comes only from Indexer::add (ops/indexer.h): a
// later document of the same batch had the same id, so this one was not stored.
enum class PutStatus { kAdded, kReplaced, kUnchanged, kSuperseded };

struct StoreOptions {
    bool create = true;      // create the folder and database if missing
    bool read_only = false;  // open for reading only
    // Bytes per database page of a store created now (SQLite's default is 4096): a document up
    // to about this size is one page, not a chain of overflow pages, which cuts the writes of
    // `doppel index` (a third of the database's CPU on the copyright corpus, 28 KB a document).
    // A power of two in 512..65536; an existing store keeps its own.
    int page_size = 32768;
    // A store created by this open is written with a rollback journal, not the write-ahead log,
    // until use_wal() (index_paths() calls it when done) or its next opening for writing: each
    // page of a new store is then written once, into the database file, instead of twice (to the
    // log, then again at the checkpoint): `doppel index` into a new store, 0.47 -> 0.43 s CPU on
    // the copyright corpus. An existing store is switched by use_journal(). Meanwhile a reader
    // waits while a transaction commits, and a kill leaves a journal that the next opener,
    // read-only or not, rolls back (the store then holds every committed batch, as with the log).
    // The new store's tables are committed with its first transaction() (or by use_wal(), or at
    // the close), not at this opening: one commit, three fsyncs, less before `doppel index`
    // reads its first batch; until then a reader finds an empty store, as before the tables.
    bool journal_at_creation = false;
    // The caller never uses the store from two threads at once (a Store is not safe for
    // concurrent use anyway, below): SQLite then takes no mutex per call (its multi-thread mode,
    // SQLITE_OPEN_NOMUTEX), a lock and an unlock for every step and column read otherwise.
    // `dedup --store` of 1,000,000 stored items: 2.77-2.87 -> 2.64-2.68 s CPU. Off by default: a
    // caller that breaks the rule (two threads on one Store) is then undefined, not serialized.
    bool one_thread = false;
    // The keys of newly put ids (schema 9 and 11, below) move on from the small table they are
    // put in (and looked up in) when they are at least this many, and as the rule of schema 11
    // says. (Tests set it low to merge often.)
    std::size_t id_merge_rows = 65536;
    // How long a call waits for a lock another connection holds before SQLite gives up
    // (sqlite3_busy_timeout); a commit tries kCommitTries (30) times that long (store.cpp,
    // commit()). (Tests set it low.)
    int busy_timeout_ms = 10000;
};

class Store {
public:
    // Version 2 added the columns lang_top and lang_scores (StoredDocument); a version-1 store
    // opened for writing is migrated (its documents' lang becomes their lang_top, lang_scores
    // stays "": taken as trusted); opened read-only it is read as if migrated.
    // Version 3 keeps the kSketchKinds in tables keyed by seq (above); an earlier store
    // opened for writing is migrated (its rows of those kinds moved, in one transaction, once:
    // 1.4 s CPU for 100,000 feed items); opened read-only it is read where it keeps them, and
    // where a writer has moved them since (SQLite's schema cookie tells). A build before version 3
    // refuses a version-3 store (a newer schema, named in the message); one that holds it open
    // from before the migration writes sketches where the new build does not read them.
    // Version 4 adds the column of "shingle_set" (a document's shingle set key) to
    // `line_summaries`; an earlier store opened for writing gets the column (no row is rewritten:
    // its documents have none until the near-duplicate stage adds them), opened read-only it is
    // read as having none.
    // Version 5 lets a "shingles" artifact be the note "made from the stored text" (format
    // version 3, index/near_duplicate_index.h: texts under kShingleSetStoredFromBytes), which a
    // build before it cannot read: it refuses a version-5 store (a newer schema). An earlier
    // store opened for writing just gets version 5 (its blobs stay as they are and readable).
    // Version 6 lets a "minhash" artifact be the note "sign the stored shingle set" (format
    // version 2, the same texts), refused by a build before it in the same way; an earlier store
    // opened for writing just gets version 6.
    // Version 7 writes a document's paragraphs as a compact blob instead of JSON (a fifth of what
    // indexing the copyright corpus wrote), refused by a build before it in the same way; an
    // earlier store opened for writing just gets version 7, its rows read in either format.
    // Version 8 stores an exact copy's text once: a document put with the same text (content
    // hash and bytes) as one put earlier in the same put() call keeps no text of its own but the
    // seq of that holder, and every reader of a text (get, get_by_seq, scan, read_texts) reads
    // the holder's. Deleting a holder (remove, a replacement, expire) moves its text to its first
    // copy, in the same transaction; its artifacts stay per document. `index` of the copyright
    // corpus: 481 copies, 20.9 of the documents' 27.3 MB stored once. Refused by a build before
    // it in the same way; an earlier store opened for writing gets the column (no row is
    // rewritten: its copies stay holders), opened read-only it is read as it is.
    // Version 9 finds a document by its id through a 64-bit key of the id, in two tables of
    // (key, seq): one for the ids put since the last merge, small, and one for the rest, which
    // gets the small one's keys in order, in one pass, when they are an eighth as many
    // (StoreOptions::id_merge_rows). Before, a UNIQUE index on the id text was written in place:
    // a batch of 100,000 crawled URLs (no order) rewrote most of it, 2 s a batch at 1,000,000
    // stored items, 9-12 s at 10,000,000. A store created from version 9 on has no index on the
    // id text; an earlier store opened for writing gets the tables, filled from its documents
    // once (its UNIQUE index stays: SQLite cannot drop it), opened read-only it is read through
    // its index as before. The tables are kept by triggers that call a function this build
    // registers: another program (the sqlite3 shell) can read the store but not insert or delete
    // documents. verify checks them ("ids") and --repair builds them again.
    // Version 10 keeps a Bloom filter of the large table's keys (a named blob, "id_keys/filter";
    // store/id_key_filter.h): a lookup probes the large table only for a key the filter may hold,
    // so a feed's new ids, almost all of a crawl's, do not read that table's pages again with
    // every batch (100,000 new items into a 10,000,000-item store: the next batch's lookups
    // 0.38-0.43 -> 0.14-0.15 s, each file's `index` 18% less). Each merge adds its keys to it;
    // it is made anew from the table when the table outgrows its room (twice the keys at the
    // last making), when a merge cannot read it, and by verify --repair. A store before version
    // 10 opened for writing gets it (10,000,000 keys: 2.8 s), as a writer's opening of a store
    // whose filter is missing or damaged does (a damaged one is refused by its checksum: lookups
    // probe the table meanwhile); read-only, such a store is read by probing both tables, as
    // before. Refused by builds before it, which would merge keys without adding them to the
    // filter.
    // Version 11 puts a middle table between the two (a log-structured merge of three levels):
    // in a large store the new keys join it once they are about sqrt(stored x keys a put / 8)
    // (at least StoreOptions::id_merge_rows; where that is at most 1/32 of the large table), and
    // it joins the large table, with the new keys, once they are an eighth as many; a smaller
    // store moves its new keys straight on, as before. The filter holds the keys of both. With
    // two tables the small one grew to an eighth of the store, and each commit of a crawl's ids
    // (no order) rewrote and journaled every page of it: at 10,000,000 stored items 720 pages of
    // 32 KiB a commit. A store before version 11 opened for writing gets the middle table,
    // empty, and triggers that know it; read-only, it is read as it is. Refused by builds before
    // it, which would not look ids up in the middle table.
    static constexpr int kSchemaVersion = 11;
    // The artifact kinds stored as columns of rows keyed by seq (the near-duplicate stage's,
    // index/near_duplicate_index.h).
    static constexpr const char* kSketchKinds[] = {kLinesArtifact, kMinHashArtifact, kShingleSetArtifact,
                                                   kShinglesArtifact};
    // Metadata key a writer sets when it has brought decisions that depend on the whole store
    // (language ID's fallback, ops/indexer.h) in step with it; every put() that adds or replaces
    // a document, remove() and expire() delete it in their own transaction.
    static constexpr const char* kSettledMeta = "documents.settled";
    static constexpr const char* kDatabaseFile = "doppel.sqlite";

    // Opens (or creates) the store in `dir`. Throws doppel::Error when the folder cannot be used,
    // the database is not a doppel store, or its schema version is newer than this build's.
    explicit Store(const std::string& dir, StoreOptions options = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::string& dir() const { return dir_; }

    // Puts n analyzed documents in one transaction; status[i] says what happened to docs[i].
    // `now` is the time recorded as added_at for new versions (seconds since the epoch). When
    // `seqs` is given, (*seqs)[i] is docs[i]'s seq afterwards (new for added and replaced ones).
    // When `absent` is given, (*absent)[i] true says the caller knows docs[i]'s id is not stored
    // (it looked, and nothing can have stored it since: the Indexer holds the store's write lock),
    // so its lookup is skipped; a wrong hint stores a second document with the id (nothing in the
    // database refuses it since schema 9), which verify names (id_key_problems().duplicated).
    std::vector<PutStatus> put(std::size_t n, const AnalyzedDocument* docs, int64_t now,
                               std::vector<int64_t>* seqs = nullptr, const std::vector<bool>* absent = nullptr);

    std::optional<StoredDocument> get(const std::string& id, bool with_text = true) const;
    std::optional<StoredDocument> get_by_seq(int64_t seq, bool with_text = true) const;
    // The seq and content hash stored for each of ids (seq 0: not stored), with the same prepared
    // statements for all: what deciding whether a batch is new costs per document.
    struct StoredVersion {
        int64_t seq = 0;
        std::string content_hash;
    };
    std::vector<StoredVersion> versions(const std::vector<std::string_view>& ids) const;
    // Calls fn for every document in seq order; stops early when fn returns false. Without
    // paragraphs, StoredDocument::paragraphs is left empty (decoding them costs more than reading
    // the text: a scan for near-duplicates needs none). The document is fn's to move from (each
    // row is read into a fresh one), so a caller keeping the text need not copy it.
    void scan(const std::function<bool(StoredDocument&)>& fn, bool with_text = true,
              bool with_paragraphs = true) const;
    // What a scan that needs only the keys of each document reads (views into the row, valid
    // during the call): what near-duplicate detection reads of a row when line summaries stand
    // for the texts.
    struct DocumentKeys {
        int64_t seq = 0;
        std::string_view id, source, url;
        std::string_view content_hash;  // StoredDocument::content_hash
        std::string_view text;          // read_keys() with `with_text` only
    };
    // Calls fn for every document in seq order (those after seq `after` only), reading only those
    // columns (no StoredDocument built: a cheaper scan); stops early when fn returns false.
    void scan_keys(const std::function<bool(const DocumentKeys&)>& fn, int64_t after = 0) const;
    // The same for each of `seqs` that is stored, in the order given (one prepared statement for
    // all: a reader that needs the keys of some documents only). With `with_text`, each one's
    // text too (as read_texts() gives it): a reader of whole documents reads each row once.
    void read_keys(const std::vector<int64_t>& seqs, const std::function<void(const DocumentKeys&)>& fn,
                   bool with_text = false) const;
    // How many documents are stored. A count reads a whole index, so the last one (made outside
    // a transaction) is given again while nothing can have changed: no commit of another
    // connection (data_version) and no write of this one since.
    std::size_t size() const;
    // The largest seq of a stored document (0: none), from the index alone.
    int64_t max_seq() const;
    // Documents per main language (StoredDocument::lang).
    std::map<std::string, std::size_t> language_counts() const;
    // Documents per top label of the language model (StoredDocument::lang_top): the likely
    // languages of language ID (langid/language_identifier.h) are counted from these.
    std::map<std::string, std::size_t> top_label_counts() const;
    // The documents whose language the fallback decided (lang_scores not ""), in seq order, with
    // their decision and what it was made from.
    struct LanguageDecision {
        int64_t seq = 0;
        std::string lang;
        float lang_confidence = 0;
        std::string lang_scores;
    };
    std::vector<LanguageDecision> fallback_decisions() const;
    // The seqs of those documents, in order (from the index of them: reads no row), and the
    // decisions of some of them (`seqs`, in order; one missing is left out): a settling that knows
    // what it decided itself reads only the others' rows, which end with the text.
    std::vector<int64_t> fallback_seqs() const;
    std::vector<LanguageDecision> fallback_decisions(const std::vector<int64_t>& seqs) const;
    // Sets the language analysis (lang, lang_confidence, paragraphs, other_languages) of the
    // documents seqs[i] to docs[i]'s, in place: same seq, text and artifacts (the caller
    // recomputes the artifacts that depend on the language in the same transaction).
    void update_languages(std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs);

    // Deletes documents (and their artifacts) in one transaction; returns the seq each id had, 0
    // where it was not stored. remove(id): one; false if it was not stored.
    std::vector<int64_t> remove(const std::vector<std::string>& ids);
    bool remove(const std::string& id);
    // Deletes documents added before `cutoff` (seconds since the epoch); returns their ids, and
    // their seqs in *seqs when given.
    std::vector<std::string> expire(int64_t cutoff, std::vector<int64_t>* seqs = nullptr);

    // Per-document artifacts. put_artifacts writes n (seq, blob) pairs of one kind in one
    // transaction, replacing existing ones.
    void put_artifacts(const std::string& kind, std::size_t n, const int64_t* seqs,
                       const std::string* blobs);
    void put_artifacts(const std::string& kind, std::size_t n, const int64_t* seqs,
                       const std::string_view* blobs);
    // The same for documents read before this transaction, some perhaps deleted since: their
    // seqs are left out (put_artifacts would fail on them). Not for kSketchKinds.
    void put_artifacts_of_stored(const std::string& kind, std::size_t n, const int64_t* seqs,
                                 const std::string_view* blobs);
    // The artifacts of several kinds for the same n documents: blobs[k * n + i] is document i's
    // of kinds[k]. Kinds that share a row (kSketchKinds) are written with one statement a
    // document and table.
    void put_artifacts(const std::vector<std::string>& kinds, std::size_t n, const int64_t* seqs,
                       const std::string_view* blobs);
    std::optional<std::string> artifact(int64_t seq, const std::string& kind) const;
    // Calls fn(seq, blob) for every artifact of `kind` in seq order.
    void scan_artifacts(const std::string& kind,
                        const std::function<void(int64_t, std::string_view)>& fn) const;
    // The same for the seqs in [from, to] only (a range of the index: reads nothing else).
    void scan_artifacts(const std::string& kind, int64_t from, int64_t to,
                        const std::function<void(int64_t, std::string_view)>& fn) const;
    // The artifacts of several kinds of the seqs in [from, to], in seq order: fn(seq, blobs) for
    // every seq that has one of them at least, blobs[k] that of kinds[k] (nullopt: none). Kinds
    // that share a row (kSketchKinds) are read in one pass over their table: a reader of both
    // sketches reads each row's pages once, not once a kind.
    void scan_artifacts(const std::vector<std::string>& kinds, int64_t from, int64_t to,
                        const std::function<void(int64_t, const std::optional<std::string_view>*)>& fn) const;
    // Calls fn(seq, blob) for each of `seqs` that has an artifact of `kind`, in the order given
    // (one prepared statement for all: cheaper than artifact() per seq; seqs in increasing order
    // that fill a quarter of their range, by one range scan, as read_keys() reads).
    void read_artifacts(const std::string& kind, const std::vector<int64_t>& seqs,
                        const std::function<void(int64_t, std::string_view)>& fn) const;

    // Calls fn(seq, text) for each of `seqs` that is stored, in the order given (one prepared
    // statement for all: a reader that needs the texts of some documents only).
    void read_texts(const std::vector<int64_t>& seqs, const std::function<void(int64_t, std::string_view)>& fn) const;
    // The same, with the seq of the document holding each text (schema 8): 0 where the document
    // holds its own (always, in a store before schema 8). A reader of something made of the text
    // alone may take the holder's.
    void read_texts(const std::vector<int64_t>& seqs,
                    const std::function<void(int64_t, std::string_view, int64_t)>& fn) const;
    // The same for their content hashes (StoredDocument::content_hash), which the rows keep before
    // the text: reading one reads no text page (a reader that finds exact copies by them).
    void read_content_hashes(const std::vector<int64_t>& seqs,
                             const std::function<void(int64_t, std::string_view)>& fn) const;

    // Artifact bookkeeping, for completing and verifying a store. artifact_kinds(): the kinds
    // that have at least one artifact, sorted. artifact_count(): how many documents have one of
    // `kind`. documents_missing(): the seqs of documents without an artifact of `kind`, in seq
    // order: of every stored document (a scan of the store), or of the given seqs only (one
    // lookup each; none given, none read).
    std::vector<std::string> artifact_kinds() const;
    std::size_t artifact_count(const std::string& kind) const;
    std::vector<int64_t> documents_missing(const std::string& kind) const;
    std::vector<int64_t> documents_missing(const std::string& kind, const std::vector<int64_t>& seqs) const;
    // The seqs of the documents that have an artifact of `kind`, in seq order (reads no blob).
    std::vector<int64_t> artifact_seqs(const std::string& kind) const;

    // Named blobs: data an index keeps for the whole store rather than per document (the sorted
    // runs of LSH band keys, index/lsh_band_store.h), written in the caller's transaction like
    // everything else. A blob is written whole and can be read in parts: read_blob() reads n bytes
    // at `offset` without loading the rest (a binary search over a sorted blob reads a few pages).
    // read_blob() returns false when there is no such blob (or the store predates named blobs)
    // and throws doppel::Error when the range is past its end. The second read_blob() reads the
    // whole blob into *out (its size unknown to the caller: a coded one). blob_max_seq()/
    // max_artifact_seq() help an index notice documents written without it.
    void put_blob(const std::string& name, std::string_view data);
    void remove_blob(const std::string& name);
    // Removes every blob whose name begins with `prefix` (an index's files, its catalogue lost).
    void remove_blobs_named(const std::string& prefix);
    bool read_blob(const std::string& name, std::size_t offset, std::size_t n, void* out) const;
    bool read_blob(const std::string& name, std::string* out) const;
    // The largest seq with an artifact of `kind` (0: none).
    int64_t max_artifact_seq(const std::string& kind) const;

    // SQLite's own check of the database file ("PRAGMA integrity_check"): the problems it lists,
    // empty when the file is sound. The schema version recorded in the store.
    std::vector<std::string> integrity_problems() const;
    // The seqs of documents whose stored paragraphs cannot be read (a damaged row: readers take
    // it as no paragraphs) or name bytes outside the document's text, in seq order. Reads every
    // row (as integrity_problems() does).
    std::vector<int64_t> unreadable_paragraphs() const;
    // The copies (schema 8) whose holder is missing, is a copy itself or has another content
    // hash, or that keep a text of their own, in seq order: a reader would give them a wrong or
    // empty text. Reads the index of copies only (none in a store without copies).
    std::vector<int64_t> broken_copies() const;
    // The id keys (schema 9) checked against the documents: `unfindable`, the seqs of documents
    // that a lookup of their id would miss (no key, or another one); `stray`, how many keys name
    // no document; `duplicated`, the seqs of documents whose id an earlier document also has, in
    // seq order. Reads every document's id and every key (16 bytes of memory per document).
    // Since version 10 a document whose key the filter of the large table lacks is unfindable
    // too, and `no_filter` says the filter is missing or damaged (lookups then probe the large
    // table for every id: right, only slower). Empty for a store read through its UNIQUE index
    // on the id (read-only, before version 9). `keys` counts the keys each table holds, problems
    // or not: where they are on their way from id_keys_new through id_keys_mid to id_keys.
    struct IdKeyProblems {
        std::vector<int64_t> unfindable, duplicated;
        std::size_t stray = 0;
        bool no_filter = false;
        struct Keys {
            std::size_t large = 0, middle = 0, fresh = 0;  // id_keys, id_keys_mid, id_keys_new
        } keys;
        bool empty() const { return unfindable.empty() && duplicated.empty() && stray == 0 && !no_filter; }
    };
    IdKeyProblems id_key_problems() const;
    // Computes every document's key again into the large table, and its filter (verify
    // --repair), in the caller's transaction or one of its own.
    void rebuild_id_keys();
    // How many documents are copies (schema 8; 0 in an older store).
    std::size_t copy_count() const;
    int schema_version() const;

    // Store-wide metadata (specs and model versions that produced the store, index manifests).
    void set_meta(const std::string& key, const std::string& value);
    std::optional<std::string> meta(const std::string& key) const;
    void remove_meta(const std::string& key);

    // Switches an existing store from the write-ahead log to a rollback journal for a run of bulk
    // writes (`doppel index` of a store for duplicates; use_wal() at its end), as
    // StoreOptions::journal_at_creation does for a new store. The log writes every page twice
    // (into the log, then into the database at the checkpoints) and the checkpoints read it
    // back; with the journal a new page (a store's growth) is written once, into the database,
    // and only the old pages a transaction changes go to the journal first. The fifth 100,000
    // items of a feed into its store of 400,000: 933 -> 524 MB written, 1,375 -> 195 MB read
    // back (strace). The writer then keeps up to 64 MiB of pages in its cache, so that a
    // transaction's pages reach the file at its commit, not at a spill before it. Meanwhile a
    // reader that comes waits while a transaction commits (up to the busy timeout, 10 s), and a
    // commit waits for reads in progress (up to 30 busy timeouts: a reader holding one statement
    // or read_snapshot() longer than that makes the writer's commit fail, where with the log it
    // would not). Returns false where the store stays in the log: read-only, inside a
    // transaction, or another connection has the store open (SQLite refuses the switch then).
    // A store being created (StoreOptions::journal_at_creation, before its first transaction)
    // has the journal already: its page cache is made small instead (2 MiB), so that a
    // transaction's pages spill to the file before its commit and the writer's heap stays small
    // (`doppel index` of the copyright corpus into a new store: 93 -> 62 MB peak); a reader then
    // waits from the spill to the commit.
    bool use_journal();
    // Switches a store written with a rollback journal (StoreOptions::journal_at_creation, use_journal()) to the
    // write-ahead log, as every opening for writing does; returns false when it stays as it was
    // (read-only, inside a transaction, or another connection is reading: the next opening for
    // writing switches it).
    bool use_wal();
    // Lets go of the pages SQLite's cache holds outside a transaction (sqlite3_db_release_memory;
    // none inside one: those stay until its commit). A bulk writer calls it between its
    // transactions: the pages it wrote are seldom read again (a batch appends), and memory freed
    // is taken again by the next batch instead of memory never touched before (page faults).
    void release_cache();
    // Bytes of memory SQLite's page cache of this connection holds now.
    std::size_t cache_bytes() const;

    // Runs fn inside one transaction (commits if fn returns, rolls back if it throws).
    void transaction(const std::function<void()>& fn);
    // Runs fn inside one read transaction when none is open: fn's reads see one state of the
    // store, whatever another connection commits meanwhile (with the log, a snapshot; with a
    // rollback journal, a writer's commit waits until fn returns, so keep fn short). A statement
    // stepped once per item also takes SQLite's file locks once, not once per item (in WAL mode
    // about two fcntl calls each: 200,000 on a 100,000-document batch check).
    void read_snapshot(const std::function<void()>& fn) const;
    // A number that changes when another connection commits a change to the store (SQLite's
    // `PRAGMA data_version`): a reader compares it to know whether what it read before is current.
    int64_t data_version() const;

private:
    void unsettle();  // deletes kSettledMeta
    void commit_with_creation(const std::function<void()>& fn);  // transaction(), the first one
    void open_for_writing(int version, const StoreOptions& options);  // the tables, migrated
    // read_texts() and read_content_hashes(): a column of the documents table by seq, and an
    // integer one beside it.
    void read_columns(const std::string& column, const std::string& number, const std::vector<int64_t>& seqs,
                      const std::function<void(int64_t, std::string_view, int64_t)>& fn) const;
    bool open_blob(const std::string& name) const;  // read_blob()'s handle on `name`
    void read_open_blob(const std::string& name, std::size_t offset, std::size_t n, void* out) const;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string dir_;
};

}  // namespace doppel
