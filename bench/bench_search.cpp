// Candidate search of the translation matcher (index/vector_index.h): the exact per-language Flat
// search against the approximate "auto" kind (PCA + one IVF shared by every language).
//
// BM_SearchLanguages/<n>/<languages>/<kind>: time per query of VectorIndex::search_languages for
// n synthetic documents spread over 6 or 24 languages (kind 0 = Flat, 1 = auto, approximate).
// Synthetic documents: 40 features of a Zipf-like vocabulary, signed-hashed into 2048 dimensions
// like BridgeEmbedder::densify; version v of group i keeps 70% of the group's features. Before
// timing, each run checks that the approximate search finds at least 90% of the exact search's
// nearest neighbour (counter "recall@1").
//
// With DOPPEL_SEARCH_STORE=DIR (an indexed store; DOPPEL_SEARCH_MODELS=models folder,
// DOPPEL_SEARCH_SPEC=auto spec, default "auto:exact_limit=0") it instead prints, for that store,
// candidate recall of the approximate search against the exact one: the share of the exact k=10
// candidates per (document, target language) found, and the share of gold pairs (documents
// whose ids differ only in the language prefix, "en/x" and "de/x") among the candidates of
// either side, for both searches, and the time per query of each.
#include <benchmark/benchmark.h>

#include <faiss/utils/distances.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/feature_artifacts.h"
#include "doppel/index/vector_index.h"
#include "doppel/store/store.h"
#include "impl/parallel.h"
#include "synthetic_features.h"

using namespace doppel;

namespace {

constexpr std::size_t kDim = 2048, kK = 10;

struct Docs {
    std::vector<std::string> langs;
    std::vector<int64_t> seqs;
    std::vector<float> dense;
    std::vector<std::string> names;  // distinct languages
};

Docs synthetic(std::size_t n, std::size_t languages) {
    bench::SyntheticFeatures gen(kDim);
    Docs d;
    for (std::size_t l = 0; l < languages; ++l) d.names.push_back("l" + std::to_string(l));
    std::vector<uint64_t> group;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % languages == 0) group = gen.words(40);
        d.langs.push_back(d.names[i % languages]);
        d.seqs.push_back(static_cast<int64_t>(i));
        gen.append_dense(bench::SyntheticFeatures::vector_of(gen.version_of(group)), d.dense);
    }
    return d;
}

VectorIndex build(const Docs& d, const std::string& factory) {
    VectorIndex index(kDim, factory);
    const std::size_t n = d.seqs.size();
    index.prepare(n, n, d.dense.data());
    bench::add_by_language(index, d.names, d.langs, d.seqs, d.dense);
    return index;
}

// The k candidates per (query, target language) as the matcher keeps them: approximate results
// re-ranked by the exact dense similarity. Queries: the documents at positions qs (ids = positions).
std::vector<int64_t> candidates(const VectorIndex& index, const Docs& d, const std::vector<std::string>& targets,
                                const std::vector<std::size_t>& qs) {
    const std::size_t n = qs.size(), T = targets.size(), kk = index.candidates_for(kK);
    std::vector<float> qx;
    for (std::size_t q : qs) qx.insert(qx.end(), d.dense.begin() + q * kDim, d.dense.begin() + (q + 1) * kDim);
    std::vector<float> dist(n * T * kk);
    std::vector<int64_t> lab(n * T * kk), out(n * T * kK, -1);
    index.search_languages(targets, n, qx.data(), kk, dist.data(), lab.data());
    impl::parallel_for(n * T, impl::worker_count(n * T / 64 + 1), [&](std::size_t qt, std::size_t) {
        std::vector<std::pair<float, int64_t>> c;
        for (std::size_t r = 0; r < kk; ++r) {
            const int64_t id = lab[qt * kk + r];
            if (id < 0) continue;
            const float s = kk > kK ? faiss::fvec_inner_product(qx.data() + (qt / T) * kDim, d.dense.data() + id * kDim, kDim)
                                    : dist[qt * kk + r];
            c.push_back({s, id});
        }
        std::sort(c.begin(), c.end(), [](auto& a, auto& b) { return a.first > b.first; });
        for (std::size_t r = 0; r < std::min(kK, c.size()); ++r) out[qt * kK + r] = c[r].second;
    });
    return out;
}

