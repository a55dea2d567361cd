#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "doppel/error.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/verify.h"
#include "doppel/store/sketch_artifacts.h"
#include "doppel/store/store.h"
#include "store/id_key_filter.h"
#include "support/test_support.h"

using doppel::AnalyzedDocument;
using doppel::PutStatus;
using doppel::Store;
using doppel::test::TempDir;

namespace {
AnalyzedDocument make(const std::string& id, const std::string& text, const std::string& lang = "en") {
    AnalyzedDocument d;
    d.doc.id = id;
    d.doc.text = text;
    d.doc.source = id + ".txt";
    d.lang = lang;
    d.lang_confidence = 0.9f;
    d.paragraphs.push_back({{0, static_cast<uint32_t>(text.size())}, lang, 0.9f, false});
    d.other_languages = {"vi"};
    d.content_hash = doppel::content_hash(text);
    return d;
}

// A fresh store in a folder named after the test, and the documents most tests put in it.
class StoreTest : public ::testing::Test {
protected:
    // The first n of a "alpha", b "beta", c "gamma".
    static std::vector<AnalyzedDocument> abc(std::size_t n) {
        std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta"), make("c", "gamma")};
        docs.resize(n);
        return docs;
    }
    // Puts `docs` as added at `time`; their seqs.
    std::vector<int64_t> put(const std::vector<AnalyzedDocument>& docs, int64_t time = 100) {
        std::vector<int64_t> seqs;
        s.put(docs.size(), docs.data(), time, &seqs);
        return seqs;
    }

