#include "doppel/index/embedding_stage.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "doppel/error.h"
#include "doppel/index/vector_index_check.h"
#include "doppel/store/store.h"
#include "impl/parallel.h"
#include "impl/parts.h"
#include "impl/repeats.h"

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

std::vector<std::string> EmbeddingStage::artifact_kinds() const {
    std::vector<std::string> kinds{kFeaturesKind, kLanguageKind};
    if (vectors_) kinds.push_back(kVectorsKind);
    return kinds;
}

std::string EmbeddingStage::describe() const {
    std::string d = "embed:" + embedder_->describe() + ";index=faiss:" + options_.index;
    if (vectors_) d += ";with=" + vectors_->describe() + ";weight=" + std::to_string(options_.vectors_weight);
    return d;
}

struct EmbeddingStage::Batch : IndexStage::Prepared {
    // Per document: serialized features and matching language; a repeat's are its first's
    // (first[i] != i), not copied: a feed's copies of long documents held megabytes twice.
    std::vector<std::string> feats, langs;
    std::vector<std::size_t> first;
    std::vector<XXH128_hash_t> made;  // per document: analysis_hash() of what it was made of
    // Per document: left to add_prepared(), which takes them from a document of the same text
    // and analysis that this stage wrote earlier in the run (take_written).
    std::vector<std::size_t> earlier;
    std::string_view feats_of(std::size_t i) const { return feats[first[i]]; }
    std::string_view lang_of(std::size_t i) const { return langs[first[i]]; }

    // The features depend on the text and on the analysis: the document's language and each
    // paragraph's span and language (BridgeEmbedder::document_features).
    static XXH128_hash_t analysis_hash(const AnalyzedDocument& d) {
        // Kept from one document to the next on a thread (a batch's loop: impl::parallel_for's
        // threads end with it): a long document's key is a megabyte of new memory.
        thread_local std::string key;
        key = d.content_hash;
        key.append(1, '\0').append(d.lang).append(1, '\0');
        for (const Paragraph& p : d.paragraphs) {
            key.append(reinterpret_cast<const char*>(&p.span.begin), sizeof(p.span.begin));
            key.append(reinterpret_cast<const char*>(&p.span.end), sizeof(p.span.end));
            key.append(p.lang).push_back(',');
        }
        return XXH3_128bits(key.data(), key.size());
    }
    // Whether two documents have the same text and analysis (so the same features).
    static bool same_analysis(const AnalyzedDocument& a, const AnalyzedDocument& b) {
        if (a.doc.text != b.doc.text || a.lang != b.lang || a.paragraphs.size() != b.paragraphs.size()) return false;
        for (std::size_t i = 0; i < a.paragraphs.size(); ++i)
            if (a.paragraphs[i].span != b.paragraphs[i].span || a.paragraphs[i].lang != b.paragraphs[i].lang)
                return false;
        return true;
    }
    // Whether it was made of these documents (by content hash and analysis).
    bool made_of(std::size_t n, const AnalyzedDocument* docs) const {
        if (made.size() != n) return false;
        for (std::size_t i = 0; i < n; ++i)
            if (docs[i].content_hash.empty() || !XXH128_isEqual(made[i], analysis_hash(docs[i]))) return false;
        return true;
    }
};

void EmbeddingStage::featurize(EmbedderPool& pool, std::size_t n, const AnalyzedDocument* docs, Batch& out,
                               const std::unordered_set<uint64_t>* before) {
    out.feats.assign(n, {});
    out.langs.assign(n, {});
    out.made.assign(n, {});
    std::vector<uint64_t> keys(n);
    impl::parallel_for(n, impl::worker_count(n / 16 + 1), [&](std::size_t i, std::size_t) {
        out.made[i] = Batch::analysis_hash(docs[i]);
        keys[i] = out.made[i].low64;
    });
    // A document repeated in the batch (same text and analysis) is computed once, by one worker.
    out.first = impl::first_of_repeats(
        keys, [&](std::size_t a, std::size_t b) { return Batch::same_analysis(docs[a], docs[b]); });
    std::vector<std::size_t> todo;
    out.earlier.clear();
    for (std::size_t i : impl::distinct_items(out.first))
        (before && before->count(keys[i]) ? out.earlier : todo).push_back(i);
    compute_features(pool, docs, todo, out);
}