void BM_SearchLanguages(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0)), L = static_cast<std::size_t>(state.range(1));
    const Docs d = synthetic(n, L);
    const VectorIndex index = build(d, state.range(2) ? "auto:exact_limit=0" : "Flat");
    const std::vector<std::string> targets(d.names.begin() + 1, d.names.end());
    std::vector<std::size_t> qs;  // 512 queries of language l0: documents 0, L, 2L, ...
    for (std::size_t i = 0; i < 512; ++i) qs.push_back(i * L);
    const std::vector<int64_t> want = candidates(build(d, "Flat"), d, targets, qs);
    std::size_t same = 0;
    for (auto _ : state) {
        const std::vector<int64_t> got = candidates(index, d, targets, qs);
        same = 0;
        for (std::size_t i = 0; i < got.size(); i += kK) same += got[i] == want[i];
    }
    const double recall = static_cast<double>(same) / static_cast<double>(want.size() / kK);
    if (recall < 0.9) state.SkipWithError("approximate nearest neighbour found for under 90% of the queries");
    state.counters["recall@1"] = recall;
    state.counters["ms_per_query"] = benchmark::Counter(static_cast<double>(qs.size()),
                                                        benchmark::Counter::kIsIterationInvariantRate |
                                                            benchmark::Counter::kInvert);
    state.SetLabel(index.describe());
}
BENCHMARK(BM_SearchLanguages)
    ->ArgsProduct({{24000, 96000}, {6, 24}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// ---- DOPPEL_SEARCH_STORE: candidate recall on a real store.

Docs store_docs(const std::string& dir, const std::string& models, std::vector<std::string>& ids) {
    const Store store(dir);
    StoredFeatures f = load_features(store);
    const StoredVectors vecs = load_vectors(store);
    BridgeEmbedder e(BridgeEmbedder::parse_spec(store.meta("embedder").value_or("bridge")), EmbedderContext{models});
    e.set_frequencies(std::make_shared<DocumentFrequencies>(std::move(f.frequencies)));
    std::map<int64_t, std::string> id_of;
    store.scan([&](const StoredDocument& doc) {
        id_of[doc.seq] = doc.id;
        return true;
    }, false);
    Docs d;
    const std::size_t n = f.seqs.size();
    d.dense.resize(n * kDim);
    impl::parallel_for(n, impl::worker_count(n / 256 + 1), [&](std::size_t i, std::size_t) {
        e.densify(vecs.join(e.weigh(f.counts[i]), f.seqs[i]), d.dense.data() + i * kDim);
    });
    std::set<std::string> names(f.langs.begin(), f.langs.end());
    d.names.assign(names.begin(), names.end());
    d.langs = f.langs;
    for (std::size_t i = 0; i < n; ++i) {
        d.seqs.push_back(static_cast<int64_t>(i));  // ids in the indexes: positions
        ids.push_back(id_of[f.seqs[i]]);
    }
    return d;
}

// Candidates of every document in every other language: [doc][language][kK]; seconds per query.
std::vector<int64_t> all_candidates(const VectorIndex& index, const Docs& d, double& per_query) {
    const std::size_t L = d.names.size();
    std::vector<int64_t> out(d.seqs.size() * L * kK, -1);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t s = 0; s < L; ++s) {
        std::vector<std::string> targets;
        std::vector<std::size_t> tpos, qs;
        for (std::size_t t = 0; t < L; ++t)
            if (t != s) targets.push_back(d.names[t]), tpos.push_back(t);
        for (std::size_t i = 0; i < d.seqs.size(); ++i)
            if (d.langs[i] == d.names[s]) qs.push_back(i);
        const std::vector<int64_t> c = candidates(index, d, targets, qs);
        for (std::size_t j = 0; j < qs.size(); ++j)
            for (std::size_t t = 0; t < targets.size(); ++t)
                std::copy_n(c.begin() + (j * targets.size() + t) * kK, kK, out.begin() + (qs[j] * L + tpos[t]) * kK);
    }
    per_query = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / d.seqs.size();
    return out;
}

}  // namespace

int report_store(const std::string& dir) {
    const char* models = std::getenv("DOPPEL_SEARCH_MODELS");
    const char* spec = std::getenv("DOPPEL_SEARCH_SPEC");
    std::vector<std::string> ids;
    const Docs d = store_docs(dir, models ? models : "models", ids);
    const std::size_t n = d.seqs.size(), L = d.names.size();
    double t_exact = 0, t_approx = 0;
    const std::vector<int64_t> exact = all_candidates(build(d, "Flat"), d, t_exact);
    const auto b0 = std::chrono::steady_clock::now();
    const VectorIndex index = build(d, spec ? spec : "auto:exact_limit=0");
    const double t_build = std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
    const std::vector<int64_t> approx = all_candidates(index, d, t_approx);
    std::size_t want = 0, found = 0;
    for (std::size_t i = 0; i < exact.size(); i += kK) {
        const std::set<int64_t> got(approx.begin() + i, approx.begin() + i + kK);
        for (std::size_t r = 0; r < kK; ++r)
            if (exact[i + r] >= 0) want++, found += got.count(exact[i + r]);
    }
    // Gold pairs: ids "xx/rest" with the same rest, different languages.
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < n; ++i) groups[ids[i].substr(ids[i].find('/') + 1)].push_back(i);
    std::map<std::string, std::size_t> lang_pos;
    for (std::size_t l = 0; l < L; ++l) lang_pos[d.names[l]] = l;
    auto has = [&](const std::vector<int64_t>& c, std::size_t a, std::size_t b) {
        const auto* p = c.data() + (a * L + lang_pos[d.langs[b]]) * kK;
        return std::find(p, p + kK, static_cast<int64_t>(b)) != p + kK;
    };
    std::size_t gold = 0, gold_exact = 0, gold_approx = 0;
    for (const auto& [base, g] : groups)
        for (std::size_t x = 0; x < g.size(); ++x)
            for (std::size_t y = x + 1; y < g.size(); ++y) {
                const std::size_t a = g[x], b = g[y];
                if (d.langs[a] == d.langs[b]) continue;
                ++gold;
                gold_exact += has(exact, a, b) || has(exact, b, a);
                gold_approx += has(approx, a, b) || has(approx, b, a);
            }
    std::printf("store %s: %zu documents, %zu languages; approximate %s (built in %.2f s)\n", dir.c_str(), n, L,
                index.describe().c_str(), t_build);
    std::printf("  exact candidates found by the approximate search: %.4f (%zu of %zu)\n",
                want ? double(found) / double(want) : 1.0, found, want);
    std::printf("  gold pairs among the candidates: exact %.4f, approximate %.4f (of %zu)\n",
                gold ? double(gold_exact) / double(gold) : 1.0, gold ? double(gold_approx) / double(gold) : 1.0, gold);
    std::printf("  time per query (all target languages): exact %.3f ms, approximate %.3f ms\n", t_exact * 1e3,
                t_approx * 1e3);
    return 0;
}

int main(int argc, char** argv) {
    if (const char* dir = std::getenv("DOPPEL_SEARCH_STORE")) return report_store(dir);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
