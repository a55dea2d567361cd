#include "doppel/ops/indexer.h"

#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "doppel/index/embedding_stage.h"
#include "doppel/index/near_duplicate_index.h"
#include "impl/parallel.h"

namespace doppel {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}
}  // namespace

void IndexSummary::add_seconds(const std::string& stage, double s) {
    for (auto& [name, v] : seconds)
        if (name == stage) {
            v += s;
            return;
        }
    seconds.emplace_back(stage, s);
}

std::string content_hash(std::string_view text) {
    const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return buf;
}

Indexer::Indexer(Store& store, const LanguageIdentifier& langid) : store_(store), langid_(langid) {}

void Indexer::add_stage(std::unique_ptr<IndexStage> stage) { stages_.push_back(std::move(stage)); }

AnalyzedDocument Indexer::analyze(Document doc) const {
    AnalyzedDocument a;
    a.doc = std::move(doc);
    a.content_hash = content_hash(a.doc.text);
    langid_.analyze(&a);
    return a;
}

std::vector<PutStatus> Indexer::add(std::size_t n, Document* docs, int64_t now, IndexSummary* summary) {
    // Analysis (language ID dominates) is independent per document: spread it over the cores.
    std::vector<AnalyzedDocument> analyzed(n);
    auto t0 = Clock::now();
    impl::parallel_for(n, impl::worker_count(n),
                       [&](std::size_t i, std::size_t) { analyzed[i] = analyze(std::move(docs[i])); });
    auto t1 = Clock::now();
    std::vector<int64_t> stored_seqs;
    std::vector<PutStatus> status = store_.put(analyzed.size(), analyzed.data(), now, &stored_seqs);
    if (summary) {
        summary->add_seconds("analyze", seconds_since(t0, t1));
        summary->add_seconds("store", seconds_since(t1, Clock::now()));
    }
    std::vector<AnalyzedDocument> changed;
    std::vector<int64_t> seqs;
    for (std::size_t i = 0; i < n; ++i) {
        if (summary) {
            if (status[i] == PutStatus::kAdded)
                ++summary->added;
            else if (status[i] == PutStatus::kReplaced)
                ++summary->replaced;
            else
                ++summary->unchanged;
        }
        if (status[i] == PutStatus::kUnchanged) continue;
        seqs.push_back(stored_seqs[i]);
        changed.push_back(std::move(analyzed[i]));
    }
    if (!changed.empty()) {
        for (auto& stage : stages_) {
            auto t = Clock::now();
            stage->add(store_, changed.size(), seqs.data(), changed.data());
            if (summary) {
                summary->add_seconds(stage->name(), seconds_since(t, Clock::now()));
                for (auto& w : stage->take_warnings()) summary->warnings.push_back(std::move(w));
            }
        }
    }
    return status;
}

std::size_t Indexer::remove(const std::vector<std::string>& ids) {
    std::vector<int64_t> seqs;
    for (const auto& id : ids) {
        auto d = store_.get(id, false);
        if (d && store_.remove(id)) seqs.push_back(d->seq);
    }
    if (!seqs.empty())
        for (auto& stage : stages_) stage->removed(store_, seqs.size(), seqs.data());
    return seqs.size();
}

std::vector<std::string> Indexer::expire(int64_t cutoff) {
    std::vector<int64_t> seqs;
    std::vector<std::string> ids = store_.expire(cutoff, &seqs);
    if (!seqs.empty())
        for (auto& stage : stages_) stage->removed(store_, seqs.size(), seqs.data());
    return ids;
}

void Indexer::finish(IndexSummary* summary) {
    for (auto& stage : stages_) {
        auto t = Clock::now();
        stage->flush(store_);
        if (summary) {
            summary->add_seconds(stage->name() + " flush", seconds_since(t, Clock::now()));
            for (auto& w : stage->take_warnings()) summary->warnings.push_back(std::move(w));
        }
    }
    std::string specs = langid_.describe();
    for (auto& stage : stages_) specs.append(";").append(stage->describe());
    store_.set_meta("specs", specs);
}

IndexStages open_index_stages(const IndexConfig& config) {
    IndexStages out;
    if (config.near_duplicates) out.stages.push_back(std::make_unique<NearDuplicateStage>());
    if (!config.embeddings) return out;
    const std::string lexicon = (std::filesystem::path(config.models_dir) / "bridge.lex").string();
    if (!std::filesystem::exists(lexicon)) {
        out.warnings.push_back(lexicon +
                               " missing (run scripts/build-bridge): no embeddings for translations");
        return out;
    }
    EmbeddingStageOptions options;
    options.index = config.vector_index;
    options.vectors = config.vectors;
    options.vectors_weight = config.vectors_weight;
    out.stages.push_back(std::make_unique<EmbeddingStage>(options, EmbedderContext{config.models_dir}));
    return out;
}

IndexRun index_paths(Store& store, const LanguageIdentifier& langid,
                     std::vector<std::unique_ptr<IndexStage>> stages, const std::vector<std::string>& paths,
                     const IndexRunOptions& options, const IndexProgressCallback& progress) {
    Indexer indexer(store, langid);
    for (auto& stage : stages) indexer.add_stage(std::move(stage));
    DocumentReader reader(paths, options.reader);
    const int64_t now = options.now ? options.now : static_cast<int64_t>(std::time(nullptr));
    IndexRun run;
    std::vector<Document> docs;
    std::vector<RecordError> errors;
    auto t_read = Clock::now();
    while (reader.next_batch(options.batch, docs, errors) || !errors.empty()) {
        run.summary.add_seconds("read", seconds_since(t_read, Clock::now()));
        run.errors.insert(run.errors.end(), errors.begin(), errors.end());
        errors.clear();
        run.read += docs.size();
        if (!docs.empty()) indexer.add(docs.size(), docs.data(), now, &run.summary);
        docs.clear();
        if (progress) progress(run, reader.bytes_read(), reader.bytes_total());
        t_read = Clock::now();
    }
    indexer.finish(&run.summary);
    run.stored = store.size();
    return run;
}

}  // namespace doppel