namespace {
// A piece of a batch's features: a whole document, or run `piece` (paragraphs [first, last)) of
// a long one.
struct FeaturePart {
    std::size_t doc = 0, first = 0, last = 0;
    std::size_t piece = SIZE_MAX;  // SIZE_MAX: the whole document
    std::size_t bytes = 0;         // about the work: the text's bytes
};

// The parts of the documents docs[todo[k]]: a short one whole, a long one (over
// kEmbeddingPartBytes, with paragraphs) in runs of paragraphs; the long ones in `split`, in order,
// each with its number of runs.
std::vector<FeaturePart> feature_parts(const AnalyzedDocument* docs, const std::vector<std::size_t>& todo,
                                       std::vector<std::pair<std::size_t, std::size_t>>* split) {
    std::vector<FeaturePart> parts;
    for (const std::size_t i : todo) {
        const AnalyzedDocument& d = docs[i];
        if (d.doc.text.size() <= kEmbeddingPartBytes || d.paragraphs.empty()) {
            parts.push_back(FeaturePart{i, 0, 0, SIZE_MAX, d.doc.text.size()});
            continue;
        }
        const auto runs =
            impl::runs_of(d.paragraphs.size(), kEmbeddingPartBytes, [&](std::size_t p) { return d.paragraphs[p].span; });
        for (std::size_t r = 0; r < runs.size(); ++r) {
            const auto [first, last] = runs[r];
            parts.push_back(FeaturePart{i, first, last, r, d.paragraphs[last - 1].span.end - d.paragraphs[first].span.begin});
        }
        split->emplace_back(i, runs.size());
    }
    return parts;
}
}  // namespace

// The features and matching languages of docs[todo[k]] into `out`, on all cores with pool's
// embedders (made as needed). A document longer than kEmbeddingPartBytes is cut into runs of
// paragraphs that different threads take (BridgeEmbedder::append_paragraph_features), joined in
// order and summed as document_features() sums them; the largest parts are taken first.
void EmbeddingStage::compute_features(EmbedderPool& pool, const AnalyzedDocument* docs,
                                      const std::vector<std::size_t>& todo, Batch& out) {
    std::vector<std::pair<std::size_t, std::size_t>> split;  // the long documents and their runs
    std::vector<FeaturePart> parts = feature_parts(docs, todo, &split);
    std::vector<std::vector<SparseVector>> pieces(split.size());  // per long document: its runs' features
    std::unordered_map<std::size_t, std::size_t> piece_of;        // long document -> its entry in pieces
    for (std::size_t j = 0; j < split.size(); ++j) {
        piece_of[split[j].first] = j;
        pieces[j].resize(split[j].second);
    }
    impl::largest_first(parts);
    // Short documents a thread for every 16 (starting one costs more than a few take), each run
    // of a long one worth one.
    const std::size_t runs = parts.size() - (todo.size() - split.size());
    const std::size_t workers = impl::worker_count(todo.size() / 16 + 1 + runs);
    while (pool.size() < workers)
        pool.push_back(std::make_unique<BridgeEmbedder>(embedder_->options(), embedder_->lexicon_ptr()));
    impl::parallel_for(parts.size(), workers, [&](std::size_t k, std::size_t w) {
        const FeaturePart& p = parts[k];
        if (p.piece == SIZE_MAX) {
            out.feats[p.doc] = pool[w]->document_features(docs[p.doc]).serialize();
            out.langs[p.doc] = pool[w]->matching_language(docs[p.doc]);
        } else {
            pool[w]->append_paragraph_features(docs[p.doc], p.first, p.last, pieces[piece_of.at(p.doc)][p.piece]);
        }
    });
    for (std::size_t j = 0; j < split.size(); ++j) {
        // Summed run by run (SparseSum: the same sums as of all runs joined), each run freed once
        // added: a long document's raw features are held once, not three times more as a joined
        // copy and its sorting buffers (the copyright corpus's 2 MB documents: 26 MB of new heap
        // at the index's peak).
        SparseSum sum;
        for (SparseVector& piece : pieces[j]) {
            sum.add(piece);
            piece = SparseVector{};
        }
        out.feats[split[j].first] = sum.take().serialize();
        out.langs[split[j].first] = pool[0]->matching_language(docs[split[j].first]);
    }
}

