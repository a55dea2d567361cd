#include "doppel/store/store.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <numeric>
#include <utility>

#include "doppel/error.h"
#include "impl/sqlite.h"
#include "store/id_key_filter.h"
#include "store/paragraphs_json.h"
#include "store/sqlite_memory.h"

namespace doppel {
namespace fs = std::filesystem;
using impl::Statement;
using store_detail::encode_paragraphs;
using store_detail::IdKeyFilter;
using store_detail::read_paragraphs;

namespace {

// A document's text stays in its row of `documents` (after the keys, so a scan of the keys
// decodes no text, though it reads the pages). A table of texts keyed by seq was measured at
// 10,000,000 feed items (docs/measurements.md, "Main of 2026-12-07, afternoon"): `index` 5%
// slower (a second B-tree a document on the one writer), `dedup --store` no faster, warm or cold.
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT '',
    lang_confidence REAL NOT NULL DEFAULT 0,
    paragraphs TEXT NOT NULL DEFAULT '[]',
    other_languages TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    text_of INTEGER,
    text TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    lang_top TEXT NOT NULL DEFAULT '',
    lang_scores TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS documents_added_at ON documents(added_at);
CREATE TABLE IF NOT EXISTS artifacts(
    seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY(kind, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS artifacts_seq ON artifacts(seq);
CREATE TABLE IF NOT EXISTS sketches(
    seq INTEGER PRIMARY KEY REFERENCES documents(seq) ON DELETE CASCADE,
    minhash BLOB,
    shingles BLOB);
CREATE TABLE IF NOT EXISTS line_summaries(
    seq INTEGER PRIMARY KEY REFERENCES documents(seq) ON DELETE CASCADE,
    lines BLOB,
    shingle_set BLOB);
CREATE TABLE IF NOT EXISTS blobs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB NOT NULL);
)sql";

// Indexes of the schema-2 columns (after the migration of a version-1 store has added them).
const char* kSchema2Indexes = R"sql(
CREATE INDEX IF NOT EXISTS documents_lang_top ON documents(lang_top);
CREATE INDEX IF NOT EXISTS documents_fallback ON documents(seq) WHERE lang_scores != '';
)sql";

// Schema 8: a copy (text_of, the seq of the document holding its text; NULL for a holder) is
// found by its holder through an index of the copies alone, so that a store without copies pays
// nothing per row. No foreign key: SQLite would look up the children of every deleted document
// through a full index, which a partial one is not. Before a holder is deleted (remove, replace,
// expire: every DELETE), its text moves to its first copy, which the other copies then name.
// Each step re-finds the new holder as the first row still naming the old one, so it does not
// matter when SQLite evaluates the subqueries.
const char* kSchema8Copies = R"sql(
CREATE INDEX IF NOT EXISTS documents_copies ON documents(text_of) WHERE text_of IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS documents_text_moves BEFORE DELETE ON documents
WHEN old.text_of IS NULL AND EXISTS (SELECT 1 FROM documents WHERE text_of = old.seq)
BEGIN
    UPDATE documents SET text_of = (SELECT min(seq) FROM documents WHERE text_of = old.seq)
        WHERE text_of = old.seq AND seq > (SELECT min(seq) FROM documents WHERE text_of = old.seq);
    UPDATE documents SET text = old.text, text_of = NULL
        WHERE seq = (SELECT min(seq) FROM documents WHERE text_of = old.seq);
END;
)sql";

// Schema 9: a document is found by its id through the id's key (id_key()), in tables of
// (key, seq). Schema 11 has three, a log-structured merge: the keys of the documents put since
// the last merge land in id_keys_new (small); they join id_keys (the rest) once they are an
// eighth as many, or, in a large store, id_keys_mid once they are about sqrt(stored x keys a put
// / 8), and id_keys_mid joins id_keys once it is an eighth as many (Impl::merge_id_keys_if_due).
// A commit rewrites every page of id_keys_new that its keys land on (a crawl's ids, URLs or
// hashes, have no order): with two tables (schema 9-10) that table grew to an eighth of the
// store, and at 10,000,000 stored items each commit of 16,384 keys rewrote and journaled all of
// its 720 pages (23 MB); the middle table takes those keys a hundred thousand or so at a time.
// Each merge reads its table in key order, so the larger table's pages are each written once. A store before
// schema 9 found them through a UNIQUE index on the id text: each batch of 100,000 URLs rewrote most of that
// index (docs/measurements.md, "Main of 2026-12-05, afternoon"). put(), the one writer of new rows, adds
// their keys; triggers take the keys of deleted and renamed rows out of every table, calling the key function
// that each connection of this build registers (register_id_key), so another program can read such a store
// but not delete or rename its documents. (A trigger on insert too cost a third of put()'s time: SQLite
// allocates a frame for each firing.) Two ids may share a key: a lookup compares the id itself (IdFinder).
// Nothing in the database stops a second row with a stored id: put() looks each id up (or is told it is
// absent by its caller, who looked), and verify reports duplicates ("ids"). Schema 10 adds a Bloom filter of
// the merged keys, a named blob (IdKeyFilter, store/id_key_filter.h; Impl::current_key_filter): a lookup
// skips id_keys (and, from schema 11, id_keys_mid) for a key it lacks.
const char* kSchemaIdKeys = R"sql(
CREATE TABLE IF NOT EXISTS id_keys(key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(key, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS id_keys_mid(key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(key, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS id_keys_new(key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY(key, seq)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS documents_id_removed AFTER DELETE ON documents
BEGIN
    DELETE FROM id_keys_new WHERE key = doppel_id_key(old.id) AND seq = old.seq;
    DELETE FROM id_keys_mid WHERE key = doppel_id_key(old.id) AND seq = old.seq;
    DELETE FROM id_keys WHERE key = doppel_id_key(old.id) AND seq = old.seq;
END;
CREATE TRIGGER IF NOT EXISTS documents_id_renamed AFTER UPDATE OF id ON documents
BEGIN
    DELETE FROM id_keys_new WHERE key = doppel_id_key(old.id) AND seq = old.seq;
    DELETE FROM id_keys_mid WHERE key = doppel_id_key(old.id) AND seq = old.seq;
    DELETE FROM id_keys WHERE key = doppel_id_key(old.id) AND seq = old.seq;
    INSERT INTO id_keys_new(key, seq) VALUES(doppel_id_key(new.id), new.seq);
END;
)sql";

// Where a connection finds ids (IdFinder): through the tables of keys (false: a store opened
// read-only before schema 9, through its index on the id), those of the merged keys ("id_keys",
// and from schema 11 "id_keys_mid" first), and the filter of the merged keys (null: none).
struct IdTables {
    bool keys = true;
    std::vector<const char*> merged;
    const IdKeyFilter* filter = nullptr;
};

// Schema 9-10's triggers, which know two tables: dropped before kSchemaIdKeys makes them anew.
const char* kDropTwoTableTriggers = R"sql(
DROP TRIGGER IF EXISTS documents_id_removed;
DROP TRIGGER IF EXISTS documents_id_renamed;
)sql";

// Every document's key, in the large table (a store migrated to schema 9, verify --repair).
const char* kFillIdKeys = R"sql(
DELETE FROM id_keys_new;
DELETE FROM id_keys_mid;
DELETE FROM id_keys;
INSERT INTO id_keys(key, seq) SELECT doppel_id_key(id), seq FROM documents ORDER BY 1, 2;
)sql";

// The key of a document's id (schema 9): XXH3's 64 bits of its bytes, as a signed integer.
// Part of the file format: a store's keys are computed once, by whichever build wrote them.
int64_t id_key(std::string_view id) { return static_cast<int64_t>(XXH3_64bits(id.data(), id.size())); }

// Version 1 -> 2: the model's top label and the fallback's scores per document. A version-1
// document has no record of them: its stored language counts as its top label and it is taken
// as trusted (never decided again).
const char* kMigrate1to2 = R"sql(
ALTER TABLE documents ADD COLUMN lang_top TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN lang_scores TEXT NOT NULL DEFAULT '';
UPDATE documents SET lang_top = lang;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
)sql";

// Version 2 -> 3: a document's near-duplicate sketches move from three rows of `artifacts` into
// its rows of `sketches` and `line_summaries` (run after kSchema has created them).
const char* kMigrate2to3 = R"sql(
INSERT INTO sketches(seq, minhash, shingles)
    SELECT d.seq,
        (SELECT data FROM artifacts WHERE kind = 'minhash' AND seq = d.seq),
        (SELECT data FROM artifacts WHERE kind = 'shingles' AND seq = d.seq)
    FROM documents d
    WHERE EXISTS (SELECT 1 FROM artifacts a WHERE a.kind IN ('minhash', 'shingles') AND a.seq = d.seq);
INSERT INTO line_summaries(seq, lines) SELECT seq, data FROM artifacts WHERE kind = 'lines' ORDER BY seq;
DELETE FROM artifacts WHERE kind IN ('lines', 'minhash', 'shingles');
UPDATE meta SET value = '3' WHERE key = 'schema_version';
)sql";

// Version 3 -> 4: a document's shingle set key ("shingle_set") beside its line summary. Rows
// written before have none (NULL): `dedup --store` reads their shingles instead, as before.
const char* kMigrate3to4 = R"sql(
ALTER TABLE line_summaries ADD COLUMN shingle_set BLOB;
UPDATE meta SET value = '4' WHERE key = 'schema_version';
)sql";

// Version 7 -> 8: the column of a copy's holder (kSchema8Copies). No row is rewritten: the
// documents stored before are all holders, exact copies among them too.
const char* kMigrate7to8 = R"sql(
ALTER TABLE documents ADD COLUMN text_of INTEGER;
)sql";

// Versions 5, 6 and 7 rewrote nothing: a store before them is only marked with this build's
// version (after the migrations above), so that a build before them, which would
// misread what this one writes, refuses it. What each one began to write:
//   5  "shingles" artifacts may be notes to make the set from the text (format version 3);
//   6  "minhash" artifacts may be notes to sign the stored shingle set (format version 2);
//   7  a document's paragraphs as a blob (store/paragraphs_json.h), which a build before would
//      read as no paragraphs (the rows written before keep their JSON, read as before).
// A version that rewrites rows gets its migration above, as 1 -> 4 have.

