#include "doppel/index/embedding_stage.h"

#include <filesystem>
#include <unordered_map>

#include "doppel/error.h"
#include "doppel/store/store.h"
#include "impl/parallel.h"

namespace doppel {

EmbeddingStage::EmbeddingStage(EmbeddingStageOptions options, const EmbedderContext& ctx)
    : options_(std::move(options)) {
    if (!options_.embedder.starts_with("bridge"))
        DOPPEL_THROW("the embedding stage stores bridge features; embedder '" + options_.embedder +
                     "' is not supported here");
    embedder_ = std::make_unique<BridgeEmbedder>(BridgeEmbedder::parse_spec(options_.embedder), ctx);
    VectorIndex check(embedder_->dim(), options_.index);  // validates the factory string
}

EmbeddingStage::~EmbeddingStage() = default;

std::string EmbeddingStage::describe() const {
    return "embed:" + embedder_->describe() + ";index=faiss:" + options_.index;
}

void EmbeddingStage::add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) {
    std::vector<std::string> feats(n), langs(n);
    // A BridgeEmbedder is not thread-safe: one per worker, all sharing the lexicon.
    const std::size_t workers = impl::worker_count(n / 16 + 1);
    while (workers_.size() + 1 < workers)
        workers_.push_back(std::make_unique<BridgeEmbedder>(embedder_->options(), embedder_->lexicon_ptr()));
    impl::parallel_for(n, workers, [&](std::size_t i, std::size_t w) {
        BridgeEmbedder& e = w == 0 ? *embedder_ : *workers_[w - 1];
        feats[i] = e.document_features(docs[i]).serialize();
        langs[i] = e.matching_language(docs[i]);
    });
    store.transaction([&] {
        store.put_artifacts(kFeaturesKind, n, seqs, feats.data());
        store.put_artifacts(kLanguageKind, n, seqs, langs.data());
    });
    pending_.insert(pending_.end(), seqs, seqs + n);
}

void EmbeddingStage::removed(Store& store, std::size_t n, const int64_t* seqs) {
    if (!VectorIndex::exists(store.dir())) return;
    VectorIndex index = VectorIndex::load(store.dir());
    index.remove(n, seqs);
    index.save(store.dir());
}

StoredFeatures load_features(const Store& store) {
    StoredFeatures f;
    std::unordered_map<int64_t, std::size_t> pos;
    store.scan_artifacts(EmbeddingStage::kFeaturesKind, [&](int64_t seq, std::string_view blob) {
        pos[seq] = f.seqs.size();
        f.seqs.push_back(seq);
        f.counts.push_back(SparseVector::deserialize(blob));
        f.frequencies.add(f.counts.back());
    });
    f.langs.resize(f.seqs.size());
    store.scan_artifacts(EmbeddingStage::kLanguageKind, [&](int64_t seq, std::string_view blob) {
        auto it = pos.find(seq);
        if (it != pos.end()) f.langs[it->second] = std::string(blob);
    });
    return f;
}

void EmbeddingStage::flush(Store& store) {
    if (pending_.empty()) return;
    StoredFeatures all = load_features(store);
    auto df = std::make_shared<DocumentFrequencies>(std::move(all.frequencies));
    embedder_->set_frequencies(df);
    const std::size_t dim = embedder_->dim();

    std::size_t built = 0;
    if (auto m = store.meta("embedding.built_docs")) built = std::stoul(*m);
    bool rebuild = !VectorIndex::exists(store.dir()) ||
                   static_cast<double>(all.seqs.size()) > (1.0 + options_.rebuild_growth) * static_cast<double>(built);
    VectorIndex index = rebuild ? VectorIndex(dim, options_.index) : VectorIndex::load(store.dir());
    if (!rebuild && (index.dim() != dim || index.factory() != options_.index)) {
        rebuild = true;
        index = VectorIndex(dim, options_.index);
    }
    std::unordered_map<int64_t, std::size_t> pos;
    for (std::size_t i = 0; i < all.seqs.size(); ++i) pos[all.seqs[i]] = i;
    std::vector<std::size_t> todo;
    if (rebuild) {
        for (std::size_t i = 0; i < all.seqs.size(); ++i) todo.push_back(i);
    } else {
        for (int64_t s : pending_)
            if (auto it = pos.find(s); it != pos.end()) todo.push_back(it->second);
    }
    // Group by language and add.
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i : todo) by_lang[all.langs[i]].push_back(i);
    for (auto& [lang, items] : by_lang) {
        std::vector<float> x(items.size() * dim);
        std::vector<int64_t> ids(items.size());
        for (std::size_t j = 0; j < items.size(); ++j) {
            embedder_->densify(embedder_->weigh(all.counts[items[j]]), x.data() + j * dim);
            ids[j] = all.seqs[items[j]];
        }
        index.add(lang, items.size(), ids.data(), x.data());
    }
    index.save(store.dir());
    store.set_meta("embedder", embedder_->describe());
    store.set_meta("vector_index", index.describe());
    store.set_meta("bridge.lexicon", embedder_->lexicon().describe());
    if (rebuild) store.set_meta("embedding.built_docs", std::to_string(all.seqs.size()));
    pending_.clear();
}

}  // namespace doppel