    TempDir dir{std::string("store-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()};
    Store s{dir.path()};
};
}  // namespace

TEST_F(StoreTest, PutIsIdempotentAndReplacesChangedText) {
    const std::vector<AnalyzedDocument> docs = abc(2);
    EXPECT_EQ(s.put(2, docs.data(), 100), (std::vector<PutStatus>{PutStatus::kAdded, PutStatus::kAdded}));
    EXPECT_EQ(s.put(2, docs.data(), 200), (std::vector<PutStatus>{PutStatus::kUnchanged, PutStatus::kUnchanged}));
    EXPECT_EQ(s.get("a")->added_at, 100);
    const int64_t old_seq = s.get("b")->seq;
    auto changed = make("b", "beta, second version");
    EXPECT_EQ(s.put(1, &changed, 300), (std::vector<PutStatus>{PutStatus::kReplaced}));
    auto b = s.get("b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->text, "beta, second version");
    EXPECT_GT(b->seq, old_seq);
    EXPECT_EQ(b->added_at, 300);
    EXPECT_EQ(s.size(), 2u);
    // put and expire tell the seqs they assigned or removed.
    std::vector<int64_t> seqs;
    auto c = make("c", "gamma");
    s.put(1, &c, 400, &seqs);
    ASSERT_EQ(seqs.size(), 1u);
    EXPECT_EQ(seqs[0], s.get("c")->seq);
    s.put(1, &c, 500, &seqs);  // unchanged: the existing seq
    EXPECT_EQ(seqs[0], s.get("c")->seq);
    std::vector<int64_t> expired;
    EXPECT_EQ(s.expire(350, &expired), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(expired.size(), 2u);
    EXPECT_EQ(expired[1], b->seq);
}

// Named blobs and metadata: an empty value (an empty string_view's data() may be null) is stored
// as an empty one, not refused as a NULL; remove_blobs_named() takes a prefix as it is, without
// LIKE's wildcards; remove_meta() removes one key.
TEST_F(StoreTest, EmptyBlobsAndRemovalsByName) {
    s.put_blob("lsh/1/0", std::string_view());
    s.put_blob("lsh/1/1", "x");
    s.put_blob("lsh_/1/0", "y");  // "_" is a wildcard of LIKE: must not be taken for "lsh/"
    s.put_blob("lsh:4x4/1/0", "z");
    s.put_blob("lsh0/1", "w");  // the name just past the prefix's range
    s.put_blob(std::string("\xff\xff/1"), "v");
    std::string blob = "before";
    ASSERT_TRUE(s.read_blob("lsh/1/0", &blob));
    EXPECT_EQ(blob, "");
    s.remove_blobs_named("lsh/");
    EXPECT_FALSE(s.read_blob("lsh/1/0", &blob));
    EXPECT_FALSE(s.read_blob("lsh/1/1", &blob));
    EXPECT_TRUE(s.read_blob("lsh_/1/0", &blob));
    EXPECT_TRUE(s.read_blob("lsh:4x4/1/0", &blob));
    EXPECT_TRUE(s.read_blob("lsh0/1", &blob));
    s.remove_blobs_named(std::string("\xff\xff"));  // a prefix with no name past it
    EXPECT_FALSE(s.read_blob(std::string("\xff\xff/1"), &blob));
    EXPECT_TRUE(s.read_blob("lsh0/1", &blob));
    s.set_meta("k", std::string());
    EXPECT_EQ(s.meta("k"), std::optional<std::string>(""));
    s.remove_meta("k");
    EXPECT_FALSE(s.meta("k").has_value());
}

// put()'s `absent` hint: an id said to be absent is not looked up, so one that is stored after
// all is stored a second time (nothing refuses it since schema 9), which verify names.
TEST_F(StoreTest, PutSkipsTheLookupOfIdsSaidAbsent) {
    const std::vector<int64_t> seqs = put(abc(1));
    const std::vector<AnalyzedDocument> bc = {make("b", "beta"), make("c", "gamma")};
    const std::vector<bool> absent = {true, false};
    std::vector<int64_t> got;
    EXPECT_EQ(s.put(2, bc.data(), 200, &got, &absent),
              (std::vector<PutStatus>{PutStatus::kAdded, PutStatus::kAdded}));
    EXPECT_EQ(got, (std::vector<int64_t>{seqs[0] + 1, seqs[0] + 2}));
    const std::vector<AnalyzedDocument> again = {make("d", "delta"), make("a", "alpha")};
    EXPECT_TRUE(s.id_key_problems().empty());
    // A wrong hint is not looked up: "a" is stored twice, which verify names (the later row).
    const std::vector<bool> wrong = {true, true};
    std::vector<int64_t> put_again;
    EXPECT_EQ(s.put(2, again.data(), 300, &put_again, &wrong),
              (std::vector<PutStatus>{PutStatus::kAdded, PutStatus::kAdded}));
    EXPECT_EQ(s.size(), 5u);
    const Store::IdKeyProblems p = s.id_key_problems();
    EXPECT_TRUE(p.unfindable.empty());
    EXPECT_EQ(p.stray, 0u);
    EXPECT_EQ(p.duplicated, (std::vector<int64_t>{put_again[1]}));
}

// versions(): the seq and content hash of each id asked, seq 0 for an id not stored.
TEST_F(StoreTest, VersionsGivesSeqAndContentHashPerId) {
    const std::vector<int64_t> seqs = put(abc(2));
    const auto v = s.versions({"b", "missing", "a"});
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].seq, seqs[1]);
    EXPECT_EQ(v[0].content_hash, doppel::content_hash("beta"));
    EXPECT_EQ(v[1].seq, 0);
    EXPECT_EQ(v[1].content_hash, "");
    EXPECT_EQ(v[2].seq, seqs[0]);
    EXPECT_EQ(v[2].content_hash, doppel::content_hash("alpha"));
    EXPECT_TRUE(s.versions({}).empty());
}

// read_texts(): the text of each stored seq asked, in the order asked; a seq not stored is skipped.
TEST_F(StoreTest, ReadTextsGivesTheTextsOfTheSeqsAsked) {
    const std::vector<int64_t> seqs = put(abc(3));
    std::vector<std::pair<int64_t, std::string>> got;
    s.read_texts({seqs[2], 9999, seqs[0]}, [&](int64_t seq, std::string_view text) { got.emplace_back(seq, text); });
    EXPECT_EQ(got, (std::vector<std::pair<int64_t, std::string>>{{seqs[2], "gamma"}, {seqs[0], "alpha"}}));
    // Seqs in order, most of their range (one range scan: the row between skipped), and a seq
    // asked twice (a lookup each).
    got.clear();
    s.read_texts({seqs[0], seqs[2]},
                 [&](int64_t seq, std::string_view text) { got.emplace_back(seq, text); });
    EXPECT_EQ(got, (std::vector<std::pair<int64_t, std::string>>{{seqs[0], "alpha"}, {seqs[2], "gamma"}}));
    got.clear();
    s.read_texts({seqs[1], seqs[1]},
                 [&](int64_t seq, std::string_view text) { got.emplace_back(seq, text); });
    EXPECT_EQ(got, (std::vector<std::pair<int64_t, std::string>>{{seqs[1], "beta"}, {seqs[1], "beta"}}));
}

// scan_keys(): every document's seq, id, source, url and content hash in seq order, as scan()
// gives them (those after a seq only, when given), and stops when asked; read_keys() the same of
// the seqs given; max_seq(): the largest seq (0 for an empty store), a deleted one's included
// only while it is stored.
TEST_F(StoreTest, ScanKeysGivesTheKeysOfEveryDocumentAndMaxSeqTheLastSeq) {
    EXPECT_EQ(s.max_seq(), 0);
    std::vector<AnalyzedDocument> docs = abc(3);
    docs[1].doc.url = "https://example.org/b";
    const std::vector<int64_t> seqs = put(docs);
    using Keys = std::tuple<int64_t, std::string, std::string, std::string, std::string>;
    std::vector<Keys> want, got;
    s.scan([&](doppel::StoredDocument& d) {
        return want.emplace_back(d.seq, d.id, d.source, d.url, d.content_hash), true;
    }, false);
    s.scan_keys([&](const Store::DocumentKeys& k) {
        got.emplace_back(k.seq, std::string(k.id), std::string(k.source), std::string(k.url),
                         std::string(k.content_hash));
        return true;
    });
    EXPECT_EQ(got, want);
    EXPECT_EQ(std::get<4>(got[0]), doppel::content_hash("alpha"));
    EXPECT_EQ(std::get<3>(got[1]), "https://example.org/b");
    EXPECT_EQ(std::get<2>(got[2]), "c.txt");
    std::size_t calls = 0;
    s.scan_keys([&](const Store::DocumentKeys&) { return ++calls < 2; });
    EXPECT_EQ(calls, 2u);
    // From a seq on, and by seqs in the order given (one not stored skipped).
    std::vector<Keys> after, by_seq;
    s.scan_keys(
        [&](const Store::DocumentKeys& k) {
            return after.emplace_back(k.seq, k.id, k.source, k.url, k.content_hash), true;
        },
        seqs[0]);
    EXPECT_EQ(after, std::vector<Keys>(want.begin() + 1, want.end()));
    s.read_keys({seqs[2], 9999, seqs[0]}, [&](const Store::DocumentKeys& k) {
        by_seq.emplace_back(k.seq, k.id, k.source, k.url, k.content_hash);
    });
    EXPECT_EQ(by_seq, (std::vector<Keys>{want[2], want[0]}));
    by_seq.clear();  // seqs in order, most of their range: one range scan, the others skipped
    s.read_keys({seqs[0], seqs[2]}, [&](const Store::DocumentKeys& k) {
        by_seq.emplace_back(k.seq, k.id, k.source, k.url, k.content_hash);
    });
    EXPECT_EQ(by_seq, (std::vector<Keys>{want[0], want[2]}));
    EXPECT_EQ(s.max_seq(), seqs[2]);
    ASSERT_TRUE(s.remove("c"));
    EXPECT_EQ(s.max_seq(), seqs[1]);
}

// read_keys() with texts: each row's keys and text in one read, a copy's text from the document
// that holds it (schema 8), in the order asked, by lookups or one range scan alike; without, no text.
TEST_F(StoreTest, ReadKeysWithTextsGivesEachDocumentsKeysAndText) {
    std::vector<AnalyzedDocument> docs = abc(3);
    docs.push_back(make("d", "alpha"));
    const std::vector<int64_t> seqs = put(docs);
    int64_t holder = 0;
    s.read_texts({seqs[3]}, [&](int64_t, std::string_view, int64_t h) { holder = h; });
    ASSERT_EQ(holder, seqs[0]);  // the copy's text is held by a
    using Row = std::tuple<int64_t, std::string, std::string, std::string>;
    for (const std::vector<int64_t>& asked :
         {std::vector<int64_t>{seqs[3], 9999, seqs[1]}, std::vector<int64_t>{seqs[0], seqs[1], seqs[3]}}) {
        std::vector<Row> got, bare;
        s.read_keys(
            asked, [&](const Store::DocumentKeys& k) { got.emplace_back(k.seq, k.id, k.source, k.text); },
            true);
        s.read_keys(asked,
                    [&](const Store::DocumentKeys& k) { bare.emplace_back(k.seq, k.id, k.source, k.text); });
        std::vector<Row> want, want_bare;
        for (int64_t seq : asked) {
            const auto d = s.get_by_seq(seq);
            if (!d) continue;
            want.emplace_back(seq, d->id, d->source, d->text);
            want_bare.emplace_back(seq, d->id, d->source, "");
        }
        EXPECT_EQ(got, want);
        EXPECT_EQ(bare, want_bare);
        EXPECT_EQ(std::get<3>(got[0]), asked[0] == seqs[3] ? "alpha" : std::get<3>(want[0]));
    }
}

// The per-item reads run in one read transaction of their own (or the caller's): one that a
// callback leaves by throwing is ended, so the store takes writes and other readers see them.
TEST_F(StoreTest, APerItemReadLeftByAnExceptionEndsItsTransaction) {
    const std::vector<int64_t> seqs = put(abc(2));
    s.put_artifacts("k", 1, seqs.data(), std::vector<std::string>{"blob"}.data());
    EXPECT_THROW(s.read_texts(seqs, [](int64_t, std::string_view) { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    EXPECT_THROW(s.read_artifacts("k", seqs, [](int64_t, std::string_view) { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    std::vector<AnalyzedDocument> more = {make("c", "gamma")};
    EXPECT_EQ(s.put(1, more.data(), 100)[0], PutStatus::kAdded);  // not inside a transaction left open
    Store other(dir.path());
    EXPECT_EQ(other.versions({"a", "c", "z"})[1].content_hash, doppel::content_hash("gamma"));
    // Inside a caller's transaction the reads join it and see its writes.
    s.transaction([&] {
        std::vector<AnalyzedDocument> d = {make("d", "delta")};
        std::vector<int64_t> dseq;
        s.put(1, d.data(), 100, &dseq);
        std::string text;
        s.read_texts(dseq, [&](int64_t, std::string_view t) { text = t; });
        EXPECT_EQ(text, "delta");
        EXPECT_EQ(s.documents_missing("k", dseq), dseq);
    });
    EXPECT_EQ(other.size(), 4u);
}

TEST(Store, RoundTripsEveryFieldAcrossReopen) {
    TempDir dir("store-reopen");
    {
        Store s(dir.path());
        auto d = make("doc/1", "xin chào\nhello", "vi");
        d.doc.url = "https://example.test/1";
        d.doc.title = "Title";
        s.put(1, &d, 42);
        s.set_meta("specs", "x");
    }
    Store s(dir.path(), doppel::StoreOptions{false, true});
    auto d = s.get("doc/1");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->lang, "vi");
    EXPECT_EQ(d->url, "https://example.test/1");
    EXPECT_EQ(d->title, "Title");
    EXPECT_EQ(d->text, "xin chào\nhello");
    ASSERT_EQ(d->paragraphs.size(), 1u);
    EXPECT_EQ(d->paragraphs[0].lang, "vi");
    EXPECT_EQ(d->other_languages, (std::vector<std::string>{"vi"}));
    EXPECT_EQ(*s.meta("schema_version"), std::to_string(Store::kSchemaVersion));
    EXPECT_EQ(*s.meta("specs"), "x");
    EXPECT_FALSE(s.get("nope"));
}

TEST_F(StoreTest, ArtifactsAreDeletedWithTheirDocument) {
    const std::vector<int64_t> seqs = put(abc(2), 1);
    const std::string blobs[2] = {std::string("A\0x", 3), "B"};
    s.put_artifacts("sketch", 2, seqs.data(), blobs);
    EXPECT_EQ(*s.artifact(seqs[0], "sketch"), std::string("A\0x", 3));
    // Put again: replaced, one row per (kind, seq).
    const std::string again = "A2";
    s.put_artifacts("sketch", 1, seqs.data(), &again);
    EXPECT_EQ(*s.artifact(seqs[0], "sketch"), "A2");
    EXPECT_EQ(*s.artifact(seqs[1], "sketch"), "B");
    EXPECT_EQ(s.artifact_count("sketch"), 2u);
    // The same from views into one buffer.
    const std::string buffer = "xyB3";
    const std::string_view views[2] = {std::string_view(buffer).substr(0, 2), std::string_view(buffer).substr(2)};
    s.put_artifacts("sketch", 2, seqs.data(), views);
    EXPECT_EQ(*s.artifact(seqs[0], "sketch"), "xy");
    EXPECT_EQ(*s.artifact(seqs[1], "sketch"), "B3");
    s.put_artifacts("sketch", 2, seqs.data(), blobs);
    EXPECT_TRUE(s.remove("a"));
    EXPECT_FALSE(s.remove("a"));
    EXPECT_FALSE(s.artifact(seqs[0], "sketch"));
    int n = 0;
    s.scan_artifacts("sketch", [&](int64_t seq, std::string_view blob) {
        EXPECT_EQ(seq, seqs[1]);
        EXPECT_EQ(blob, "B");
        ++n;
    });
    EXPECT_EQ(n, 1);
}

TEST_F(StoreTest, ExpireDeletesOldDocuments) {
    auto a = make("old", "old text"), b = make("new", "new text");
    s.put(1, &a, 1000);
    s.put(1, &b, 5000);
    EXPECT_EQ(s.expire(2000), (std::vector<std::string>{"old"}));
    EXPECT_EQ(s.size(), 1u);
    EXPECT_TRUE(s.get("new"));
}

TEST_F(StoreTest, FailedTransactionLeavesTheStoreAsItWas) {
    auto a = make("a", "alpha");
    s.put(1, &a, 1);
    EXPECT_THROW(s.transaction([&] {
        auto b = make("b", "beta");
        s.put(1, &b, 2);
        throw std::runtime_error("disk full");
    }), std::runtime_error);
    EXPECT_EQ(s.size(), 1u);
    EXPECT_FALSE(s.get("b"));
}

// size() gives its last count again only while nothing can have changed it: it follows this
// connection's puts, removals and a rolled-back transaction (counted inside it, then undone),
// and another connection's commits.
TEST_F(StoreTest, TheCountOfDocumentsFollowsEveryChange) {
    put(abc(2));
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(s.size(), 2u);
    put(abc(3));
    EXPECT_EQ(s.size(), 3u);
    EXPECT_TRUE(s.remove("a"));
    EXPECT_EQ(s.size(), 2u);
    EXPECT_THROW(s.transaction([&] {
        put({make("d", "delta")});
        EXPECT_EQ(s.size(), 3u);
        throw std::runtime_error("disk full");
    }),
                 std::runtime_error);
    EXPECT_EQ(s.size(), 2u);
    {
        Store other(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("e", "epsilon"), make("f", "phi")};
        other.put(docs.size(), docs.data(), 100);
    }
    EXPECT_EQ(s.size(), 4u);
}

namespace {
std::string journal_mode(const std::string& dir) {
    sqlite3* db = nullptr;
    sqlite3_open_v2((dir + "/" + Store::kDatabaseFile).c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    std::string mode = sqlite3_step(st) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) : "";
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    return mode;
}
}  // namespace

// The journal of a store's creation is kept between its transactions (PERSIST), its header zeroed
// by each commit: a writer killed between two transactions leaves it, and a killed one inside a
// transaction leaves it hot; readers read the commits in both cases.
TEST(Store, ACreationKilledBetweenTransactionsKeepsItsCommitsForReaders) {
    TempDir dir("store-journal-kept");
    doppel::StoreOptions created;
    created.journal_at_creation = true;
    const std::string journal = dir.path() + "/" + Store::kDatabaseFile + "-journal";
    auto killed = [](const std::function<void()>& work) {
        const pid_t child = fork();
        if (child == 0) {
            work();
            kill(getpid(), SIGKILL);
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        return child > 0 && WIFSIGNALED(status);
    };
    ASSERT_TRUE(killed([&] {
        Store s(dir.path(), created);
        auto a = make("a", "alpha");
        auto b = make("b", "beta");
        s.put(1, &a, 1);
        s.put(1, &b, 1);
        kill(getpid(), SIGKILL);  // the store still open, between transactions
    }));
    ASSERT_TRUE(std::filesystem::exists(journal));
    EXPECT_GT(std::filesystem::file_size(journal), 0u);
    {
        Store reader(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(reader.size(), 2u);
        EXPECT_EQ(reader.get("b")->text, "beta");
    }
    // A writer of the same kind killed inside a transaction whose pages reached the file.
    ASSERT_TRUE(killed([&] {
        sqlite3* db = nullptr;
        sqlite3_open((dir.path() + "/" + Store::kDatabaseFile).c_str(), &db);
        sqlite3_exec(db, "PRAGMA journal_mode = PERSIST; PRAGMA cache_size = -64; BEGIN IMMEDIATE", nullptr,
                     nullptr, nullptr);
        for (int i = 0; i < 100; ++i)
            sqlite3_exec(
                db,
                ("INSERT INTO meta VALUES('k" + std::to_string(i) + "', printf('%.*c', 20000, 'x'))").c_str(),
                nullptr, nullptr, nullptr);
    }));
    Store reader(dir.path(), doppel::StoreOptions{false, true});
    EXPECT_EQ(reader.size(), 2u);
    EXPECT_FALSE(reader.meta("k0"));
}

// A store created with a rollback journal (StoreOptions::journal_at_creation) and its writer
// killed inside a transaction: a read-only opening rolls the transaction back and reads every
// committed document; use_wal() and the next opening for writing turn the log on.
TEST(Store, ACreationKilledInATransactionIsRolledBackByAReader) {
    TempDir dir("store-journal-killed");
    doppel::StoreOptions created;
    created.journal_at_creation = true;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        {
            Store s(dir.path(), created);
            auto a = make("a", "alpha");
            s.put(1, &a, 1);
        }
        // The writer's connection, with a page cache small enough that pages reach the file.
        sqlite3* db = nullptr;
        sqlite3_open((dir.path() + "/" + Store::kDatabaseFile).c_str(), &db);
        sqlite3_exec(db, "PRAGMA cache_size = -64; BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
        for (int i = 0; i < 100; ++i)
            sqlite3_exec(db, ("INSERT INTO meta VALUES('k" + std::to_string(i) + "', printf('%.*c', 20000, 'x'))").c_str(),
                         nullptr, nullptr, nullptr);
        kill(getpid(), SIGKILL);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_TRUE(std::filesystem::exists(dir.path() + "/" + Store::kDatabaseFile + "-journal"));
    {
        Store reader(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(reader.size(), 1u);
        EXPECT_TRUE(reader.get("a"));
        EXPECT_FALSE(reader.meta("k0"));
        EXPECT_FALSE(reader.use_wal());  // read-only
    }
    EXPECT_EQ(journal_mode(dir.path()), "delete");
    Store again(dir.path(), created);  // not created now: the log
    EXPECT_EQ(journal_mode(dir.path()), "wal");
    TempDir fresh("store-journal-fresh");
    Store s(fresh.path(), created);
    auto a = make("a", "alpha");
    s.put(1, &a, 1);
    EXPECT_EQ(journal_mode(fresh.path()), "delete");
    EXPECT_TRUE(s.use_wal());
    EXPECT_EQ(journal_mode(fresh.path()), "wal");
    EXPECT_EQ(s.get("a")->text, "alpha");
}

// A store created with the journal (StoreOptions::journal_at_creation, `doppel index`) commits
// its tables with its first transaction: nothing reaches the file before it (one commit, three
// fsyncs, less before the first batch). A first transaction that throws undoes its own writes
// only, and a store closed before any transaction keeps its tables.
TEST(Store, ACreatedStoresTablesCommitWithItsFirstTransaction) {
    doppel::StoreOptions created;
    created.journal_at_creation = true;
    auto file_size = [](const TempDir& d) { return std::filesystem::file_size(d.path() + "/" + Store::kDatabaseFile); };
    auto a = make("a", "alpha"), b = make("b", "beta");
    TempDir dir("store-creation-first");
    {
        Store s(dir.path(), created);
        EXPECT_TRUE(s.use_journal());  // created with it
        EXPECT_EQ(file_size(dir), 0u);
        s.put(1, &a, 1);
        EXPECT_GT(file_size(dir), 0u);
        Store reader(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(reader.size(), 1u);
        s.put(1, &b, 1);  // later transactions commit as before
        EXPECT_EQ(reader.size(), 2u);
    }
    TempDir failed("store-creation-failed");
    {
        Store s(failed.path(), created);
        EXPECT_THROW(s.transaction([&] {
            s.put(1, &a, 1);
            throw std::runtime_error("disk full");
        }), std::runtime_error);
        EXPECT_EQ(s.size(), 0u);
        EXPECT_EQ(Store(failed.path(), doppel::StoreOptions{false, true}).size(), 0u);  // the tables are there
        s.put(1, &b, 1);
        EXPECT_TRUE(s.use_wal());
    }
    EXPECT_EQ(Store(failed.path(), doppel::StoreOptions{false, true}).get("b")->text, "beta");
    TempDir unused("store-creation-unused");
    { Store s(unused.path(), created); }
    EXPECT_EQ(Store(unused.path(), doppel::StoreOptions{false, true}).size(), 0u);
}

// release_cache() lets go of the pages a committed transaction left in SQLite's cache (a
// bulk writer's between its batches), and of none inside a transaction.
TEST(Store, ReleaseCacheLetsGoOfCommittedPages) {
    doppel::StoreOptions created;
    created.journal_at_creation = true;
    TempDir dir("store-release-cache");
    Store s(dir.path(), created);
    std::vector<AnalyzedDocument> docs;
    for (int i = 0; i < 200; ++i)  // distinct texts: a copy's would be stored once (schema 8)
        docs.push_back(make("d" + std::to_string(i), std::string(4000, 'a' + i % 26) + std::to_string(i)));
    s.transaction([&] {
        s.put(docs.size(), docs.data(), 1);
        const std::size_t written = s.cache_bytes();
        s.release_cache();
        EXPECT_EQ(s.cache_bytes(), written);  // the transaction's pages stay until its commit
    });
    const std::size_t committed = s.cache_bytes();
    EXPECT_GT(committed, std::size_t{200 * 4000});
    s.release_cache();
    EXPECT_LT(s.cache_bytes(), committed / 4);
    EXPECT_EQ(s.get("d7")->text, std::string(4000, 'h') + "7");
}

// A store being created (StoreOptions::journal_at_creation) and given to use_journal() (`doppel
// index` of a store for duplicates) has a small page cache: a large transaction's pages reach the
// file before its commit (spilled), so the heap of its writer stays small. Without use_journal()
// (a store for all), or for an existing store switched by it, a transaction's pages stay in the
// cache until the commit (no reader is held off by a spill).
TEST(Store, ANewStoreForBulkWritesSpillsItsPagesOthersKeepThemUntilTheCommit) {
    doppel::StoreOptions created;
    created.journal_at_creation = true;
    auto file_size = [](const TempDir& d) { return std::filesystem::file_size(d.path() + "/" + Store::kDatabaseFile); };
    auto put_4mb = [](Store& s, const std::string& prefix) {
        for (int i = 0; i < 105; ++i) {
            auto d = make(prefix + std::to_string(i), std::string(40000, static_cast<char>('a' + i % 26)));
            s.put(1, &d, 1);
        }
    };
    TempDir dir("store-creation-spill");
    {
        Store s(dir.path(), created);
        ASSERT_TRUE(s.use_journal());
        s.transaction([&] {
            put_4mb(s, "new");
            EXPECT_GT(file_size(dir), 0u);  // spilled: a new store's file is empty until its first commit
        });
    }
    TempDir all("store-creation-kept");
    {
        Store s(all.path(), created);
        s.transaction([&] {
            put_4mb(s, "new");
            EXPECT_EQ(file_size(all), 0u);
        });
        EXPECT_GT(file_size(all), 4'000'000u);
    }
    Store s(dir.path());
    ASSERT_TRUE(s.use_journal());
    const auto before = file_size(dir);
    s.transaction([&] {
        put_4mb(s, "more");
        EXPECT_EQ(file_size(dir), before);
    });
    EXPECT_GT(file_size(dir), before + 4'000'000u);
    EXPECT_EQ(s.size(), 210u);
}

// Store::use_journal() switches an existing store to the rollback journal when no other
// connection has it open, and use_wal() turns the log on again; where a reader has the store
// open, it stays in the log (SQLite refuses the switch at once). Meanwhile a reader reads the
// committed state, and a writer opened while the journal's writer is inside a transaction waits
// for its commit, then writes (its switch to the log refused meanwhile).
TEST(Store, UseJournalSwitchesAnExistingStoreWhenNoOneElseHasItOpen) {
    TempDir dir("store-journal-existing");
    auto a = make("a", "alpha"), b = make("b", "beta"), c = make("c", "gamma");
    { Store(dir.path()).put(1, &a, 1); }
    EXPECT_EQ(journal_mode(dir.path()), "wal");
    {
        Store s(dir.path());
        EXPECT_TRUE(s.use_journal());
        EXPECT_EQ(journal_mode(dir.path()), "delete");
        std::size_t seen_by_other = 0;
        std::thread opener;
        s.transaction([&] {
            s.put(1, &b, 2);
            const Store reader(dir.path(), doppel::StoreOptions{false, true});
            EXPECT_EQ(reader.size(), 1u);  // reads the committed state meanwhile
            opener = std::thread([&] { seen_by_other = Store(dir.path()).size(); });
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        });
        opener.join();
        EXPECT_EQ(seen_by_other, 2u);
        EXPECT_TRUE(s.use_wal());
        EXPECT_EQ(journal_mode(dir.path()), "wal");
    }
    {
        const Store reader(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(reader.size(), 2u);
        Store s(dir.path());
        EXPECT_FALSE(s.use_journal());
        EXPECT_EQ(journal_mode(dir.path()), "wal");
        s.put(1, &c, 3);
        EXPECT_EQ(reader.size(), 3u);
    }
}

TEST(Store, RefusesForeignOrNewerDatabases) {
    TempDir dir("store-foreign");
    {
        sqlite3* db = nullptr;
        sqlite3_open((dir / "doppel.sqlite").c_str(), &db);
        sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    EXPECT_THROW(Store s(dir.path()), doppel::Error);
    TempDir dir2("store-newer");
    {
        Store s(dir2.path());
        s.set_meta("schema_version", "999");
    }
    try {
        Store s(dir2.path());
        FAIL() << "expected an error";
    } catch (const doppel::Error& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
    }
    EXPECT_THROW(Store s(dir.path() + "/missing", doppel::StoreOptions{false, false}), doppel::Error);
}

TEST(Store, LeavesAnotherProgramsDatabaseAsItWas) {
    TempDir dir("store-foreign-untouched");
    const std::string file = dir / "doppel.sqlite";
    {
        sqlite3* db = nullptr;
        sqlite3_open(file.c_str(), &db);
        sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    const std::string before = doppel::test::read_file(file);
    EXPECT_THROW(Store s(dir.path()), doppel::Error);
    EXPECT_EQ(doppel::test::read_file(file), before);  // not switched to WAL (header bytes 18, 19)
    EXPECT_FALSE(std::filesystem::exists(file + "-wal"));
    sqlite3* db = nullptr;
    sqlite3_open(file.c_str(), &db);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "delete");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST(Store, ABadSchemaVersionIsNamed) {
    TempDir dir("store-bad-version");
    {
        Store s(dir.path());
        s.set_meta("schema_version", "x");
    }
    for (bool read_only : {false, true}) {
        try {
            Store s(dir.path(), doppel::StoreOptions{true, read_only});
            FAIL() << "expected an error";
        } catch (const doppel::Error& e) {
            EXPECT_EQ(e.code(), doppel::ErrorCode::kBadFormat);
            EXPECT_EQ(std::string(e.what()), "store " + dir.path() + ": schema version 'x' is not a number");
        }
    }
}

namespace {
// Runs `sql` on the store's database file directly; its first result as text ("" if none).
std::string raw_sql(const std::string& dir, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir + "/doppel.sqlite").c_str(), &db), SQLITE_OK);
    std::string first;
    auto keep_first = [](void* out, int n, char** values, char**) {
        auto* s = static_cast<std::string*>(out);
        if (s->empty() && n > 0 && values[0]) *s = values[0];
        return 0;
    };
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), keep_first, &first, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
    sqlite3_close(db);
    return first;
}

// Store options that merge the id keys once `rows` new ones are there (tests of the merges).
doppel::StoreOptions merging_every(std::size_t rows) {
    doppel::StoreOptions options;
    options.id_merge_rows = rows;
    return options;
}

// verify_store's finding at `at` for the store in `dir`, which names `check` and fails there.
doppel::VerifyFinding failed_finding(const std::string& dir, std::size_t at, const std::string& check) {
    const doppel::StoreVerification v = doppel::verify_store(dir);
    EXPECT_FALSE(v.healthy);
    EXPECT_EQ(v.findings.size(), 8u);
    if (at >= v.findings.size()) return {};
    EXPECT_EQ(v.findings[at].check, check);
    EXPECT_FALSE(v.findings[at].ok);
    return v.findings[at];
}

}  // namespace

// The near-duplicate sketches of a document are its row of `sketches` (minhash, shingles) and of
// `line_summaries`; other kinds rows of `artifacts`; all read through the same calls, and deleted
// with their document.
TEST_F(StoreTest, SketchKindsShareOneRowADocument) {
    const std::vector<int64_t> seqs = put(abc(3));
    const std::vector<std::string> kinds = {"lines", "minhash", "shingles"};
    const std::vector<std::string_view> blobs = {"La", "Lb", "Ma", "Mb", "Sa", "Sb"};
    s.put_artifacts(kinds, 2, seqs.data(), blobs.data());
    s.put_artifacts("features/bridge", 1, seqs.data(), std::vector<std::string>{"Fa"}.data());
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM sketches"), "2");
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(lines) FROM line_summaries"), "La,Lb");
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(kind) FROM artifacts"), "features/bridge");
    EXPECT_EQ(*s.artifact(seqs[1], "minhash"), "Mb");
    EXPECT_EQ(s.artifact_kinds(),
              (std::vector<std::string>{"features/bridge", "lines", "minhash", "shingles"}));
    EXPECT_EQ(s.documents_missing("shingles"), (std::vector<int64_t>{seqs[2]}));
    // One kind alone updates its column of the row, or starts a row.
    s.put_artifacts("shingles", 1, &seqs[2], std::vector<std::string>{"Sc"}.data());
    EXPECT_EQ(s.documents_missing("shingles"), std::vector<int64_t>{});
    EXPECT_EQ(s.documents_missing("minhash"), (std::vector<int64_t>{seqs[2]}));
    EXPECT_EQ(s.artifact_count("minhash"), 2u);
    EXPECT_EQ(s.max_artifact_seq("shingles"), seqs[2]);
    EXPECT_EQ(s.max_artifact_seq("minhash"), seqs[1]);
    std::string scanned;
    s.scan_artifacts("lines", [&](int64_t, std::string_view b) { scanned += b; });
    EXPECT_EQ(scanned, "LaLb");
    EXPECT_TRUE(s.remove("a"));
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM sketches"), "2");
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM line_summaries"), "1");
    EXPECT_FALSE(s.artifact(seqs[0], "lines"));
    EXPECT_FALSE(s.artifact(seqs[0], "features/bridge"));
}

// Several kinds of a range of seqs in one pass: each seq with one of them at least, once, its
// kinds side by side (nullopt where it has none); the same whether the kinds share a row
// (minhash, shingles), are in two tables (lines) or rows of `artifacts`; an empty blob is there.
TEST_F(StoreTest, SeveralKindsAreScannedTogetherBySeq) {
    const std::vector<int64_t> seqs = put(abc(4));
    s.put_artifacts(std::vector<std::string>{"minhash", "shingles"}, 2, seqs.data(),
                    std::vector<std::string_view>{"Ma", "Mb", "Sa", ""}.data());
    s.put_artifacts("shingles", 1, &seqs[2], std::vector<std::string>{"Sc"}.data());
    s.put_artifacts("lines", 1, &seqs[3], std::vector<std::string>{"Ld"}.data());
    s.put_artifacts("features/x", 1, &seqs[1], std::vector<std::string>{"Fb"}.data());
    auto scan = [&](const std::vector<std::string>& kinds, int64_t from, int64_t to) {
        std::string out;
        s.scan_artifacts(kinds, from, to, [&](int64_t seq, const std::optional<std::string_view>* blobs) {
            out += std::to_string(seq - seqs[0]) + ":";
            for (std::size_t k = 0; k < kinds.size(); ++k) out += blobs[k] ? "[" + std::string(*blobs[k]) + "]" : "-";
            out += " ";
        });
        return out;
    };
    EXPECT_EQ(scan({"minhash", "shingles"}, seqs[0], seqs[3]), "0:[Ma][Sa] 1:[Mb][] 2:-[Sc] ");
    EXPECT_EQ(scan({"minhash", "shingles"}, seqs[1], seqs[1]), "1:[Mb][] ");
    EXPECT_EQ(scan({"shingles", "lines"}, seqs[0], seqs[3]), "0:[Sa]- 1:[]- 2:[Sc]- 3:-[Ld] ");
    EXPECT_EQ(scan({"features/x", "minhash"}, seqs[0], seqs[3]), "0:-[Ma] 1:[Fb][Mb] ");
    EXPECT_EQ(scan({"lines"}, seqs[0], seqs[2]), "");
}

// A store opened for one thread (no SQLite mutex per call) reads and writes as any other, for
// writing and read-only.
TEST(Store, OpenedForOneThreadReadsAndWritesAsUsual) {
    TempDir dir("store-one-thread");
    doppel::StoreOptions one;
    one.one_thread = true;
    std::vector<int64_t> seqs;
    {
        Store s(dir.path(), one);
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta")};
        s.put(docs.size(), docs.data(), 100, &seqs);
        s.put_artifacts("lines", 1, &seqs[1], std::vector<std::string>{"Lb"}.data());
    }
    one.read_only = true;
    one.create = false;
    const Store ro(dir.path(), one);
    EXPECT_EQ(ro.size(), 2u);
    EXPECT_EQ(ro.get("b", true)->text, "beta");
    EXPECT_EQ(*ro.artifact(seqs[1], "lines"), "Lb");
    EXPECT_THROW(Store(dir.path() + "/missing", one), doppel::Error);
}

// A version-3 store (no "shingle_set" column) is read as holding no set keys when opened
// read-only, and gets the column, no row rewritten, when opened for writing.
TEST(Store, AVersionThreeStoreIsReadWithoutSetKeysAndGetsTheirColumnForWriting) {
    TempDir dir("store-v3");
    std::vector<int64_t> seqs;
    {
        Store s(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta")};
        s.put(docs.size(), docs.data(), 100, &seqs);
        s.put_artifacts("lines", 2, seqs.data(), std::vector<std::string>{"La", "Lb"}.data());
    }
    raw_sql(dir.path(),
            "ALTER TABLE line_summaries DROP COLUMN shingle_set; UPDATE meta SET value = '3' WHERE key = "
            "'schema_version'");
    auto scan = [&](const Store& s) {
        std::string out;
        s.scan_artifacts(std::vector<std::string>{"lines", "shingle_set"}, seqs[0], seqs[1],
                         [&](int64_t seq, const std::optional<std::string_view>* blobs) {
                             out += std::to_string(seq - seqs[0]) + ":";
                             for (int k = 0; k < 2; ++k) out += blobs[k] ? "[" + std::string(*blobs[k]) + "]" : "-";
                             out += " ";
                         });
        return out;
    };
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 3);
        EXPECT_FALSE(ro.artifact(seqs[0], "shingle_set"));
        EXPECT_EQ(ro.max_artifact_seq("shingle_set"), 0);
        EXPECT_EQ(scan(ro), "0:[La]- 1:[Lb]- ");
        EXPECT_EQ(ro.artifact_kinds(), std::vector<std::string>{"lines"});
    }
    {
        Store s(dir.path());
        EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
        EXPECT_EQ(s.documents_missing("shingle_set"), seqs);
        s.put_artifacts("shingle_set", 1, &seqs[1], std::vector<std::string>{"Kb"}.data());
        EXPECT_EQ(scan(s), "0:[La]- 1:[Lb][Kb] ");
        EXPECT_EQ(s.max_artifact_seq("shingle_set"), seqs[1]);
    }
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM line_summaries"), "2");
    const Store again(dir.path(), doppel::StoreOptions{false, true});
    EXPECT_EQ(*again.artifact(seqs[1], "shingle_set"), "Kb");
}

// Schema 7 writes a document's paragraphs as a blob. A version-6 store (JSON paragraphs) is read
// as it is, and opened for writing gets version 7 with no row rewritten: its JSON rows and the
// blobs written since are read alike.
TEST(Store, AVersionSixStoresJsonParagraphsAreReadAndItGetsVersionSevenForWriting) {
    TempDir dir("store-v6");
    {
        Store s(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta", "de")};
        s.put(docs.size(), docs.data(), 100);
    }
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(typeof(paragraphs)) FROM documents"), "blob,blob");
    raw_sql(dir.path(),
            "UPDATE documents SET paragraphs = '[[0,5,\"en\",0.8999999761581421,false]]' WHERE id = 'a'; "
            "UPDATE meta SET value = '6' WHERE key = 'schema_version'");
    auto paragraphs = [](const Store& s, const std::string& id) {
        std::string out;
        const auto d = s.get(id);
        for (const auto& p : d->paragraphs)
            out += std::to_string(p.span.begin) + "-" + std::to_string(p.span.end) + " " + p.lang + " " +
                   std::to_string(p.lang_confidence) + (p.lang_inherited ? " inherited" : "") + ";";
        return out;
    };
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 6);
        EXPECT_EQ(paragraphs(ro, "a"), "0-5 en 0.900000;");
        EXPECT_EQ(paragraphs(ro, "b"), "0-4 de 0.900000;");
    }
    {
        Store s(dir.path());
        EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
        const AnalyzedDocument c = make("c", "gamma", "fr");
        s.put(1, &c, 100);
        EXPECT_EQ(paragraphs(s, "a"), "0-5 en 0.900000;");
        EXPECT_EQ(paragraphs(s, "c"), "0-5 fr 0.900000;");
    }
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(typeof(paragraphs)) FROM documents"), "text,blob,blob");
}

// artifact_seqs() gives the documents holding a kind, in seq order, whatever the other kinds
// beside it (it reads the covering index of (seq, kind), not the rows' blobs), and none for a
// kind no document holds.
TEST_F(StoreTest, ArtifactSeqsAreTheDocumentsHoldingTheKindInOrder) {
    std::vector<AnalyzedDocument> docs = abc(3);
    docs.push_back(make("d", "delta"));
    docs.push_back(make("e", "epsilon"));
    const std::vector<int64_t> seqs = put(docs);
    ASSERT_EQ(seqs.size(), 5u);
    const std::string big(100000, 'x');
    s.put_artifacts("features/x", 1, &seqs[3], &big);
    s.put_artifacts("features/x", 1, &seqs[0], std::vector<std::string>{"F0"}.data());
    s.put_artifacts("mlang/x", 2, &seqs[2], std::vector<std::string>{"en", "de"}.data());
    s.put_artifacts("features/x", 1, &seqs[4], std::vector<std::string>{""}.data());
    EXPECT_EQ(s.artifact_seqs("features/x"), (std::vector<int64_t>{seqs[0], seqs[3], seqs[4]}));
    EXPECT_EQ(s.artifact_seqs("mlang/x"), (std::vector<int64_t>{seqs[2], seqs[3]}));
    EXPECT_TRUE(s.artifact_seqs("features/y").empty());
}

// read_artifacts(): the artifacts of the seqs asked, in the order asked, a seq without one left
// out; seqs in order over most of their range by one range scan (the row between not given), a
// seq asked twice by a lookup each; the same for a kind kept in the artifacts table and a kind
// kept as a column of the sketch tables.
TEST_F(StoreTest, ReadArtifactsGivesThoseOfTheSeqsAsked) {
    std::vector<AnalyzedDocument> docs = abc(3);
    docs.push_back(make("d", "delta"));
    const std::vector<int64_t> seqs = put(docs);
    const std::vector<std::string> others = {"O0", "O1", "O2", "O3"};
    s.put_artifacts("features/y", 4, seqs.data(), others.data());  // beside them, never given
    for (const std::string kind : {"features/x", doppel::kLinesArtifact}) {
        const std::vector<std::string> blobs = {"B0", "B1", "B2"};
        s.put_artifacts(kind, 3, seqs.data(), blobs.data());
        using Got = std::vector<std::pair<int64_t, std::string>>;
        Got got;
        const auto take = [&](int64_t seq, std::string_view blob) { got.emplace_back(seq, blob); };
        s.read_artifacts(kind, {seqs[2], 9999, seqs[0], seqs[3]}, take);
        EXPECT_EQ(got, (Got{{seqs[2], "B2"}, {seqs[0], "B0"}})) << kind;
        got.clear();
        s.read_artifacts(kind, {seqs[0], seqs[2], seqs[3]}, take);
        EXPECT_EQ(got, (Got{{seqs[0], "B0"}, {seqs[2], "B2"}})) << kind;
        got.clear();
        s.read_artifacts(kind, {seqs[1], seqs[1]}, take);
        EXPECT_EQ(got, (Got{{seqs[1], "B1"}, {seqs[1], "B1"}})) << kind;
    }
}

// fallback_seqs() lists the documents the fallback decided (lang_scores set), in order;
// fallback_decisions(seqs) gives the decisions of those asked, in order, those without one left
// out: the same as the whole list's.
TEST_F(StoreTest, FallbackDecisionsOfTheDocumentsAsked) {
    std::vector<AnalyzedDocument> docs = abc(3);
    docs.push_back(make("d", "delta", "de"));
    docs[0].lang_scores = R"({"hint":"","labels":[["en",0.5]],"letters":5})";
    docs[2].lang_scores = R"({"hint":"","labels":[["en",0.25]],"letters":5})";
    docs[3].lang_scores = R"({"hint":"","labels":[["de",0.75]],"letters":5})";
    const std::vector<int64_t> seqs = put(docs);
    ASSERT_EQ(seqs.size(), 4u);
    EXPECT_EQ(s.fallback_seqs(), (std::vector<int64_t>{seqs[0], seqs[2], seqs[3]}));
    const std::vector<Store::LanguageDecision> all = s.fallback_decisions();
    ASSERT_EQ(all.size(), 3u);
    const std::vector<Store::LanguageDecision> some = s.fallback_decisions({seqs[1], seqs[2], seqs[3], seqs[3] + 10});
    ASSERT_EQ(some.size(), 2u);  // seqs[1] has no fallback decision, the last is no document
    for (std::size_t i = 0; i < some.size(); ++i) {
        EXPECT_EQ(some[i].seq, all[i + 1].seq);
        EXPECT_EQ(some[i].lang, all[i + 1].lang);
        EXPECT_EQ(some[i].lang_confidence, all[i + 1].lang_confidence);
        EXPECT_EQ(some[i].lang_scores, all[i + 1].lang_scores);
    }
    EXPECT_EQ(some[1].lang, "de");
    EXPECT_EQ(some[1].lang_scores, docs[3].lang_scores);
}

// A version-2 store (sketches as rows of `artifacts`) is read where it keeps them when opened
// read-only, and migrated, once, when opened for writing; what it holds reads the same.
TEST(Store, AVersionTwoStoreIsReadAsItIsAndMigratedForWriting) {
    TempDir dir("store-v2");
    std::vector<int64_t> seqs;
    {
        Store s(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta"),
                                                    make("c", "gamma")};
        s.put(docs.size(), docs.data(), 100, &seqs);
        const std::vector<std::string_view> blobs = {"La", "Ma", "Mb", "Sa", "Sb"};
        const int64_t ab[] = {seqs[0], seqs[1]};
        s.put_artifacts("lines", 1, ab, blobs.data());  // b has no "lines"
        s.put_artifacts(std::vector<std::string>{"minhash", "shingles"}, 2, ab, blobs.data() + 1);
        s.put_artifacts("features/bridge", 1, ab, std::vector<std::string>{"Fa"}.data());
    }
    // Back to the version-2 layout, as builds before version 3 wrote it.
    raw_sql(dir.path(),
            "INSERT INTO artifacts(seq, kind, data) SELECT seq, 'lines', lines FROM line_summaries; "
            "INSERT INTO artifacts(seq, kind, data) SELECT seq, 'minhash', minhash FROM sketches; "
            "INSERT INTO artifacts(seq, kind, data) SELECT seq, 'shingles', shingles FROM sketches; "
            "DROP TABLE sketches; DROP TABLE line_summaries; UPDATE meta SET value = '2' WHERE key = "
            "'schema_version'");
    auto reads = [&](const Store& s) {
        std::string scanned;
        s.scan_artifacts("minhash", [&](int64_t seq, std::string_view b) {
            scanned += std::to_string(seq) + std::string(b);
        });
        EXPECT_EQ(scanned, std::to_string(seqs[0]) + "Ma" + std::to_string(seqs[1]) + "Mb");
        EXPECT_EQ(*s.artifact(seqs[1], "shingles"), "Sb");
        EXPECT_EQ(*s.artifact(seqs[0], "features/bridge"), "Fa");
        EXPECT_EQ(s.documents_missing("lines"), (std::vector<int64_t>{seqs[1], seqs[2]}));
        EXPECT_EQ(s.artifact_kinds(),
                  (std::vector<std::string>{"features/bridge", "lines", "minhash", "shingles"}));
        EXPECT_EQ(s.max_artifact_seq("minhash"), seqs[1]);
    };
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 2);
        reads(ro);
    }
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM artifacts"), "6");  // read-only: nothing moved
    const Store before(dir.path(), doppel::StoreOptions{false, true});  // open while a writer migrates
    reads(before);
    {
        Store s(dir.path());
        EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
        reads(s);
    }
    reads(before);  // it reads the sketches where the migration moved them
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(kind) FROM artifacts"), "features/bridge");
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM sketches"), "2");
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM line_summaries"), "1");
    const Store again(dir.path(), doppel::StoreOptions{false, true});
    reads(again);
}

namespace {
// Every stored document as "id=text" in seq order, read by scan(), get() and read_texts() alike
// (a difference is named).
std::string texts_of(const Store& s) {
    std::string out;
    std::vector<int64_t> seqs;
    std::vector<std::string> scanned;
    s.scan([&](doppel::StoredDocument& d) {
        out += (out.empty() ? "" : " ") + d.id + "=" + d.text;
        if (s.get(d.id)->text != d.text) out += "(get differs)";
        if (s.get_by_seq(d.seq)->text != d.text) out += "(get_by_seq differs)";
        seqs.push_back(d.seq);
        scanned.push_back(d.text);
        return true;
    });
    std::size_t i = 0;
    s.read_texts(seqs, [&](int64_t, std::string_view t) {
        if (t != scanned[i++]) out += "(read_texts differs)";
    });
    return out;
}
}  // namespace

// Schema 8: a document put with the text of one put earlier in the same call is stored as a copy
// (no text, its holder's seq) and read with its holder's text by every reader; a document of
// another call, or with another text, holds its own.
TEST_F(StoreTest, ACopyOfATextInTheSamePutStoresItOnce) {
    const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "alpha"), make("c", "beta"),
                                                make("d", "alpha"), make("e", "")};
    const std::vector<int64_t> seqs = put(docs);
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(id || ':' || coalesce(text_of, '-') || ':' || text, ' ') "
                                  "FROM documents"),
              "a:-:alpha b:" + std::to_string(seqs[0]) + ": c:-:beta d:" + std::to_string(seqs[0]) + ": e:-:");
    EXPECT_EQ(texts_of(s), "a=alpha b=alpha c=beta d=alpha e=");
    EXPECT_EQ(s.copy_count(), 2u);
    EXPECT_TRUE(s.broken_copies().empty());
    EXPECT_TRUE(s.unreadable_paragraphs().empty());  // a copy's paragraphs lie within its holder's text
    const AnalyzedDocument later = make("f", "alpha");
    put({later});
    EXPECT_EQ(raw_sql(dir.path(), "SELECT text FROM documents WHERE id = 'f'"), "alpha");
    EXPECT_EQ(s.copy_count(), 2u);
}

// Deleting a holder (remove, a replacement, expire) first moves its text to its first copy, which
// the other copies then name; nothing stored is lost, and every pointer names a holder.
TEST_F(StoreTest, DeletingAHolderMovesItsTextToItsFirstCopy) {
    const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "alpha"), make("c", "alpha"),
                                                make("d", "alpha")};
    const std::vector<int64_t> seqs = put(docs);
    EXPECT_TRUE(s.remove("a"));
    EXPECT_EQ(texts_of(s), "b=alpha c=alpha d=alpha");
    EXPECT_EQ(raw_sql(dir.path(), "SELECT group_concat(coalesce(text_of, '-'), ' ') FROM documents"),
              "- " + std::to_string(seqs[1]) + " " + std::to_string(seqs[1]));
    EXPECT_TRUE(s.broken_copies().empty());
    put({make("b", "other")});  // a replacement deletes the old version: c holds the text now
    EXPECT_EQ(texts_of(s), "c=alpha d=alpha b=other");
    EXPECT_TRUE(s.broken_copies().empty());
    EXPECT_TRUE(s.remove("d"));  // a copy goes alone
    EXPECT_EQ(texts_of(s), "c=alpha b=other");
    EXPECT_EQ(s.copy_count(), 0u);
}

// Within one put: a holder replaced later in the same call leaves its text to its copy, and a
// later document with that text holds its own; expire takes holders and copies together.
TEST_F(StoreTest, AHolderReplacedInItsOwnPutAndExpiredCopiesLoseNothing) {
    put({make("a", "x"), make("b", "x"), make("a", "y"), make("c", "x")});
    EXPECT_EQ(texts_of(s), "b=x a=y c=x");
    EXPECT_TRUE(s.broken_copies().empty());
    put({make("d", "z"), make("e", "z")}, 200);
    EXPECT_EQ(s.expire(150), (std::vector<std::string>{"b", "a", "c"}));
    EXPECT_EQ(texts_of(s), "d=z e=z");
    EXPECT_TRUE(s.broken_copies().empty());
    EXPECT_EQ(s.expire(250).size(), 2u);
    EXPECT_EQ(s.size(), 0u);
    // A holder expired before its copies (their added_at changed by hand: one put gives one).
    put({make("f", "w"), make("g", "w"), make("h", "w")}, 300);
    raw_sql(dir.path(), "UPDATE documents SET added_at = 500 WHERE id IN ('g', 'h')");
    EXPECT_EQ(s.expire(400), (std::vector<std::string>{"f"}));
    EXPECT_EQ(texts_of(s), "g=w h=w");
    EXPECT_TRUE(s.broken_copies().empty());
    EXPECT_EQ(s.copy_count(), 1u);
}

// verify's check of copies: a copy whose holder is missing or has another content hash is named.
TEST_F(StoreTest, BrokenCopiesAreNamed) {
    const std::vector<int64_t> seqs = put({make("a", "alpha"), make("b", "alpha"), make("c", "alpha")});
    raw_sql(dir.path(), "UPDATE documents SET text_of = 999 WHERE id = 'b'; "
                        "UPDATE documents SET content_hash = 'other' WHERE id = 'c'");
    EXPECT_EQ(s.broken_copies(), (std::vector<int64_t>{seqs[1], seqs[2]}));
    const doppel::VerifyFinding copies = failed_finding(dir.path(), 5, "copies");
    EXPECT_EQ(copies.detail.find("2 documents (b, c) stored as copies"), 0u) << copies.detail;
}

// A version-7 store (no column of copies) is read as it is when opened read-only, and opened for
// writing gets the column with no row rewritten: its documents stay holders, copies come after.
TEST(Store, AVersionSevenStoreIsReadAsItIsAndGetsCopiesForWriting) {
    TempDir dir("store-v7");
    {
        Store s(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta")};
        s.put(docs.size(), docs.data(), 100);
    }
    raw_sql(dir.path(), "DROP TRIGGER documents_text_moves; DROP INDEX documents_copies; "
                        "ALTER TABLE documents DROP COLUMN text_of; "
                        "UPDATE meta SET value = '7' WHERE key = 'schema_version'");
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 7);
        EXPECT_EQ(texts_of(ro), "a=alpha b=beta");
        EXPECT_TRUE(ro.broken_copies().empty());
        EXPECT_EQ(ro.copy_count(), 0u);
    }
    {
        Store s(dir.path());
        EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
        s.put(2, std::vector<AnalyzedDocument>{make("c", "gamma"), make("d", "gamma")}.data(), 100);
        EXPECT_EQ(texts_of(s), "a=alpha b=beta c=gamma d=gamma");
        EXPECT_EQ(s.copy_count(), 1u);
        EXPECT_TRUE(s.remove("c"));
        EXPECT_EQ(texts_of(s), "a=alpha b=beta d=gamma");
    }
}