// The table of one of Store::kSketchKinds (the kind is its column), else nullptr: the line
// summaries apart, so that a pass over every document's summary (dedup --store's line counts)
// reads them alone, not the shingles beside them.
const char* sketch_table(std::string_view kind) {
    if (kind == kLinesArtifact || kind == kShingleSetArtifact) return "line_summaries";
    if (kind == kMinHashArtifact || kind == kShinglesArtifact) return "sketches";
    return nullptr;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += ',';
        s += x;
    }
    return s;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        if (comma > start) out.push_back(s.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

constexpr const char* kColumns =
    "seq, id, source, url, title, date, lang, lang_confidence, paragraphs, other_languages, "
    "content_hash, added_at, lang_top, lang_scores";
// A version-1 store opened read-only (not migrated): its language counts as the top label.
constexpr const char* kColumnsV1 =
    "seq, id, source, url, title, date, lang, lang_confidence, paragraphs, other_languages, "
    "content_hash, added_at, lang, ''";

StoredDocument read_row(const Statement& st, bool with_text, bool with_paragraphs = true) {
    StoredDocument d;
    d.seq = st.int64(0);
    d.id = st.text(1);
    d.source = st.text(2);
    d.url = st.text(3);
    d.title = st.text(4);
    d.date = st.text(5);
    d.lang = st.text(6);
    d.lang_confidence = static_cast<float>(st.real(7));
    if (with_paragraphs) d.paragraphs = read_paragraphs(st.blob(8));
    d.other_languages = split(st.text(9));
    d.content_hash = st.text(10);
    d.added_at = st.int64(11);
    d.lang_top = st.text(12);
    d.lang_scores = st.text(13);
    if (with_text) d.text = st.text(14);
    return d;
}

// `text` is the row's text expression (Store::Impl::text_sql), read last (read_row).
std::string select_sql(bool v1, const std::string& text, bool with_text, const char* where) {
    return std::string("SELECT ") + (v1 ? kColumnsV1 : kColumns) + (with_text ? ", " + text : "") +
           " FROM documents " + where;
}

// COMMIT, tried again while readers hold the store. With a rollback journal (a store for
// duplicates being indexed, Store::use_journal) a commit waits until no reader is inside a read
// transaction, each try up to the busy timeout: a long reader (verify's integrity check of a
// large store, a shell's open transaction) then held the writer past it, and the batch was
// rolled back and `index` failed ("database is locked in: COMMIT"). Now it waits up to
// kCommitTries timeouts; a reader cannot be held by it meanwhile (its next read waits for the
// commit; the one it is in goes on).
constexpr int kCommitTries = 30;

void commit(sqlite3* db) {
    for (int tries = 1;; ++tries) {
        const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) return;
        if (rc != SQLITE_BUSY || tries >= kCommitTries || sqlite3_get_autocommit(db))
            DOPPEL_THROW(kStore, std::string("SQLite error: ") + sqlite3_errmsg(db) + " in: COMMIT" +
                                     (rc == SQLITE_BUSY ? " (readers held the store through " +
                                                              std::to_string(tries) + " busy timeouts)"
                                                        : ""));
    }
}

}  // namespace

AnalyzedDocument as_analyzed(StoredDocument d) {
    AnalyzedDocument a;
    a.doc.id = std::move(d.id);
    a.doc.source = std::move(d.source);
    a.doc.url = std::move(d.url);
    a.doc.title = std::move(d.title);
    a.doc.date = std::move(d.date);
    a.doc.text = std::move(d.text);
    a.lang = std::move(d.lang);
    a.lang_confidence = d.lang_confidence;
    a.paragraphs = std::move(d.paragraphs);
    a.other_languages = std::move(d.other_languages);
    a.content_hash = std::move(d.content_hash);
    a.lang_top = std::move(d.lang_top);
    a.lang_scores = std::move(d.lang_scores);
    return a;
}

struct Store::Impl {
    sqlite3* db = nullptr;
    void set_layout(int version, const StoreOptions& options);  // by the schema version found
    bool v1 = false;  // a version-1 store opened read-only: no lang_top, lang_scores columns
    // The store has the tables of version 3: the kSketchKinds are read and written there. A store
    // of an earlier version opened read-only keeps them in `artifacts` until a writer migrates it,
    // which a reader opened before sees by SQLite's schema cookie (sketches_in_tables()).
    mutable bool sketch_tables = false;
    bool old_read_only = false;  // opened read-only at a version before 3
    bool no_set_column = false;  // opened read-only at a version before 4: no "shingle_set" column
    // Opened read-only at a version before 8: the column text_of may be missing, until a writer
    // migrates the store (SQLite's schema cookie tells, as for the sketch tables).
    bool copies_unknown = false;
    mutable bool copies_column = true;
    mutable int copies_cookie = -1;
    mutable int schema_cookie = -1;
    // Whether the schema has the object `name` of `type` (*has), looked up again only when
    // SQLite's schema cookie moved since *cookie: a store opened read-only at an older version
    // may be migrated by a writer meanwhile.
    bool schema_has(const char* type, const char* name, int& cookie, bool& has) const {
        Statement version(db, "PRAGMA schema_version");
        const int now = version.step() ? static_cast<int>(version.int64(0)) : 0;
        if (std::exchange(cookie, now) != now) {
            Statement migrated(db, "SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?");
            migrated.bind(1, std::string_view(type)).bind(2, std::string_view(name));
            has = migrated.step();
        }
        return has;
    }
    bool sketches_in_tables() const {
        if (sketch_tables || !old_read_only) return sketch_tables;
        return schema_has("table", "sketches", schema_cookie, sketch_tables);
    }
    // Whether the documents table has the column text_of (schema 8): the migration makes it with
    // the index of copies.
    bool has_copies() const {
        if (copies_column || !copies_unknown) return copies_column;
        return schema_has("index", "documents_copies", copies_cookie, copies_column);
    }
    // The SQL expression of a row's text (the one home of reading it): a copy's is its
    // holder's (kSchema8Copies). The row's table is named `documents` in the statement.
    std::string text_sql() const {
        if (!has_copies()) return "documents.text";
        return "CASE WHEN documents.text_of IS NULL THEN documents.text ELSE "
               "(SELECT h.text FROM documents h WHERE h.seq = documents.text_of) END";
    }
    // Whether `kind` is a column of its sketch_table here (else its rows would be in `artifacts`).
    bool in_table(std::string_view kind) const {
        return sketch_table(kind) && (kind != kShingleSetArtifact || !no_set_column) && sketches_in_tables();
    }
    // Where the artifacts of `kind` are, as pieces of SQL: `table` holds them in column `data`,
    // in the rows that `filter` selects; a filter or statement names the kind as ?1, if at all.
    struct Place {
        std::string table, data, filter;
    };
    Place place(const std::string& kind) const {
        if (const char* table = in_table(kind) ? sketch_table(kind) : nullptr)
            return {table, kind, kind + " IS NOT NULL"};
        return {"artifacts", "data", "kind = ?1"};
    }
    // The store finds ids through their keys (schema 9); false: a store opened read-only at an
    // older version, which finds them through its UNIQUE index on the id (a writer that
    // migrates it meanwhile leaves that index, so it stays right).
    bool id_keys = true;
    // The store has the middle table of keys (schema 11); false: a store opened read-only at an
    // older version, whose keys are in the other two.
    bool id_keys_mid = true;
    std::size_t id_merge_rows = 0;  // StoreOptions::id_merge_rows
    // Rows of id_keys, id_keys_mid and id_keys_new, counted at the first merge_id_keys_if_due()
    // (-1: not yet), then followed by this connection's puts and merges (rows deleted since, or a
    // rolled-back transaction, only move a merge: the counts decide when, not what).
    int64_t merged_keys = -1, mid_keys = -1, fresh_keys = -1;
    // Moves the keys of id_keys_new, once they are at least `min_rows` (StoreOptions::
    // id_merge_rows), into id_keys when with those of id_keys_mid they are an eighth as many as
    // it holds (the middle table's move with them), else into id_keys_mid when they are about
    // sqrt(stored x added / 8) and that is small beside id_keys: in a large store a commit then
    // rewrites the pages of a small table, not those of one an eighth of the store. `added`: the
    // keys put() has just inserted (a commit's worth). Inside the caller's transaction.
    void merge_id_keys_if_due(std::size_t min_rows, int64_t added);
    // Moves every key of table `from` into table `into`, in key order (the one home of a merge).
    void move_id_keys(const char* from, const char* into);
    // The filter of the merged keys, those of id_keys and id_keys_mid (store/id_key_filter.h),
    // as this connection last read or wrote it; null where the store has none that decodes (a
    // store before schema 10, read-only, or a damaged blob): every lookup then probes those
    // tables. Read again when another connection has committed since (PRAGMA data_version).
    std::optional<IdKeyFilter> key_filter;
    int64_t key_filter_version = -1;  // data_version when key_filter was read (-1: never)
    const IdKeyFilter* current_key_filter();
    // The filter made anew from every merged key and stored (inside the caller's transaction): a
    // new store's, a migrated one's, verify --repair's, one outgrown or damaged. `keys`: how many
    // merged keys there are, where the caller knows (-1: counted here, a pass more).
    void rebuild_key_filter(int64_t keys = -1);
    void store_key_filter();
    // The tables of merged keys this store has: "id_keys" (and "id_keys_mid" from schema 11).
    std::vector<const char*> merged_key_tables() const {
        if (id_keys_mid) return {"id_keys_mid", "id_keys"};
        return {"id_keys"};
    }
    // Where IdFinder looks ids up, as of now.
    IdTables id_tables();
    // The one home of these two reads and writes (Store::data_version, Store::put_blob call them).
    int64_t data_version() const {
        Statement st(db, "PRAGMA data_version");
        return st.step() ? st.int64(0) : 0;
    }
    // size()'s last count, made outside a transaction, and the state it was made in: another
    // connection's commits move data_version, this one's writes total_changes (a rolled-back
    // write too). While neither moves, the count stands: a count reads a whole index (0.24 s at
    // 10,900,000 documents), and dedup --store asks twice.
    struct DocumentCount {
        int64_t version = 0, changes = 0;
        std::size_t documents = 0;
    };
    mutable std::optional<DocumentCount> counted;
    void put_blob(std::string_view name, std::string_view data) {
        close_blob();
        Statement st(db, "INSERT OR REPLACE INTO blobs(name, data) VALUES(?, ?)");
        st.bind(1, name).bind_blob(2, data.data(), data.size());
        st.step();
    }
    // The named blob read last (read_blob), kept open for the next read of the same blob.
    sqlite3_blob* blob = nullptr;
    std::string blob_name;
    bool has_blobs = false;  // the blobs table was seen (a store made before it has none)
    // The transaction that created the store's tables is still open (StoreOptions::
    // journal_at_creation): the first call of transaction() commits it with its own writes.
    bool creation_open = false;
    void close_blob() {
        if (blob) sqlite3_blob_close(blob);
        blob = nullptr;
        blob_name.clear();
    }
    // Commits the creation alone, where no transaction() came to commit it (nothing written,
    // or a switch of the journal asked first).
    void commit_creation() {
        if (std::exchange(creation_open, false)) commit(db);
    }
    ~Impl() {
        close_blob();
        if (creation_open) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);  // an error here has no one to tell
        if (db) sqlite3_close_v2(db);
    }
};

namespace {

// The schema version recorded in a store's meta table; throws doppel::Error (kBadFormat) for
// anything but a plain decimal number.
int parse_schema_version(const std::string& dir, const std::string& v) {
    int version = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || version < 0)
        DOPPEL_THROW(kBadFormat, "store " + dir + ": schema version '" + v + "' is not a number");
    return version;
}

