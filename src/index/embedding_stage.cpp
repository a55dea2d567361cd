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
        DOPPEL_THROW(kBadSpec, "the embedding stage stores bridge features; embedder '" + options_.embedder +
                     "' is not supported here");
    embedder_ = std::make_unique<BridgeEmbedder>(BridgeEmbedder::parse_spec(options_.embedder), ctx);
    VectorIndex check(embedder_->dim(), options_.index);  // validates the factory string
    if (!options_.vectors.empty()) {
        DOPPEL_CHECK(kInvalidArgument, options_.vectors_weight > 0 && options_.vectors_weight <= 1,
                     "embedding stage: vectors weight must be in (0, 1]");
        vectors_ = std::make_unique<VectorsEmbedder>(VectorsEmbedder::parse_spec(options_.vectors));
    }
}

EmbeddingStage::~EmbeddingStage() = default;

std::string EmbeddingStage::describe() const {
    std::string d = "embed:" + embedder_->describe() + ";index=faiss:" + options_.index;
    if (vectors_) d += ";with=" + vectors_->describe() + ";weight=" + std::to_string(options_.vectors_weight);
    return d;
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
    std::vector<std::string> vecs;
    if (vectors_) {  // not thread-safe (files load lazily): one thread
        // A document whose language has no vectors file gets none (zeros): the bridge alone
        // then speaks for it.
        std::vector<float> v;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t d = 0;
            try {
                d = vectors_->load(docs[i].lang);
                v.assign(d, 0.0f);
                vectors_->embed_documents(1, docs + i, v.data());
            } catch (const Error& e) {
                if (missing_.insert(docs[i].lang).second)
                    warnings_.push_back("no word vectors for language '" + docs[i].lang + "' (" + e.what() +
                                        "): the bridge alone embeds it");
                d = vectors_->dim();
                v.assign(d, 0.0f);
            }
            vecs.push_back(encode_vectors_artifact(v.data(), static_cast<uint32_t>(d)));
        }
    }
    store.transaction([&] {
        store.put_artifacts(kFeaturesKind, n, seqs, feats.data());
        store.put_artifacts(kLanguageKind, n, seqs, langs.data());
        if (vectors_) store.put_artifacts(kVectorsKind, n, seqs, vecs.data());
    });
    pending_.insert(pending_.end(), seqs, seqs + n);
}

void EmbeddingStage::removed(Store& store, std::size_t n, const int64_t* seqs) {
    if (!VectorIndex::exists(store.dir())) return;
    VectorIndex index = VectorIndex::load(store.dir());
    index.remove(n, seqs);
    index.save(store.dir());
}

void EmbeddingStage::refeaturize(Store& store) {
    // Ids first, then documents a batch at a time: add() writes to the store, which must not
    // happen inside an open scan, and a whole store's text need not sit in memory at once.
    std::vector<std::string> ids;
    store.scan([&](const StoredDocument& d) {
        ids.push_back(d.id);
        return true;
    }, false);
    std::vector<AnalyzedDocument> batch;
    std::vector<int64_t> seqs;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (auto d = store.get(ids[i])) {
            AnalyzedDocument a;
            a.doc.id = d->id;
            a.doc.text = std::move(d->text);
            a.lang = d->lang;
            a.lang_confidence = d->lang_confidence;
            a.paragraphs = std::move(d->paragraphs);
            a.other_languages = std::move(d->other_languages);
            a.content_hash = d->content_hash;
            batch.push_back(std::move(a));
            seqs.push_back(d->seq);
        }
        if (!batch.empty() && (batch.size() == 256 || i + 1 == ids.size())) {
            add(store, batch.size(), seqs.data(), batch.data());
            batch.clear();
            seqs.clear();
        }
    }
}

void EmbeddingStage::train_index(VectorIndex& index, const StoredFeatures& all, const std::vector<std::size_t>& todo,
                                 const StoredVectors& vecs) {
    // An "auto" index past its exact limit is trained up front, on a sample of every language,
    // before the languages are added one after the other.
    if (!index.needs_training(todo.size())) return;
    const std::size_t dim = embedder_->dim(), stride = std::max<std::size_t>(1, todo.size() / 32768);
    std::vector<std::size_t> picks;
    for (std::size_t j = 0; j < todo.size(); j += stride) picks.push_back(todo[j]);
    std::vector<float> x(picks.size() * dim);
    impl::parallel_for(picks.size(), impl::worker_count(picks.size() / 256 + 1), [&](std::size_t j, std::size_t) {
        embedder_->densify(vecs.join(embedder_->weigh(all.counts[picks[j]]), all.seqs[picks[j]]), x.data() + j * dim);
    });
    index.prepare(todo.size(), picks.size(), x.data());
}

void EmbeddingStage::flush(Store& store) {
    // Features computed with another lexicon (models rebuilt since) are recomputed for every
    // stored document, and the index rebuilt from them.
    const auto lex = store.meta("bridge.lexicon");
    const bool stale = lex && *lex != embedder_->lexicon().describe();
    if (stale) {
        refeaturize(store);
        store.set_meta("embedding.built_docs", "0");
    }
    // A vector index that is missing (a run stopped before this flush, a deleted file) is rebuilt
    // from the stored features, even when nothing changed.
    if (pending_.empty() && !stale && VectorIndex::exists(store.dir())) return;
    StoredFeatures all = load_features(store);
    if (all.seqs.empty() && pending_.empty() && !stale) return;  // no features: nothing to index
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
    if (vectors_) {
        store.set_meta("embedding.vectors", vectors_->describe());
        store.set_meta("embedding.vectors_weight", std::to_string(options_.vectors_weight));
    }
    const StoredVectors vecs = load_vectors(store);
    if (rebuild) train_index(index, all, todo, vecs);
    // Group by language and add.
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i : todo) by_lang[all.langs[i]].push_back(i);
    // In chunks (memory), each embedded on all cores (weigh and densify are const).
    constexpr std::size_t kChunk = 8192;
    for (auto& [lang, items] : by_lang)
        for (std::size_t c = 0; c < items.size(); c += kChunk) {
            const std::size_t m = std::min(kChunk, items.size() - c);
            std::vector<float> x(m * dim);
            std::vector<int64_t> ids(m);
            impl::parallel_for(m, impl::worker_count(m / 256 + 1), [&](std::size_t j, std::size_t) {
                const std::size_t i = items[c + j];
                embedder_->densify(vecs.join(embedder_->weigh(all.counts[i]), all.seqs[i]), x.data() + j * dim);
                ids[j] = all.seqs[i];
            });
            index.add(lang, m, ids.data(), x.data());
        }
    index.save(store.dir());
    store.set_meta("embedder", embedder_->describe());
    store.set_meta("vector_index", index.describe());
    store.set_meta("bridge.lexicon", embedder_->lexicon().describe());
    if (rebuild) store.set_meta("embedding.built_docs", std::to_string(all.seqs.size()));
    pending_.clear();
}

}  // namespace doppel
