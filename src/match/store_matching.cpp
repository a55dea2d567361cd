#include "doppel/match/store_matching.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "doppel/index/embedding_stage.h"
#include "doppel/index/vector_index.h"
#include "doppel/match/feature_associations.h"
#include "doppel/store/store.h"

namespace doppel {

TranslationSearch find_stored_translations(const Store& store, const std::string& models_dir,
                                           const TranslationSearchOptions& options, const ProgressCallback& progress) {
    using clock = std::chrono::steady_clock;
    auto seconds = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
    auto spec = store.meta("embedder");
    if (!spec || !VectorIndex::exists(store.dir()))
        DOPPEL_THROW(kNotFound, "store " + store.dir() + " has no embeddings (index it with a build that has models/bridge.lex)");
    TranslationSearch out;
    const auto t0 = clock::now();
    const bool override_spec = !options.embedder_spec.empty() && options.embedder_spec != *spec;
    BridgeEmbedder embedder(BridgeEmbedder::parse_spec(override_spec ? options.embedder_spec : *spec),
                            EmbedderContext{models_dir});
    if (auto lex = store.meta("bridge.lexicon"); lex && *lex != embedder.lexicon().describe())
        out.warnings.push_back("store was indexed with " + *lex + ", models have " + embedder.lexicon().describe() +
                               " (the next doppel index on this store recomputes its features)");
    StoredFeatures f = load_features(store);
    const std::size_t n = f.seqs.size(), dim = embedder.dim();
    std::vector<MatchDocument> docs(n);
    std::vector<SparseVector> sparse(n);
    std::vector<float> dense(n * dim);
    const StoredVectors vecs = load_vectors(store);
    // Weighted, dense and length of every document from raw counts and their frequencies.
    auto prepare = [&](const std::vector<SparseVector>& counts, DocumentFrequencies frequencies) {
        embedder.set_frequencies(std::make_shared<DocumentFrequencies>(std::move(frequencies)));
        for (std::size_t i = 0; i < n; ++i) {
            sparse[i] = vecs.join(embedder.weigh(counts[i]), f.seqs[i]);
            embedder.densify(sparse[i], dense.data() + i * dim);
            float len = 0;
            for (std::size_t j = 0; j < counts[i].size(); ++j)
                if (BridgeEmbedder::kind_of(counts[i].ids[j]) == BridgeEmbedder::FeatureKind::kConcept)
                    len += counts[i].weights[j];
            docs[i] = {f.seqs[i], f.langs[i], len};
            if (progress && (i + 1) % 1024 == 0) progress(i + 1, n);
        }
    };
    prepare(f.counts, std::move(f.frequencies));
    const auto t1 = clock::now();
    VectorIndex index = VectorIndex::load(store.dir());
    auto fresh_index = [&]() {  // other vectors than the stored ones: index them in memory
        const std::string factory = index.factory();
        index = VectorIndex(dim, factory);  // the old one goes first: a large index is not held twice
        std::map<std::string, std::vector<std::size_t>> by_lang;
        for (std::size_t i = 0; i < n; ++i) by_lang[docs[i].lang].push_back(i);
        constexpr std::size_t kChunk = 4096;  // added in batches (FAISS adds a batch in parallel)
        std::vector<int64_t> seqs;
        std::vector<float> x;
        for (const auto& [lang, members] : by_lang)
            for (std::size_t c = 0; c < members.size(); c += kChunk) {
                seqs.clear();
                x.clear();
                for (std::size_t j = c; j < std::min(members.size(), c + kChunk); ++j) {
                    seqs.push_back(docs[members[j]].seq);
                    x.insert(x.end(), dense.data() + members[j] * dim, dense.data() + (members[j] + 1) * dim);
                }
                index.add(lang, seqs.size(), seqs.data(), x.data());
            }
    };
    if (override_spec) fresh_index();
    const auto t2 = clock::now();
    Matcher matcher(options.matcher);
    auto links = matcher.match(index, docs, dense.data(), sparse);
    const auto t3 = clock::now();
    if (options.learn) {
        // Second pass: words the lexicon misses, learned from the first pass's confident pairs.
        std::vector<std::pair<std::size_t, std::size_t>> confident;
        for (const auto& l : links)
            if (l.label != LinkLabel::kSameStory && l.margin >= options.associations.min_margin)
                confident.push_back({l.a, l.b});
        FeatureAssociations learned = FeatureAssociations::learn(f.counts, f.langs, confident, options.associations);
        out.associations = learned.size();
        if (learned.size() > 0) {
            DocumentFrequencies df;
            for (std::size_t i = 0; i < n; ++i) {
                f.counts[i] = learned.apply(f.counts[i], f.langs[i]);
                df.add(f.counts[i]);
            }
            prepare(f.counts, std::move(df));
            fresh_index();
            // A link the first pass did not make rests on learned evidence, which lifts the
            // similarity of every document of the domain a little: it must stand out more.
            std::set<std::pair<std::size_t, std::size_t>> before;
            for (const auto& l : links)
                if (l.label != LinkLabel::kSameStory) before.insert({std::min(l.a, l.b), std::max(l.a, l.b)});
            links = matcher.match(index, docs, dense.data(), sparse);
            std::erase_if(links, [&](TranslationLink& l) {
                if (l.label == LinkLabel::kSameStory || l.margin >= options.associations.new_link_margin ||
                    before.count({std::min(l.a, l.b), std::max(l.a, l.b)}))
                    return false;
                l.label = LinkLabel::kSameStory;
                return !options.matcher.same_story;
            });
        }
        out.learn_seconds = seconds(t3, clock::now());
    }
    std::map<int64_t, std::pair<std::string, std::string>> meta;  // seq -> (id, lang)
    store.scan([&](const StoredDocument& d) {
        meta[d.seq] = {d.id, d.lang};
        return true;
    }, false);
    for (const auto& l : links) {
        TranslationPair p;
        std::tie(p.id_a, p.lang_a) = meta[docs[l.a].seq];
        std::tie(p.id_b, p.lang_b) = meta[docs[l.b].seq];
        if (p.id_b < p.id_a) {
            std::swap(p.id_a, p.id_b);
            std::swap(p.lang_a, p.lang_b);
        }
        p.link = l;
        out.pairs.push_back(std::move(p));
    }
    std::sort(out.pairs.begin(), out.pairs.end(),
              [](const TranslationPair& x, const TranslationPair& y) { return std::tie(x.id_a, x.id_b) < std::tie(y.id_a, y.id_b); });
    out.documents = n;
    out.features_seconds = seconds(t0, t1);
    out.index_seconds = seconds(t1, t2);
    out.match_seconds = seconds(t2, t3);
    return out;
}

}  // namespace doppel
