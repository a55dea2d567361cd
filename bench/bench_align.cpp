// Benchmarks of the aligner on synthetic parallel documents (bench/synthetic_parallel.h).
// Before timing, each size is aligned once and the beads are checked against the generator's
// gold alignment (strict F1 printed as a counter; the run aborts below 0.8).
//
// The aligner is the command-line tool's default: Aligner::kDefaultSpec with models/bridge.lex
// when it is there (scripts/setup.sh builds it), else kLexicalSpec.
//
//   build/bench/bench_align                                      # 1k, 5k, 20k sentences
//   /usr/bin/time -v build/bench/bench_align --benchmark_filter=BM_Align/20000/   # peak memory
// scripts/bench-align runs the 20,000-sentence case and checks the limits.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "doppel/align/aligner.h"
#include "synthetic_parallel.h"

namespace {

double strict_f1(const doppel::Alignment& al, const doppel::bench::SyntheticPair& p) {
    std::set<std::array<uint32_t, 4>> gold, test;
    for (const auto& g : p.gold)
        if (g[0] < g[1] && g[2] < g[3]) gold.insert(g);
    for (const auto& b : al.beads)
        if (b.aligned()) test.insert({b.a_begin, b.a_end, b.b_begin, b.b_end});
    std::size_t hits = 0;
    for (const auto& t : test) hits += gold.count(t);
    const double prec = test.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(test.size());
    const double rec = gold.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(gold.size());
    return prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
}

void BM_Align(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto pair = doppel::bench::make_synthetic_pair(n);
    doppel::AlignSide a{{}, "de"}, b{{}, "fr"};
    std::size_t bytes = 0;
    for (const auto& s : pair.a) {
        a.units.emplace_back(s);
        bytes += s.size();
    }
    for (const auto& s : pair.b) {
        b.units.emplace_back(s);
        bytes += s.size();
    }
    const std::string models = std::string(DOPPEL_SOURCE_DIR) + "/models";
    const bool lexicon = std::filesystem::exists(models + "/bridge.lex");
    const auto aligner =
        doppel::Aligner::from_spec(lexicon ? doppel::Aligner::kDefaultSpec : doppel::Aligner::kLexicalSpec, models);
    const doppel::Alignment check = aligner->align(a, b);
    const double f1 = strict_f1(check, pair);
    if (f1 < 0.8) {
        std::fprintf(stderr, "bench_align: strict F1 %.3f on %zu sentences is below 0.8\n", f1, n);
        std::abort();
    }
    for (auto _ : state) {
        doppel::Alignment al = aligner->align(a, b);
        benchmark::DoNotOptimize(al.beads.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
    state.counters["sentences_a"] = static_cast<double>(pair.a.size());
    state.counters["sentences_b"] = static_cast<double>(pair.b.size());
    state.counters["strict_f1"] = f1;
    state.counters["levels"] = check.levels;
    state.counters["lexicon"] = lexicon ? 1 : 0;
}

}  // namespace

BENCHMARK(BM_Align)->Arg(1000)->Arg(5000)->Arg(20000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_MAIN();
