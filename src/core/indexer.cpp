#include "doppel/indexer.h"

#include <xxhash.h>

#include <chrono>
#include <cstdio>

#include "impl/parallel.h"

namespace doppel {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
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
    impl::parallel_for(n, impl::worker_count(n), [&](std::size_t i, std::size_t) {
        analyzed[i] = analyze(std::move(docs[i]));
    });
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
            if (status[i] == PutStatus::kAdded) ++summary->added;
            else if (status[i] == PutStatus::kReplaced) ++summary->replaced;
            else ++summary->unchanged;
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

}  // namespace doppel