namespace {
// Every id of `s` as get() and versions() find it, "id=seq" in seq order.
std::string found_ids(const Store& s) {
    std::string out;
    std::vector<std::string> ids;
    s.scan([&](doppel::StoredDocument& d) {
        ids.push_back(d.id);
        return true;
    }, false, false);
    std::vector<std::string_view> views(ids.begin(), ids.end());
    const std::vector<Store::StoredVersion> v = s.versions(views);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto d = s.get(ids[i], false);
        EXPECT_TRUE(d && d->seq == v[i].seq) << ids[i];
        out += (out.empty() ? "" : " ") + ids[i] + "=" + std::to_string(v[i].seq);
    }
    return out;
}
}  // namespace

// Schema 9: ids are found through their keys, in the table of new keys and, after a merge, the
// large one, through replacements, removals and expiry; no key is left behind.
TEST(Store, IdsAreFoundThroughTheirKeysAcrossMerges) {
    TempDir dir("store-id-keys");
    const doppel::StoreOptions options = merging_every(4);
    Store s(dir.path(), options);
    std::string want;
    for (int batch = 0; batch < 6; ++batch) {
        std::vector<AnalyzedDocument> docs;
        for (int i = 0; i < 5; ++i) docs.push_back(make("https://example.com/" + std::to_string(batch * 5 + i), "t" + std::to_string(i)));
        s.put(docs.size(), docs.data(), 100 + batch);
    }
    EXPECT_NE(raw_sql(dir.path(), "SELECT count(*) FROM id_keys"), "0");  // merged at least once
    const AnalyzedDocument changed = make("https://example.com/3", "changed");
    EXPECT_EQ(s.put(1, &changed, 200), (std::vector<PutStatus>{PutStatus::kReplaced}));
    EXPECT_TRUE(s.remove("https://example.com/7"));
    EXPECT_FALSE(s.remove("https://example.com/7"));
    EXPECT_EQ(s.expire(101).size(), 4u);  // the first batch's, the replaced 3 aside
    EXPECT_EQ(s.size(), 25u);
    EXPECT_FALSE(s.get("https://example.com/0"));
    EXPECT_EQ(s.get("https://example.com/3")->text, "changed");
    EXPECT_EQ(s.versions({"https://example.com/7"})[0].seq, 0);
    const std::string ids = found_ids(s);
    EXPECT_EQ(raw_sql(dir.path(), "SELECT (SELECT count(*) FROM id_keys) + (SELECT count(*) FROM id_keys_new)"), "25");
    EXPECT_TRUE(s.id_key_problems().empty());
    // Read-only, the keys are read the same way.
    const Store ro(dir.path(), doppel::StoreOptions{false, true});
    EXPECT_EQ(found_ids(ro), ids);
}

