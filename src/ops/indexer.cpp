#include "doppel/ops/indexer.h"

#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string_view>
#include <unordered_map>

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

Indexer::Indexer(Store& store, const LanguageIdentifier& langid)
    : store_(store), lock_(store.dir()), langid_(langid) {}

void Indexer::add_stage(std::unique_ptr<IndexStage> stage) { stages_.push_back(std::move(stage)); }

AnalyzedDocument Indexer::analyze(Document doc) const {
    AnalyzedDocument a;
    a.doc = std::move(doc);
    a.content_hash = content_hash(a.doc.text);
    langid_.analyze(&a);
    return a;
}

namespace {

// The positions in docs[0, n) of the last document of each id, in order. The earlier ones of an
// id would be stored and replaced within one transaction, their artifacts then naming a row that
// is gone; each is described in `superseded` with the source of the one that replaces it.
std::vector<std::size_t> last_of_each_id(std::size_t n, const Document* docs,
                                         std::vector<RecordError>* superseded) {
    std::unordered_map<std::string_view, std::size_t> last;
    for (std::size_t i = 0; i < n; ++i) last[docs[i].id] = i;
    std::vector<std::size_t> kept;
    kept.reserve(last.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = last[docs[i].id];
        if (j == i) {
            kept.push_back(i);
        } else if (superseded) {
            superseded->push_back(RecordError{docs[i].source, 0,
                                              "id '" + docs[i].id + "' given again at " + docs[j].source +
                                                  ": the later record replaces this one"});
        }
    }
    return kept;
}

void count_status(PutStatus s, IndexSummary& summary) {
    if (s == PutStatus::kAdded)
        ++summary.added;
    else if (s == PutStatus::kReplaced)
        ++summary.replaced;
    else if (s == PutStatus::kUnchanged)
        ++summary.unchanged;
}

}  // namespace

std::vector<PutStatus> Indexer::add(std::size_t n, Document* docs, int64_t now, IndexSummary* summary) {
    const std::vector<std::size_t> kept = last_of_each_id(n, docs, summary ? &summary->superseded : nullptr);
    // Analysis (language ID dominates) is independent per document: spread it over the cores.
    std::vector<AnalyzedDocument> analyzed(kept.size());
    auto t0 = Clock::now();
    impl::parallel_for(kept.size(), impl::worker_count(kept.size()),
                       [&](std::size_t i, std::size_t) { analyzed[i] = analyze(std::move(docs[kept[i]])); });
    auto t1 = Clock::now();
    std::vector<int64_t> stored_seqs;
    const std::vector<PutStatus> put = store_.put(analyzed.size(), analyzed.data(), now, &stored_seqs);
    if (summary) {
        summary->add_seconds("analyze", seconds_since(t0, t1));
        summary->add_seconds("store", seconds_since(t1, Clock::now()));
    }
    std::vector<PutStatus> status(n, PutStatus::kSuperseded);
    std::vector<AnalyzedDocument> changed;
    std::vector<int64_t> seqs;
    for (std::size_t i = 0; i < kept.size(); ++i) {
        status[kept[i]] = put[i];
        if (summary) count_status(put[i], *summary);
        if (put[i] == PutStatus::kUnchanged) continue;
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
        for (auto& e : run.summary.superseded) run.errors.push_back(std::move(e));
        run.summary.superseded.clear();
        docs.clear();
        if (progress) progress(run, reader.bytes_read(), reader.bytes_total());
        t_read = Clock::now();
    }
    indexer.finish(&run.summary);
    for (auto& note : reader.notes()) run.summary.warnings.push_back(std::move(note));  // WARC records left out
    run.stored = store.size();
    return run;
}

}  // namespace doppel
