// Benchmarks of the near-duplicate sketch stages: shingling (normalize, segment, hash, sort),
// MinHash signing, LSH insert and query. Input: the seed documents, repeated. Every benchmark
// checks its output against a reference computed without the timed path before timing.
#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <sstream>

#include "doppel/index/lsh_index.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/sketch/shingler.h"

using namespace doppel;

namespace {

std::vector<std::string> seed_texts() {
    std::vector<std::string> out;
    for (const char* name : {"ar-2024-hanoi-working-group.txt", "en-2024-hanoi-working-group.txt",
                             "vi-2019-bali-process-som14.txt", "vi-2019-gcm-central-region.txt",
                             "vi-2024-nz-interview-ben-quinn.txt"}) {
        std::ifstream f(std::string(DOPPEL_SOURCE_DIR) + "/seeds/" + name);
        std::stringstream ss;
        ss << f.rdbuf();
        out.push_back(ss.str());
    }
    return out;
}

// Reference shingling: Normalizer::normalize_text (no ASCII fast path), then the n-grams.
std::vector<uint64_t> reference_shingles(const Shingler& s, const std::string& text) {
    Segmenter seg;
    std::vector<uint64_t> v;
    s.shingle_normalized(s.normalizer().normalize_text(text), seg, &v);
    return v;
}

void BM_Shingle(benchmark::State& state, const char* spec) {
    const auto texts = seed_texts();
    auto shingler = Shingler::from_spec(spec);
    Segmenter seg;
    std::vector<uint64_t> out;
    for (const auto& t : texts) {
        shingler->shingle(t, seg, &out);
        if (out != reference_shingles(*shingler, t)) {
            state.SkipWithError("shingles differ from the reference");
            return;
        }
    }
    uint64_t bytes = 0, shingles = 0;
    for (auto _ : state) {
        for (const auto& t : texts) {
            shingler->shingle(t, seg, &out);
            bytes += t.size();
            shingles += out.size();
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.counters["docs/s"] = benchmark::Counter(static_cast<double>(state.iterations() * texts.size()),
                                                  benchmark::Counter::kIsRate);
    state.counters["shingles/doc"] =
        static_cast<double>(shingles) / static_cast<double>(state.iterations() * texts.size());
}
BENCHMARK_CAPTURE(BM_Shingle, word3, "word:n=3");
BENCHMARK_CAPTURE(BM_Shingle, word5, "word:n=5");
BENCHMARK_CAPTURE(BM_Shingle, char5, "char:n=5");

std::vector<uint64_t> random_set(std::size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> v(n);
    for (auto& x : v) x = rng();
    std::sort(v.begin(), v.end());
    return v;
}

void BM_MinHash(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    const int perms = static_cast<int>(state.range(1));
    MinHash mh(MinHashOptions{perms, 1});
    const auto set = random_set(n, 1);
    std::vector<uint32_t> sig(perms);
    // Reference: the minimum of each permutation computed one value at a time.
    MinHash one(MinHashOptions{perms, 1});
    mh.sign(set.data(), set.size(), sig.data());
    std::vector<uint32_t> ref(perms, 0xFFFFFFFFu), tmp(perms);
    for (uint64_t x : set) {
        one.sign(&x, 1, tmp.data());
        for (int j = 0; j < perms; ++j) ref[j] = std::min(ref[j], tmp[j]);
    }
    if (ref != sig) {
        state.SkipWithError("signature differs from the reference");
        return;
    }
    for (auto _ : state) {
        mh.sign(set.data(), set.size(), sig.data());
        benchmark::DoNotOptimize(sig.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n * sizeof(uint64_t)));
    state.counters["shingles/s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MinHash)->Args({1000, 128})->Args({10000, 128})->Args({10000, 256});

std::vector<uint32_t> random_signatures(std::size_t docs, int perms) {
    MinHash mh(MinHashOptions{perms, 1});
    std::vector<uint32_t> sigs(docs * perms);
    for (std::size_t i = 0; i < docs; ++i) {
        const auto set = random_set(200, i + 1);
        mh.sign(set.data(), set.size(), &sigs[i * perms]);
    }
    return sigs;
}

void BM_LshInsert(benchmark::State& state) {
    const std::size_t docs = static_cast<std::size_t>(state.range(0));
    const auto sigs = random_signatures(docs, 128);
    std::vector<int64_t> ids(docs);
    for (std::size_t i = 0; i < docs; ++i) ids[i] = static_cast<int64_t>(i);
    const LshParams p = choose_lsh_params(0.8, 128);
    {
        LshIndex check(128, p);
        check.add(docs, ids.data(), sigs.data());
        if (check.query(&sigs[0]) != std::vector<int64_t>{0}) {
            state.SkipWithError("a random document should only find itself");
            return;
        }
    }
    for (auto _ : state) {
        LshIndex index(128, p);
        index.add(docs, ids.data(), sigs.data());
        benchmark::DoNotOptimize(index.size());
    }
    state.counters["docs/s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * docs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LshInsert)->Arg(10000);

void BM_LshQuery(benchmark::State& state) {
    const std::size_t docs = 10000;
    const auto sigs = random_signatures(docs, 128);
    std::vector<int64_t> ids(docs);
    for (std::size_t i = 0; i < docs; ++i) ids[i] = static_cast<int64_t>(i);
    LshIndex index(128, choose_lsh_params(0.8, 128));
    index.add(docs, ids.data(), sigs.data());
    std::size_t q = 0, found = 0;
    for (auto _ : state) {
        found += index.query(&sigs[(q % docs) * 128]).size();
        ++q;
    }
    if (found != q) state.SkipWithError("each query should find exactly its own document");
    state.counters["queries/s"] = benchmark::Counter(static_cast<double>(q), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LshQuery);

void BM_LshBatchCandidates(benchmark::State& state) {
    const std::size_t docs = static_cast<std::size_t>(state.range(0));
    const auto sigs = random_signatures(docs, 128);
    const LshParams p = choose_lsh_params(0.8, 128);
    if (!lsh_candidate_pairs(docs, sigs.data(), 128, p).empty()) {
        state.SkipWithError("random documents should give no candidates");
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(lsh_candidate_pairs(docs, sigs.data(), 128, p));
    state.counters["docs/s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * docs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LshBatchCandidates)->Arg(50000);

}  // namespace

BENCHMARK_MAIN();