// A document whose text and analysis a document of an earlier batch had is left to
// add_prepared(), which takes that one's stored features (take_written).
std::unique_ptr<IndexStage::Prepared> EmbeddingStage::prepare(std::size_t n, const AnalyzedDocument* docs) {
    auto b = std::make_unique<Batch>();
    featurize(preparers_, n, docs, *b, &prepared_);
    for (std::size_t i = 0; i < n && prepared_.size() < kRunDocuments; ++i)
        if (b->first[i] == i) prepared_.insert(b->made[i].low64);
    return b;
}

// The features and matching languages of the documents prepare() left (b.earlier), from the
// stored artifacts of a document this stage wrote earlier in the run with the same text and
// analysis (written_; checked against its row, byte for byte); computed here where there is none.
void EmbeddingStage::take_written(Store& store, const AnalyzedDocument* docs, Batch& b) {
    std::unordered_map<int64_t, std::size_t> asking;  // the holder's seq -> the document
    std::vector<int64_t> seqs;
    std::vector<std::size_t> missing;
    for (const std::size_t i : b.earlier) {
        const auto it = written_.find(b.made[i].low64);
        if (it != written_.end() && asking.emplace(it->second, i).second)
            seqs.push_back(it->second);
        else
            missing.push_back(i);
    }
    // The holder's text compared in place, its analysis hashed again from its row.
    std::vector<int64_t> same;
    store.read_texts(seqs, [&](int64_t seq, std::string_view text) {
        const std::size_t i = asking.at(seq);
        if (text != docs[i].doc.text) return;
        std::optional<StoredDocument> held = store.get_by_seq(seq, false);
        if (held && XXH128_isEqual(Batch::analysis_hash(as_analyzed(std::move(*held))), b.made[i]))
            same.push_back(seq);
    });
    std::vector<bool> taken(b.feats.size(), false);
    store.read_artifacts(kFeaturesKind, same,
                         [&](int64_t seq, std::string_view blob) { b.feats[asking.at(seq)] = blob; });
    store.read_artifacts(kLanguageKind, same, [&](int64_t seq, std::string_view blob) {
        b.langs[asking.at(seq)] = blob;
        taken[asking.at(seq)] = true;
    });
    for (const int64_t seq : seqs)
        if (!taken[asking.at(seq)]) missing.push_back(asking.at(seq));
    b.earlier.clear();
    compute_features(workers_, docs, missing, b);
}

void EmbeddingStage::add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) {
    add_prepared(store, n, seqs, docs, nullptr);
}

void EmbeddingStage::add_prepared(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs,
                                  std::unique_ptr<Prepared> prepared) {
    auto* b = dynamic_cast<Batch*>(prepared.get());
    Batch own;
    if (!b || !b->made_of(n, docs)) {
        featurize(workers_, n, docs, own);
        b = &own;
    }
    if (!b->earlier.empty()) take_written(store, docs, *b);
    write(store, n, seqs, *b, vectors_artifacts(n, docs));
}

std::vector<std::string> EmbeddingStage::vectors_artifacts(std::size_t n, const AnalyzedDocument* docs) {
    std::vector<std::string> vecs;
    if (!vectors_) return vecs;
    // A document whose language has no vectors file gets none (zeros): the bridge alone then
    // speaks for it.
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
    return vecs;
}

void EmbeddingStage::write(Store& store, std::size_t n, const int64_t* seqs, Batch& b,
                           const std::vector<std::string>& vecs) {
    store.transaction([&] {
        // The spec is recorded with the first features, so a reader can weigh them even when the
        // run stops before the vector index is written.
        if (!store.meta("embedder")) store.set_meta("embedder", embedder_->describe());
        std::vector<std::string_view> feats(n), langs(n);
        for (std::size_t i = 0; i < n; ++i) feats[i] = b.feats_of(i), langs[i] = b.lang_of(i);
        store.put_artifacts(kFeaturesKind, n, seqs, feats.data());
        store.put_artifacts(kLanguageKind, n, seqs, langs.data());
        if (vectors_) store.put_artifacts(kVectorsKind, n, seqs, vecs.data());
    });
    pending_.insert(pending_.end(), seqs, seqs + n);
    for (std::size_t i = 0; i < n && written_.size() < kRunDocuments; ++i)
        if (b.first[i] == i) written_.try_emplace(b.made[i].low64, seqs[i]);
}