// Schema 11: the new keys move to the middle table once they are about sqrt(stored x added / 8)
// (where that is at most 1/32 of the large table), and on with it to the large one once together
// they are an eighth as many; an id is found in each table, its key leaves whichever holds it
// when it is replaced or removed, and verify finds nothing amiss. Read-only, the same.
TEST(Store, IdKeysMoveThroughTheMiddleTableAndAreFoundInEach) {
    TempDir dir("store-id-mid");
    Store s(dir.path(), merging_every(4));
    auto batch = [&](const std::string& prefix, int n) {
        std::vector<AnalyzedDocument> docs;
        for (int i = 0; i < n; ++i)
            docs.push_back(make(prefix + std::to_string(i), prefix + " text " + std::to_string(i)));
        s.put(docs.size(), docs.data(), 100);
    };
    auto rows = [&](const char* table) {
        return raw_sql(dir.path(), std::string("SELECT count(*) FROM ") + table);
    };
    batch("a", 1000);  // into an empty large table: moved on at once
    EXPECT_EQ(rows("id_keys"), "1000");
    for (const char* prefix : {"b", "c", "d", "e", "f"}) batch(prefix, 5);  // 25 < sqrt(1025 x 5 / 8) = 25.3
    EXPECT_EQ(rows("id_keys_new"), "25");
    EXPECT_EQ(rows("id_keys_mid"), "0");
    batch("g", 5);  // 30 >= 25.4, 25.4 x 32 <= 1000 and 30 x 8 < 1000: to the middle table
    EXPECT_EQ(rows("id_keys_new"), "0");
    EXPECT_EQ(rows("id_keys_mid"), "30");
    const AnalyzedDocument changed = make("c1", "changed");
    EXPECT_EQ(s.put(1, &changed, 200), (std::vector<PutStatus>{PutStatus::kReplaced}));
    EXPECT_TRUE(s.remove("d3"));
    EXPECT_EQ(rows("id_keys_mid"), "28");  // c1's old key and d3's left it
    batch("h", 5);                         // 6 < sqrt(1035 x 5 / 8): stays new, with c1's new key
    EXPECT_EQ(rows("id_keys_new"), "6");
    for (const char* id : {"a7", "b2", "h4"}) {  // in the large, middle and new tables
        ASSERT_TRUE(s.get(id)) << id;
        EXPECT_EQ(s.get(id)->text, std::string(1, id[0]) + " text " + id[1]);
    }
    EXPECT_EQ(s.get("c1")->text, "changed");
    EXPECT_FALSE(s.get("d3"));
    const Store::IdKeyProblems spread = s.id_key_problems();
    EXPECT_TRUE(spread.empty());
    EXPECT_EQ(spread.keys.large, 1000u);  // verify reports where the keys are
    EXPECT_EQ(spread.keys.middle, 28u);
    EXPECT_EQ(spread.keys.fresh, 6u);
    batch("i", 100);  // (28 + 106) x 8 >= 1000: the new and middle tables into the large one
    EXPECT_EQ(rows("id_keys_mid"), "0");
    EXPECT_EQ(rows("id_keys_new"), "0");
    EXPECT_EQ(rows("id_keys"), "1134");
    const std::string ids = found_ids(s);
    const Store::IdKeyProblems merged = s.id_key_problems();
    EXPECT_TRUE(merged.empty());
    EXPECT_EQ(merged.keys.large, 1134u);
    EXPECT_EQ(merged.keys.middle + merged.keys.fresh, 0u);
    const Store ro(dir.path(), doppel::StoreOptions{false, true});
    EXPECT_EQ(found_ids(ro), ids);
}

