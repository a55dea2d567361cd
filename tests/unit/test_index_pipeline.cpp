// The indexer's pipeline (Indexer::add_stream, which index_paths runs): batch k+1 is prepared while
// batch k is written, yet every batch is written with the work prepared for it, committed in order
// and alone, a stage prepares one batch at a time, a failing batch rolls back alone (a failing
// prepare() too), bad records are reported with file and line while
// the rest go on, and the store is the one that Indexer::add() batch by batch writes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "doppel/index/near_duplicate_index.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

namespace doppel {
namespace {

std::string item_text(int i, int version = 0) {
    return "Item " + std::to_string(i) + " version " + std::to_string(version) +
           " tells of the harbour, the market at dawn and the rain that fell on the town all week " +
           std::to_string(i * 7919 + version);
}

Document doc(const std::string& id, const std::string& text) {
    Document d;
    d.id = id;
    d.text = text;
    return d;
}

std::string record(const std::string& id, const std::string& text) {
    return "{\"id\": \"" + id + "\", \"text\": \"" + text + "\"}\n";
}

// Documents committed, as another connection sees them.
int64_t committed_documents(const std::string& store_dir) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((store_dir + "/doppel.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM documents", -1, &st, nullptr);
    const int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

// What a RecordingStage saw, per add_prepared() call (the stage goes with its Indexer).
struct Recorded {
    std::vector<bool> prepared_matched;
    std::vector<int64_t> committed_before;
    std::vector<std::string> first_ids;
};

// A stage that records what it was given: prepare() keeps the batch's ids in its Prepared, and
// add_prepared() notes whether the Prepared it got was made of its documents, and how many
// documents other connections saw committed then. It throws on the batch holding `fail_on`.
class RecordingStage : public IndexStage {
public:
    struct Ids : Prepared {
        std::vector<std::string> ids;
    };
    RecordingStage(std::string store_dir, Recorded* log, std::string fail_on = "")
        : store_dir_(std::move(store_dir)), log_(log), fail_on_(std::move(fail_on)) {}
    std::unique_ptr<Prepared> prepare(std::size_t n, const AnalyzedDocument* docs) override {
        auto p = std::make_unique<Ids>();
        for (std::size_t i = 0; i < n; ++i) p->ids.push_back(docs[i].doc.id);
        return p;
    }
    void add_prepared(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs,
                      std::unique_ptr<Prepared> prepared) override {
        const auto* ids = dynamic_cast<const Ids*>(prepared.get());
        bool same = ids && ids->ids.size() == n;
        for (std::size_t i = 0; same && i < n; ++i) same = ids->ids[i] == docs[i].doc.id;
        log_->prepared_matched.push_back(same);
        log_->committed_before.push_back(committed_documents(store_dir_));
        log_->first_ids.push_back(n ? docs[0].doc.id : "");
        add(store, n, seqs, docs);
    }
    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override {
        std::vector<std::string> blobs(n, "r");
        store.put_artifacts("recorded", n, seqs, blobs.data());
        for (std::size_t i = 0; i < n; ++i)
            if (docs[i].doc.id == fail_on_) throw std::runtime_error("disk full");
    }
    std::vector<std::string> artifact_kinds() const override { return {"recorded"}; }
    std::string describe() const override { return "recording"; }

private:
    std::string store_dir_;
    Recorded* log_;
    std::string fail_on_;
};

// n items d0..d(n-1) in one JSONL file.
std::string write_feed(const test::TempDir& dir, int n) {
    std::string feed;
    for (int i = 0; i < n; ++i) feed += record("d" + std::to_string(i), item_text(i));
    test::write_file(dir / "feed.jsonl", feed);
    return dir / "feed.jsonl";
}

TEST(IndexPipeline, EveryBatchIsWrittenWithItsOwnPreparedWorkAfterTheOnesBeforeItCommitted) {
    test::TempDir dir("pipeline-order");
    const std::string feed = write_feed(dir, 20);
    Store store(dir / "store");
    std::vector<std::unique_ptr<IndexStage>> stages;
    Recorded rec;
    stages.push_back(std::make_unique<RecordingStage>(dir / "store", &rec));
    IndexRunOptions options;
    options.batch = 3;
    std::vector<uint64_t> progress_read;
    const IndexRun run =
        index_paths(store, nullptr, std::move(stages), {feed}, options,
                    [&](const IndexRun& r, uint64_t, uint64_t) { progress_read.push_back(r.read); });
    EXPECT_EQ(run.summary.added, 20u);
    ASSERT_EQ(rec.prepared_matched.size(), 7u);  // 6 batches of 3, one of 2
    for (std::size_t k = 0; k < 7; ++k) {
        EXPECT_TRUE(rec.prepared_matched[k]) << "batch " << k;
        EXPECT_EQ(rec.first_ids[k], "d" + std::to_string(3 * k));
        // The batches before k committed, k and k+1 (prepared by now, perhaps) not.
        EXPECT_EQ(rec.committed_before[k], static_cast<int64_t>(3 * k)) << "batch " << k;
    }
    EXPECT_EQ(progress_read, (std::vector<uint64_t>{3, 6, 9, 12, 15, 18, 20}));
}

TEST(IndexPipeline, AFailingBatchRollsBackAloneAndARerunResumesAfterTheCommittedOnes) {
    test::TempDir dir("pipeline-fail");
    const std::string feed = write_feed(dir, 20);
    Store store(dir / "store");
    IndexRunOptions options;
    options.batch = 3;
    Recorded log;
    {
        std::vector<std::unique_ptr<IndexStage>> stages;
        stages.push_back(std::make_unique<NearDuplicateStage>());
        stages.push_back(std::make_unique<RecordingStage>(dir / "store", &log, "d10"));  // batch 3: d9..d11
        std::size_t batches_done = 0;
        EXPECT_THROW(index_paths(store, nullptr, std::move(stages), {feed}, options,
                                 [&](const IndexRun&, uint64_t, uint64_t) { ++batches_done; }),
                     std::runtime_error);
        EXPECT_EQ(batches_done, 3u);
    }
    EXPECT_EQ(store.size(), 9u);
    EXPECT_TRUE(store.get("d8", false));
    for (const char* id : {"d9", "d11", "d12", "d14"}) EXPECT_FALSE(store.get(id, false)) << id;
    for (const char* kind : {"shingles", "minhash", "lines", "shingle_set", "recorded"})
        EXPECT_TRUE(store.documents_missing(kind).empty()) << kind;
    std::vector<std::unique_ptr<IndexStage>> stages;
    stages.push_back(std::make_unique<NearDuplicateStage>());
    stages.push_back(std::make_unique<RecordingStage>(dir / "store", &log));
    const IndexRun rerun = index_paths(store, nullptr, std::move(stages), {feed}, options);
    EXPECT_EQ(rerun.summary.unchanged, 9u);
    EXPECT_EQ(rerun.summary.added, 11u);
    EXPECT_EQ(store.size(), 20u);
}

// Raises `most` to v when v is larger, atomically (a load then a store could lose a larger value
// stored by another thread in between, and so miss the overlap a test looks for).
void raise_to(std::atomic<int>& most, int v) {
    for (int seen = most.load(); seen < v && !most.compare_exchange_weak(seen, v);) {
    }
}

// A stage whose prepare() takes a while, counts the calls in progress (of this stage and of all
// PacedStages) and throws on the batch holding `fail_on`.
class PacedStage : public IndexStage {
public:
    struct Calls {
        std::atomic<int> mine{0}, most_mine{0};
    };
    PacedStage(std::string name, Calls* calls, std::atomic<int>* all, std::atomic<int>* most_all,
               std::string fail_on = "")
        : name_(std::move(name)),
          calls_(calls),
          all_(all),
          most_all_(most_all),
          fail_on_(std::move(fail_on)) {}
    std::unique_ptr<Prepared> prepare(std::size_t n, const AnalyzedDocument* docs) override {
        const int mine = ++calls_->mine, all = ++*all_;
        raise_to(calls_->most_mine, mine);
        raise_to(*most_all_, all);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        --calls_->mine;
        --*all_;
        for (std::size_t i = 0; i < n; ++i)
            if (docs[i].doc.id == fail_on_) throw std::runtime_error("prepare failed");
        return nullptr;
    }
    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument*) override {
        std::vector<std::string> blobs(n, "p");
        store.put_artifacts(describe(), n, seqs, blobs.data());
    }
    std::vector<std::string> artifact_kinds() const override { return {describe()}; }
    std::string describe() const override { return name_; }

private:
    std::string name_;
    Calls* calls_;
    std::atomic<int>* all_;
    std::atomic<int>* most_all_;
    std::string fail_on_;
};

// Batch k+1 is analysed while batch k is prepared, and a batch's stages prepare it side by
// side, yet a stage never prepares two batches at once (IndexStage's contract).
TEST(IndexPipeline, AStagePreparesOneBatchAtATime) {
    test::TempDir dir("pipeline-one-prepare");
    const std::string feed = write_feed(dir, 30);
    Store store(dir / "store");
    PacedStage::Calls first, second;
    std::atomic<int> all{0}, most_all{0};
    std::vector<std::unique_ptr<IndexStage>> stages;
    stages.push_back(std::make_unique<PacedStage>("first", &first, &all, &most_all));
    stages.push_back(std::make_unique<PacedStage>("second", &second, &all, &most_all));
    IndexRunOptions options;
    options.batch = 3;
    const IndexRun run = index_paths(store, nullptr, std::move(stages), {feed}, options);
    EXPECT_EQ(run.summary.added, 30u);
    for (const char* kind : {"first", "second"}) EXPECT_TRUE(store.documents_missing(kind).empty()) << kind;
    EXPECT_EQ(first.most_mine.load(), 1);
    EXPECT_EQ(second.most_mine.load(), 1);
    EXPECT_LE(most_all.load(), 2);
}

// A stage's prepare() that throws stops the run: the batches before are committed with every
// artifact, the batch it failed on and the ones after are not stored.
TEST(IndexPipeline, AFailingPrepareStopsTheRunAfterTheCommittedBatches) {
    test::TempDir dir("pipeline-prepare-fails");
    const std::string feed = write_feed(dir, 20);
    Store store(dir / "store");
    PacedStage::Calls calls;
    std::atomic<int> all{0}, most_all{0};
    std::vector<std::unique_ptr<IndexStage>> stages;
    stages.push_back(std::make_unique<NearDuplicateStage>());
    stages.push_back(
        std::make_unique<PacedStage>("paced", &calls, &all, &most_all, "d10"));  // batch 3: d9..d11
    IndexRunOptions options;
    options.batch = 3;
    EXPECT_THROW(index_paths(store, nullptr, std::move(stages), {feed}, options), std::runtime_error);
    EXPECT_EQ(store.size(), 9u);
    EXPECT_TRUE(store.get("d8", false));
    for (const char* id : {"d9", "d11", "d12"}) EXPECT_FALSE(store.get(id, false)) << id;
    for (const char* kind : {"shingles", "minhash", "paced"})
        EXPECT_TRUE(store.documents_missing(kind).empty()) << kind;
}

TEST(IndexPipeline, ABadRecordIsReportedWithItsFileAndLineAndTheRestAreStored) {
    test::TempDir dir("pipeline-bad-record");
    std::string feed;
    for (int i = 0; i < 10; ++i)
        feed += i == 4 ? std::string("{\"id\": \"d4\", \"text\": oops}\n")
                       : record("d" + std::to_string(i), item_text(i));
    test::write_file(dir / "feed.jsonl", feed);
    Store store(dir / "store");
    std::vector<std::unique_ptr<IndexStage>> stages;
    stages.push_back(std::make_unique<NearDuplicateStage>());
    IndexRunOptions options;
    options.batch = 2;
    const IndexRun run = index_paths(store, nullptr, std::move(stages), {dir / "feed.jsonl"}, options);
    ASSERT_EQ(run.errors.size(), 1u);
    EXPECT_EQ(run.errors[0].path, dir / "feed.jsonl");
    EXPECT_EQ(run.errors[0].line, 5u);
    EXPECT_EQ(run.summary.added, 9u);
    EXPECT_EQ(store.size(), 9u);
    EXPECT_FALSE(store.get("d4", false));
}

// The documents' rows (but the time added) and sketches, by id.
std::vector<std::string> contents(const Store& store, const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
        const auto d = store.get(id, true);
        if (!d) {
            out.push_back(id + ": none");
            continue;
        }
        std::string row = id + ": " + d->text + " | " + d->content_hash;
        for (const char* kind : {"shingles", "minhash", "lines", "shingle_set"})
            row += " | " + store.artifact(d->seq, kind).value_or("-");
        out.push_back(row);
    }
    return out;
}

TEST(IndexPipeline, WritesTheStoreThatAddBatchByBatchWrites) {
    // An id again in the next batches: replaced (new text), then unchanged (same text); an id
    // twice in one batch (the later kept); documents stored before the run, one of them given
    // again unchanged.
    const std::vector<std::vector<std::pair<std::string, std::string>>> batches = {
        {{"a", item_text(1)}, {"b", item_text(2)}, {"c", item_text(3)}},
        {{"a", item_text(1, 1)}, {"d", item_text(4)}, {"d", item_text(4, 1)}},
        {{"a", item_text(1, 1)}, {"e", item_text(5)}, {"old", item_text(9)}},
        {{"b", item_text(2, 2)}, {"f", item_text(1, 1)}},
    };
    const std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f", "old"};
    test::TempDir dir("pipeline-same-store");
    auto fresh = [&](const std::string& name) {
        auto store = std::make_unique<Store>(dir / name);
        Indexer first(*store, Indexer::WithoutLanguages{});
        first.add_stage(std::make_unique<NearDuplicateStage>());
        std::vector<Document> old(1);
        old[0].id = "old";
        old[0].text = item_text(9);
        first.add(1, old.data(), 5);
        return store;
    };
    auto by_add = fresh("by-add");
    IndexSummary add_summary;
    {
        Indexer indexer(*by_add, Indexer::WithoutLanguages{});
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        for (const auto& batch : batches) {
            std::vector<Document> docs;
            for (const auto& [id, text] : batch) docs.push_back(doc(id, text));
            indexer.add(docs.size(), docs.data(), 7, &add_summary);
        }
    }
    auto by_stream = fresh("by-stream");
    IndexSummary stream_summary;
    std::vector<std::vector<PutStatus>> statuses;
    {
        Indexer indexer(*by_stream, Indexer::WithoutLanguages{});
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        std::size_t next = 0;
        indexer.add_stream(
            [&](std::vector<Document>& docs) {
                if (next == batches.size()) return false;
                for (const auto& [id, text] : batches[next]) docs.push_back(doc(id, text));
                ++next;
                return true;
            },
            7, &stream_summary, [&](const std::vector<PutStatus>& s) { statuses.push_back(s); });
    }
    EXPECT_EQ(contents(*by_stream, ids), contents(*by_add, ids));
    EXPECT_EQ(stream_summary.added, add_summary.added);
    EXPECT_EQ(stream_summary.replaced, add_summary.replaced);
    EXPECT_EQ(stream_summary.unchanged, add_summary.unchanged);
    EXPECT_EQ(stream_summary.superseded.size(), 1u);  // the first "d"
    EXPECT_EQ(add_summary.replaced, 2u);              // a, b
    EXPECT_EQ(add_summary.unchanged, 2u);             // a again, old
    ASSERT_EQ(statuses.size(), 4u);
    EXPECT_EQ(statuses[1],
              (std::vector<PutStatus>{PutStatus::kReplaced, PutStatus::kSuperseded, PutStatus::kAdded}));
    EXPECT_EQ(statuses[2],
              (std::vector<PutStatus>{PutStatus::kUnchanged, PutStatus::kAdded, PutStatus::kUnchanged}));
    for (const char* kind : {"shingles", "minhash", "lines", "shingle_set"})
        EXPECT_TRUE(by_stream->documents_missing(kind).empty());
}

}  // namespace
}  // namespace doppel