void EmbeddingStage::relabeled(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) {
    store.transaction([&] {
        // Features and matching language of the new languages, with the embedders that made
        // this run's batches (no prepare() runs meanwhile, index_stage.h): the paragraphs whose
        // language stays are in their memos. Computed, never taken from an earlier document's
        // (take_written): the rows being relabeled hold their new languages already and their
        // old features still, so one could be found under its new analysis.
        auto b = std::make_unique<Batch>();
        featurize(preparers_, n, docs, *b);
        add_prepared(store, n, seqs, docs, std::move(b));
        add_relabeled(store, n, seqs);  // the index moves them at flush (or the next writer's)
    });
}

void EmbeddingStage::removed(Store& store, std::size_t n, const int64_t* seqs) {
    // The deleted documents' features are gone: bringing the index in step removes them.
    if (VectorIndex::exists(store.dir())) sync_index(store, false);
}

void EmbeddingStage::refeaturize(Store& store) {
    // Seqs first, then documents a batch at a time: add() writes to the store, which must not
    // happen inside an open scan, and a whole store's text need not sit in memory at once.
    std::vector<int64_t> stored;
    store.scan_keys([&](const Store::DocumentKeys& k) {
        stored.push_back(k.seq);
        return true;
    });
    std::vector<AnalyzedDocument> batch;
    std::vector<int64_t> seqs;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (auto d = store.get_by_seq(stored[i])) {
            seqs.push_back(d->seq);
            batch.push_back(as_analyzed(std::move(*d)));
        }
        if (!batch.empty() && (batch.size() == 256 || i + 1 == stored.size())) {
            add(store, batch.size(), seqs.data(), batch.data());
            batch.clear();
            seqs.clear();
        }
    }
}

void EmbeddingStage::train_index(VectorIndex& index, const StoredFeatures& all, const StoredVectors& vecs) {
    // An "auto" index past its exact limit is trained up front, on a sample of every language,
    // before the languages are added one after the other.
    const std::size_t n = all.seqs.size();
    if (!index.needs_training(n)) return;
    const std::size_t dim = embedder_->dim(), stride = std::max<std::size_t>(1, n / 32768);
    std::vector<std::size_t> picks;
    for (std::size_t j = 0; j < n; j += stride) picks.push_back(j);
    std::vector<float> x(picks.size() * dim);
    impl::parallel_for(picks.size(), impl::worker_count(picks.size() / 256 + 1), [&](std::size_t j, std::size_t) {
        embedder_->densify(vecs.join(embedder_->weigh(all.counts[picks[j]]), all.seqs[picks[j]]), x.data() + j * dim);
    });
    index.prepare(n, picks.size(), x.data());
}

void EmbeddingStage::flush(Store& store) {
    // The batches' embedders and their memos are freed first (a later add() makes new ones), in
    // about 1 ms (the copyright corpus), and their memory is what reading the stored features
    // takes again. Freed on a thread of their own while that reading ran, they slowed it by
    // more: both threads took the allocator's lock (one arena in the command-line tool, see
    // src/cli/main.cpp).
    preparers_.clear();
    workers_.clear();
    // Features computed with another lexicon (models rebuilt since) are recomputed for every
    // stored document, and the index rebuilt from them.
    const auto lex = store.meta("bridge.lexicon");
    const bool stale = lex && *lex != embedder_->lexicon().describe();
    if (stale) {
        refeaturize(store);
        store.set_meta("embedding.built_docs", "0");
    }
    sync_index(store, stale);
}

// ---- the vector index: derived from the stored features, kept in step with the store --------

// What sync_index() does: rebuild from every stored feature vector, or update `index` (loaded)
// by adding the documents in `add` and removing the ids in `remove`.
struct EmbeddingStage::IndexPlan {
    bool rebuild = false;
    std::optional<VectorIndex> index;
    std::vector<int64_t> add, remove;
    bool moved = false;  // documents were relabeled: save (and so empty their list) even with nothing to do
};