// A store of schema 10 (two tables of keys, triggers that know two): read-only it is read as it
// is; opened for writing it gets the middle table and triggers that take keys out of it.
TEST(Store, AVersionTenStoreGetsTheMiddleTableOfIdKeysForWriting) {
    TempDir dir("store-v10");
    {
        Store s(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta"),
                                                    make("c", "gamma")};
        s.put(docs.size(), docs.data(), 100);
    }
    raw_sql(dir.path(),
            "DROP TRIGGER documents_id_removed; DROP TRIGGER documents_id_renamed; DROP TABLE id_keys_mid; "
            "CREATE TRIGGER documents_id_removed AFTER DELETE ON documents BEGIN "
            "DELETE FROM id_keys_new WHERE key = doppel_id_key(old.id) AND seq = old.seq; "
            "DELETE FROM id_keys WHERE key = doppel_id_key(old.id) AND seq = old.seq; END; "
            "CREATE TRIGGER documents_id_renamed AFTER UPDATE OF id ON documents BEGIN "
            "DELETE FROM id_keys_new WHERE key = doppel_id_key(old.id) AND seq = old.seq; "
            "DELETE FROM id_keys WHERE key = doppel_id_key(old.id) AND seq = old.seq; "
            "INSERT INTO id_keys_new(key, seq) VALUES(doppel_id_key(new.id), new.seq); END; "
            "UPDATE meta SET value = '10' WHERE key = 'schema_version'");
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 10);
        EXPECT_EQ(found_ids(ro), "a=1 b=2 c=3");
        EXPECT_TRUE(ro.id_key_problems().empty());
    }
    Store s(dir.path(), merging_every(1));
    EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM id_keys_mid"), "0");
    std::vector<AnalyzedDocument> more;
    for (int i = 0; i < 400; ++i) more.push_back(make("m" + std::to_string(i), "more " + std::to_string(i)));
    s.put(more.size(), more.data(), 200);  // to the large table (3 keys there)
    for (int i = 0; i < 12; i += 2) {      // 12 >= sqrt(415 x 2 / 8) = 10.2 at the sixth put; 12 x 8 < 403
        const std::vector<AnalyzedDocument> two = {make("d" + std::to_string(i), "delta"),
                                                   make("d" + std::to_string(i + 1), "delta 2")};
        s.put(two.size(), two.data(), 200);
    }
    ASSERT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM id_keys_mid"), "12");
    EXPECT_TRUE(s.remove("d3"));  // the new trigger takes its key out of the middle table
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM id_keys_mid"), "11");
    EXPECT_FALSE(s.get("d3"));
    EXPECT_EQ(s.get("d4")->text, "delta");
    EXPECT_TRUE(s.id_key_problems().empty());
}

