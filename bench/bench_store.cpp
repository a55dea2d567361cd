// Benchmarks of the store's per-document path as `doppel index` of a feed takes it: a batch of
// new documents put with a crawl's ids (URLs with a hash, in no order), and the lookup of a
// batch's ids (Store::versions, what deciding whether a batch is new costs). The store is
// filled first to a size given as the argument; each timed put adds a batch to it, so the store
// grows during a run by the batches timed. Every benchmark checks, before timing, that the
// lookups find what was put (and nothing else). Then the LSH band runs (index/lsh_band_store.h):
// the compaction a batch's run sets off (kFanIn runs of one tier merged into one), and the merge
// of every run that `dedup --store` reads, each checked against the entries added.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "doppel/index/lsh_band_store.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"

using namespace doppel;

namespace {

constexpr std::size_t kBatch = 16384;  // kDuplicatesBatch: a store for duplicates' transaction

// The n-th item of a feed: a URL id with a hash, a short text of its own.
AnalyzedDocument item(std::size_t n) {
    AnalyzedDocument d;
    const std::size_t h = std::hash<std::size_t>{}(n * 0x9E3779B97F4A7C15ull);
    d.doc.id = "https://www.outlet" + std::to_string(n % 50) + ".example/news/" + std::to_string(h) + "-" +
               std::to_string(n);
    d.doc.text = "Item " + std::to_string(n) + " of the feed, with a text of its own to store.";
    d.content_hash = content_hash(d.doc.text);
    return d;
}

std::vector<AnalyzedDocument> items(std::size_t from, std::size_t n) {
    std::vector<AnalyzedDocument> out;
    for (std::size_t i = from; i < from + n; ++i) out.push_back(item(i));
    return out;
}

// A store of `size` feed items in a fresh folder, removed with it.
class FeedStore {
public:
    explicit FeedStore(std::size_t size)
        : dir_(std::filesystem::temp_directory_path() / ("doppel-bench-store-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(dir_);
        store_ = std::make_unique<Store>(dir_.string());
        for (std::size_t b = 0; b < size; b += kBatch) {
            const std::vector<AnalyzedDocument> docs = items(b, std::min(kBatch, size - b));
            store_->put(docs.size(), docs.data(), 1);
        }
        next_ = size;
    }
    ~FeedStore() {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    Store& store() { return *store_; }
    std::size_t next_item(std::size_t n) { return std::exchange(next_, next_ + n); }

private:
    std::filesystem::path dir_;
    std::unique_ptr<Store> store_;
    std::size_t next_ = 0;
};

// The ids of docs, and those of as many items never put (half the lookups miss).
std::vector<std::string> ids_half_stored(const std::vector<AnalyzedDocument>& docs, std::size_t unused_from) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        ids.push_back(docs[i].doc.id);
        ids.push_back(item(unused_from + i).doc.id);
    }
    return ids;
}

bool lookups_right(const Store& store, const std::vector<std::string>& ids, const std::vector<int64_t>& seqs) {
    const std::vector<std::string_view> views(ids.begin(), ids.end());
    const std::vector<Store::StoredVersion> v = store.versions(views);
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i].seq != (i % 2 == 0 ? seqs[i / 2] : 0)) return false;
    return true;
}