EmbeddingStage::IndexPlan EmbeddingStage::plan_index(Store& store, bool stale) {
    IndexPlan plan;
    const VectorIndexCheck check = check_vector_index(store);
    const std::vector<int64_t> expected = store.artifact_seqs(kFeaturesKind);
    if (expected.empty() && !check.present) return plan;  // no features: nothing to index
    std::size_t built = 0;
    if (auto m = store.meta("embedding.built_docs")) built = std::strtoul(m->c_str(), nullptr, 10);
    const bool grown =
        static_cast<double>(expected.size()) > (1.0 + options_.rebuild_growth) * static_cast<double>(built);
    if (check.in_step && pending_.empty() && !stale && !grown) return plan;  // nothing to do: not loaded
    plan.rebuild = stale || !check.intact || grown;
    // A missing or damaged index is said; a first build (every document new in this run) is not.
    if (!check.intact && (check.present || expected.size() > pending_.size()))
        warnings_.push_back(check.problem + ": rebuilding the vector index from the stored features");
    const std::vector<int64_t> relabeled = relabeled_seqs(store);
    if (!plan.rebuild) {
        plan.index = VectorIndex::load(store.dir());
        if (plan.index->dim() != embedder_->dim() || plan.index->factory() != options_.index ||
            (!relabeled.empty() && !plan.index->can_remove()))
            plan.rebuild = true;
    }
    if (plan.rebuild) {
        plan.index.reset();
        plan.add = expected;
        return plan;
    }
    const std::vector<int64_t> have = plan.index->ids();
    std::set_difference(expected.begin(), expected.end(), have.begin(), have.end(), std::back_inserter(plan.add));
    std::set_difference(have.begin(), have.end(), expected.begin(), expected.end(), std::back_inserter(plan.remove));
    std::vector<int64_t> pending = pending_, lost;
    std::sort(pending.begin(), pending.end());
    std::set_difference(plan.add.begin(), plan.add.end(), pending.begin(), pending.end(), std::back_inserter(lost));
    if (!lost.empty())
        warnings_.push_back(check.problem + ": adding the " + std::to_string(lost.size()) +
                            " documents stored by an interrupted run to it");
    // Documents whose language changed in place: out of their old language's part, into the new.
    std::vector<int64_t> kept, moved;
    std::set_intersection(have.begin(), have.end(), expected.begin(), expected.end(), std::back_inserter(kept));
    std::set_intersection(kept.begin(), kept.end(), relabeled.begin(), relabeled.end(), std::back_inserter(moved));
    plan.remove.insert(plan.remove.end(), moved.begin(), moved.end());
    plan.add.insert(plan.add.end(), moved.begin(), moved.end());
    plan.moved = !relabeled.empty();
    return plan;
}

void EmbeddingStage::sync_index(Store& store, bool stale) {
    IndexPlan plan = plan_index(store, stale);
    pending_.clear();
    if (!plan.rebuild && plan.add.empty() && plan.remove.empty() && !plan.moved) return;  // in step already
    const std::size_t dim = embedder_->dim();
    VectorIndex index = plan.rebuild ? VectorIndex(dim, options_.index) : std::move(*plan.index);
    if (!plan.remove.empty()) index.remove(plan.remove.size(), plan.remove.data());
    std::future<void> freeing;
    if (!plan.add.empty()) freeing = add_to_index(store, index, plan.add, plan.rebuild);
    save_index(store, index, plan.rebuild ? std::optional<std::size_t>(plan.add.size()) : std::nullopt);
    if (freeing.valid()) freeing.get();
}

namespace {
// For each of the documents all[chunk[j]]: the first j' <= j whose stored counts are the same
// (ids and weights, byte for byte: the same StoredFeatures::first), so that its embedding is the
// same; each its own where the store has vectors embeddings (joined per document).
std::vector<std::size_t> same_counts(const StoredFeatures& all, const StoredVectors& vecs,
                                     const std::vector<std::size_t>& chunk) {
    std::vector<std::size_t> first(chunk.size());
    std::iota(first.begin(), first.end(), std::size_t{0});
    if (!vecs.by_seq.empty()) return first;           // each document's vectors joined: no two rows alike
    std::unordered_map<std::size_t, std::size_t> at;  // a repeat's first in `all` -> its first j
    for (std::size_t j = 0; j < chunk.size(); ++j)
        first[j] = at.try_emplace(all.first[chunk[j]], j).first->second;
    return first;
}
}  // namespace

