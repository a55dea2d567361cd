// Throughput of the normalize stage: ICU normalization (with and without the offset map) and
// word segmentation, on the seed documents (Vietnamese, Arabic, English) repeated to ~1 MB.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"

namespace {

std::string seed(const char* name) {
    std::ifstream f(std::string(DOPPEL_SOURCE_DIR) + "/seeds/" + name);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string corpus(const char* name) {
    const std::string one = seed(name);
    if (one.empty()) throw std::runtime_error(std::string("missing seed ") + name);
    std::string out;
    while (out.size() < (1u << 20)) out += one;
    return out;
}

const char* kSeeds[] = {"vi-2024-nz-interview-ben-quinn.txt", "ar-2024-hanoi-working-group.txt",
                        "en-2024-hanoi-working-group.txt"};

void BM_Normalize(benchmark::State& state) {
    const std::string text = corpus(kSeeds[state.range(0)]);
    doppel::Normalizer n;
    // Check before timing: the output is lower-case and maps back to the input.
    const auto ref = n.normalize(text);
    if (ref.source_offsets.size() != ref.text.size() + 1 || ref.text.empty())
        state.SkipWithError("normalizer output is inconsistent");
    for (auto _ : state) benchmark::DoNotOptimize(n.normalize(text));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.SetLabel(kSeeds[state.range(0)]);
}
BENCHMARK(BM_Normalize)->DenseRange(0, 2);

void BM_NormalizeTextOnly(benchmark::State& state) {
    const std::string text = corpus(kSeeds[state.range(0)]);
    doppel::Normalizer n;
    if (n.normalize_text(text) != n.normalize(text).text) state.SkipWithError("text-only path differs");
    for (auto _ : state) benchmark::DoNotOptimize(n.normalize_text(text));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.SetLabel(kSeeds[state.range(0)]);
}
BENCHMARK(BM_NormalizeTextOnly)->DenseRange(0, 2);

void BM_Words(benchmark::State& state) {
    doppel::Normalizer n;
    const std::string text = n.normalize_text(corpus(kSeeds[state.range(0)]));
    doppel::Segmenter seg;
    const std::size_t words = seg.words(text).size();
    if (words == 0) state.SkipWithError("no words");
    for (auto _ : state) benchmark::DoNotOptimize(seg.words(text));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
    state.counters["words"] = static_cast<double>(words);
    state.SetLabel(kSeeds[state.range(0)]);
}
BENCHMARK(BM_Words)->DenseRange(0, 2);

}  // namespace

BENCHMARK_MAIN();