// A store before schema 9 (no id keys): read-only it is read through its index on the id; opened
// for writing it gets the keys of every stored document.
TEST(Store, AVersionEightStoreGetsItsIdKeysForWriting) {
    TempDir dir("store-v8");
    {
        Store s(dir.path());
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta"), make("c", "gamma")};
        s.put(docs.size(), docs.data(), 100);
    }
    raw_sql(dir.path(), "DROP TRIGGER documents_id_removed; "
                        "DROP TRIGGER documents_id_renamed; DROP TABLE id_keys; DROP TABLE id_keys_new; "
                        "CREATE UNIQUE INDEX documents_id ON documents(id); "
                        "UPDATE meta SET value = '8' WHERE key = 'schema_version'");
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 8);
        EXPECT_EQ(ro.get("b", false)->seq, 2);
        EXPECT_TRUE(ro.id_key_problems().empty());
    }
    Store s(dir.path());
    EXPECT_EQ(s.schema_version(), Store::kSchemaVersion);
    EXPECT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM id_keys"), "3");
    EXPECT_TRUE(s.id_key_problems().empty());
    const AnalyzedDocument changed = make("b", "beta 2");
    EXPECT_EQ(s.put(1, &changed, 200), (std::vector<PutStatus>{PutStatus::kReplaced}));
    EXPECT_EQ(found_ids(s), "a=1 c=3 b=4");
    EXPECT_TRUE(s.id_key_problems().empty());
}