// Embeds the stored documents `seqs` and adds them to `index`, language by language, in chunks
// (memory) each embedded on all cores (weigh and densify are const). A rebuilt "auto" index is
// trained first.
std::future<void> EmbeddingStage::add_to_index(Store& store, VectorIndex& index, const std::vector<int64_t>& seqs,
                                               bool rebuild) {
    std::vector<int64_t> wanted = seqs;
    std::sort(wanted.begin(), wanted.end());
    StoredFeatures all = load_features(store, wanted);  // the counts of `seqs` only
    embedder_->set_frequencies(std::make_shared<DocumentFrequencies>(std::move(all.frequencies)));
    if (vectors_) {
        store.set_meta("embedding.vectors", vectors_->describe());
        store.set_meta("embedding.vectors_weight", std::to_string(options_.vectors_weight));
    }
    const StoredVectors vecs = load_vectors(store);
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i = 0; i < all.seqs.size(); ++i) by_lang[all.langs[i]].push_back(i);
    if (rebuild) train_index(index, all, vecs);
    const std::size_t dim = embedder_->dim();
    constexpr std::size_t kChunk = 8192;
    for (const auto& entry : by_lang) {  // no structured binding: lambdas capture it only from C++20 compilers on
        const std::string& lang = entry.first;
        const std::vector<std::size_t>& items = entry.second;
        // The first chunk is spread over the whole language: it trains a new language's lists.
        const std::vector<std::size_t> order = VectorIndex::spread_order(items.size(), kChunk);
        for (std::size_t c = 0; c < items.size(); c += kChunk) {
            const std::size_t m = std::min(kChunk, items.size() - c);
            std::vector<float> x(m * dim);
            std::vector<int64_t> ids(m);
            std::vector<std::size_t> chunk(m);
            for (std::size_t j = 0; j < m; ++j) chunk[j] = items[order[c + j]];
            // A document whose stored counts repeat an earlier one's of the chunk (copies) takes
            // its row: weigh() and densify() of the same counts give the same floats.
            const std::vector<std::size_t> first = same_counts(all, vecs, chunk);
            const std::vector<std::size_t> distinct = impl::distinct_items(first);
            impl::parallel_for(distinct.size(), impl::worker_count(distinct.size() / 256 + 1),
                               [&](std::size_t k, std::size_t) {
                                   const std::size_t j = distinct[k], i = chunk[j];
                                   embedder_->densify(vecs.join(embedder_->weigh(all.counts[i]), all.seqs[i]),
                                                      x.data() + j * dim);
                               });
            for (std::size_t j = 0; j < m; ++j) {
                ids[j] = all.seqs[chunk[j]];
                if (first[j] != j) std::copy_n(x.data() + first[j] * dim, dim, x.data() + j * dim);
            }
            if (c == 0) index.prepare_language(lang, items.size(), m, x.data());
            index.add(lang, m, ids.data(), x.data());
        }
    }
    // Only this weighing used the frequencies: the next flush sets them again.
    std::shared_ptr<const DocumentFrequencies> df = embedder_->frequencies();
    embedder_->set_frequencies(nullptr);
    return impl::in_background([all = std::move(all), df = std::move(df)]() mutable {
        all = StoredFeatures{};
        df.reset();
    });
}

void EmbeddingStage::save_index(Store& store, const VectorIndex& index, std::optional<std::size_t> built_docs) {
    const VectorIndex::FileState state = index.save(store.dir());
    store.transaction([&] {
        record_vector_index(store, state);
        store.set_meta("embedder", embedder_->describe());
        store.set_meta("vector_index", index.describe());
        store.set_meta("bridge.lexicon", embedder_->lexicon().describe());
        // In this transaction, not a commit of its own (three syncs at the end of every run).
        if (built_docs) store.set_meta("embedding.built_docs", std::to_string(*built_docs));
    });
}

}  // namespace doppel
