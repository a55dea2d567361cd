#include "doppel/match/matcher.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"

namespace doppel {

const char* to_string(LinkLabel label) {
    switch (label) {
        case LinkLabel::kTranslation: return "translation";
        case LinkLabel::kPartial: return "partial";
        case LinkLabel::kSameStory: return "same-story";
    }
    return "?";
}

namespace {
constexpr float kNoCompetition = 10.0f;  // margin reported when no other candidate exists
}

float Matcher::margin(float similarity, float avg_a, float avg_b) {
    float d = 0.5f * (avg_a + avg_b);
    return d > 0 ? similarity / d : (similarity > 0 ? 1e3f : 0.0f);
}

namespace {

float anchor_cosine(const SparseVector& a, const SparseVector& b) {
    double ab = 0, aa = 0, bb = 0;
    std::size_t i = 0, j = 0;
    for (std::size_t x = 0; x < a.size(); ++x)
        if (BridgeEmbedder::is_anchor(a.ids[x])) aa += double(a.weights[x]) * a.weights[x];
    for (std::size_t x = 0; x < b.size(); ++x)
        if (BridgeEmbedder::is_anchor(b.ids[x])) bb += double(b.weights[x]) * b.weights[x];
    if (aa <= 0 || bb <= 0) return -1.0f;
    while (i < a.size() && j < b.size()) {
        if (a.ids[i] < b.ids[j]) ++i;
        else if (a.ids[i] > b.ids[j]) ++j;
        else {
            if (BridgeEmbedder::is_anchor(a.ids[i])) ab += double(a.weights[i]) * b.weights[j];
            ++i, ++j;
        }
    }
    return static_cast<float>(ab / std::sqrt(aa * bb));
}

}  // namespace

std::vector<TranslationLink> Matcher::match(const VectorIndex& index, std::span<const MatchDocument> docs,
                                            const float* dense, std::span<const SparseVector> sparse) const {
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == docs.size(), "matcher: one sparse vector per document needed");
    const std::size_t dim = index.dim();
    std::unordered_map<int64_t, std::size_t> pos;
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        pos[docs[i].seq] = i;
        by_lang[docs[i].lang].push_back(i);
    }
    const std::size_t k = options_.k;
    // For each (document, target language): the candidates with exact similarities, best first,
    // and the margin denominator term.
    struct Cand {
        std::size_t other;
        float sim;
    };
    std::vector<std::string> langs;
    for (auto& [l, v] : by_lang) langs.push_back(l);
    const std::size_t L = langs.size();
    std::map<std::string, std::size_t> lang_index;
    for (std::size_t i = 0; i < L; ++i) lang_index[langs[i]] = i;
    std::vector<std::vector<Cand>> cands(docs.size() * L);

    for (std::size_t sa = 0; sa < L; ++sa) {
        const auto& qs = by_lang[langs[sa]];
        std::vector<float> qx(qs.size() * dim);
        for (std::size_t j = 0; j < qs.size(); ++j)
            std::copy(dense + qs[j] * dim, dense + (qs[j] + 1) * dim, qx.data() + j * dim);
        for (std::size_t tb = 0; tb < L; ++tb) {
            if (tb == sa) continue;
            std::size_t kk = std::min(k, index.size(langs[tb]));
            if (kk == 0) continue;
            std::vector<float> dist(qs.size() * kk);
            std::vector<int64_t> lab(qs.size() * kk);
            index.search(langs[tb], qs.size(), qx.data(), kk, dist.data(), lab.data());
#pragma omp parallel for schedule(dynamic, 16)
            for (std::size_t j = 0; j < qs.size(); ++j) {
                std::size_t x = qs[j];
                auto& cl = cands[x * L + tb];
                for (std::size_t r = 0; r < kk; ++r) {
                    auto it = pos.find(lab[j * kk + r]);
                    if (lab[j * kk + r] < 0 || it == pos.end()) continue;
                    cl.push_back({it->second, dot(sparse[x], sparse[it->second])});
                }
                std::sort(cl.begin(), cl.end(), [](const Cand& a, const Cand& b) { return a.sim > b.sim; });
            }
        }
    }

    // Neighbourhood of x in language t without y: the mean similarity of x's best margin_k
    // other candidates there; -1 when x has no other candidate.
    auto others = [&](std::size_t x, std::size_t t, std::size_t y) {
        float s = 0;
        std::size_t n = 0;
        for (const auto& c : cands[x * L + t]) {
            if (c.other == y) continue;
            s += c.sim;
            if (++n == options_.margin_k) break;
        }
        return n ? s / static_cast<float>(n) : -1.0f;
    };
    auto pair_margin = [&](std::size_t a, std::size_t b, float sim) {
        std::size_t la = lang_index.at(docs[a].lang), lb = lang_index.at(docs[b].lang);
        float na = others(a, lb, b), nb = others(b, la, a);
        if (na < 0 && nb < 0) return kNoCompetition;
        float d = na < 0 ? nb : nb < 0 ? na : 0.5f * (na + nb);
        return d > 0 ? std::min(sim / d, kNoCompetition) : kNoCompetition;
    };
    std::vector<TranslationLink> out;
    for (std::size_t sa = 0; sa < L; ++sa) {
        for (std::size_t tb = sa + 1; tb < L; ++tb) {
            // Candidate pairs of this language pair, from both directions.
            std::map<std::pair<std::size_t, std::size_t>, float> pairs;
            for (std::size_t x : by_lang[langs[sa]])
                for (auto& c : cands[x * L + tb]) pairs[{x, c.other}] = c.sim;
            for (std::size_t y : by_lang[langs[tb]])
                for (auto& c : cands[y * L + sa]) pairs[{c.other, y}] = c.sim;
            std::vector<TranslationLink> links;
            for (auto& [p, sim] : pairs) {
                if (sim < options_.related_similarity) continue;
                TranslationLink l;
                l.a = p.first;
                l.b = p.second;
                l.similarity = sim;
                l.margin = pair_margin(l.a, l.b, sim);
                l.anchors = anchor_cosine(sparse[l.a], sparse[l.b]);
                l.score = l.anchors >= 0 ? (1 - options_.anchor_weight) * sim + options_.anchor_weight * l.anchors : sim;
                l.score = std::clamp(l.score, 0.0f, 1.0f);
                links.push_back(l);
            }
            // Greedy one-to-one by margin-weighted score.
            std::sort(links.begin(), links.end(), [](const TranslationLink& a, const TranslationLink& b) {
                float ka = a.score * std::min(a.margin, 3.0f), kb = b.score * std::min(b.margin, 3.0f);
                if (ka != kb) return ka > kb;
                return std::tie(a.a, a.b) < std::tie(b.a, b.b);
            });
            std::vector<char> used_a(docs.size(), 0), used_b(docs.size(), 0);
            for (auto& l : links) {
                bool winner = !options_.one_to_one || (!used_a[l.a] && !used_b[l.b]);
                bool strong = l.score >= translation_floor(docs[l.a].length, docs[l.b].length) &&
                              l.margin >= options_.translation_margin;
                if (winner && strong) {
                    used_a[l.a] = used_b[l.b] = 1;
                    float la = docs[l.a].length, lb = docs[l.b].length;
                    float ratio = std::max(la, lb) > 0 ? std::min(la, lb) / std::max(la, lb) : 1.0f;
                    l.label = ratio < options_.partial_length_ratio ? LinkLabel::kPartial : LinkLabel::kTranslation;
                    out.push_back(l);
                } else if (options_.same_story) {
                    l.label = LinkLabel::kSameStory;
                    out.push_back(l);
                }
            }
        }
    }
    if (options_.pivot) close_over_pivots(docs, sparse, pair_margin, out);
    return out;
}

