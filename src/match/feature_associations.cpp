#include "doppel/match/feature_associations.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "impl/option_keys.h"
#include "impl/parallel.h"
#include "impl/spec.h"

namespace doppel {

namespace {

using Kind = BridgeEmbedder::FeatureKind;

bool can_be_source(uint64_t f) {
    auto k = BridgeEmbedder::kind_of(f);
    return k == Kind::kConcept || k == Kind::kToken;
}

bool can_be_target(uint64_t f) { return BridgeEmbedder::kind_of(f) == Kind::kConcept; }


}  // namespace

namespace {
using AssociationKey = impl::OptionKey<FeatureAssociationOptions>;
// The keys of FeatureAssociationOptions, in describe()'s order.
constexpr AssociationKey kAssociationKeys[] = {
    {"min_margin", &FeatureAssociationOptions::min_margin},
    {"min_pairs", &FeatureAssociationOptions::min_pairs},
    {"min_count", &FeatureAssociationOptions::min_count},
    {"min_dice", &FeatureAssociationOptions::min_dice},
    {"exclusive_ratio", &FeatureAssociationOptions::exclusive_ratio},
    {"max_targets", &FeatureAssociationOptions::max_targets},
    {"new_link_margin", &FeatureAssociationOptions::new_link_margin},
    {"prune_count", &FeatureAssociationOptions::prune_count},
    {"prune_share", &FeatureAssociationOptions::prune_share},
    {"keep_first_margin", &FeatureAssociationOptions::keep_first_margin},
    {"rematch_similarity", &FeatureAssociationOptions::rematch_similarity},
    {"rematch_margin", &FeatureAssociationOptions::rematch_margin},
    {"rematch_rewritten", &FeatureAssociationOptions::rematch_rewritten},
};
}  // namespace

FeatureAssociationOptions FeatureAssociationOptions::parse_spec(const std::string& spec) {
    impl::ParsedSpec p = impl::parse_spec(spec);
    DOPPEL_CHECK(kBadSpec, p.name == kName, "associations spec '" + spec + "': expected the name '" + kName + "'");
    FeatureAssociationOptions o;
    impl::take_options(p, kAssociationKeys, o);
    p.check_empty();
    DOPPEL_CHECK(kBadSpec, o.rematch_rewritten <= 3,
                 "associations spec '" + spec + "': rematch_rewritten is 0, 1, 2 or 3");
    return o;
}

std::string FeatureAssociationOptions::describe() const {
    std::string s = std::string(kName) + ":";
    impl::append_options(s, kAssociationKeys, *this);
    return s;
}

namespace {

using LanguageFrequencies = std::unordered_map<uint64_t, uint32_t>;  // feature -> documents of one language

// The targets of a document: its concepts of highest tf-idf weight, at most max_targets.
std::vector<uint64_t> top_targets(const SparseVector& v, const DocumentFrequencies& all, std::size_t max_targets) {
    std::vector<std::pair<double, uint64_t>> w;
    for (std::size_t j = 0; j < v.size(); ++j)
        if (can_be_target(v.ids[j])) w.push_back({(1.0 + std::log(std::max(1.0f, v.weights[j]))) * all.idf(v.ids[j]), v.ids[j]});
    if (w.size() > max_targets) {
        std::partial_sort(w.begin(), w.begin() + max_targets, w.end(), std::greater<>());
        w.resize(max_targets);
    }
    std::vector<uint64_t> out;
    for (auto& [_, f] : w) out.push_back(f);
    return out;
}

bool is_exclusive(uint64_t f, const LanguageFrequencies& own, const DocumentFrequencies& all,
                  const FeatureAssociationOptions& o) {
    if (!can_be_source(f)) return false;
    uint32_t in = own.at(f), elsewhere = all.count(f) - in;
    return in >= o.min_count && static_cast<float>(elsewhere) <= o.exclusive_ratio * static_cast<float>(in);
}

// The false senses of one language, from its confident pairs ps (its document, the other): its
// concept features held by at least prune_count of the pairs' documents on its side, and by the
// other side in under prune_share of those pairs. Ascending.
std::vector<uint64_t> false_senses(const std::vector<std::pair<std::size_t, std::size_t>>& ps,
                                   std::span<const SparseVector> counts, const FeatureAssociationOptions& o) {
    std::vector<uint64_t> out;
    if (o.prune_share <= 0) return out;
    std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> seen;  // f -> (pairs, pairs with f on both sides)
    for (auto [a, b] : ps) {
        const SparseVector& other = counts[b];
        for (uint64_t f : counts[a].ids) {
            if (!can_be_target(f)) continue;
            auto& [n, both] = seen[f];
            ++n;
            both += std::binary_search(other.ids.begin(), other.ids.end(), f);
        }
    }
    for (const auto& [f, nb] : seen)
        if (nb.first >= o.prune_count && static_cast<float>(nb.second) < o.prune_share * static_cast<float>(nb.first))
            out.push_back(f);
    std::sort(out.begin(), out.end());
    return out;
}

// The best association of each exclusive source feature of one language, from its confident
// pairs ps (its document, the other), appended to found.
void learn_language(const std::string& lang, const std::vector<std::pair<std::size_t, std::size_t>>& ps,
                    std::span<const SparseVector> counts, const LanguageFrequencies& own, const DocumentFrequencies& all,
                    const FeatureAssociationOptions& o, std::vector<std::pair<std::string, FeatureAssociation>>& found) {
    auto exclusive = [&](uint64_t f) { return is_exclusive(f, own, all, o); };
    std::unordered_map<uint64_t, uint32_t> n_src, n_tgt;
    std::vector<std::vector<uint64_t>> srcs(ps.size()), tgts(ps.size());
    for (std::size_t p = 0; p < ps.size(); ++p) {
        for (uint64_t f : counts[ps[p].first].ids)
            if (exclusive(f)) srcs[p].push_back(f), ++n_src[f];
        tgts[p] = top_targets(counts[ps[p].second], all, o.max_targets);
        for (uint64_t g : tgts[p]) ++n_tgt[g];
    }
    // Per source feature, the pairs holding it (features of min_count pairs or more); targets of
    // fewer than min_count pairs never count.
    std::unordered_map<uint64_t, std::vector<uint32_t>> postings;
    for (std::size_t p = 0; p < ps.size(); ++p) {
        for (uint64_t f : srcs[p])
            if (n_src[f] >= o.min_count) postings[f].push_back(static_cast<uint32_t>(p));
        std::erase_if(tgts[p], [&](uint64_t g) { return n_tgt[g] < o.min_count; });
    }
    // Each source's co-occurrence counts with the targets of its pairs (a small table per
    // source, not one for every pair of features), and its best association by Dice.
    std::unordered_map<uint64_t, FeatureAssociation> best;
    std::unordered_map<uint64_t, uint32_t> n_both;
    for (const auto& [f, holding] : postings) {
        n_both.clear();
        for (uint32_t p : holding)
            for (uint64_t g : tgts[p])
                if (g != f) ++n_both[g];
        for (const auto& [g, n] : n_both) {
            if (n < o.min_count) continue;
            float dice = 2.0f * n / static_cast<float>(n_src[f] + n_tgt[g]);
            if (dice < o.min_dice) continue;
            auto& b = best[f];
            // Ties go to the smaller target id, so the result does not depend on hash order.
            if (dice > b.dice || (dice == b.dice && g < b.target)) b = {f, g, n, dice};
        }
    }
    for (auto& [f, a] : best) found.push_back({lang, a});
}

}  // namespace

FeatureAssociations FeatureAssociations::learn(std::span<const SparseVector> counts, std::span<const std::string> langs,
                                               std::span<const std::pair<std::size_t, std::size_t>> pairs,
                                               const FeatureAssociationOptions& o) {
    DOPPEL_CHECK(kInvalidArgument, counts.size() == langs.size(), "feature associations: one language per document needed");
    // Document frequencies per language (each language on its own core), and over all documents
    // (the bridge's table and idf).
    std::map<std::string, std::vector<std::size_t>> members;
    for (std::size_t i = 0; i < counts.size(); ++i) members[langs[i]].push_back(i);
    std::vector<const std::string*> names;
    for (const auto& [lang, _] : members) names.push_back(&lang);
    std::vector<LanguageFrequencies> own(names.size());
    impl::parallel_for(names.size(), impl::worker_count(names.size()), [&](std::size_t l, std::size_t) {
        for (std::size_t i : members.at(*names[l]))
            for (uint64_t f : counts[i].ids) ++own[l][f];
    });
    DocumentFrequencies all;
    all.documents = counts.size();
    for (const auto& d : own)
        for (const auto& [f, n] : d) all.add_count(f, n);
    // Each language's confident pairs as (its document, the other).
    std::map<std::string, std::vector<std::pair<std::size_t, std::size_t>>> sides;
    for (auto [a, b] : pairs) {
        DOPPEL_CHECK(kInvalidArgument, a < counts.size() && b < counts.size(), "feature associations: pair out of range");
        if (langs[a] == langs[b]) continue;
        sides[langs[a]].push_back({a, b});
        sides[langs[b]].push_back({b, a});
    }
    // Languages learn independently, on all cores; the order of `found` does not matter (sorted below).
    std::vector<std::size_t> learning;
    for (std::size_t l = 0; l < names.size(); ++l)
        if (*names[l] != "en" && sides.count(*names[l]) && sides.at(*names[l]).size() >= o.min_pairs) learning.push_back(l);
    std::vector<std::vector<std::pair<std::string, FeatureAssociation>>> per(learning.size());
    std::vector<std::vector<uint64_t>> pruned(learning.size());
    impl::parallel_for(learning.size(), impl::worker_count(learning.size()), [&](std::size_t j, std::size_t) {
        const std::size_t l = learning[j];
        learn_language(*names[l], sides.at(*names[l]), counts, own[l], all, o, per[j]);
        pruned[j] = false_senses(sides.at(*names[l]), counts, o);
    });
    std::vector<std::pair<std::string, FeatureAssociation>> found;
    for (auto& v : per) found.insert(found.end(), v.begin(), v.end());
    // Accept best first; drop an association whose target is a source elsewhere, or whose
    // source is a target elsewhere.
    std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) {
        if (x.second.dice != y.second.dice) return x.second.dice > y.second.dice;
        if (x.second.count != y.second.count) return x.second.count > y.second.count;
        return std::tie(x.first, x.second.source, x.second.target) < std::tie(y.first, y.second.source, y.second.target);
    });
    std::unordered_set<uint64_t> sources, targets_taken;
    FeatureAssociations out;
    for (const auto& [lang, a] : found) {
        if (sources.count(a.target) || targets_taken.count(a.source)) continue;
        sources.insert(a.source);
        targets_taken.insert(a.target);
        out.by_lang_[lang][a.source] = a;
    }
    // False senses, but for the sources and targets of associations.
    for (std::size_t j = 0; j < learning.size(); ++j) {
        const std::string& lang = *names[learning[j]];
        for (uint64_t f : pruned[j])
            if (!sources.count(f) && !targets_taken.count(f)) out.dropped_[lang].insert(f);
    }
    return out;
}