void BM_PutBatchOfUrls(benchmark::State& state) {
    FeedStore feed(static_cast<std::size_t>(state.range(0)));
    std::vector<int64_t> seqs;
    {
        const std::vector<AnalyzedDocument> docs = items(feed.next_item(kBatch), kBatch);
        feed.store().put(docs.size(), docs.data(), 2, &seqs);
        if (!lookups_right(feed.store(), ids_half_stored(docs, std::size_t{1} << 40), seqs)) {
            state.SkipWithError("a lookup does not find what was put");
            return;
        }
    }
    for (auto _ : state) {
        state.PauseTiming();
        const std::vector<AnalyzedDocument> docs = items(feed.next_item(kBatch), kBatch);
        state.ResumeTiming();
        feed.store().put(docs.size(), docs.data(), 2, &seqs);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void BM_VersionsOfABatch(benchmark::State& state) {
    FeedStore feed(static_cast<std::size_t>(state.range(0)));
    const std::vector<AnalyzedDocument> docs = items(feed.next_item(kBatch / 2), kBatch / 2);
    std::vector<int64_t> seqs;
    feed.store().put(docs.size(), docs.data(), 2, &seqs);
    const std::vector<std::string> ids = ids_half_stored(docs, std::size_t{1} << 40);
    if (!lookups_right(feed.store(), ids, seqs)) {
        state.SkipWithError("a lookup does not find what was put");
        return;
    }
    const std::vector<std::string_view> views(ids.begin(), ids.end());
    for (auto _ : state) benchmark::DoNotOptimize(feed.store().versions(views));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}

// Band runs of the feed's banding (16 bands of 6 of 128 values) in a fresh store: runs of `docs`
// documents with random signatures, added one run a transaction as the near-duplicate stage adds
// a batch's.
constexpr int kPerms = 128;
constexpr LshParams kBanding{16, 6};

class BandRuns {
public:
    BandRuns() : feed_(0) {}
    // Adds a run of `docs` documents (the next seqs); returns the seconds it took.
    double add_run(std::size_t docs) {
        std::vector<uint32_t> sigs(docs * kPerms);
        for (uint32_t& v : sigs) v = static_cast<uint32_t>(rng_());
        std::vector<int64_t> seqs(docs);
        for (int64_t& q : seqs) q = ++seq_;
        const auto t = std::chrono::steady_clock::now();
        feed_.store().transaction(
            [&] { LshBandStore::add(feed_.store(), kPerms, kBanding, docs, seqs.data(), sigs.data()); });
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }
    LshBandStore open() { return *LshBandStore::open(feed_.store(), kPerms, kBanding, seq_); }
    Store& store() { return feed_.store(); }
    uint64_t entries() const { return static_cast<uint64_t>(seq_) * kBanding.bands; }

private:
    FeedStore feed_;
    std::mt19937_64 rng_{42};
    int64_t seq_ = 0;
};

// The kFanIn-th run of one tier added: its run written and the kFanIn runs merged into one.
// Argument: documents a run (a feed's batch is 16,384: 262,144 entries).
void BM_BandRunsCompaction(benchmark::State& state) {
    const auto docs = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        double seconds = 0;
        {
            BandRuns runs;
            for (std::size_t r = 0; r + 1 < LshBandStore::kFanIn; ++r) runs.add_run(docs);
            seconds = runs.add_run(docs);
            const LshBandStore merged = runs.open();
            if (merged.runs().size() != 1 || merged.runs()[0].entries != runs.entries()) {
                state.SkipWithError("the runs were not merged into one of every entry");
                return;
            }
        }
        state.SetIterationTime(seconds);
    }
    state.SetItemsProcessed(
        static_cast<int64_t>(state.iterations() * LshBandStore::kFanIn * docs * kBanding.bands));
}

// Every entry of kFanIn + 8 runs of one tier (kFanIn of them merged), merged as `dedup --store`
// reads them (for_each_block). Argument: documents a run.
void BM_BandRunsScan(benchmark::State& state) {
    const auto docs = static_cast<std::size_t>(state.range(0));
    BandRuns runs;
    for (std::size_t r = 0; r < LshBandStore::kFanIn + 8; ++r) runs.add_run(docs);
    const LshBandStore bands = runs.open();
    uint64_t seen = 0;
    LshBandStore::Entry last{0, 0};
    bool ordered = true;
    bands.for_each_block(runs.store(), [&](const LshBandStore::Entry* e, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) ordered = ordered && !(e[i] < last), last = e[i];
        seen += n;
    });
    if (seen != runs.entries() || !ordered || bands.runs().size() < 2) {
        state.SkipWithError("the merge is not every entry in order");
        return;
    }
    for (auto _ : state) {
        uint64_t n = 0;
        bands.for_each_block(runs.store(), [&](const LshBandStore::Entry*, std::size_t k) { n += k; });
        benchmark::DoNotOptimize(n);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * runs.entries()));
}

}  // namespace

BENCHMARK(BM_PutBatchOfUrls)->Arg(0)->Arg(262144)->Arg(1048576)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VersionsOfABatch)->Arg(0)->Arg(262144)->Arg(1048576)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BandRunsCompaction)->Arg(4096)->Arg(16384)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BandRunsScan)->Arg(4096)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
