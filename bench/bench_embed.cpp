// Throughput of the embed stage: the bridge embedder (embed/bridge_embedder.h) on the seed
// documents, which are language-identified first (untimed) as the indexer does.
//
// BM_BridgeFeatures/<seed>: raw features of a whole document (normalization, word segmentation,
// lexicon lookup with stemming, name keys through ICU transliteration), in bytes per second.
// BM_BridgeWeighDensify: TF-IDF weighting and the dense form (signed feature hashing, dim 2048).
// Needs models/bridge.lex (scripts/setup.sh builds it). Before timing it checks that the
// Arabic seed is closer to its English version than to the Vietnamese interview.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/langid/language_identifier.h"

using namespace doppel;

namespace {

const char* kSeeds[] = {"ar-2024-hanoi-working-group.txt", "en-2024-hanoi-working-group.txt",
                        "vi-2024-nz-interview-ben-quinn.txt"};

struct Fixture {
    std::shared_ptr<const BridgeLexicon> lexicon;
    std::vector<AnalyzedDocument> docs;
    std::string error;

    Fixture() {
        const std::string models = std::string(DOPPEL_SOURCE_DIR) + "/models";
        if (!std::filesystem::exists(models + "/bridge.lex") || !std::filesystem::exists(models + "/lid.176.ftz")) {
            error = "models/bridge.lex or models/lid.176.ftz missing (run scripts/setup.sh)";
            return;
        }
        lexicon = std::make_shared<const BridgeLexicon>(models + "/bridge.lex");
        LanguageIdentifier langid(models + "/lid.176.ftz");
        for (const char* name : kSeeds) {
            std::ifstream f(std::string(DOPPEL_SOURCE_DIR) + "/seeds/" + name);
            std::stringstream ss;
            ss << f.rdbuf();
            AnalyzedDocument d;
            d.doc.id = name;
            d.doc.text = ss.str();
            langid.analyze(&d);
            docs.push_back(std::move(d));
        }
        BridgeEmbedder e({}, lexicon);
        SparseVector ar = e.weigh(e.document_features(docs[0]));
        SparseVector en = e.weigh(e.document_features(docs[1]));
        SparseVector vi = e.weigh(e.document_features(docs[2]));
        if (!(dot(ar, en) > dot(ar, vi))) error = "the Arabic seed is not closest to its English version";
    }
};

const Fixture& fixture() {
    static const Fixture f;
    return f;
}

void BM_BridgeFeatures(benchmark::State& state) {
    const Fixture& f = fixture();
    if (!f.error.empty()) {
        state.SkipWithError(f.error.c_str());
        return;
    }
    const AnalyzedDocument& doc = f.docs[state.range(0)];
    BridgeEmbedder e({}, f.lexicon);
    for (auto _ : state) benchmark::DoNotOptimize(e.document_features(doc));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.doc.text.size()));
    state.SetLabel(doc.lang);
}
BENCHMARK(BM_BridgeFeatures)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

void BM_BridgeWeighDensify(benchmark::State& state) {
    const Fixture& f = fixture();
    if (!f.error.empty()) {
        state.SkipWithError(f.error.c_str());
        return;
    }
    BridgeEmbedder e({}, f.lexicon);
    std::vector<SparseVector> counts;
    for (const auto& d : f.docs) counts.push_back(e.document_features(d));
    std::vector<float> out(e.dim());
    for (auto _ : state)
        for (const auto& c : counts) e.densify(e.weigh(c), out.data());
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * counts.size()));
}
BENCHMARK(BM_BridgeWeighDensify)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