bool table_exists(sqlite3* db, const char* name) {
    Statement st(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?");
    st.bind(1, std::string_view(name));
    return st.step() && st.int64(0) > 0;
}

// The rows of table `name` (documents: size(); the tables of id keys: merge_id_keys_if_due,
// rebuild_key_filter).
int64_t row_count(sqlite3* db, const char* name) {
    Statement st(db, (std::string("SELECT count(*) FROM ") + name).c_str());
    return st.step() ? st.int64(0) : 0;
}

// The schema version of `db` when it is a doppel store this build can open, 0 for an empty
// database (kNotFound when read-only), or doppel::Error for something else. Reads only.
int check_schema(sqlite3* db, const std::string& dir, bool read_only) {
    const std::string db_path = (fs::path(dir) / Store::kDatabaseFile).string();
    if (table_exists(db, "meta")) {
        Statement st(db, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (!st.step()) DOPPEL_THROW(kBadFormat, "not a doppel store (no schema version): " + db_path);
        const std::string v = st.text(0);
        const int version = parse_schema_version(dir, v);
        if (version > Store::kSchemaVersion)
            DOPPEL_THROW(kVersion, "store " + dir + " has schema version " + v + ", newer than this build's " +
                                       std::to_string(Store::kSchemaVersion) + ": upgrade doppel");
        return std::max(version, 1);
    }
    Statement st(db, "SELECT count(*) FROM sqlite_master");
    if (st.step() && st.int64(0) > 0) DOPPEL_THROW(kBadFormat, "not a doppel store (unknown tables): " + db_path);
    if (read_only) DOPPEL_THROW(kNotFound, "empty store: " + dir);
    return 0;
}

// Version 3 -> 4 (kMigrate3to4): only the column is added, no row is rewritten. A store of
// version 2 or before got the column with its new table (kSchema): only its version is set.
void migrate_3to4(sqlite3* db) {
    bool has_column = false;
    Statement cols(db, "PRAGMA table_info(line_summaries)");
    while (cols.step()) has_column = has_column || cols.text(1) == kShingleSetArtifact;
    impl::exec(db, has_column ? "UPDATE meta SET value = '4' WHERE key = 'schema_version'" : kMigrate3to4);
}

// Version 7 -> 8 (kMigrate7to8), then the index of copies and the trigger that moves a holder's
// text (kSchema8Copies), which name the column. A store created now has the column already.
void migrate_to_8(sqlite3* db) {
    if (sqlite3_table_column_metadata(db, nullptr, "documents", "text_of", nullptr, nullptr, nullptr, nullptr,
                                      nullptr) != SQLITE_OK)
        impl::exec(db, kMigrate7to8);
    impl::exec(db, kSchema8Copies);
}

void sql_id_key(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto* p = static_cast<const char*>(sqlite3_value_blob(argv[0]));
    const int n = sqlite3_value_bytes(argv[0]);
    sqlite3_result_int64(ctx, id_key(std::string_view(p ? p : "", static_cast<std::size_t>(n))));
}

// doppel_id_key(id) on this connection: schema 9's triggers call it.
void register_id_key(sqlite3* db) {
    if (sqlite3_create_function_v2(db, "doppel_id_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   nullptr, sql_id_key, nullptr, nullptr, nullptr) != SQLITE_OK)
        DOPPEL_THROW(kStore, std::string("cannot register the id key function: ") + sqlite3_errmsg(db));
}

// Version 8 -> 9 (kSchemaIdKeys): the tables of id keys, filled from the stored documents where
// they are new (a store created now has none to fill). The UNIQUE index on the id text that an
// older store has stays (SQLite cannot drop it), unused by lookups but still written. A store at
// version 9 or 10 gets the middle table (empty) and triggers that know it (version 11). Returns
// whether it filled them (the filter of their keys is then made anew, schema 10).
bool migrate_id_keys(sqlite3* db) {
    const bool had = table_exists(db, "id_keys");
    if (had && !table_exists(db, "id_keys_mid")) impl::exec(db, kDropTwoTableTriggers);
    impl::exec(db, kSchemaIdKeys);
    if (!had) impl::exec(db, kFillIdKeys);
    return !had;
}

// SQLite's process-wide settings, once, before its first use: no memory statistics (each of
// SQLite's allocations and frees took a global mutex for them: 3% of index's CPU) and the
// allocator of store/sqlite_memory.h. Where SQLite was initialized before (another library of
// the process), it keeps its settings.
void configure_sqlite() {
    static const bool done = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        store_detail::install_sqlite_memory();
        return true;
    }();
    (void)done;
}

// Whether the rollback journal at `path` holds a transaction to roll back: it starts with its
// header, not the zeros a commit leaves in a journal kept between transactions (PERSIST).
bool journal_is_hot(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char head[8] = {};
    if (!in.read(head, sizeof head)) return false;
    return std::any_of(std::begin(head), std::end(head), [](char c) { return c != 0; });
}

// A store left with a rollback journal by a killed writer (StoreOptions::journal_at_creation)
// cannot be read by a read-only connection ("attempt to write a readonly database"): a
// read-write connection's first read rolls the interrupted transaction back. Where the folder
// is not writable, the read-only opening then says what SQLite says.
void roll_back_interrupted(const fs::path& db_path) {
    if (!journal_is_hot(db_path.string() + "-journal")) return;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    }
    sqlite3_close_v2(db);
}

// The journal a writer uses (StoreOptions::journal_at_creation, Store::use_journal): a rollback
// journal, kept between its transactions (PERSIST: a commit zeroes its header instead of deleting
// it, which cost a directory sync and, on a file system mounted with `discard`, a synchronous
// discard of its blocks at every commit: 100,000 short para-dev documents, 391 batches, index
// into a new store 10.6 -> 9.5 s wall; switching to the log at the end deletes it), or the
// write-ahead log. Either switch is refused ("database is locked", at once, not
// after the busy timeout) while another connection holds the store: leaving the log, while any
// other connection has the store open; entering it, while another writer is inside a
// transaction with its journal. The store then stays as it is, which is only slower: the writer
// with the journal turns the log on when done (use_wal), or the next opening for writing does.
void set_journal_mode(sqlite3* db, bool journal) {
    const int rc = sqlite3_exec(db, journal ? "PRAGMA journal_mode = PERSIST" : "PRAGMA journal_mode = WAL",
                                nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        DOPPEL_THROW(kStore, std::string("cannot set the store's journal mode: ") + sqlite3_errmsg(db));
    impl::exec(db, "PRAGMA synchronous = NORMAL");
    if (journal) {
        // Pages stay in the writer's cache until the commit: a page spilled to the file before it
        // needs the journal synced first, and holds readers off from the spill to the commit
        // (a `check` during an index run of the feed, with SQLite's 2 MiB: waits up to 5.7 s).
        impl::exec(db, "PRAGMA cache_size = -65536");  // KiB
    }
}

// The database file of the store in `dir`, its folder made where options allow creating one.
// Throws kNotFound where there is no store to open, kInvalidArgument where `dir` is not a folder.
fs::path database_path(const std::string& dir, const StoreOptions& options) {
    std::error_code ec;
    const fs::path db_path = fs::path(dir) / Store::kDatabaseFile;
    if (!fs::exists(dir, ec)) {
        if (!options.create || options.read_only) DOPPEL_THROW(kNotFound, "store not found: " + dir);
        fs::create_directories(dir, ec);
        if (ec) DOPPEL_THROW(kIo, "cannot create store folder " + dir + ": " + ec.message());
    } else if (!fs::is_directory(dir, ec)) {
        DOPPEL_THROW(kInvalidArgument, "store path is not a folder: " + dir);
    }
    if (!fs::exists(db_path) && (!options.create || options.read_only))
        DOPPEL_THROW(kNotFound, "no doppel store in " + dir + " (missing " + Store::kDatabaseFile + ")");
    return db_path;
}
}  // namespace

// What this connection reads and writes, by the schema version it found (0: a new store): a
// reader of an older store reads it as it is; a writer migrates it first (open_for_writing).
void Store::Impl::set_layout(int version, const StoreOptions& options) {
    v1 = options.read_only && version < 2;
    sketch_tables = !options.read_only || version >= 3;
    old_read_only = !sketch_tables;
    no_set_column = options.read_only && version < 4;
    copies_unknown = options.read_only && version < 8;
    copies_column = !copies_unknown;
    id_keys = !(options.read_only && version < 9);
    id_keys_mid = !(options.read_only && version < 11);
    id_merge_rows = options.id_merge_rows;
}

Store::Store(const std::string& dir, StoreOptions options) : impl_(std::make_unique<Impl>()), dir_(dir) {
    configure_sqlite();
    const fs::path db_path = database_path(dir, options);
    if (options.read_only) roll_back_interrupted(db_path);
    const int flags = (options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                      (options.one_thread ? SQLITE_OPEN_NOMUTEX : 0);
    if (sqlite3_open_v2(db_path.c_str(), &impl_->db, flags, nullptr) != SQLITE_OK)
        DOPPEL_THROW(kStore, "cannot open store " + db_path.string() + ": " + sqlite3_errmsg(impl_->db));
    sqlite3_busy_timeout(impl_->db, options.busy_timeout_ms);
    try {
        register_id_key(impl_->db);
        // Temporary files (statement journals) in memory: indexing the copyright corpus writes
        // 109 MB instead of 308 MB. (A 64 MiB page cache, against SQLite's 2 MiB, halves the
        // pages read back while indexing but costs dedup --store page faults: left out.)
        impl::exec(impl_->db, "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;");
        // Only a database that is a doppel store (or empty) is changed: the journal mode and the
        // tables come after the check, so another program's file is left exactly as it was.
        const int version = check_schema(impl_->db, dir, options.read_only);
        impl_->set_layout(version, options);
        if (!options.read_only) open_for_writing(version, options);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        DOPPEL_THROW(kStore, "store " + dir + ": " + e.what());
    }
}

// A writer's opening of a store found at schema `version` (0: new): a new store's page size, the
// journal, then the tables and every migration up to kSchemaVersion in one transaction.
void Store::open_for_writing(int version, const StoreOptions& options) {
    if (version == 0)  // before the first write, which fixes the page size
        impl::exec(impl_->db, ("PRAGMA page_size = " + std::to_string(options.page_size)).c_str());
    const bool creating = version == 0 && options.journal_at_creation;
    set_journal_mode(impl_->db, creating);
    // A store created for `doppel index`: its tables are committed with the first transaction
    // (transaction()), one commit (three fsyncs) less before the first batch.
    if (creating) impl::exec(impl_->db, "BEGIN IMMEDIATE");  // the transaction below joins it
    transaction([&] {
        // Re-read inside the transaction: another writer may have migrated it meanwhile.
        const int stored = version == 0 ? 0 : schema_version();
        if (stored != 0 && stored < 2) impl::exec(impl_->db, kMigrate1to2);
        impl::exec(impl_->db, kSchema);
        impl::exec(impl_->db, kSchema2Indexes);
        if (stored != 0 && stored < 3) impl::exec(impl_->db, kMigrate2to3);
        if (stored != 0 && stored < 4) migrate_3to4(impl_->db);
        migrate_to_8(impl_->db);
        // Schema 10: the filter of the merged keys, made where the keys are new or it is missing.
        if (migrate_id_keys(impl_->db) || !impl_->current_key_filter()) impl_->rebuild_key_filter();
        const std::string current = std::to_string(kSchemaVersion);
        if (stored != 0 && stored < kSchemaVersion)
            impl::exec(impl_->db,
                       ("UPDATE meta SET value = '" + current + "' WHERE key = 'schema_version'").c_str());
        if (version == 0) set_meta("schema_version", current);
    });
    impl_->creation_open = creating;
}

Store::~Store() = default;

namespace {

// fn() inside a transaction opened with `begin`, committed when it returns, rolled back when it
// throws; inside a transaction already, fn() joins it (the one home of the store's nesting rule).
void in_transaction(sqlite3* db, const char* begin, const std::function<void()>& fn) {
    if (!sqlite3_get_autocommit(db)) {
        fn();
        return;
    }
    impl::exec(db, begin);
    try {
        fn();
        commit(db);
    } catch (...) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

}  // namespace

void Store::transaction(const std::function<void()>& fn) {
    if (sqlite3_get_autocommit(impl_->db)) impl_->close_blob();  // an open blob handle would hold a read transaction
    if (impl_->creation_open) return commit_with_creation(fn);
    in_transaction(impl_->db, "BEGIN IMMEDIATE", fn);
}

// The first transaction of a store created open (Impl::creation_open): fn's writes and the
// tables commit together; when fn throws, only its writes are undone (a savepoint) and the
// tables are committed alone, as if they had been committed at the opening.
void Store::commit_with_creation(const std::function<void()>& fn) {
    impl_->close_blob();
    impl_->creation_open = false;
    impl::exec(impl_->db, "SAVEPOINT first_write");
    try {
        fn();
    } catch (...) {
        sqlite3_exec(impl_->db, "ROLLBACK TO first_write; RELEASE first_write; COMMIT", nullptr, nullptr, nullptr);
        throw;
    }
    try {
        impl::exec(impl_->db, "RELEASE first_write");
        commit(impl_->db);  // waits out readers as every transaction's commit does
    } catch (...) {
        sqlite3_exec(impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

bool Store::use_journal() {
    if (impl_->creation_open) {  // created with the journal, in its first transaction
        // A store being created for a bulk writer (`doppel index` of a store for duplicates) gets
        // a small cache instead of 64 MiB: it has no reader before its first commit, and a later
        // one waits for the rest of that run's transaction at most. Its transactions' pages spill
        // to the file, each new page written once either way, and few are read back, so a large
        // cache would mostly grow the heap (every page of the new store, kept after its commit)
        // with fresh memory, which on a virtual machine is what costs: `index` of the copyright
        // corpus into a new store, peak RSS 93 -> 62 MB, SQLite's heap 41 -> 2 MB, 38 -> 22
        // huge-page faults, for 3 journal syncs and 13 MB read back from the system's cache
        // (14 -> 406 page reads). A store for all keeps 64 MiB: its run reads far more back
        // (229 -> 2,585 page reads with 2 MiB), and it does not call this. SQLite's default
        // counts its 2,000 KiB in pages of the size it first read (4 KiB, before the page size
        // was set): with 32 KiB pages it would spill only past 15 MB, so the size is set here.
        impl::exec(impl_->db, "PRAGMA cache_size = -2048");  // KiB
        return true;
    }
    if (sqlite3_db_readonly(impl_->db, "main") == 1 || !sqlite3_get_autocommit(impl_->db)) return false;
    impl_->close_blob();
    set_journal_mode(impl_->db, true);
    Statement st(impl_->db, "PRAGMA journal_mode");
    return st.step() && st.text(0) == "persist";
}

void Store::release_cache() {
    if (sqlite3_get_autocommit(impl_->db)) sqlite3_db_release_memory(impl_->db);
}

std::size_t Store::cache_bytes() const {
    int used = 0, highwater = 0;
    sqlite3_db_status(impl_->db, SQLITE_DBSTATUS_CACHE_USED, &used, &highwater, 0);
    return static_cast<std::size_t>(used);
}

// The switch rewrites the header of page 1 (its format bytes and change counter, in the first
// 100 bytes) through a journaled transaction of its own. It runs with synchronous = OFF, then the
// database file is synced once (SQLite's own xSync): one fdatasync instead of three (journal,
// folder, database; `doppel index` into a new store: 16 -> 14). The header is durable before the
// command ends, as the data before it was made by the batches' commits, so a later writer's
// checkpoint never meets a header that an operating-system crash turned back to rollback mode. A
// crash inside the switch leaves the store in rollback mode, as it was (only the header differs).
bool Store::use_wal() {
    impl_->commit_creation();
    if (sqlite3_db_readonly(impl_->db, "main") == 1 || !sqlite3_get_autocommit(impl_->db)) return false;
    impl_->close_blob();
    auto in_wal = [&] {
        Statement st(impl_->db, "PRAGMA journal_mode");
        return st.step() && st.text(0) == "wal";
    };
    if (in_wal()) return true;
    sqlite3_exec(impl_->db, "PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    impl::exec(impl_->db, "PRAGMA synchronous = NORMAL");  // what the store's writes keep
    if (!in_wal()) return false;
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(impl_->db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file &&
        file->pMethods)
        DOPPEL_CHECK(kIo, file->pMethods->xSync(file, SQLITE_SYNC_NORMAL) == SQLITE_OK,
                     "cannot sync the store's database file in " + dir_);
    return true;
}

void Store::read_snapshot(const std::function<void()>& fn) const {
    const bool outermost = sqlite3_get_autocommit(impl_->db);
    in_transaction(impl_->db, "BEGIN DEFERRED", [&] {  // the read lock is taken by the first read
        fn();
        if (outermost) impl_->close_blob();  // it would hold the read lock after the commit
    });
}

int64_t Store::data_version() const { return impl_->data_version(); }

namespace {

// The texts stored by one put(), by content hash: a later document of the same call with the same
// text (hash and bytes) is stored as a copy of the first (kSchema8Copies): on the copyright
// corpus, 481 of 967 documents, 20.9 of its 27.3 MB, almost all within one batch of `index`.
// Copies of documents stored by earlier calls are not looked for: that would take an index by
// content hash, a random key to update at every row of a feed.
class BatchTexts {
public:
    // For a call of up to n documents. An open-addressed table of positions in held_, sized once:
    // no allocation per document (a node-based map's, on the writing thread while the preparing
    // threads allocate too, cost 3% of index's CPU on a news feed, which has few copies).
    explicit BatchTexts(std::size_t n) : slots_(std::bit_ceil(2 * n + 2), kEmpty) { held_.reserve(n); }
    // The seq of the document holding d's text, 0 when d holds its own.
    int64_t holder_of(const AnalyzedDocument& d) const {
        if (d.doc.text.empty()) return 0;
        for (std::size_t s = start(d.content_hash); slots_[s] != kEmpty; s = (s + 1) & (slots_.size() - 1)) {
            const Held& h = held_[slots_[s]];
            if (h.seq != 0 && h.hash == d.content_hash && h.text == d.doc.text) return h.seq;
        }
        return 0;
    }
    // d, for which holder_of() found none, was stored at `seq` holding its own text.
    void stored(const AnalyzedDocument& d, int64_t seq) {
        if (first_seq_ == 0) first_seq_ = seq;
        if (d.doc.text.empty()) return;
        std::size_t s = start(d.content_hash);
        while (slots_[s] != kEmpty) s = (s + 1) & (slots_.size() - 1);
        slots_[s] = static_cast<uint32_t>(held_.size());
        held_.push_back({d.content_hash, d.doc.text, seq});
    }
    // The document at `seq` is deleted (replaced): a later document with its text holds its own.
    void deleted(int64_t seq) {
        if (first_seq_ == 0 || seq < first_seq_) return;  // stored before this call: never a holder here
        for (Held& h : held_)
            if (h.seq == seq) h.seq = 0;  // left in its slot, as a step of the probes, never found
    }

private:
    static constexpr uint32_t kEmpty = UINT32_MAX;
    struct Held {
        std::string_view hash, text;
        int64_t seq;
    };
    std::size_t start(std::string_view hash) const { return std::hash<std::string_view>{}(hash) & (slots_.size() - 1); }
    std::vector<uint32_t> slots_;
    std::vector<Held> held_;
    int64_t first_seq_ = 0;
};

}  // namespace

namespace {
// Finds stored documents by their ids: the one home of the rule (Store::Impl::id_keys). Through
// the keys: a probe of each table of keys, then the row of each seq found, compared by its id
// (two ids may share a key); an id not stored costs a probe of integer keys (two where the filter
// may hold it) and reads no row. (One statement with the probes as a subquery cost twice as much
// a lookup.)
class IdFinder {
public:
    IdFinder(sqlite3* db, const IdTables& tables) : filter_(tables.filter) {
        if (!tables.keys) {
            by_id_.emplace(db, "SELECT seq, content_hash FROM documents WHERE id = ?");
            return;
        }
        fresh_.emplace(db, "SELECT seq FROM id_keys_new WHERE key = ?");
        for (const char* table : tables.merged)
            merged_.emplace_back(db, (std::string("SELECT seq FROM ") + table + " WHERE key = ?").c_str());
        row_.emplace(db, "SELECT id, content_hash FROM documents WHERE seq = ?");
    }
    // The seq and content hash of the document stored with `id` (seq 0: none). Leaves no
    // statement open.
    Store::StoredVersion find(std::string_view id) { return find(id, id_key(id)); }
    // The same, with the id's key computed by the caller (ignored through the index on the id).
    Store::StoredVersion find(std::string_view id, int64_t key) {
        Store::StoredVersion v;
        if (by_id_) {
            by_id_->reset();
            by_id_->bind_unowned(1, id);
            if (by_id_->step()) v = {by_id_->int64(0), by_id_->text(1)};
            by_id_->reset();
            return v;
        }
        if (probe(*fresh_, id, key, v)) return v;
        if (filter_ && !filter_->may_contain(key)) return v;  // in no table of merged keys
        for (Statement& merged : merged_)
            if (probe(merged, id, key, v)) break;
        return v;
    }

private:
    // Whether table `keys` holds `id` (under `key`): then `v` is its row's.
    bool probe(Statement& keys, std::string_view id, int64_t key, Store::StoredVersion& v) {
        keys.reset();
        keys.bind(1, key);
        while (v.seq == 0 && keys.step()) {
            row_->reset();
            row_->bind(1, keys.int64(0));
            if (row_->step() && row_->blob(0) == id) v = {keys.int64(0), row_->text(1)};
            row_->reset();
        }
        keys.reset();
        return v.seq != 0;
    }
    std::optional<Statement> by_id_, fresh_, row_;
    std::deque<Statement> merged_;         // (Statements do not move)
    const IdKeyFilter* filter_ = nullptr;  // of the merged keys: a key it lacks is not probed there
};
}  // namespace

std::vector<PutStatus> Store::put(std::size_t n, const AnalyzedDocument* docs, int64_t now,
                                  std::vector<int64_t>* seqs, const std::vector<bool>* absent) {
    std::vector<PutStatus> status(n, PutStatus::kUnchanged);
    if (seqs) seqs->assign(n, 0);
    transaction([&] {
        IdFinder finder(impl_->db, impl_->id_tables());
        Statement del(impl_->db, "DELETE FROM documents WHERE seq = ?");
        Statement ins(impl_->db,
                      "INSERT INTO documents(id, source, url, title, date, lang, lang_confidence, "
                      "paragraphs, other_languages, content_hash, text, added_at, lang_top, lang_scores, text_of) "
                      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        Statement key(impl_->db, "INSERT INTO id_keys_new(key, seq) VALUES(?, ?)");
        BatchTexts texts(n);
        bool changed = false;
        int64_t keys_added = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const AnalyzedDocument& d = docs[i];
            bool existed = false;
            // A new feed's ids are all absent: versions() looked each up already.
            const bool look = !absent || !(*absent)[i];
            if (const StoredVersion stored = look ? finder.find(d.doc.id) : StoredVersion{}; stored.seq) {
                if (stored.content_hash == d.content_hash) {  // same text: unchanged
                    if (seqs) (*seqs)[i] = stored.seq;
                    continue;
                }
                existed = true;
                del.reset();
                del.bind(1, stored.seq);
                del.step();
                texts.deleted(stored.seq);
            }
            ins.reset();
            const std::string paragraphs = encode_paragraphs(d.paragraphs);
            // The document's own strings are bound where they are (docs[i] outlives the step):
            // a copy of each, allocated and freed, was 2% of index's CPU on a news feed. So is
            // the paragraphs' blob, made here (it lives until the step); the other languages'
            // temporary, SQLite copies.
            ins.bind_unowned(1, d.doc.id).bind_unowned(2, d.doc.source)
                .bind_unowned(3, d.doc.url).bind_unowned(4, d.doc.title)
                .bind_unowned(5, d.doc.date).bind_unowned(6, d.lang)
                .bind(7, static_cast<double>(d.lang_confidence))
                .bind_blob_unowned(8, paragraphs.data(), paragraphs.size())
                .bind(9, std::string_view(join(d.other_languages)))
                .bind_unowned(10, d.content_hash)
                .bind(12, now).bind_unowned(13, d.lang_top).bind_unowned(14, d.lang_scores);
            const int64_t holder = texts.holder_of(d);
            if (holder)
                ins.bind_unowned(11, "").bind(15, holder);  // a copy: its text is the holder's
            else
                ins.bind_unowned(11, d.doc.text);
            ins.step();
            changed = true;
            const int64_t seq = sqlite3_last_insert_rowid(impl_->db);
            key.reset();
            key.bind(1, id_key(d.doc.id)).bind(2, seq);
            key.step();
            ++keys_added;
            if (!holder) texts.stored(d, seq);
            if (seqs) (*seqs)[i] = seq;
            status[i] = existed ? PutStatus::kReplaced : PutStatus::kAdded;
        }
        if (changed) unsettle();
        impl_->merge_id_keys_if_due(impl_->id_merge_rows, keys_added);
    });
    return status;
}

IdTables Store::Impl::id_tables() {
    if (!id_keys) return {false, {}, nullptr};
    // A reader of an older store: a writer of this build may have added the table since.
    if (!id_keys_mid) id_keys_mid = table_exists(db, "id_keys_mid");
    return {true, merged_key_tables(), current_key_filter()};
}

void Store::Impl::merge_id_keys_if_due(std::size_t min_rows, int64_t added) {
    if (!id_keys) return;
    // (A count of id_keys_new at each put was 8% of put()'s time at 1,000,000 stored.)
    fresh_keys = fresh_keys < 0 ? row_count(db, "id_keys_new") : fresh_keys + added;
    if (fresh_keys < static_cast<int64_t>(min_rows)) return;
    if (merged_keys < 0) merged_keys = row_count(db, "id_keys");
    if (mid_keys < 0) mid_keys = row_count(db, "id_keys_mid");
    // Into id_keys, with the middle table's, once together they are an eighth as many (schema
    // 10's rule, the middle table empty). Else into the middle table at the size that writes the
    // fewest pages a key: a commit of `added` keys rewrites each page of id_keys_new (fresh / 2
    // keys on average), a move into the middle table each of its pages (stored / 16 keys on
    // average), so fresh^2 / (2 x added) = stored / 16 x added / fresh. Only where that size is
    // at most 1/kMiddleShare of id_keys: in a smaller store the new table stays small without
    // it, and each key would move once more for a saving the model does not see (the
    // 1,000,000-item feed's ten files indexed in 10.1-11.9 s with either rule and with
    // schema 10's: within the noise).
    constexpr double kMiddleShare = 32;
    const bool to_merged = (mid_keys + fresh_keys) * 8 >= merged_keys;
    if (!to_merged) {
        const double stored = static_cast<double>(merged_keys + mid_keys + fresh_keys);
        const double best = std::sqrt(stored * static_cast<double>(std::max<int64_t>(added, 1)) / 8);
        if (static_cast<double>(fresh_keys) < best || best * kMiddleShare > static_cast<double>(merged_keys))
            return;
    }
    // The new keys join the filter before they move, or it is made anew after they have (where
    // there is none, or they would pass its room).
    const int64_t fresh = fresh_keys;
    const IdKeyFilter* f = current_key_filter();
    const bool add_to_filter = f && f->keys() + static_cast<uint64_t>(fresh) <= f->room();
    if (add_to_filter) {
        Statement keys(db, "SELECT key FROM id_keys_new");
        while (keys.step()) key_filter->add(keys.int64(0));
        store_key_filter();
    }
    if (to_merged) {
        if (mid_keys > 0) move_id_keys("id_keys_mid", "id_keys");
        move_id_keys("id_keys_new", "id_keys");
        merged_keys += mid_keys + fresh;
        mid_keys = 0;
    } else {
        move_id_keys("id_keys_new", "id_keys_mid");
        mid_keys += fresh;
    }
    fresh_keys = 0;
    if (!add_to_filter) rebuild_key_filter(merged_keys + mid_keys);
}

void Store::Impl::move_id_keys(const char* from, const char* into) {
    // (OR IGNORE: a key in both tables, which only a damaged store has, does not stop the writer.)
    impl::exec(
        db, (std::string("INSERT OR IGNORE INTO ") + into + "(key, seq) SELECT key, seq FROM " + from + ";")
                .c_str());
    impl::exec(db, (std::string("DELETE FROM ") + from + ";").c_str());
}

const IdKeyFilter* Store::Impl::current_key_filter() {
    if (!id_keys) return nullptr;
    const int64_t now = data_version();
    if (key_filter_version == now) return key_filter ? &*key_filter : nullptr;
    key_filter.reset();
    Statement st(db, "SELECT data FROM blobs WHERE name = ?");
    st.bind(1, std::string_view(IdKeyFilter::kBlobName));
    if (st.step()) key_filter = IdKeyFilter::decode(st.blob(0));
    key_filter_version = now;
    return key_filter ? &*key_filter : nullptr;
}

// Room for twice the keys there are (at least kMinRoom): the filter is made anew once the
// store has doubled, each key added O(1) times over its growth.
void Store::Impl::rebuild_key_filter(int64_t keys) {
    constexpr uint64_t kMinRoom = 65536;
    if (keys < 0) {
        keys = 0;
        for (const char* table : merged_key_tables()) keys += row_count(db, table);
    }
    const auto keys_now = static_cast<uint64_t>(keys);
    key_filter = IdKeyFilter::with_room_for(std::max<uint64_t>(kMinRoom, 2 * keys_now));
    for (const char* table : merged_key_tables()) {
        Statement read(db, (std::string("SELECT key FROM ") + table).c_str());
        while (read.step()) key_filter->add(read.int64(0));
    }
    store_key_filter();
}

void Store::Impl::store_key_filter() {
    put_blob(IdKeyFilter::kBlobName, key_filter->encode());
    key_filter_version = data_version();  // our own commit does not change it: what we hold stays current
}

void Store::unsettle() { remove_meta(kSettledMeta); }

void Store::remove_meta(const std::string& key) {
    Statement st(impl_->db, "DELETE FROM meta WHERE key = ?");
    st.bind(1, std::string_view(key));
    st.step();
}

void Store::update_languages(std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) {
    transaction([&] {
        Statement up(impl_->db,
                     "UPDATE documents SET lang = ?, lang_confidence = ?, paragraphs = ?, other_languages = ? "
                     "WHERE seq = ?");
        for (std::size_t i = 0; i < n; ++i) {
            const AnalyzedDocument& d = docs[i];
            up.reset();
            const std::string paragraphs = encode_paragraphs(d.paragraphs);
            up.bind(1, std::string_view(d.lang)).bind(2, static_cast<double>(d.lang_confidence))
                .bind_blob_unowned(3, paragraphs.data(), paragraphs.size())
                .bind(4, std::string_view(join(d.other_languages))).bind(5, seqs[i]);
            up.step();
        }
    });
}

std::vector<Store::LanguageDecision> Store::fallback_decisions() const {
    std::vector<LanguageDecision> out;
    if (impl_->v1) return out;
    Statement st(impl_->db,
                 "SELECT seq, lang, lang_confidence, lang_scores FROM documents WHERE lang_scores != '' ORDER BY seq");
    while (st.step())
        out.push_back(LanguageDecision{st.int64(0), st.text(1), static_cast<float>(st.real(2)), st.text(3)});
    return out;
}

std::vector<int64_t> Store::fallback_seqs() const {
    std::vector<int64_t> out;
    if (impl_->v1) return out;
    Statement st(impl_->db, "SELECT seq FROM documents WHERE lang_scores != '' ORDER BY seq");  // documents_fallback
    while (st.step()) out.push_back(st.int64(0));
    return out;
}

std::vector<Store::LanguageDecision> Store::fallback_decisions(const std::vector<int64_t>& seqs) const {
    std::vector<LanguageDecision> out;
    if (impl_->v1) return out;
    Statement st(impl_->db, "SELECT seq, lang, lang_confidence, lang_scores FROM documents WHERE seq = ? AND lang_scores != ''");
    for (int64_t seq : seqs) {
        st.reset();
        st.bind(1, seq);
        if (st.step())
            out.push_back(LanguageDecision{st.int64(0), st.text(1), static_cast<float>(st.real(2)), st.text(3)});
    }
    return out;
}

std::optional<StoredDocument> Store::get(const std::string& id, bool with_text) const {
    std::optional<StoredDocument> d;
    read_snapshot([&] {
        const int64_t seq = IdFinder(impl_->db, impl_->id_tables()).find(id).seq;
        if (seq) d = get_by_seq(seq, with_text);
    });
    return d;
}

std::optional<StoredDocument> Store::get_by_seq(int64_t seq, bool with_text) const {
    Statement st(impl_->db, select_sql(impl_->v1, impl_->text_sql(), with_text, "WHERE seq = ?").c_str());
    st.bind(1, seq);
    if (!st.step()) return std::nullopt;
    return read_row(st, with_text);
}

std::vector<Store::StoredVersion> Store::versions(const std::vector<std::string_view>& ids) const {
    std::vector<StoredVersion> out(ids.size());
    // In the order of the index they are found by (their keys, or in an older store their
    // texts, which SQLite compares as memcmp does): each of its pages is read once however the
    // ids come, not once an id (a feed's URLs or hashes fall all over an index larger than the
    // cache).
    std::vector<std::size_t> order(ids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::vector<int64_t> keys(ids.size());
    if (impl_->id_keys) {
        for (std::size_t i = 0; i < ids.size(); ++i) keys[i] = id_key(ids[i]);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    } else {
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
    }
    read_snapshot([&] {
        IdFinder finder(impl_->db, impl_->id_tables());
        for (const std::size_t i : order) out[i] = finder.find(ids[i], keys[i]);
    });
    return out;
}

void Store::scan(const std::function<bool(StoredDocument&)>& fn, bool with_text, bool with_paragraphs) const {
    Statement st(impl_->db, select_sql(impl_->v1, impl_->text_sql(), with_text, "ORDER BY seq").c_str());
    while (st.step()) {
        StoredDocument d = read_row(st, with_text, with_paragraphs);
        if (!fn(d)) break;
    }
}

namespace {
// The columns scan_keys() and read_keys() read, and the row's keys from them (views into the row).
constexpr const char* kKeyColumns = "seq, id, source, url, content_hash";
Store::DocumentKeys keys_of(const Statement& st) {
    return {st.int64(0), st.blob(1), st.blob(2), st.blob(3), st.blob(4), {}};
}

// The rows rows_by_seq() reads: of `table` where `filter` holds (an SQL condition, "" for
// none, whose parameter ?1 is `kind` where it has one: an artifact kind's place, Impl::Place).
struct SeqRows {
    std::string table = "documents", filter;
    std::string_view kind;
};

// Calls fn(row) for each of `seqs` that is stored, in the order given, the row's first column its
// seq (`columns`: a list of SQL expressions of a row of `rows`, "seq" first), with one prepared
// statement: the one home of the reads by seq (read_keys, read_columns, read_artifacts). Seqs in
// increasing order that are at least a quarter of the rows from their first to their last are read
// by one range scan, which reads those rows' pages anyway (a documents row holds its text; a row
// not asked for is skipped before its other columns are read); the others by a lookup each.
// Inside the caller's read transaction (Store::read_snapshot).
void rows_by_seq(sqlite3* db, const std::string& columns, const std::vector<int64_t>& seqs,
                 const std::function<void(const Statement&)>& fn, const SeqRows& rows = {}) {
    if (seqs.empty()) return;
    const bool dense = std::adjacent_find(seqs.begin(), seqs.end(), std::greater_equal<>()) == seqs.end() &&
                       (seqs.back() - seqs.front()) / 4 < static_cast<int64_t>(seqs.size());
    const std::string select = "SELECT " + columns + " FROM " + rows.table + " WHERE " +
                               (rows.filter.empty() ? "" : rows.filter + " AND ");
    if (dense) {
        Statement st(db, (select + "seq BETWEEN ?2 AND ?3 ORDER BY seq").c_str());
        st.bind_if_used(1, rows.kind).bind(2, seqs.front()).bind(3, seqs.back());
        auto next = seqs.begin();  // a step at a time: the seqs fill a quarter of the rows at least
        while (st.step()) {
            while (next != seqs.end() && *next < st.int64(0)) ++next;
            if (next != seqs.end() && *next == st.int64(0)) fn(st);
        }
        return;
    }
    Statement st(db, (select + "seq = ?2").c_str());
    for (int64_t seq : seqs) {
        st.reset();
        st.bind_if_used(1, rows.kind).bind(2, seq);
        if (st.step()) fn(st);
    }
}
}  // namespace

void Store::scan_keys(const std::function<bool(const DocumentKeys&)>& fn, int64_t after) const {
    Statement st(
        impl_->db,
        ("SELECT " + std::string(kKeyColumns) + " FROM documents WHERE seq > ? ORDER BY seq").c_str());
    st.bind(1, after);
    while (st.step())
        if (!fn(keys_of(st))) break;
}

void Store::read_keys(const std::vector<int64_t>& seqs, const std::function<void(const DocumentKeys&)>& fn,
                      bool with_text) const {
    const std::string columns = std::string(kKeyColumns) + (with_text ? ", " + impl_->text_sql() : "");
    read_snapshot([&] {
        rows_by_seq(impl_->db, columns, seqs, [&](const Statement& st) {
            DocumentKeys keys = keys_of(st);
            if (with_text) keys.text = st.blob(5);
            fn(keys);
        });
    });
}

int64_t Store::max_seq() const {
    Statement st(impl_->db, "SELECT coalesce(max(seq), 0) FROM documents");
    st.step();
    return st.int64(0);
}

std::size_t Store::size() const {
    const bool outside = sqlite3_get_autocommit(impl_->db) != 0;
    const Impl::DocumentCount now{impl_->data_version(), sqlite3_total_changes64(impl_->db)};
    const auto& c = impl_->counted;
    if (outside && c && c->version == now.version && c->changes == now.changes) return c->documents;
    const auto documents = static_cast<std::size_t>(row_count(impl_->db, "documents"));
    if (outside) impl_->counted = Impl::DocumentCount{now.version, now.changes, documents};
    return documents;
}

namespace {
// Documents per value of one text column of `documents`.
std::map<std::string, std::size_t> counts_by(sqlite3* db, const std::string& column) {
    Statement st(db, ("SELECT " + column + ", count(*) FROM documents GROUP BY " + column).c_str());
    std::map<std::string, std::size_t> out;
    while (st.step()) out[st.text(0)] = static_cast<std::size_t>(st.int64(1));
    return out;
}
}  // namespace

std::map<std::string, std::size_t> Store::language_counts() const { return counts_by(impl_->db, "lang"); }

// A version-1 store opened read-only has no lang_top: its language counts as the top label.
std::map<std::string, std::size_t> Store::top_label_counts() const {
    return counts_by(impl_->db, impl_->v1 ? "lang" : "lang_top");
}

std::vector<int64_t> Store::remove(const std::vector<std::string>& ids) {
    std::vector<int64_t> seqs(ids.size(), 0);
    transaction([&] {
        IdFinder finder(impl_->db, impl_->id_tables());
        Statement del(impl_->db, "DELETE FROM documents WHERE seq = ?");
        bool removed = false;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const int64_t seq = finder.find(ids[i]).seq;
            if (seq == 0) continue;
            del.reset();
            del.bind(1, seq);
            del.step();
            if (sqlite3_changes(impl_->db) > 0) seqs[i] = seq, removed = true;
        }
        if (removed) unsettle();
    });
    return seqs;
}

bool Store::remove(const std::string& id) { return remove(std::vector<std::string>{id})[0] != 0; }

std::vector<std::string> Store::expire(int64_t cutoff, std::vector<int64_t>* seqs) {
    std::vector<std::string> ids;
    if (seqs) seqs->clear();
    transaction([&] {
        Statement sel(impl_->db, "SELECT id, seq FROM documents WHERE added_at < ? ORDER BY seq");
        sel.bind(1, cutoff);
        while (sel.step()) {
            ids.push_back(sel.text(0));
            if (seqs) seqs->push_back(sel.int64(1));
        }
        // The copies first (found through their index, documents_copies): a holder's text then
        // moves only to a copy that stays. (SQLite leaves undefined a statement deleting a row
        // that a BEFORE DELETE trigger changed, as kSchema8Copies's would change its copies.)
        if (impl_->has_copies()) {
            Statement copies(impl_->db,
                             "DELETE FROM documents WHERE added_at < ? AND seq IN "
                             "(SELECT seq FROM documents WHERE text_of IS NOT NULL)");
            copies.bind(1, cutoff);
            copies.step();
        }
        Statement del(impl_->db, "DELETE FROM documents WHERE added_at < ?");
        del.bind(1, cutoff);
        del.step();
        if (!ids.empty()) unsettle();
    });
    return ids;
}

void Store::put_artifacts(const std::string& kind, std::size_t n, const int64_t* seqs, const std::string* blobs) {
    const std::vector<std::string_view> views(blobs, blobs + n);
    put_artifacts(kind, n, seqs, views.data());
}

void Store::put_artifacts(const std::string& kind, std::size_t n, const int64_t* seqs, const std::string_view* blobs) {
    put_artifacts(std::vector<std::string>{kind}, n, seqs, blobs);
}

namespace {
// The upsert of an artifact kept in the artifacts table: ?1 seq, ?2 kind, ?3 blob.
constexpr const char* kArtifactUpsert =
    "INSERT INTO artifacts(seq, kind, data) VALUES(?, ?, ?) ON CONFLICT(kind, seq) DO UPDATE SET data = "
    "excluded.data";

// The upserts of artifacts of `kinds` (n documents) where they are columns of tables keyed by seq
// (sketch_table), one a table: ?1 the seq, ?(k + 2) the blob of kinds[k].
std::vector<std::string> sketch_upserts(const std::vector<std::string>& kinds) {
    std::vector<std::string> tables, out;
    for (const auto& k : kinds)
        if (std::find(tables.begin(), tables.end(), sketch_table(k)) == tables.end())
            tables.push_back(sketch_table(k));
    for (const auto& t : tables) {
        std::string columns, values, set;
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            if (sketch_table(kinds[k]) != t) continue;
            columns += ", " + kinds[k];
            values += ", ?" + std::to_string(k + 2);
            set += (set.empty() ? "" : ", ") + kinds[k] + " = excluded." + kinds[k];
        }
        out.push_back("INSERT INTO " + t + "(seq" + columns + ") VALUES(?1" + values +
                      ") ON CONFLICT(seq) DO UPDATE SET " + set);
    }
    return out;
}
}  // namespace

void Store::put_artifacts(const std::vector<std::string>& kinds, std::size_t n, const int64_t* seqs,
                          const std::string_view* blobs) {
    const bool sketches =
        impl_->sketch_tables && !kinds.empty() &&
        std::all_of(kinds.begin(), kinds.end(), [](const auto& k) { return sketch_table(k); });
    transaction([&] {
        if (sketches) {
            std::vector<std::unique_ptr<Statement>> upserts;
            for (const auto& sql : sketch_upserts(kinds))
                upserts.push_back(std::make_unique<Statement>(impl_->db, sql.c_str()));
            for (std::size_t i = 0; i < n; ++i)
                for (auto& st : upserts) {
                    st->reset();
                    st->bind(1, seqs[i]);
                    for (std::size_t k = 0; k < kinds.size(); ++k)
                        st->bind_blob_unowned_if_used(static_cast<int>(k + 2), blobs[k * n + i].data(),
                                                      blobs[k * n + i].size());
                    st->step();
                }
            return;
        }
        // An upsert, not INSERT OR REPLACE: REPLACE may delete a row (and cascade), so SQLite
        // opens a statement journal per row, copying every page the row touches (a third of
        // index's CPU on a feed of short items). The rows afterwards are the same.
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            if (impl_->sketch_tables && sketch_table(kinds[k])) {
                put_artifacts(std::vector<std::string>{kinds[k]}, n, seqs, blobs + k * n);
                continue;
            }
            Statement st(impl_->db, kArtifactUpsert);
            for (std::size_t i = 0; i < n; ++i) {
                const std::string_view blob = blobs[k * n + i];
                st.reset();
                st.bind(1, seqs[i])
                    .bind(2, std::string_view(kinds[k]))
                    .bind_blob_unowned(3, blob.data(), blob.size());
                st.step();
            }
        }
    });
}

void Store::put_artifacts_of_stored(const std::string& kind, std::size_t n, const int64_t* seqs,
                                    const std::string_view* blobs) {
    DOPPEL_CHECK(kInvalidArgument, !sketch_table(kind),
                 "put_artifacts_of_stored() of a sketch kind: " + kind);
    // The foreign key finds a deleted document (the row fails alone); a check in the statement
    // (INSERT ... SELECT ... WHERE EXISTS) made 1,100,000 rows 3.6 -> 12 s.
    transaction([&] {
        Statement st(impl_->db, kArtifactUpsert);
        Statement stored(impl_->db, "SELECT 1 FROM documents WHERE seq = ?");
        for (std::size_t i = 0; i < n; ++i) {
            st.reset();
            st.bind(1, seqs[i])
                .bind(2, std::string_view(kind))
                .bind_blob_unowned(3, blobs[i].data(), blobs[i].size());
            try {
                st.step();
            } catch (const Error&) {
                stored.reset();
                if (stored.bind(1, seqs[i]).step()) throw;
            }
        }
    });
}

std::optional<std::string> Store::artifact(int64_t seq, const std::string& kind) const {
    const Impl::Place p = impl_->place(kind);
    Statement st(impl_->db,
                 ("SELECT " + p.data + " FROM " + p.table + " WHERE " + p.filter + " AND seq = ?2").c_str());
    st.bind_if_used(1, kind).bind(2, seq);
    if (!st.step()) return std::nullopt;
    return std::string(st.blob(0));
}

void Store::scan_artifacts(const std::string& kind, const std::function<void(int64_t, std::string_view)>& fn) const {
    const Impl::Place p = impl_->place(kind);
    Statement st(
        impl_->db,
        ("SELECT seq, " + p.data + " FROM " + p.table + " WHERE " + p.filter + " ORDER BY seq").c_str());
    st.bind_if_used(1, kind);
    while (st.step()) fn(st.int64(0), st.blob(1));
}

void Store::scan_artifacts(const std::string& kind, int64_t from, int64_t to,
                           const std::function<void(int64_t, std::string_view)>& fn) const {
    const Impl::Place p = impl_->place(kind);
    Statement st(impl_->db, ("SELECT seq, " + p.data + " FROM " + p.table + " WHERE " + p.filter +
                             " AND seq BETWEEN ?2 AND ?3 ORDER BY seq")
                                .c_str());
    st.bind_if_used(1, kind).bind(2, from).bind(3, to);
    while (st.step()) fn(st.int64(0), st.blob(1));
}

void Store::scan_artifacts(const std::vector<std::string>& kinds, int64_t from, int64_t to,
                           const std::function<void(int64_t, const std::optional<std::string_view>*)>& fn) const {
    std::vector<std::optional<std::string_view>> blobs(kinds.size());
    const bool one_table = !kinds.empty() && std::all_of(kinds.begin(), kinds.end(), [&](const auto& k) {
        return impl_->in_table(k) && std::string_view(sketch_table(k)) == sketch_table(kinds[0]);
    });
    if (one_table) {
        std::string columns, any;
        for (const auto& k : kinds) {
            columns += ", " + k;
            any += (any.empty() ? "" : " OR ") + k + " IS NOT NULL";
        }
        Statement st(impl_->db, ("SELECT seq" + columns + " FROM " + sketch_table(kinds[0]) +
                                 " WHERE seq BETWEEN ?1 AND ?2 AND (" + any + ") ORDER BY seq")
                                    .c_str());
        st.bind(1, from).bind(2, to);
        while (st.step()) {
            for (std::size_t k = 0; k < kinds.size(); ++k)
                blobs[k] = st.is_null(static_cast<int>(k + 1)) ? std::nullopt
                                                                : std::optional(st.blob(static_cast<int>(k + 1)));
            fn(st.int64(0), blobs.data());
        }
        return;
    }
    // Kinds in different tables: each read in turn, then joined by seq.
    std::vector<std::vector<std::pair<int64_t, std::string>>> read(kinds.size());
    for (std::size_t k = 0; k < kinds.size(); ++k)
        scan_artifacts(kinds[k], from, to, [&](int64_t seq, std::string_view b) { read[k].emplace_back(seq, b); });
    std::vector<std::size_t> at(kinds.size(), 0);
    for (;;) {
        int64_t seq = INT64_MAX;
        for (std::size_t k = 0; k < kinds.size(); ++k)
            if (at[k] < read[k].size()) seq = std::min(seq, read[k][at[k]].first);
        if (seq == INT64_MAX) return;
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            const bool here = at[k] < read[k].size() && read[k][at[k]].first == seq;
            blobs[k] = here ? std::optional<std::string_view>(read[k][at[k]++].second) : std::nullopt;
        }
        fn(seq, blobs.data());
    }
}

void Store::read_artifacts(const std::string& kind, const std::vector<int64_t>& seqs,
                           const std::function<void(int64_t, std::string_view)>& fn) const {
    const Impl::Place p = impl_->place(kind);
    read_snapshot([&] {
        rows_by_seq(impl_->db, "seq, " + p.data, seqs,
                    [&](const Statement& st) { fn(st.int64(0), st.blob(1)); }, {p.table, p.filter, kind});
    });
}

// Two columns of the documents of `seqs` (SQL expressions of a row: a text or blob, an integer),
// in the order given (rows_by_seq).
void Store::read_columns(const std::string& column, const std::string& number,
                         const std::vector<int64_t>& seqs,
                         const std::function<void(int64_t, std::string_view, int64_t)>& fn) const {
    read_snapshot([&] {
        rows_by_seq(impl_->db, "seq, " + column + ", " + number, seqs,
                    [&](const Statement& st) { fn(st.int64(0), st.blob(1), st.int64(2)); });
    });
}

void Store::read_texts(const std::vector<int64_t>& seqs,
                       const std::function<void(int64_t, std::string_view)>& fn) const {
    read_columns(impl_->text_sql(), "0", seqs,
                 [&](int64_t seq, std::string_view text, int64_t) { fn(seq, text); });
}

// The holder: text_of, schema 8 (a store migrated to it keeps the column after the text, read
// here anyway).
void Store::read_texts(const std::vector<int64_t>& seqs,
                       const std::function<void(int64_t, std::string_view, int64_t)>& fn) const {
    read_columns(impl_->text_sql(), impl_->has_copies() ? "coalesce(text_of, 0)" : "0", seqs, fn);
}

// The content hash alone: a row keeps it before its text (and a migrated store, text_of after).
void Store::read_content_hashes(const std::vector<int64_t>& seqs,
                                const std::function<void(int64_t, std::string_view)>& fn) const {
    read_columns("content_hash", "0", seqs,
                 [&](int64_t seq, std::string_view hash, int64_t) { fn(seq, hash); });
}

std::vector<std::string> Store::artifact_kinds() const {
    std::vector<std::string> kinds;
    Statement st(impl_->db, "SELECT DISTINCT kind FROM artifacts ORDER BY kind");
    while (st.step()) kinds.push_back(st.text(0));
    if (impl_->sketches_in_tables())
        for (const char* k : kSketchKinds) {
            const Impl::Place p = impl_->place(k);
            Statement any(impl_->db,
                          ("SELECT 1 FROM " + p.table + " WHERE " + p.filter + " LIMIT 1").c_str());
            if (any.step()) kinds.emplace_back(k);
        }
    std::sort(kinds.begin(), kinds.end());
    return kinds;
}

std::size_t Store::artifact_count(const std::string& kind) const {
    const Impl::Place p = impl_->place(kind);
    Statement st(impl_->db, ("SELECT count(*) FROM " + p.table + " WHERE " + p.filter).c_str());
    st.bind_if_used(1, kind);
    st.step();
    return static_cast<std::size_t>(st.int64(0));
}

std::vector<int64_t> Store::documents_missing(const std::string& kind) const {
    const Impl::Place p = impl_->place(kind);
    std::vector<int64_t> missing;
    Statement st(impl_->db, ("SELECT seq FROM documents d WHERE NOT EXISTS (SELECT 1 FROM " + p.table +
                             " a WHERE " + p.filter + " AND a.seq = d.seq) ORDER BY seq")
                                .c_str());
    st.bind_if_used(1, kind);
    while (st.step()) missing.push_back(st.int64(0));
    return missing;
}

std::vector<int64_t> Store::documents_missing(const std::string& kind, const std::vector<int64_t>& seqs) const {
    std::vector<int64_t> missing;
    if (seqs.empty()) return missing;
    const Impl::Place p = impl_->place(kind);
    read_snapshot([&] {
        Statement st(impl_->db,
                     ("SELECT 1 FROM " + p.table + " WHERE " + p.filter + " AND seq = ?2").c_str());
        for (const int64_t seq : seqs) {
            st.reset();
            st.bind_if_used(1, kind).bind(2, seq);
            if (!st.step()) missing.push_back(seq);
        }
    });
    std::sort(missing.begin(), missing.end());
    return missing;
}

std::vector<int64_t> Store::artifact_seqs(const std::string& kind) const {
    const Impl::Place p = impl_->place(kind);
    // In the artifacts table a kind's rows hold their blobs, so its primary-key range reads every
    // blob's pages (13.5 MB of features for the copyright corpus's 1,034 documents); "+kind" has
    // SQLite scan the covering index artifacts_seq (seq, kind) instead: the same seqs, in order.
    const std::string filter = p.table == "artifacts" ? "+" + p.filter : p.filter;
    std::vector<int64_t> seqs;
    Statement st(impl_->db, ("SELECT seq FROM " + p.table + " WHERE " + filter + " ORDER BY seq").c_str());
    st.bind_if_used(1, kind);
    while (st.step()) seqs.push_back(st.int64(0));
    return seqs;
}

void Store::put_blob(const std::string& name, std::string_view data) { impl_->put_blob(name, data); }

void Store::remove_blob(const std::string& name) {
    impl_->close_blob();
    Statement st(impl_->db, "DELETE FROM blobs WHERE name = ?");
    st.bind(1, std::string_view(name));
    st.step();
}

namespace {
// The least text after every text that begins with `prefix`, in SQLite's byte order (empty: none,
// a prefix of 0xFF bytes only).
std::string past_prefix(std::string prefix) {
    while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
    if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
    return prefix;
}
}  // namespace

void Store::remove_blobs_named(const std::string& prefix) {
    impl_->close_blob();
    // A range of the index on the names (not a scan of every blob's row, nor a LIKE pattern,
    // which would take '%' and '_' in a prefix as wildcards).
    const std::string past = past_prefix(prefix);
    Statement st(impl_->db, past.empty() ? "DELETE FROM blobs WHERE name >= ?1"
                                         : "DELETE FROM blobs WHERE name >= ?1 AND name < ?2");
    st.bind(1, std::string_view(prefix));
    if (!past.empty()) st.bind(2, std::string_view(past));
    st.step();
}

bool Store::read_blob(const std::string& name, std::size_t offset, std::size_t n, void* out) const {
    if (!open_blob(name)) return false;
    const auto size = static_cast<std::size_t>(sqlite3_blob_bytes(impl_->blob));
    DOPPEL_CHECK(kBadFormat, offset <= size && n <= size - offset, "read past the end of blob " + name);
    read_open_blob(name, offset, n, out);
    return true;
}

bool Store::read_blob(const std::string& name, std::string* out) const {
    if (!open_blob(name)) return false;
    out->resize(static_cast<std::size_t>(sqlite3_blob_bytes(impl_->blob)));
    read_open_blob(name, 0, out->size(), out->data());
    return true;
}

// The blob `name` open for reading in impl_->blob (kept open for the next read of the same
// blob); false when there is none.
bool Store::open_blob(const std::string& name) const {
    if (impl_->blob_name != name || !impl_->blob) {
        impl_->close_blob();
        if (!impl_->has_blobs)
            impl_->has_blobs = sqlite3_table_column_metadata(impl_->db, nullptr, "blobs", "data", nullptr, nullptr,
                                                             nullptr, nullptr, nullptr) == SQLITE_OK;
        if (!impl_->has_blobs) return false;  // a store made before named blobs
        Statement st(impl_->db, "SELECT id FROM blobs WHERE name = ?");
        st.bind(1, std::string_view(name));
        if (!st.step()) return false;
        if (sqlite3_blob_open(impl_->db, "main", "blobs", "data", st.int64(0), 0, &impl_->blob) != SQLITE_OK) {
            impl_->close_blob();
            DOPPEL_THROW(kStore, "cannot open blob " + name + ": " + sqlite3_errmsg(impl_->db));
        }
        impl_->blob_name = name;
    }
    return true;
}

void Store::read_open_blob(const std::string& name, std::size_t offset, std::size_t n, void* out) const {
    if (sqlite3_blob_read(impl_->blob, out, static_cast<int>(n), static_cast<int>(offset)) != SQLITE_OK) {
        impl_->close_blob();
        DOPPEL_THROW(kStore, "cannot read blob " + name + ": " + sqlite3_errmsg(impl_->db));
    }
}

int64_t Store::max_artifact_seq(const std::string& kind) const {
    // From the end of the seq order (max() over a filter that is not a key would read every row).
    const Impl::Place p = impl_->place(kind);
    Statement st(
        impl_->db,
        ("SELECT seq FROM " + p.table + " WHERE " + p.filter + " ORDER BY seq DESC LIMIT 1").c_str());
    st.bind_if_used(1, kind);
    return st.step() ? st.int64(0) : 0;
}

std::vector<std::string> Store::integrity_problems() const {
    std::vector<std::string> problems;
    Statement st(impl_->db, "PRAGMA integrity_check");
    while (st.step())
        if (const std::string line = st.text(0); line != "ok") problems.push_back(line);
    Statement fk(impl_->db, "PRAGMA foreign_key_check");
    while (fk.step())
        problems.push_back("row " + std::to_string(fk.int64(1)) + " of table " + fk.text(0) + " names a missing " +
                           fk.text(2));
    return problems;
}

std::vector<int64_t> Store::unreadable_paragraphs() const {
    std::vector<int64_t> bad;
    // length() of a blob counts bytes without converting the text.
    Statement st(impl_->db, ("SELECT seq, paragraphs, length(CAST(" + impl_->text_sql() +
                             " AS BLOB)) FROM documents ORDER BY seq").c_str());
    while (st.step()) {
        const std::optional<std::vector<Paragraph>> ps = store_detail::try_read_paragraphs(st.blob(1));
        const int64_t length = st.int64(2);
        const bool inside = ps && std::all_of(ps->begin(), ps->end(), [&](const Paragraph& p) {
                                return p.span.begin <= p.span.end && p.span.end <= length;
                            });
        if (!inside) bad.push_back(st.int64(0));
    }
    return bad;
}

std::vector<int64_t> Store::broken_copies() const {
    std::vector<int64_t> bad;
    if (!impl_->has_copies()) return bad;  // an older store read as it is
    Statement st(impl_->db,
                 "SELECT c.seq FROM documents c LEFT JOIN documents h ON h.seq = c.text_of "
                 "WHERE c.text_of IS NOT NULL AND (h.seq IS NULL OR h.text_of IS NOT NULL OR "
                 "h.content_hash != c.content_hash OR c.text != '') ORDER BY c.seq");
    while (st.step()) bad.push_back(st.int64(0));
    return bad;
}

std::size_t Store::copy_count() const {
    if (!impl_->has_copies()) return 0;
    Statement st(impl_->db, "SELECT count(*) FROM documents WHERE text_of IS NOT NULL");
    st.step();
    return static_cast<std::size_t>(st.int64(0));
}

namespace {
struct KeyedSeq {
    int64_t key, seq;
    auto operator<=>(const KeyedSeq&) const = default;
};

std::vector<KeyedSeq> read_keyed(sqlite3* db, const char* sql, bool compute) {
    std::vector<KeyedSeq> out;
    Statement st(db, sql);
    while (st.step()) out.push_back({compute ? id_key(st.blob(1)) : st.int64(1), st.int64(0)});
    std::sort(out.begin(), out.end());
    return out;
}

// Of documents sorted by (key, seq), the seqs of those whose id an earlier document of the same
// key has (ids shared by documents share a key; only a key that comes twice is read further).
std::vector<int64_t> later_of_shared_ids(sqlite3* db, const std::vector<KeyedSeq>& keyed) {
    std::vector<int64_t> out;
    Statement id_of(db, "SELECT id FROM documents WHERE seq = ?");
    auto read_id = [&](int64_t seq) {
        id_of.reset();
        id_of.bind(1, seq);
        return id_of.step() ? id_of.text(0) : std::string();
    };
    for (std::size_t i = 0; i < keyed.size();) {
        std::size_t j = i + 1;
        while (j < keyed.size() && keyed[j].key == keyed[i].key) ++j;
        for (std::size_t a = i + 1; a < j; ++a) {
            const std::string id = read_id(keyed[a].seq);
            for (std::size_t b = i; b < a; ++b)
                if (read_id(keyed[b].seq) == id) {
                    out.push_back(keyed[a].seq);
                    break;
                }
        }
        i = j;
    }
    return out;
}
}  // namespace

Store::IdKeyProblems Store::id_key_problems() const {
    IdKeyProblems p;
    if (!impl_->id_keys) return p;
    // The keys the documents should have, computed here, against those the tables hold, read in
    // one snapshot (a writer may commit meanwhile).
    std::vector<KeyedSeq> want, merged, fresh, unfiltered;
    read_snapshot([&] {
        want = read_keyed(impl_->db, "SELECT seq, id FROM documents", true);
        for (const char* table : impl_->merged_key_tables()) {
            std::vector<KeyedSeq> keys =
                read_keyed(impl_->db, (std::string("SELECT seq, key FROM ") + table).c_str(), false);
            (std::string_view(table) == "id_keys" ? p.keys.large : p.keys.middle) = keys.size();
            // Each table is read sorted (read_keyed): merged, not sorted again.
            const auto middle = static_cast<std::ptrdiff_t>(merged.size());
            merged.insert(merged.end(), keys.begin(), keys.end());
            std::inplace_merge(merged.begin(), merged.begin() + middle, merged.end());
        }
        fresh = read_keyed(impl_->db, "SELECT seq, key FROM id_keys_new", false);
        p.keys.fresh = fresh.size();
        p.duplicated = later_of_shared_ids(impl_->db, want);
        // A merged key that the filter lacks is not probed: not found.
        if (const IdKeyFilter* filter = impl_->current_key_filter()) {
            for (const KeyedSeq& k : merged)
                if (!filter->may_contain(k.key)) unfiltered.push_back(k);
        } else {
            p.no_filter = schema_version() >= 10;
        }
    });
    std::vector<KeyedSeq> have;
    std::merge(merged.begin(), merged.end(), fresh.begin(), fresh.end(), std::back_inserter(have));
    std::vector<KeyedSeq> missing, stray;
    std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(missing));
    std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(stray));
    for (const KeyedSeq& k : missing) p.unfindable.push_back(k.seq);
    std::vector<KeyedSeq> wanted_unfiltered;
    std::set_intersection(unfiltered.begin(), unfiltered.end(), want.begin(), want.end(),
                          std::back_inserter(wanted_unfiltered));
    for (const KeyedSeq& k : wanted_unfiltered) p.unfindable.push_back(k.seq);
    p.stray = stray.size();
    std::sort(p.unfindable.begin(), p.unfindable.end());
    p.unfindable.erase(std::unique(p.unfindable.begin(), p.unfindable.end()), p.unfindable.end());
    std::sort(p.duplicated.begin(), p.duplicated.end());
    return p;
}

void Store::rebuild_id_keys() {
    transaction([&] {
        impl::exec(impl_->db, kFillIdKeys);
        impl_->merged_keys = impl_->mid_keys = impl_->fresh_keys = -1;
        impl_->rebuild_key_filter();
    });
}

int Store::schema_version() const {
    const auto v = meta("schema_version");
    return v ? parse_schema_version(dir_, *v) : 0;
}

void Store::set_meta(const std::string& key, const std::string& value) {
    Statement st(impl_->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
    st.bind(1, std::string_view(key)).bind(2, std::string_view(value));
    st.step();
}

std::optional<std::string> Store::meta(const std::string& key) const {
    Statement st(impl_->db, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, std::string_view(key));
    if (!st.step()) return std::nullopt;
    return st.text(0);
}

}  // namespace doppel
