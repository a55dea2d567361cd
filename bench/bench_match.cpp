// Cost of the translation matcher (match/matcher.h) against the store size, per FAISS index kind.
//
// Synthetic pool: n documents in English and their n versions in German. A document is 40
// features drawn from a Zipf-like vocabulary of 50,000 (document frequency shapes real text);
// its version keeps 70% of them and replaces the rest, so the exact sparse cosine of a pair is
// about 0.7 and of unrelated documents near 0. Dense vectors are BridgeEmbedder::densify's
// signed feature hashing into 256 dimensions. Before timing, every run checks that at least 95% of
// the pairs come out as translations.
//
// BM_Match/<n>/<index>: index 0 = Flat (exact search, quadratic), 1 = HNSW32 (graph search).
// Google Benchmark fits the growth: read the BigO rows (N^2 for Flat; NlgN for HNSW32) and the
// time per size. End-to-end figures on real paragraphs: scripts/scale-translations.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/index/vector_index.h"
#include "doppel/match/matcher.h"
#include "synthetic_features.h"

using namespace doppel;

namespace {

constexpr std::size_t kDim = 256;
const char* kFactories[] = {"Flat", "HNSW32"};

struct Pool {
    std::vector<MatchDocument> docs;
    std::vector<SparseVector> sparse;
    std::vector<float> dense;
};

Pool make_pool(std::size_t n) {
    bench::SyntheticFeatures gen(kDim);
    Pool p;
    auto add = [&](int64_t seq, const char* lang, const std::vector<uint64_t>& f) {
        SparseVector v = bench::SyntheticFeatures::vector_of(f);
        p.docs.push_back({seq, lang, static_cast<float>(f.size()), ""});
        gen.append_dense(v, p.dense);
        p.sparse.push_back(std::move(v));
    };
    for (std::size_t i = 0; i < n; ++i) {
        const std::vector<uint64_t> en = gen.words(40);
        add(static_cast<int64_t>(2 * i), "en", en);
        add(static_cast<int64_t>(2 * i + 1), "de", gen.version_of(en));
    }
    return p;
}

VectorIndex build_index(const Pool& p, const char* factory) {
    VectorIndex index(kDim, factory);
    std::vector<std::string> langs;
    std::vector<int64_t> seqs;
    for (const auto& d : p.docs) {
        langs.push_back(d.lang);
        seqs.push_back(d.seq);
    }
    bench::add_by_language(index, {"en", "de"}, langs, seqs, p.dense);
    return index;
}

void BM_Match(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    const char* factory = kFactories[state.range(1)];
    const Pool pool = make_pool(n);
    const VectorIndex index = build_index(pool, factory);
    const Matcher matcher;
    std::size_t found = 0;
    for (const auto& l : matcher.match(index, pool.docs, pool.dense.data(), pool.sparse))
        if (l.label != LinkLabel::kSameStory && pool.docs[l.a].seq / 2 == pool.docs[l.b].seq / 2) ++found;
    if (found < n * 95 / 100) state.SkipWithError("fewer than 95% of the pairs found");
    for (auto _ : state) benchmark::DoNotOptimize(matcher.match(index, pool.docs, pool.dense.data(), pool.sparse));
    state.SetComplexityN(static_cast<int64_t>(2 * n));
    state.counters["recall"] = static_cast<double>(found) / static_cast<double>(n);
    state.SetLabel(factory);
}
BENCHMARK(BM_Match)
    ->ArgsProduct({{2000, 4000, 8000, 16000}, {0}})
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oNSquared);
BENCHMARK(BM_Match)
    ->ArgsProduct({{2000, 4000, 8000, 16000, 32000}, {1}})
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oNLogN);

}  // namespace

BENCHMARK_MAIN();