SparseVector FeatureAssociations::apply(const SparseVector& counts, const std::string& lang) const {
    auto it = by_lang_.find(lang);
    auto dr = dropped_.find(lang);
    if (it == by_lang_.end() && dr == dropped_.end()) return counts;
    SparseVector out;
    // At most one entry per count: sized once (growing by doubling reallocated each vector about
    // eight times, half of the second pass's rewrite in malloc and page faults).
    out.ids.reserve(counts.size());
    out.weights.reserve(counts.size());
    bool changed = false;
    for (std::size_t j = 0; j < counts.size(); ++j) {
        uint64_t id = counts.ids[j];
        if (dr != dropped_.end() && dr->second.count(id)) {
            changed = true;
            continue;
        }
        if (it != by_lang_.end())
            if (auto a = it->second.find(id); a != it->second.end()) id = a->second.target, changed = true;
        out.ids.push_back(id);
        out.weights.push_back(counts.weights[j]);
    }
    if (!changed) return counts;
    out.canonicalize();
    return out;
}

std::vector<uint64_t> FeatureAssociations::dropped(const std::string& lang) const {
    std::vector<uint64_t> out;
    if (auto it = dropped_.find(lang); it != dropped_.end()) out.assign(it->second.begin(), it->second.end());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<FeatureAssociation> FeatureAssociations::of(const std::string& lang) const {
    std::vector<FeatureAssociation> out;
    if (auto it = by_lang_.find(lang); it != by_lang_.end())
        for (const auto& [_, a] : it->second) out.push_back(a);
    std::sort(out.begin(), out.end(), [](const FeatureAssociation& x, const FeatureAssociation& y) {
        if (x.dice != y.dice) return x.dice > y.dice;
        return x.source < y.source;
    });
    return out;
}

std::vector<std::string> FeatureAssociations::languages() const {
    std::set<std::string> names;
    for (const auto& [lang, _] : by_lang_) names.insert(lang);
    for (const auto& [lang, _] : dropped_) names.insert(lang);
    return {names.begin(), names.end()};
}

std::size_t FeatureAssociations::size() const {
    std::size_t n = 0;
    for (const auto& [_, m] : by_lang_) n += m.size();
    return n;
}

}  // namespace doppel