// Schema 10's filter of the large table's keys: a filter that lacks stored keys makes their
// documents unfindable, which verify names and --repair mends (the filter made anew from the
// keys); a damaged one is refused (every lookup probes the table: found, only slower), which
// verify names too, and the next opening for writing makes it anew.
TEST(Store, AFilterOfIdKeysThatLacksKeysOrIsDamagedIsNamedAndMadeAgain) {
    TempDir dir("store-id-filter");
    const doppel::StoreOptions options = merging_every(1);  // every put's keys merged: the filter holds them
    {
        Store s(dir.path(), options);
        const std::vector<AnalyzedDocument> docs = {make("a", "alpha"), make("b", "beta"), make("c", "gamma")};
        s.put(docs.size(), docs.data(), 100);
        ASSERT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM id_keys"), "3");
        EXPECT_TRUE(s.id_key_problems().empty());
        s.put_blob(doppel::store_detail::IdKeyFilter::kBlobName,
                   doppel::store_detail::IdKeyFilter::with_room_for(8).encode());  // holds no key
    }
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        EXPECT_FALSE(ro.get("b"));
        EXPECT_EQ(ro.id_key_problems().unfindable, (std::vector<int64_t>{1, 2, 3}));
    }
    doppel::VerifyOptions repair;
    repair.repair = true;
    auto repaired_ids = [&] {
        const doppel::StoreVerification v = doppel::verify_store(dir.path(), repair);
        return v.after.size() > 6 ? v.after[6].detail : "not repaired";
    };
    EXPECT_EQ(repaired_ids(), "ok (keys: 3 merged, 0 in the middle table, 0 new)");  // computed again, merged
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        ASSERT_TRUE(ro.get("b"));
        EXPECT_EQ(ro.get("b")->seq, 2);
    }
    raw_sql(dir.path(), "UPDATE blobs SET data = zeroblob(length(data)) WHERE name = 'id_keys/filter'");
    {
        const Store ro(dir.path(), doppel::StoreOptions{false, true});
        ASSERT_TRUE(ro.get("b"));  // probed: the filter is refused
        EXPECT_EQ(ro.get("b")->seq, 2);
        EXPECT_TRUE(ro.id_key_problems().no_filter);
    }
    EXPECT_EQ(failed_finding(dir.path(), 6, "ids").detail,
              "the filter of the id keys is missing or damaged (lookups are slower); verify --repair computes the "
              "keys again");
    Store s(dir.path(), options);  // a writer's opening makes a missing or damaged filter anew
    EXPECT_TRUE(s.id_key_problems().empty());
    const AnalyzedDocument changed = make("c", "gamma 2");
    EXPECT_EQ(s.put(1, &changed, 200), (std::vector<PutStatus>{PutStatus::kReplaced}));
    EXPECT_TRUE(s.id_key_problems().empty());
}