float Matcher::translation_floor(float length_a, float length_b) const {
    float t = std::clamp((std::min(length_a, length_b) - options_.short_length) /
                             std::max(1.0f, options_.long_length - options_.short_length),
                         0.0f, 1.0f);
    return options_.translation_similarity + t * (options_.long_translation_score - options_.translation_similarity);
}

void Matcher::close_over_pivots(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                                const std::function<float(std::size_t, std::size_t, float)>& margins,
                                std::vector<TranslationLink>& out) const {
    // Two-hop closure: x and y, both linked to a pivot z, become candidates (support = how many
    // pivots they share). Per language pair, candidates are taken greedily by support, then
    // similarity, and only for documents with no link in that language pair yet, so one wrong
    // link adds at most a weak candidate, never a chain through a whole group.
    std::vector<std::vector<std::size_t>> linked(docs.size());
    std::map<std::pair<std::size_t, std::size_t>, std::size_t> existing;
    // has[(doc, other language)]: the document already has a translation in that language.
    std::set<std::pair<std::size_t, std::string>> has;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto& l = out[i];
        existing[{std::min(l.a, l.b), std::max(l.a, l.b)}] = i;
        if (l.label == LinkLabel::kSameStory) continue;
        linked[l.a].push_back(l.b);
        linked[l.b].push_back(l.a);
        has.insert({l.a, docs[l.b].lang});
        has.insert({l.b, docs[l.a].lang});
    }
    std::map<std::pair<std::size_t, std::size_t>, int> support;
    for (std::size_t z = 0; z < docs.size(); ++z) {
        const auto& nz = linked[z];
        for (std::size_t i = 0; i < nz.size(); ++i)
            for (std::size_t j = i + 1; j < nz.size(); ++j) {
                std::size_t a = std::min(nz[i], nz[j]), b = std::max(nz[i], nz[j]);
                if (docs[a].lang == docs[b].lang) continue;
                ++support[{a, b}];
            }
    }
    struct Cand {
        std::size_t a, b;
        int support;
        float sim;
    };
    std::vector<Cand> cands;
    for (const auto& [p, n] : support) {
        auto [a, b] = p;
        if (has.count({a, docs[b].lang}) || has.count({b, docs[a].lang})) continue;
        float sim = dot(sparse[a], sparse[b]);
        if (sim < options_.pivot_similarity) continue;
        // Through one pivot only, the pair must stand out against its competitors: one wrong
        // link would otherwise bring its whole group of versions along.
        if (n < 2 && margins(a, b, sim) < options_.pivot_margin) continue;
        cands.push_back({a, b, n, sim});
    }
    std::sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) {
        if (x.support != y.support) return x.support > y.support;
        if (x.sim != y.sim) return x.sim > y.sim;
        return std::tie(x.a, x.b) < std::tie(y.a, y.b);
    });
    for (const auto& c : cands) {
        if (has.count({c.a, docs[c.b].lang}) || has.count({c.b, docs[c.a].lang})) continue;
        has.insert({c.a, docs[c.b].lang});
        has.insert({c.b, docs[c.a].lang});
        TranslationLink l;
        l.a = c.a;
        l.b = c.b;
        l.similarity = c.sim;
        l.margin = margins(c.a, c.b, c.sim);
        l.anchors = anchor_cosine(sparse[c.a], sparse[c.b]);
        l.score = l.anchors >= 0 ? (1 - options_.anchor_weight) * c.sim + options_.anchor_weight * l.anchors : c.sim;
        l.score = std::clamp(l.score, 0.0f, 1.0f);
        float la = docs[c.a].length, lb = docs[c.b].length;
        float ratio = std::max(la, lb) > 0 ? std::min(la, lb) / std::max(la, lb) : 1.0f;
        l.label = ratio < options_.partial_length_ratio ? LinkLabel::kPartial : LinkLabel::kTranslation;
        auto it = existing.find({c.a, c.b});
        if (it != existing.end()) out[it->second] = l;
        else out.push_back(l);
    }
}

}  // namespace doppel
