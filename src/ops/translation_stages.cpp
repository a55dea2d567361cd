#include "doppel/ops/translation_stages.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "doppel/error.h"
#include "doppel/index/embedding_stage.h"
#include "doppel/langid/language_relatives.h"
#include "doppel/ops/indexer.h"
#include "impl/parallel.h"

namespace doppel {

std::string translation_embedder_spec(const std::string& embedder_spec) {
    return embedder_spec.empty() ? EmbeddingStageOptions{}.embedder : embedder_spec;
}

TranslationFeatures featurize_documents(std::vector<Document> docs, const LanguageIdentifier& langid,
                                        const std::string& embedder_spec, const std::string& models_dir,
                                        std::size_t threads) {
    const std::size_t n = docs.size();
    TranslationFeatures out;
    out.ids.resize(n), out.langs.resize(n), out.match_langs.resize(n), out.counts.resize(n);
    out.urls.resize(n), out.titles.resize(n), out.dates.resize(n);
    if (n == 0) return out;
    const BridgeEmbedderOptions options = BridgeEmbedder::parse_spec(translation_embedder_spec(embedder_spec));
    // A BridgeEmbedder is not thread-safe: one per worker, all sharing the lexicon (as EmbeddingStage::add).
    const std::size_t workers = impl::worker_count(n / 16 + 1, threads);
    std::vector<std::unique_ptr<BridgeEmbedder>> embedders;
    embedders.push_back(std::make_unique<BridgeEmbedder>(options, EmbedderContext{models_dir}));
    while (embedders.size() < workers)
        embedders.push_back(std::make_unique<BridgeEmbedder>(options, embedders[0]->lexicon_ptr()));
    impl::parallel_for(n, workers, [&](std::size_t i, std::size_t w) {
        const AnalyzedDocument a = analyze_document(std::move(docs[i]), langid);
        out.counts[i] = embedders[w]->document_features(a);
        out.match_langs[i] = embedders[w]->matching_language(a);
        out.ids[i] = a.doc.id;
        out.langs[i] = a.lang;
        out.urls[i] = a.doc.url;
        out.titles[i] = a.doc.title;
        out.dates[i] = a.doc.date;
    });
    return out;
}

float weigh_for_matching(const BridgeEmbedder& embedder, SparseVector counts, const StoredVectors& vectors,
                         int64_t seq, SparseVector& sparse, float* dense) {
    const float length = matching_length(counts);
    sparse = vectors.join(embedder.weigh(std::move(counts)), seq);
    embedder.densify(sparse, dense);
    return length;
}

float matching_length(const SparseVector& counts) {
    float length = 0;
    for (std::size_t j = 0; j < counts.size(); ++j)
        if (BridgeEmbedder::kind_of(counts.ids[j]) == BridgeEmbedder::FeatureKind::kConcept) length += counts.weights[j];
    return length;
}

bool regroup_relatives(std::vector<std::string>& match_langs, double minor_share) {
    if (minor_share <= 0) return false;
    std::map<std::string, std::size_t> counts;
    for (const auto& lang : match_langs) ++counts[lang];
    const std::map<std::string, std::string> as = merge_minor_relatives(counts, minor_share);
    bool changed = false;
    for (auto& lang : match_langs)
        if (const std::string& to = as.at(lang); to != lang) {
            lang = to;
            changed = true;
        }
    return changed;
}

std::vector<std::pair<std::size_t, std::size_t>> confident_pairs(const std::vector<TranslationLink>& links,
                                                                 const FeatureAssociationOptions& options) {
    std::vector<std::pair<std::size_t, std::size_t>> confident;
    for (const auto& l : links)
        if (l.label != LinkLabel::kSameStory && l.margin >= options.min_margin) confident.push_back({l.a, l.b});
    return confident;
}

namespace {

// The first pass's links that the second pass does not contradict (second_pass_labels).
void keep_first_links(std::vector<TranslationLink>& links, const std::vector<TranslationLink>& first, float min_margin) {
    if (min_margin <= 0) return;
    std::set<std::size_t> linked;  // documents with a second-pass translation or partial link
    for (const auto& l : links)
        if (l.label != LinkLabel::kSameStory) linked.insert(l.a), linked.insert(l.b);
    std::map<std::pair<std::size_t, std::size_t>, const TranslationLink*> kept;
    for (const auto& l : first)
        if (l.label != LinkLabel::kSameStory && l.margin >= min_margin && !linked.count(l.a) && !linked.count(l.b))
            kept[{std::min(l.a, l.b), std::max(l.a, l.b)}] = &l;
    if (kept.empty()) return;
    std::erase_if(links, [&](const TranslationLink& l) { return kept.count({std::min(l.a, l.b), std::max(l.a, l.b)}) > 0; });
    for (const auto& [pair, l] : kept) links.push_back(*l);
}

}  // namespace

void second_pass_labels(std::vector<TranslationLink>& links, const std::vector<TranslationLink>& first,
                        const TranslationSearchOptions& options, std::span<const char> spared) {
    std::set<std::pair<std::size_t, std::size_t>> before;
    for (const auto& l : first)
        if (l.label != LinkLabel::kSameStory) before.insert({std::min(l.a, l.b), std::max(l.a, l.b)});
    std::erase_if(links, [&](TranslationLink& l) {
        const bool both_spared = !spared.empty() && spared[l.a] && spared[l.b];
        if (l.label == LinkLabel::kSameStory || (l.margin >= options.associations.new_link_margin && !both_spared) ||
            before.count({std::min(l.a, l.b), std::max(l.a, l.b)}))
            return false;
        l.label = LinkLabel::kSameStory;
        return !options.matcher.same_story;
    });
    keep_first_links(links, first, options.associations.keep_first_margin);
}

std::vector<char> languages_searched_again(const CandidateTable& table, const FeatureAssociations& learned,
                                           const FeatureAssociationOptions& options) {
    if (options.rematch_rewritten == 1) return {};
    const std::size_t L = table.languages.size();
    std::vector<char> rewritten(L);
    for (std::size_t t = 0; t < L; ++t) rewritten[t] = learned.rewrites(table.languages[t]);
    const char other = options.rematch_rewritten == 0 ? Matcher::kKeepList : Matcher::kDropList;
    std::vector<char> again(L * L);
    bool fell_back = false;
    for (std::size_t a = 0; a < L; ++a) {
        bool pivot = !rewritten[a] || other == Matcher::kKeepList;
        for (std::size_t b = 0; b < L && !pivot; ++b) pivot = b != a && !rewritten[b] && table.searches(a, b);
        fell_back |= !pivot;
        for (std::size_t t = 0; t < L; ++t) again[a * L + t] = rewritten[t] && pivot ? other : Matcher::kSearchList;
    }
    if (fell_back && options.rematch_rewritten == 2) return {};
    return again;
}

std::vector<TranslationPair> translation_pairs(const std::vector<TranslationLink>& links,
                                               std::span<const std::string> ids, std::span<const std::string> langs) {
    DOPPEL_CHECK(kInvalidArgument, ids.size() == langs.size(), "translation pairs: one language per id needed");
    std::vector<TranslationPair> pairs;
    pairs.reserve(links.size());
    for (const auto& l : links) {
        DOPPEL_CHECK(kInvalidArgument, l.a < ids.size() && l.b < ids.size(), "translation pairs: a link past the ids");
        TranslationPair p{ids[l.a], ids[l.b], langs[l.a], langs[l.b], l};
        if (p.id_b < p.id_a) {
            std::swap(p.id_a, p.id_b);
            std::swap(p.lang_a, p.lang_b);
        }
        pairs.push_back(std::move(p));
    }
    std::sort(pairs.begin(), pairs.end(), [](const TranslationPair& x, const TranslationPair& y) {
        return std::tie(x.id_a, x.id_b) < std::tie(y.id_a, y.id_b);
    });
    return pairs;
}

}  // namespace doppel