// A connection reads the filter again once another has committed: a reader opened before a
// writer merged new keys finds their ids.
TEST(Store, AReaderFindsIdsMergedByAnotherConnectionSinceItReadTheFilter) {
    TempDir dir("store-id-filter-reader");
    const doppel::StoreOptions options = merging_every(1);
    Store writer(dir.path(), options);
    const AnalyzedDocument a = make("a", "alpha");
    writer.put(1, &a, 100);
    const Store reader(dir.path(), doppel::StoreOptions{false, true});
    ASSERT_TRUE(reader.get("a"));
    EXPECT_FALSE(reader.get("b"));
    std::vector<AnalyzedDocument> more;
    for (int i = 0; i < 50; ++i) more.push_back(make("b" + std::to_string(i), "beta " + std::to_string(i)));
    writer.put(more.size(), more.data(), 200);
    ASSERT_EQ(raw_sql(dir.path(), "SELECT count(*) FROM id_keys_new"), "0");  // merged: found through the filter
    for (const AnalyzedDocument& d : more) EXPECT_TRUE(reader.get(d.doc.id)) << d.doc.id;
}

// `writer` puts document `id` ("text") while another connection holds a read transaction of the
// store (`sql`) for 400 ms, eight of the writer's busy timeouts of 50 ms: what put() gives.
std::vector<PutStatus> put_while_a_reader_holds(const std::string& dir, Store& writer, const char* sql,
                                                const char* id, const char* text) {
    sqlite3* reader = nullptr;
    EXPECT_EQ(sqlite3_open((dir + "/doppel.sqlite").c_str(), &reader), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(reader, (std::string("BEGIN; ") + sql).c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    std::thread leave([reader] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
    });
    const AnalyzedDocument d = make(id, text);
    std::vector<PutStatus> put;
    EXPECT_NO_THROW(put = writer.put(1, &d, 200));
    leave.join();
    sqlite3_close(reader);
    return put;
}

// With a rollback journal (a store for duplicates being indexed) a commit waits for readers to
// leave their read transactions: a reader that holds one for several busy timeouts delays the
// batch, it does not fail it (the batch was rolled back and `index` failed before).
TEST(Store, ACommitWaitsForAReaderInsteadOfFailingTheBatch) {
    TempDir dir("store-commit-waits");
    {
        Store s(dir.path());
        const AnalyzedDocument a = make("a", "alpha");
        s.put(1, &a, 100);
    }
    doppel::StoreOptions options;
    options.busy_timeout_ms = 50;
    Store writer(dir.path(), options);
    ASSERT_TRUE(writer.use_journal());
    EXPECT_EQ(put_while_a_reader_holds(dir.path(), writer, "SELECT count(*) FROM documents;", "b", "beta"),
              (std::vector<PutStatus>{PutStatus::kAdded}));
    EXPECT_EQ(writer.get("b")->text, "beta");
    EXPECT_EQ(writer.size(), 2u);
}

// The same for the first transaction of a store created open (StoreOptions::journal_at_creation),
// which commits the new tables with the first batch: a reader inside a read meanwhile no longer
// fails it.
TEST(Store, TheFirstCommitOfANewStoreWaitsForAReader) {
    TempDir dir("store-first-commit-waits");
    doppel::StoreOptions options;
    options.busy_timeout_ms = 50;
    options.journal_at_creation = true;
    Store writer(dir.path(), options);
    EXPECT_EQ(
        put_while_a_reader_holds(dir.path(), writer, "SELECT count(*) FROM sqlite_master;", "a", "alpha"),
        (std::vector<PutStatus>{PutStatus::kAdded}));
    EXPECT_EQ(writer.get("a")->text, "alpha");
    Store again(dir.path(), doppel::StoreOptions{.read_only = true});
    EXPECT_EQ(again.size(), 1u);
}

// verify's check of the id keys: a lost key and a stray one are named and computed again.
TEST_F(StoreTest, DamagedIdKeysAreNamedAndComputedAgain) {
    const std::vector<int64_t> seqs = put(abc(3));
    raw_sql(dir.path(), "DELETE FROM id_keys_new WHERE seq = " + std::to_string(seqs[1]) +
                            "; INSERT INTO id_keys VALUES(42, 999)");
    EXPECT_FALSE(s.get("b"));
    EXPECT_EQ(failed_finding(dir.path(), 6, "ids").detail,
              "1 document (b) not found by their ids (the id keys lack them); 1 id keys naming no document; "
              "verify --repair computes the keys again");
    doppel::VerifyOptions repair;
    repair.repair = true;
    const doppel::StoreVerification r = doppel::verify_store(dir.path(), repair);
    EXPECT_TRUE(r.repaired);
    EXPECT_EQ(r.after[6].detail, "ok (keys: 3 merged, 0 in the middle table, 0 new)");
    EXPECT_EQ(s.get("b")->seq, seqs[1]);
    EXPECT_TRUE(s.id_key_problems().empty());
}

// The id keys against a model under random puts (new ids, repeats, changed texts, ids whose keys
// would sit anywhere), removals and expiry, with a merge every few keys: every id the model
// holds is found at its seq, no other is, and verify's check of the keys stays clean.
TEST(Store, IdKeysAgreeWithAModelUnderRandomWrites) {
    TempDir dir("store-id-model");
    const doppel::StoreOptions options = merging_every(3);
    Store s(dir.path(), options);
    std::mt19937 rng(7);
    std::map<std::string, std::pair<int64_t, std::string>> model;  // id -> (seq, text)
    std::map<std::string, int64_t> added_at;
    auto some_id = [&] { return "u/" + std::to_string(rng() % 60); };
    for (int step = 0; step < 400; ++step) {
        const unsigned op = rng() % 10;
        if (op < 7) {  // a put of 1-6 documents, ids distinct within it
            std::vector<AnalyzedDocument> docs;
            std::set<std::string> in_put;
            for (unsigned i = 0, n = 1 + rng() % 6; i < n; ++i) {
                const std::string id = some_id();
                if (!in_put.insert(id).second) continue;
                docs.push_back(make(id, "text " + std::to_string(rng() % 4)));
            }
            std::vector<int64_t> seqs;
            const std::vector<PutStatus> st = s.put(docs.size(), docs.data(), step, &seqs);
            for (std::size_t i = 0; i < docs.size(); ++i) {
                auto it = model.find(docs[i].doc.id);
                const bool same = it != model.end() && it->second.second == docs[i].doc.text;
                ASSERT_EQ(st[i], same ? PutStatus::kUnchanged
                                      : (it == model.end() ? PutStatus::kAdded : PutStatus::kReplaced));
                if (!same) {
                    model[docs[i].doc.id] = {seqs[i], docs[i].doc.text};
                    added_at[docs[i].doc.id] = step;
                }
            }
        } else if (op < 9) {
            const std::string id = some_id();
            ASSERT_EQ(s.remove(id), model.erase(id) == 1) << id;
            added_at.erase(id);
        } else {
            const int64_t cutoff = step - 40;
            s.expire(cutoff);
            for (auto it = added_at.begin(); it != added_at.end();)
                if (it->second < cutoff) {
                    model.erase(it->first);
                    it = added_at.erase(it);
                } else {
                    ++it;
                }
        }
        if (step % 20 != 19) continue;
        std::vector<std::string> ids;
        for (int i = 0; i < 60; ++i) ids.push_back("u/" + std::to_string(i));
        const std::vector<std::string_view> views(ids.begin(), ids.end());
        const std::vector<Store::StoredVersion> v = s.versions(views);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto it = model.find(ids[i]);
            ASSERT_EQ(v[i].seq, it == model.end() ? 0 : it->second.first) << ids[i] << " at step " << step;
        }
        ASSERT_EQ(s.size(), model.size());
        ASSERT_TRUE(s.id_key_problems().empty()) << "at step " << step;
    }
    EXPECT_NE(raw_sql(dir.path(), "SELECT count(*) FROM id_keys"), "0");
}

// Two ids may share a key: a lookup compares the ids of the documents its key names (here a,
// stored first, is given b's key too, as a collision would; and a key names no document).
TEST_F(StoreTest, DocumentsSharingAKeyAreToldApartByTheirIds) {
    const std::vector<int64_t> seqs = put(abc(2));
    const std::string key_b = raw_sql(dir.path(), "SELECT key FROM id_keys_new WHERE seq = " + std::to_string(seqs[1]));
    raw_sql(dir.path(), "INSERT INTO id_keys_new VALUES(" + key_b + ", " + std::to_string(seqs[0]) + "); "
                        "INSERT INTO id_keys VALUES(" + key_b + ", 0)");
    EXPECT_EQ(s.get("b")->seq, seqs[1]);  // a's row, named first by b's key, is passed over
    EXPECT_EQ(s.get("a")->seq, seqs[0]);
    EXPECT_EQ(s.versions({"b", "a"})[0].seq, seqs[1]);
    const AnalyzedDocument changed = make("b", "beta 2");
    EXPECT_EQ(s.put(1, &changed, 200), (std::vector<PutStatus>{PutStatus::kReplaced}));
    EXPECT_EQ(s.get("a")->text, "alpha");
    EXPECT_EQ(s.get("b")->text, "beta 2");
    EXPECT_EQ(s.id_key_problems().stray, 2u);  // a's second key and the one naming no document
}
