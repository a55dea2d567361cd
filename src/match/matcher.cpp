#include "doppel/match/matcher.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "impl/hash_buckets.h"
#include "impl/option_keys.h"
#include "impl/parallel.h"
#include "impl/simd.h"
#include "impl/spec.h"
#include "match/url_evidence.h"

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
using MatcherKey = impl::OptionKey<MatcherOptions>;
// The keys of MatcherOptions, in describe()'s order (the fields' order in matcher.h).
constexpr MatcherKey kMatcherKeys[] = {
    {"k", &MatcherOptions::k},
    {"margin_k", &MatcherOptions::margin_k},
    {"related_similarity", &MatcherOptions::related_similarity},
    {"translation_similarity", &MatcherOptions::translation_similarity},
    {"long_translation_score", &MatcherOptions::long_translation_score},
    {"short_length", &MatcherOptions::short_length},
    {"long_length", &MatcherOptions::long_length},
    {"translation_margin", &MatcherOptions::translation_margin},
    {"partial_length_ratio", &MatcherOptions::partial_length_ratio},
    {"anchor_weight", &MatcherOptions::anchor_weight},
    {"url_weight", &MatcherOptions::url_weight},
    {"one_to_one", &MatcherOptions::one_to_one},
    {"same_story", &MatcherOptions::same_story},
    {"pivot", &MatcherOptions::pivot},
    {"pivot_similarity", &MatcherOptions::pivot_similarity},
    {"pivot_margin", &MatcherOptions::pivot_margin},
    {"same_story_per_doc", &MatcherOptions::same_story_per_doc},
    {"counterpart_ratio", &MatcherOptions::counterpart_ratio},
    {"counterpart_margin", &MatcherOptions::counterpart_margin},
    {"counterpart_links", &MatcherOptions::counterpart_links},
    {"counterpart_length_ratio", &MatcherOptions::counterpart_length_ratio},
    {"affinity_sample", &MatcherOptions::affinity_sample},
    {"target_languages", &MatcherOptions::target_languages},
    {"target_affinity", &MatcherOptions::target_affinity},
    {"found_only_ratio", &MatcherOptions::found_only_ratio},
    {"low_affinity_k", &MatcherOptions::low_affinity_k},
    {"low_affinity", &MatcherOptions::low_affinity},
};

// A spec number; whole numbers (the lengths) without an exponent ("300", not "3e+02").
std::string spec_number(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e9) return std::to_string(static_cast<long long>(v));
    return impl::spec_number(v);
}
}  // namespace

MatcherOptions MatcherOptions::parse_spec(const std::string& spec) {
    impl::ParsedSpec p = impl::parse_spec(spec);
    DOPPEL_CHECK(kBadSpec, p.name == kName, "matcher spec '" + spec + "': expected the name '" + kName + "'");
    MatcherOptions o;
    impl::take_options(p, kMatcherKeys, o);
    p.check_empty();
    return o;
}

std::string MatcherOptions::describe() const {
    std::string s = std::string(kName) + ":";
    impl::append_options(s, kMatcherKeys, *this, [](double v) { return spec_number(v); });
    return s;
}

namespace {
constexpr float kNoCompetition = 10.0f;  // margin reported when no other candidate exists
}

float Matcher::margin(float similarity, float avg_a, float avg_b) {
    float d = 0.5f * (avg_a + avg_b);
    return d > 0 ? similarity / d : (similarity > 0 ? 1e3f : 0.0f);
}

namespace {

// The anchor features of v (names, numbers, URLs): one range [first, second) of its ids, as
// the kinds are consecutive and the kind is an id's top bits (ids sorted ascending).
std::pair<std::size_t, std::size_t> anchor_range(const SparseVector& v) {
    using Kind = BridgeEmbedder::FeatureKind;
    static_assert(static_cast<int>(Kind::kNumber) == static_cast<int>(Kind::kName) + 1 &&
                  static_cast<int>(Kind::kUrl) == static_cast<int>(Kind::kName) + 2);
    constexpr uint64_t lo = static_cast<uint64_t>(Kind::kName) << 61, hi = (static_cast<uint64_t>(Kind::kUrl) + 1) << 61;
    const auto first = std::lower_bound(v.ids.begin(), v.ids.end(), lo);
    const auto last = std::lower_bound(first, v.ids.end(), hi);
    return {static_cast<std::size_t>(first - v.ids.begin()), static_cast<std::size_t>(last - v.ids.begin())};
}

}  // namespace

Matcher::AnchorRange Matcher::anchor_range_of(const SparseVector& v) {
    const auto [first, last] = anchor_range(v);
    double norm2 = 0;
    for (std::size_t x = first; x < last; ++x) norm2 += double(v.weights[x]) * v.weights[x];
    return {static_cast<uint32_t>(first), static_cast<uint32_t>(last), norm2};
}

Matcher::AnchorRanges Matcher::anchor_ranges(std::span<const SparseVector> sparse) {
    AnchorRanges out(sparse.size());
    impl::parallel_for_ranges(sparse.size(), impl::worker_count(sparse.size() / 4096 + 1), 4096,
                              [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) out[i] = anchor_range_of(sparse[i]);
    });
    return out;
}

namespace {

// The cosine of the anchor features of a and b (ra, rb: their AnchorRange); -1 when either has none.
float anchor_cosine(const SparseVector& a, const SparseVector& b, const Matcher::AnchorRange& ra,
                    const Matcher::AnchorRange& rb) {
    const double aa = ra.norm2, bb = rb.norm2;
    if (aa <= 0 || bb <= 0) return -1.0f;
    double ab = 0;
    for (std::size_t i = ra.begin, j = rb.begin; i < ra.end && j < rb.end;) {
        if (a.ids[i] < b.ids[j]) ++i;
        else if (a.ids[i] > b.ids[j]) ++j;
        else ab += double(a.weights[i++]) * b.weights[j++];
    }
    return static_cast<float>(ab / std::sqrt(aa * bb));
}

// seq -> position in docs (the last document of a repeated seq): a flat table over [lowest,
// highest seq] when the seqs are dense enough (a store's are), else a hash map. Every search
// result is looked up here, T x k of them a document, so a lookup must not miss the cache twice.
class SeqPositions {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    SeqPositions() = default;
    explicit SeqPositions(std::span<const MatchDocument> docs) {
        if (docs.empty()) return;
        auto [lo, hi] = std::minmax_element(docs.begin(), docs.end(),
                                            [](const MatchDocument& a, const MatchDocument& b) { return a.seq < b.seq; });
        const uint64_t span = static_cast<uint64_t>(hi->seq) - static_cast<uint64_t>(lo->seq);
        if (span <= 4 * docs.size() + 1024 && docs.size() < kNone) {
            lo_ = lo->seq;
            flat_.assign(span + 1, kNone);
            for (std::size_t i = 0; i < docs.size(); ++i) flat_[docs[i].seq - lo_] = static_cast<uint32_t>(i);
        } else {
            for (std::size_t i = 0; i < docs.size(); ++i) map_[docs[i].seq] = i;
        }
    }
    std::size_t find(int64_t seq) const {
        if (flat_.empty()) {
            auto it = map_.find(seq);
            return it == map_.end() ? npos : it->second;
        }
        if (seq < lo_ || static_cast<uint64_t>(seq - lo_) >= flat_.size()) return npos;
        const uint32_t p = flat_[seq - lo_];
        return p == kNone ? npos : p;
    }

private:
    static constexpr uint32_t kNone = static_cast<uint32_t>(-1);
    int64_t lo_ = 0;
    std::vector<uint32_t> flat_;
    std::unordered_map<int64_t, std::size_t> map_;
};

// Documents grouped by matching language (in language order), and each seq's position.
struct Languages {
    SeqPositions pos;                                      // seq -> position in docs
    std::vector<std::string> names;                        // sorted
    std::vector<std::vector<std::size_t>> members;         // per language: positions in docs
    std::map<std::string, std::size_t> index;              // name -> position in names
};

Languages group_by_language(std::span<const MatchDocument> docs) {
    Languages g;
    std::map<std::string, std::vector<std::size_t>> by_lang;
    g.pos = SeqPositions(docs);
    for (std::size_t i = 0; i < docs.size(); ++i) by_lang[docs[i].lang].push_back(i);
    for (auto& [lang, members] : by_lang) {
        g.index[lang] = g.names.size();
        g.names.push_back(lang);
        g.members.push_back(std::move(members));
    }
    return g;
}

// The one check that `table` holds the lists of these n documents grouped as g.
void check_table(const CandidateTable& table, const Languages& g, std::size_t n) {
    DOPPEL_CHECK(kInvalidArgument, table.languages == g.names && table.documents() == n,
                 "matcher: the candidate table is not of these documents");
}

// The checks of an update of a table (update_candidates, merge_candidates): one sparse vector and
// one changed flag per document, the table of these documents, lists that hold k. The grouping
// is returned.
Languages check_update(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                       std::span<const char> changed, const CandidateTable& table, std::size_t k) {
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == docs.size() && changed.size() == docs.size(),
                 "matcher: one sparse vector and one changed flag per document needed");
    Languages g = group_by_language(docs);
    check_table(table, g, docs.size());
    DOPPEL_CHECK(kInvalidArgument, table.capacity() >= k,
                 "matcher: the candidate table's lists hold fewer than k candidates");
    return g;
}

using Candidate = MatchCandidate;

// Queries are searched a batch at a time, so the search buffers (batch x languages x k) stay small.
constexpr std::size_t kQueryBatch = 4096;

// Asks `need` (when set) for the vectors of `positions` (Matcher::VectorsNeeded).
void ask(const VectorsNeeded* need, const std::vector<uint32_t>& positions) {
    if (need && *need && !positions.empty()) (*need)(positions);
}

// The dense vectors of members[begin, end), one after the other (the queries).
std::vector<float> gather_queries(std::span<const std::size_t> members, std::size_t begin, std::size_t end,
                                  const DenseRows& dense) {
    const std::size_t dim = dense.dim();
    std::vector<float> qx((end - begin) * dim);
    for (std::size_t j = begin; j < end; ++j) dense.copy(members[j], qx.data() + (j - begin) * dim);
    return qx;
}

// The k candidates of document x in one target language from its search results (res: `kk`
// labels and similarities; labels are seqs, found by `pos`; q: x's dense vector). Approximate
// results (kk > k) are re-ranked by the exact dense similarity first, so the k kept are the dense nearest as an exact
// search gives them; the k are then rescored exactly (sparse) and sorted into `out` (a
// CandidateList or a vector), all of them, or the `keep` most similar when keep < k.
template <class List>
void take_candidates(std::size_t x, const SeqPositions& pos, const float* res_d,
                     const int64_t* res_l, std::size_t kk, std::size_t k, const float* q, const DenseRows& dense,
                     std::span<const SparseVector> sparse, std::vector<Candidate>& found, List& out,
                     std::size_t keep = static_cast<std::size_t>(-1)) {
    found.clear();
    for (std::size_t r = 0; r < kk; ++r) {
        const int64_t label = res_l[r];
        const std::size_t at = label < 0 ? SeqPositions::npos : pos.find(label);
        if (at == SeqPositions::npos) continue;
        const float s = kk > k ? dense.dot(q, at) : res_d[r];
        found.push_back({static_cast<uint32_t>(at), s});
    }
    if (found.size() > k) {
        std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(k), found.end(),
                          [](const Candidate& a, const Candidate& b) { return a.sim > b.sim; });
        found.resize(k);
    }
    if (found.size() > keep) {
        for (Candidate& c : found) c.sim = dot(sparse[x], sparse[c.other]);
        std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(keep), found.end(),
                          [](const Candidate& a, const Candidate& b) { return a.sim > b.sim; });
        found.resize(keep);
        for (const Candidate& c : found) out.push_back(c);
    } else {
        for (const Candidate& c : found) out.push_back({c.other, dot(sparse[x], sparse[c.other])});
    }
    std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.sim > b.sim; });
}

// The found search's record (matcher.h): found_only[a * L + b], a's documents search b only
// where found from b; found[x * L + b], document x (of a) was among the results of a search
// from b (every result the index gave, before they were cut to k).
struct FoundMarks {
    std::vector<char> found_only, found;
};

// Marks in `marks` the results (labels, n x T x kk) of queries of language `source` in targets
// that search `source` with found documents only.
void mark_found(const Languages& g, std::size_t source, std::span<const std::size_t> targets, std::size_t n,
                std::size_t kk, const std::vector<int64_t>& lab, FoundMarks& marks) {
    const std::size_t L = g.names.size(), T = targets.size();
    for (std::size_t t = 0; t < T; ++t) {
        if (!marks.found_only[targets[t] * L + source]) continue;
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t r = 0; r < kk; ++r) {
                const int64_t label = lab[(j * T + t) * kk + r];
                const std::size_t at = label < 0 ? SeqPositions::npos : g.pos.find(label);
                if (at != SeqPositions::npos) marks.found[at * L + source] = 1;
            }
    }
}

// Candidates per list (matcher.h, search plan): k, or in a pair the plan searches for few
// (CandidateTable::is_few, a pair of low affinity) the `few` most similar of the k.
struct ListSizes {
    std::size_t k = 0, few = 0;
    explicit ListSizes(const MatcherOptions& o)
        : k(o.k), few(o.low_affinity_k > 0 ? std::min(o.low_affinity_k, o.k) : o.k) {}
    // For a pair of this plan value (an entry of CandidateTable::searched).
    std::size_t of(char plan_value) const { return CandidateTable::is_few(plan_value) ? few : k; }
    std::size_t of(const CandidateTable& table, std::size_t source, std::size_t target) const {
        return table.searches_few(source, target) ? few : k;
    }
};

// The candidates of documents queries[begin, end) (positions in docs) of language `source` in
// languages `targets`: one search for all target languages (index.search_languages), then
// take_candidates per document on all cores, each list keeping `keep` of the k. With `marks`, the
// results are marked (mark_found).
void search_candidates(const VectorIndex& index, const Languages& g, std::size_t source,
                       std::span<const std::size_t> queries, std::size_t begin, std::size_t end, std::span<const std::size_t> targets,
                       const DenseRows& dense, std::size_t k, std::size_t keep, std::span<const SparseVector> sparse,
                       CandidateTable& table, FoundMarks* marks = nullptr, const VectorsNeeded* need = nullptr) {
    std::vector<std::string> names;
    for (std::size_t t : targets) names.push_back(g.names[t]);
    const std::size_t n = end - begin, T = targets.size(), dim = index.dim(), kk = index.candidates_for(k);
    if (n == 0 || T == 0 || k == 0) return;
    ask(need, {queries.begin() + static_cast<std::ptrdiff_t>(begin), queries.begin() + static_cast<std::ptrdiff_t>(end)});
    const std::vector<float> qx = gather_queries(queries, begin, end, dense);
    std::vector<float> dist(n * T * kk);
    std::vector<int64_t> lab(n * T * kk);
    index.search_languages(names, n, qx.data(), kk, dist.data(), lab.data());
    if (need && *need) {  // every result: re-ranked (dense) and rescored (sparse)
        std::vector<uint32_t> found;
        for (int64_t label : lab)
            if (const std::size_t at = label < 0 ? SeqPositions::npos : g.pos.find(label); at != SeqPositions::npos)
                found.push_back(static_cast<uint32_t>(at));
        ask(need, found);
    }
    if (marks && !marks->found_only.empty()) mark_found(g, source, targets, n, kk, lab, *marks);
    // A target language at a time (its documents' vectors, read for every query, stay in the cache).
    const std::size_t workers = impl::worker_count(n / 16 + 1);
    std::vector<std::vector<Candidate>> found(workers);
    impl::parallel_for_ranges(n * T, workers, 16, [&](std::size_t b, std::size_t e, std::size_t w) {
        for (std::size_t u = b; u < e; ++u) {  // u = t * n + j
            const std::size_t t = u / n, j = u % n, x = queries[begin + j];
            CandidateList list = table.edit(x, targets[t]);
            take_candidates(x, g.pos, dist.data() + (j * T + t) * kk, lab.data() + (j * T + t) * kk, kk, k,
                            qx.data() + j * dim, dense, sparse, found[w], list, keep);
        }
    });
}

// The ratio margin of candidate pairs, from the candidate table (see matcher.h). A list of a
// pair searched for few candidates (CandidateTable::searches_few) averages fewer competitors,
// the nearest: its mean is scaled to what margin_k of them average in that pair, as measured on
// the pair's lists that hold more (the search plan's sample searched every language for k).
class Margins {
public:
    Margins(const CandidateTable& table, const Languages& g, std::size_t margin_k)
        : table_(table), lang_(table.documents()),
          margin_k_(margin_k) {
        for (std::size_t t = 0; t < g.members.size(); ++t)
            for (std::size_t x : g.members[t]) lang_[x] = static_cast<uint32_t>(t);
        scale_few_lists(g);
    }

    float operator()(std::size_t a, std::size_t b, float sim) const {
        const std::size_t la = lang_[a], lb = lang_[b];
        const float na = others(a, lb, b), nb = others(b, la, a);
        if (na < 0 && nb < 0) return kNoCompetition;
        const float d = na < 0 ? nb : nb < 0 ? na : 0.5f * (na + nb);
        return d > 0 ? std::min(sim / d, kNoCompetition) : kNoCompetition;
    }

private:
    // Neighbourhood of x in language t without y: the mean similarity of x's best margin_k
    // other candidates there (scaled in a pair searched for few); -1 when x has no other candidate.
    float others(std::size_t x, std::size_t t, std::size_t y) const {
        float s = 0;
        std::size_t n = 0;
        for (const auto& c : table_.of(x, t)) {
            if (c.other == y) continue;
            s += c.sim;
            if (++n == margin_k_) break;
        }
        if (n == 0) return -1.0f;
        const std::size_t L = table_.languages.size();
        const float mean = s / static_cast<float>(n);
        return n < margin_k_ && !scale_.empty() ? mean * scale_[((lang_[x] * L) + t) * margin_k_ + n] : mean;
    }
    // scale_[(source * L + target) * margin_k + n]: in a pair searched for few, the mean of the
    // margin_k candidates after the first over the mean of the n after it, summed over the
    // source's lists there that hold margin_k + 1; 1 where none do or the pair is not few.
    void scale_few_lists(const Languages& g) {
        const std::size_t L = table_.languages.size(), m = margin_k_;
        if (m == 0 || std::none_of(table_.searched.begin(), table_.searched.end(),
                                   [](char c) { return CandidateTable::is_few(c); }))
            return;
        scale_.assign(L * L * m, 1.0f);
        for (std::size_t a = 0; a < L; ++a)
            for (std::size_t b = 0; b < L; ++b) {
                if (!table_.searches_few(a, b)) continue;
                std::vector<double> sums(m + 1, 0.0);  // sums[n]: of the lists' means of n
                for (std::size_t x : g.members[a]) {
                    const auto list = table_.of(x, b);
                    if (list.size() < m + 1) continue;
                    double s = 0;
                    for (std::size_t n = 1; n <= m; ++n) sums[n] += (s += list[n].sim) / static_cast<double>(n);
                }
                for (std::size_t n = 1; n < m; ++n)
                    if (sums[n] > 0) scale_[(a * L + b) * m + n] = static_cast<float>(sums[m] / sums[n]);
            }
    }
    const CandidateTable& table_;
    std::vector<uint32_t> lang_;  // per document, its language's position in table_.languages
    std::size_t margin_k_;
    std::vector<float> scale_;  // empty: no pair searched for few
};

// A candidate pair of two languages: a of the first, b of the second (12 bytes).
struct PairCandidate {
    uint32_t a = 0, b = 0;
    float sim = 0;
};

// The candidate pairs of languages sa and tb from both directions' lists, each pair once, in
// (a, b) order; a pair in both directions takes the similarity of tb's list (the same cosine).
// With `touching` (flags per document), only the pairs with a flagged document (relink()).
std::vector<PairCandidate> pair_candidates(const CandidateTable& table, const Languages& g, std::size_t sa,
                                           std::size_t tb, std::span<const char> touching = {}) {
    const auto taken = [&](std::size_t x, uint32_t y) { return touching.empty() || touching[x] || touching[y]; };
    std::size_t n = 0;
    for (std::size_t x : g.members[sa]) n += table.of(x, tb).size();
    for (std::size_t y : g.members[tb]) n += table.of(y, sa).size();
    std::vector<PairCandidate> pairs;
    pairs.reserve(touching.empty() ? n : n / 8);
    for (std::size_t x : g.members[sa])
        for (const auto& c : table.of(x, tb))
            if (taken(x, c.other)) pairs.push_back({static_cast<uint32_t>(x), c.other, c.sim});
    for (std::size_t y : g.members[tb])
        for (const auto& c : table.of(y, sa))
            if (taken(y, c.other)) pairs.push_back({c.other, static_cast<uint32_t>(y), c.sim});
    std::stable_sort(pairs.begin(), pairs.end(), [](const PairCandidate& x, const PairCandidate& y) {
        return std::tie(x.a, x.b) < std::tie(y.a, y.b);
    });
    std::size_t w = 0;  // of a run of one pair, its last entry (tb's list) stays
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (w > 0 && pairs[w - 1].a == pairs[i].a && pairs[w - 1].b == pairs[i].b) pairs[w - 1] = pairs[i];
        else pairs[w++] = pairs[i];
    }
    pairs.resize(w);
    return pairs;
}

}  // namespace

void Matcher::need_all(std::size_t n) const {
    if (!need_) return;
    std::vector<uint32_t> all(n);
    std::iota(all.begin(), all.end(), uint32_t{0});
    need_(all);
}

TranslationLink Matcher::make_link(std::size_t a, std::size_t b, float sim, float margin,
                                   std::span<const SparseVector> sparse, const AnchorRanges& anchors) const {
    TranslationLink l;
    l.a = a;
    l.b = b;
    l.similarity = sim;
    l.margin = margin;
    l.anchors = anchors.empty() ? anchor_cosine(sparse[a], sparse[b], anchor_range_of(sparse[a]),
                                                anchor_range_of(sparse[b]))
                                : anchor_cosine(sparse[a], sparse[b], anchors[a], anchors[b]);
    l.score = l.anchors >= 0 ? (1 - options_.anchor_weight) * sim + options_.anchor_weight * l.anchors : sim;
    l.score = std::clamp(l.score, 0.0f, 1.0f);
    return l;
}

bool Matcher::counterpart_applies(float length_a, float length_b) const {
    const float shorter = std::min(length_a, length_b), longer = std::max(length_a, length_b);
    return shorter > options_.short_length || shorter < options_.counterpart_length_ratio * longer;
}

LinkLabel Matcher::length_label(float length_a, float length_b) const {
    const float ratio = std::max(length_a, length_b) > 0 ? std::min(length_a, length_b) / std::max(length_a, length_b) : 1.0f;
    return ratio < options_.partial_length_ratio ? LinkLabel::kPartial : LinkLabel::kTranslation;
}

std::vector<std::string> Matcher::languages_of(std::span<const MatchDocument> docs) {
    std::set<std::string> names;
    for (const auto& d : docs) names.insert(d.lang);
    return {names.begin(), names.end()};
}

CandidateTable Matcher::candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const float* dense,
                                   std::span<const SparseVector> sparse) const {
    return candidates(index, docs, DenseRows::view(dense, index.dim()), sparse);
}

namespace {

// Each document's position in g.names.
std::vector<uint32_t> language_of(const Languages& g, std::size_t n) {
    std::vector<uint32_t> out(n);
    for (std::size_t l = 0; l < g.members.size(); ++l)
        for (std::size_t i : g.members[l]) out[i] = static_cast<uint32_t>(l);
    return out;
}

// Which lists an update empties (the one home of that rule): those of documents with clear[x]
// searched again in the languages `again` flags for x's language (lang[x]; empty `again`: all),
// and those it drops (Matcher::drops_list). An empty `clear` empties none.
struct ClearedLists {
    std::span<const char> clear, again;
    std::span<const uint32_t> lang;
    std::size_t L = 0;
    bool operator()(std::size_t x, std::size_t t) const {
        const bool changed = !clear.empty() && clear[x];
        const std::span<const char> row = Matcher::again_row(again, L, again.empty() ? 0 : lang[x]);
        return (changed && (row.empty() || row[t] == Matcher::kSearchList)) || Matcher::drops_list(row, changed, t);
    }
};

// update_candidates' phase 1: the lists `cleared` names emptied (before the search fills them).
void clear_lists(const ClearedLists& cleared, std::size_t n, CandidateTable& table) {
    if (cleared.clear.empty()) return;
    impl::parallel_for_ranges(n, impl::worker_count(n / 4096 + 1), 4096, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t x = b; x < e; ++x)
            for (std::size_t t = 0; t < cleared.L; ++t)
                if (cleared(x, t)) table.edit(x, t).clear();
    });
}

// The similarities this update's search already found, by the document they were found for: x's
// entry in each list `cleared` emptied for the search, which all it holds is new, as (y, sim) for
// the list's owner y (x is in y's list in x's language). Rescoring x's kept lists takes these
// instead of dot() again (dot is symmetric bit for bit, its products summed in id order either
// way). Gathered once, x by x, so that a look-up reads x's few entries in a row instead of each
// candidate's list (a cache miss a candidate: a fifth of the second pass's rescoring).
class FoundSims {
public:
    FoundSims(const ClearedLists& cleared, const CandidateTable& table) {
        const std::size_t n = table.documents();
        if (cleared.clear.empty()) return;
        entries_ = impl::group_by_key<Candidate>(
            n,
            [&](auto emit) {
                for_each_found(cleared, table, [&](std::size_t y, const Candidate& c) {
                    emit(c.other, Candidate{static_cast<uint32_t>(y), c.sim});
                });
            },
            &start_);
    }
    // The similarity of x and y the search found (first in y's list), or null.
    const float* find(std::size_t x, std::size_t y) const {
        if (start_.empty()) return nullptr;
        for (uint32_t e = start_[x]; e < start_[x + 1]; ++e)
            if (entries_[e].other == y) return &entries_[e].sim;
        return nullptr;
    }

private:
    // f(y, c) for each entry c of each list of y `cleared` emptied, y ascending, each list in order.
    template <class F>
    static void for_each_found(const ClearedLists& cleared, const CandidateTable& table, F f) {
        for (std::size_t y = 0; y < table.documents(); ++y)
            for (std::size_t t = 0; t < cleared.L; ++t)
                if (cleared(y, t))
                    for (const Candidate& c : table.of(y, t)) f(y, c);
    }
    std::vector<uint32_t> start_;   // x's entries: [start_[x], start_[x + 1])
    std::vector<Candidate> entries_;  // (y, sim): x in y's list
};

// Starts reading sparse vector v into the cache (its first ids and weights; the hardware
// prefetcher follows on), so the merge of the next candidate does not wait on memory.
void prefetch_sparse(const SparseVector& v) {
    const char* ids = reinterpret_cast<const char*>(v.ids.data());
    const char* weights = reinterpret_cast<const char*>(v.weights.data());
    for (int line = 0; line < 4; ++line) __builtin_prefetch(ids + line * 64);
    for (int line = 0; line < 2; ++line) __builtin_prefetch(weights + line * 64);
}

// update_candidates' phase 3, after the search: the lists `cleared` did not empty rescored
// (sparse: the similarity the search found, FoundSims, else dot()) and re-sorted where rescore[x]
// (a list not rescored keeps its saved, sorted order; an empty `rescore` rescores all).
void rescore_lists(std::span<const SparseVector> sparse, const ClearedLists& cleared, std::span<const char> rescore,
                   CandidateTable& table, const VectorsNeeded* need = nullptr) {
    const std::size_t n = sparse.size(), L = table.languages.size();
    if (need && *need) {  // the documents of the lists rescored and their candidates
        std::vector<uint32_t> read;
        for (std::size_t x = 0; x < n; ++x)
            for (std::size_t t = 0; t < L && (rescore.empty() || rescore[x]); ++t)
                if (!cleared(x, t) && !table.of(x, t).empty()) {
                    read.push_back(static_cast<uint32_t>(x));
                    for (const Candidate& c : table.of(x, t)) read.push_back(c.other);
                }
        ask(need, read);
    }
    const FoundSims found(cleared, table);
    // A language's lists at a time (their candidates, that language's documents, stay in the cache).
    // Writes only lists `cleared` did not empty; FoundSims holds only lists it emptied.
    impl::parallel_for_ranges(n * L, impl::worker_count(n * L / 256 + 1), 256, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t u = b; u < e; ++u) {  // u = t * n + x
            const std::size_t t = u / n, x = u % n;
            if (cleared(x, t) || (!rescore.empty() && !rescore[x])) continue;
            const CandidateList list = table.edit(x, t);
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (i + 1 < list.size()) prefetch_sparse(sparse[list[i + 1].other]);
                Candidate& c = list[i];
                const float* known = found.find(x, c.other);
                c.sim = known ? *known : dot(sparse[x], sparse[c.other]);
            }
            std::sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& c) { return a.sim > c.sim; });
        }
    });
}

// update_candidates' phase 4: changed documents ys, found by their search near unchanged x,
// offered to x's list in their language (list): each appended while the list holds fewer than k,
// else in place of the entry of lowest dense similarity to x when its own is higher. sims[i]:
// the similarity of x and ys[i], as y's list holds it (dot() of the two: y's lists are new).
void offer(std::size_t x, std::span<const std::size_t> ys, std::span<const float> sims, std::size_t k,
           const DenseRows& dense, const CandidateList& list) {
    std::vector<float> row(dense.dim());
    dense.copy(x, row.data());
    const auto near = [&](std::size_t o) { return dense.dot(row.data(), o); };
    std::vector<float> nears;  // per entry of list, its dense similarity to x
    for (const Candidate& c : list) nears.push_back(near(c.other));
    for (std::size_t i = 0; i < ys.size(); ++i) {
        const std::size_t y = ys[i];
        if (std::any_of(list.begin(), list.end(), [&](const Candidate& c) { return c.other == y; })) continue;
        const float s = near(y);
        if (list.size() < k) {
            list.push_back({static_cast<uint32_t>(y), sims[i]});
            nears.push_back(s);
            continue;
        }
        const std::size_t worst = static_cast<std::size_t>(std::min_element(nears.begin(), nears.end()) - nears.begin());
        if (s <= nears[worst]) continue;
        list[worst] = {static_cast<uint32_t>(y), sims[i]};
        nears[worst] = s;
    }
    std::sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& c) { return a.sim > c.sim; });
}

// Every document of `queries` searched in the languages its language searches (those `only`
// flags for its language, per language pair as update_candidates' `again`, when not empty), but those its language searches with found documents only
// (marks->found_only; search_found() searches them), a batch at a time; with `marks`, the
// results marked (mark_found).
void search_all(const VectorIndex& index, const Languages& queries, const DenseRows& dense, ListSizes sizes,
                std::span<const SparseVector> sparse, CandidateTable& table, FoundMarks* marks = nullptr,
                std::span<const char> only = {}, const VectorsNeeded* need = nullptr) {
    const std::size_t L = queries.names.size();
    const bool found_only = marks && !marks->found_only.empty();
    for (std::size_t sa = 0; sa < L; ++sa) {
        std::vector<std::size_t> targets[2];  // searched for sizes.k, for sizes.few
        for (std::size_t t = 0; t < L; ++t)
            if (t != sa && table.searches(sa, t) && (only.empty() || only[sa * L + t] == Matcher::kSearchList) &&
                !(found_only && marks->found_only[sa * L + t]))
                targets[table.searches_few(sa, t)].push_back(t);
        for (std::size_t few = 0; few < 2; ++few) {
            for (std::size_t b = 0; b < queries.members[sa].size(); b += kQueryBatch)
                search_candidates(index, queries, sa, queries.members[sa], b,
                                  std::min(queries.members[sa].size(), b + kQueryBatch), targets[few], dense, sizes.k,
                                  few ? sizes.few : sizes.k, sparse, table, marks, need);
        }
    }
}

// The found search's language pairs (matcher.h) in a record of no marks yet: found_only[a * L +
// b] when a searches b and holds at least found_only_ratio times b's documents; found_only
// empty when the rule is off.
FoundMarks found_only_pairs(const MatcherOptions& o, const Languages& g, const CandidateTable& table) {
    const std::size_t L = g.names.size();
    FoundMarks marks;
    if (o.found_only_ratio <= 0) return marks;
    marks.found_only.assign(L * L, 0);
    marks.found.assign(table.documents() * L, 0);
    for (std::size_t a = 0; a < L; ++a)
        for (std::size_t b = 0; b < L; ++b)
            marks.found_only[a * L + b] = a != b && table.searches(a, b) && !g.members[b].empty() &&
                                          static_cast<double>(g.members[a].size()) >=
                                              o.found_only_ratio * static_cast<double>(g.members[b].size());
    return marks;
}

// The found search (matcher.h): for each pair (a, b) of marks.found_only, the documents of a
// with no list in b yet that a search from b found (marks.found) or that a list of b holds,
// searched in b (b's lists in a are complete).
void search_found(const VectorIndex& index, const Languages& g, FoundMarks& marks, const DenseRows& dense,
                  ListSizes sizes, std::span<const SparseVector> sparse, CandidateTable& table,
                  const VectorsNeeded* need = nullptr) {
    const std::size_t L = g.names.size();
    for (std::size_t a = 0; a < L && !marks.found_only.empty(); ++a)
        for (std::size_t b = 0; b < L; ++b) {
            if (!marks.found_only[a * L + b]) continue;
            for (std::size_t y : g.members[b])
                for (const Candidate& c : table.of(y, a)) marks.found[c.other * L + b] = 1;
            std::vector<std::size_t> queries;
            for (std::size_t x : g.members[a])
                if (marks.found[x * L + b] && table.of(x, b).empty()) queries.push_back(x);
            const std::size_t target[] = {b};
            for (std::size_t q = 0; q < queries.size(); q += kQueryBatch)
                search_candidates(index, g, a, queries, q, std::min(queries.size(), q + kQueryBatch), target, dense,
                                  sizes.k, sizes.of(table, a, b), sparse, table, nullptr, need);
        }
}

// g with each language's members cut to those with flags[i] == keep.
Languages subset(const Languages& g, std::span<const char> flags, char keep) {
    Languages s = g;
    for (auto& members : s.members) std::erase_if(members, [&](std::size_t i) { return (flags[i] != 0) != (keep != 0); });
    return s;
}

// The search plan's sample (matcher.h): per language, `per_language` of its documents spread
// evenly over it (all of a smaller language); flags per document. Empty when the documents get no
// plan: affinity_sample or target_languages 0, two languages or fewer, none larger than the sample.
std::vector<char> sample_flags(const MatcherOptions& o, const Languages& g, std::size_t n) {
    const std::size_t per_language = o.affinity_sample;
    const bool plan = per_language > 0 && o.target_languages > 0 && g.names.size() > 2 &&
                      std::any_of(g.members.begin(), g.members.end(),
                                  [&](const auto& m) { return m.size() > per_language; });
    if (!plan) return {};
    std::vector<char> sampled(n, 0);
    for (const auto& members : g.members) {
        const std::size_t stride = std::max<std::size_t>(1, members.size() / std::max<std::size_t>(1, per_language));
        for (std::size_t j = 0, taken = 0; j < members.size() && taken < per_language; j += stride, ++taken)
            sampled[members[j]] = 1;
    }
    return sampled;
}

// The affinity of each language for each other, [a * L + b] (matcher.h, search plan): the share
// of a's sampled documents whose best candidate in b is confident. The sample's lists are full.
std::vector<float> affinities(const Matcher& m, std::span<const MatchDocument> docs, const Languages& sample,
                              const CandidateTable& table) {
    const std::size_t L = sample.names.size(), mk = m.options().margin_k;
    std::vector<float> aff(L * L, 0.0f);
    for (std::size_t a = 0; a < L; ++a) {
        for (std::size_t x : sample.members[a])
            for (std::size_t b = 0; b < L; ++b) {
                const auto& list = table.of(x, b);
                if (b == a || list.empty()) continue;
                float others = 0;
                std::size_t n = 0;
                for (std::size_t i = 1; i < list.size() && n < mk; ++i, ++n) others += list[i].sim;
                const float margin = n > 0 && others > 0 ? list[0].sim * static_cast<float>(n) / others : kNoCompetition;
                if (list[0].sim >= m.translation_floor(docs[x].length, docs[list[0].other].length) &&
                    margin >= m.options().counterpart_margin)
                    aff[a * L + b] += 1;
            }
        for (std::size_t b = 0; b < L; ++b)
            aff[a * L + b] /= static_cast<float>(std::max<std::size_t>(1, sample.members[a].size()));
    }
    return aff;
}

// The search plan from the affinities (matcher.h): searched[a * L + b], symmetric: each
// language's target_languages languages of highest affinity (above 0; ties: the first), every
// language that has it among its own, and every language either way of affinity >=
// target_affinity; with low_affinity_k, a searched pair marked kSearchedFew one way where b is
// not among a's own likeliest and a's affinity for it is under low_affinity.
std::vector<char> plan_searches(const MatcherOptions& o, const std::vector<float>& aff, std::size_t L) {
    std::vector<char> plan(L * L, 0), likeliest(L * L, 0);
    for (std::size_t a = 0; a < L; ++a) {
        std::vector<std::size_t> order;
        for (std::size_t b = 0; b < L; ++b)
            if (b != a && aff[a * L + b] > 0) order.push_back(b);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t x, std::size_t y) { return aff[a * L + x] > aff[a * L + y]; });
        for (std::size_t i = 0; i < order.size(); ++i) {
            likeliest[a * L + order[i]] = i < o.target_languages;
            if (i < o.target_languages || aff[a * L + order[i]] >= o.target_affinity)
                plan[a * L + order[i]] = plan[order[i] * L + a] = 1;
        }
    }
    if (o.low_affinity_k == 0 || o.low_affinity_k >= o.k) return plan;
    for (std::size_t x = 0; x < L * L; ++x)
        if (plan[x] && !likeliest[x] && aff[x] < o.low_affinity) plan[x] = CandidateTable::kSearchedFew;
    return plan;
}

// update_candidates' phase 4: each changed document y offered to the list, in y's language, of
// each unchanged document x it found (offer()), with the similarity y's list holds for x;
// grouped by y's language and x, each group on one core, a language's groups together (the
// lists' documents stay in the cache).
void offer_found(const Languages& g, std::span<const char> changed, ListSizes sizes, const DenseRows& dense,
                 CandidateTable& table, const VectorsNeeded* need = nullptr) {
    struct Offer {
        std::size_t x, t, y;  // unchanged x, changed y of language t
        float sim;            // of x and y, from y's list
        bool operator<(const Offer& o) const { return std::tie(t, x, y) < std::tie(o.t, o.x, o.y); }
    };
    const std::size_t L = g.names.size();
    std::vector<Offer> offers;
    std::vector<uint32_t> lang_of(changed.size());
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t x : g.members[t]) lang_of[x] = static_cast<uint32_t>(t);
    for (std::size_t ty = 0; ty < L; ++ty)
        for (std::size_t y : g.members[ty])
            for (std::size_t tx = 0; tx < L && changed[y]; ++tx)
                for (const Candidate& c : table.of(y, tx))
                    if (!changed[c.other]) offers.push_back({c.other, ty, y, c.sim});
    std::sort(offers.begin(), offers.end());
    std::vector<std::size_t> starts, ys(offers.size());
    std::vector<float> sims(offers.size());
    for (std::size_t i = 0; i < offers.size(); ++i) {
        ys[i] = offers[i].y;
        sims[i] = offers[i].sim;
        if (i == 0 || offers[i].x != offers[i - 1].x || offers[i].t != offers[i - 1].t) starts.push_back(i);
    }
    starts.push_back(offers.size());
    if (need && *need) {  // each x, its list in y's language (dense) and the ys
        std::vector<uint32_t> read(ys.begin(), ys.end());
        for (std::size_t s = 0; s + 1 < starts.size(); ++s) {
            const Offer& o = offers[starts[s]];
            read.push_back(static_cast<uint32_t>(o.x));
            for (const Candidate& c : table.of(o.x, o.t)) read.push_back(c.other);
        }
        ask(need, read);
    }
    impl::parallel_for_ranges(starts.size() - 1, impl::worker_count(starts.size() / 256 + 1), 256,
                              [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t s = b; s < e; ++s) {
            const Offer& o = offers[starts[s]];
            const std::size_t from = starts[s], count = starts[s + 1] - starts[s];
            offer(o.x, std::span(ys).subspan(from, count), std::span(sims).subspan(from, count),
                  sizes.of(table, lang_of[o.x], o.t), dense, table.edit(o.x, o.t));
        }
    });
}

}  // namespace

CandidateTable Matcher::candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const DenseRows& dense,
                                   std::span<const SparseVector> sparse) const {
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == docs.size(), "matcher: one sparse vector per document needed");
    DOPPEL_CHECK(kInvalidArgument, dense.dim() == index.dim(), "matcher: dense vectors of the index's dimension needed");
    const Languages g = group_by_language(docs);
    need_all(docs.size());
    CandidateTable table = CandidateTable::empty(docs.size(), g.names, options_.k);
    const std::vector<char> sampled = sample_flags(options_, g, docs.size());
    // Phase 1: the sample searched in every language; the plan from its affinities.
    if (!sampled.empty()) {
        const Languages sample = subset(g, sampled, 1);
        search_all(index, sample, dense, ListSizes(options_), sparse, table);
        table.searched = plan_searches(options_, affinities(*this, docs, sample, table), g.names.size());
    }
    // Phase 2: the other documents searched in their planned languages, but where a language
    // searches a much smaller one; phase 3: there, its documents that the smaller one found.
    FoundMarks marks = found_only_pairs(options_, g, table);
    search_all(index, sampled.empty() ? g : subset(g, sampled, 0), dense, ListSizes(options_), sparse, table, &marks);
    search_found(index, g, marks, dense, ListSizes(options_), sparse, table);
    return table;
}

std::vector<char> Matcher::search_sample(std::span<const MatchDocument> docs) const {
    return sample_flags(options_, group_by_language(docs), docs.size());
}

std::vector<char> Matcher::search_plan(std::span<const MatchDocument> docs, const CandidateTable& table) const {
    const Languages g = group_by_language(docs);
    check_table(table, g, docs.size());
    const std::vector<char> sampled = sample_flags(options_, g, docs.size());
    if (sampled.empty()) return {};
    return plan_searches(options_, affinities(*this, docs, subset(g, sampled, 1), table), g.names.size());
}

void Matcher::update_candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const float* dense,
                                std::span<const SparseVector> sparse, std::span<const char> changed,
                                CandidateTable& table, std::span<const char> again) const {
    update_candidates(index, docs, DenseRows::view(dense, index.dim()), sparse, changed, table, again);
}

void Matcher::update_candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const DenseRows& dense,
                                std::span<const SparseVector> sparse, std::span<const char> changed,
                                CandidateTable& table, std::span<const char> again, bool keep_scores) const {
    const Languages g = check_update(docs, sparse, changed, table, options_.k);
    DOPPEL_CHECK(kInvalidArgument, again.empty() || again.size() == table.languages.size() * table.languages.size(),
                 "matcher: one search-again flag per language pair of the table needed");
    // Phase 1: the changed documents' lists searched again or dropped emptied.
    const std::vector<uint32_t> lang = language_of(g, docs.size());
    const ClearedLists cleared{changed, again, lang, table.languages.size()};
    clear_lists(cleared, docs.size(), table);
    // Phase 2: the changed documents searched again (in the languages `again` flags, when not
    // empty), as candidates() searches all (the found search: the documents found with no list
    // there, changed or newly found).
    FoundMarks marks = found_only_pairs(options_, g, table);
    search_all(index, subset(g, changed, 1), dense, ListSizes(options_), sparse, table, &marks, again, &need_);
    search_found(index, g, marks, dense, ListSizes(options_), sparse, table, &need_);
    // Phase 3: the other lists rescored, taking the similarities the search found (after it, so
    // that a pair it found is not scored twice: in the second pass, most of an unchanged English
    // document's candidates found it). A changed document's kept lists (languages `again` does
    // not flag) are always rescored.
    rescore_lists(sparse, cleared, keep_scores ? changed : std::span<const char>(), table, &need_);
    // Phase 4: each changed document offered to the unchanged documents it found.
    offer_found(g, changed, ListSizes(options_), dense, table, &need_);
}

void Matcher::merge_candidates(std::span<const MatchDocument> docs, const DenseRows& dense,
                               std::span<const SparseVector> sparse, std::span<const char> changed,
                               CandidateTable& table, bool keep_scores) const {
    const Languages g = check_update(docs, sparse, changed, table, options_.k);
    // Every list kept; rescored, or with keep_scores the changed documents' only.
    rescore_lists(sparse, ClearedLists{}, keep_scores ? changed : std::span<const char>(), table, &need_);
    offer_found(g, changed, ListSizes(options_), dense, table, &need_);
}

std::vector<std::vector<MatchCandidate>> Matcher::shard_candidates(const VectorIndex& shard, const std::string& lang,
                                                                   std::span<const MatchDocument> docs,
                                                                   std::span<const std::size_t> queries,
                                                                   const float* dense,
                                                                   std::span<const SparseVector> sparse,
                                                                   std::span<const char> plan) const {
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == docs.size(), "matcher: one sparse vector per document needed");
    DOPPEL_CHECK(kInvalidArgument, plan.empty() || plan.size() == queries.size(),
                 "matcher: one search plan value per query needed");
    std::vector<std::vector<MatchCandidate>> out(queries.size());
    const SeqPositions pos(docs);
    const ListSizes sizes(options_);
    const std::size_t dim = shard.dim(), k = options_.k, kk = shard.candidates_for(k);
    if (k == 0) return out;
    const DenseRows rows = DenseRows::view(dense, dim);
    const std::vector<std::size_t> members(queries.begin(), queries.end());
    for (std::size_t b = 0; b < members.size(); b += kQueryBatch) {
        const std::size_t n = std::min(members.size(), b + kQueryBatch) - b;
        const std::vector<float> qx = gather_queries(members, b, b + n, rows);
        std::vector<float> dist(n * kk);
        std::vector<int64_t> lab(n * kk);
        shard.search_languages({lang}, n, qx.data(), kk, dist.data(), lab.data());
        const std::size_t workers = impl::worker_count(n / 16 + 1);
        std::vector<std::vector<Candidate>> found(workers);
        impl::parallel_for_ranges(n, workers, 16, [&](std::size_t from, std::size_t to, std::size_t w) {
            for (std::size_t j = from; j < to; ++j)
                take_candidates(members[b + j], pos, dist.data() + j * kk, lab.data() + j * kk, kk, k,
                                qx.data() + j * dim, rows, sparse, found[w], out[b + j],
                                plan.empty() ? k : sizes.of(plan[b + j]));
        });
    }
    return out;
}

std::vector<TranslationLink> Matcher::match(const VectorIndex& index, std::span<const MatchDocument> docs,
                                            const float* dense, std::span<const SparseVector> sparse) const {
    return link(docs, sparse, candidates(index, docs, dense, sparse));
}

std::vector<TranslationLink> Matcher::match(const VectorIndex& index, std::span<const MatchDocument> docs,
                                            const DenseRows& dense, std::span<const SparseVector> sparse) const {
    return link(docs, sparse, candidates(index, docs, dense, sparse));
}

// link()'s language pairs and the candidate links of each, from both directions. Built twice
// (for the floors, then for the labels), one pair per core at a time: holding every pair's
// candidates until the floors were known took ~2 KB a document at the peak (issue 12).
class Matcher::PairLinks {
public:
    PairLinks(const Matcher& m, std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
              const CandidateTable& table, const Languages& g, const Margins& margins,
              const AnchorRanges& anchors)
        : m_(m), docs_(docs), sparse_(sparse), table_(table), g_(g), margins_(margins), anchors_(anchors) {
        for (std::size_t sa = 0; sa < g.names.size(); ++sa)
            for (std::size_t tb = sa + 1; tb < g.names.size(); ++tb) pairs_.push_back({sa, tb});
    }
    const std::vector<std::pair<std::size_t, std::size_t>>& pairs() const { return pairs_; }

    // Links of a margin under min_margin are left out before they are scored (the anchors are
    // most of a link's cost): a link under translation_margin is never strong (strong()), so
    // label_links() never takes it and it changes no other link's label; it would only be
    // reported as same-story. `related`: how many reach related_similarity, left out or not.
    static constexpr float kEveryMargin = -std::numeric_limits<float>::infinity();
    std::vector<TranslationLink> of(std::size_t p, float min_margin, std::size_t* related = nullptr) const {
        const MatcherOptions& o = m_.options_;
        const std::vector<PairCandidate> pairs =
            pair_candidates(table_, g_, pairs_[p].first, pairs_[p].second);
        const auto n =
            static_cast<std::size_t>(std::count_if(pairs.begin(), pairs.end(), [&](const PairCandidate& c) {
                return c.sim >= o.related_similarity;
            }));
        if (related) *related = n;
        std::vector<TranslationLink> links;
        if (min_margin == kEveryMargin) links.reserve(n);
        for (const auto& [a, b, sim] : pairs)
            if (sim >= o.related_similarity)
                if (const float mg = margins_(a, b, sim); mg >= min_margin)
                    links.push_back(m_.make_link(a, b, sim, mg, sparse_, anchors_));
        for (auto& l : links) url_evidence::add_url_evidence(docs_, o.url_weight, l);
        return links;
    }

    // Phase 1: each pair's confident scores (labelled without the no-counterpart rule), its
    // floor; `total`: the candidate links of all pairs (as many links at most).
    std::vector<float> floors(std::size_t* total) const {
        std::vector<std::vector<float>> confident(pairs_.size());
        *total = 0;
        if (m_.options_.counterpart_ratio > 0) {
            std::vector<std::size_t> sizes(pairs_.size());
            impl::parallel_for(
                pairs_.size(), impl::worker_count(pairs_.size()), [&](std::size_t p, std::size_t) {
                    std::vector<TranslationLink> links = of(p, m_.options_.translation_margin, &sizes[p]);
                    confident[p] = m_.confident_scores(docs_, links);
                });
            *total = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
        }
        return m_.typical_floors(pairs_, g_.names.size(), confident);
    }

    // Phase 2: the pairs labelled with their floors, a core's worth at a time, joined in pair
    // order, so the links are never held twice. With same-story links every candidate is a link
    // (room for all, and an eighth more for the pivots' links: growing copies them all); else
    // only those that can be strong. Strong links also go to keep->strong where asked.
    std::vector<TranslationLink> labelled(const std::vector<float>& floors, std::size_t total,
                                          LinkState* keep) const {
        const bool same_story = m_.options_.same_story;
        const float reported_margin = same_story ? kEveryMargin : m_.options_.translation_margin;
        std::vector<TranslationLink> out;
        if (same_story) out.reserve(total + total / 8);
        const std::size_t workers = impl::worker_count(pairs_.size());
        for (std::size_t p0 = 0; p0 < pairs_.size(); p0 += workers) {
            const std::size_t n = std::min(workers, pairs_.size() - p0);
            std::vector<std::vector<TranslationLink>> linked(n), strong_links(n);
            impl::parallel_for(n, n, [&](std::size_t j, std::size_t) {
                std::vector<TranslationLink> links = of(p0 + j, reported_margin);
                linked[j].reserve(links.size());
                m_.label_links(docs_, links, floors[p0 + j], linked[j], keep ? &strong_links[j] : nullptr);
            });
            for (const auto& links : linked) out.insert(out.end(), links.begin(), links.end());
            for (std::size_t j = 0; keep && j < n; ++j)
                keep->strong.insert(keep->strong.end(), strong_links[j].begin(), strong_links[j].end());
        }
        return out;
    }

private:
    const Matcher& m_;
    std::span<const MatchDocument> docs_;
    std::span<const SparseVector> sparse_;
    const CandidateTable& table_;
    const Languages& g_;
    const Margins& margins_;
    const AnchorRanges& anchors_;
    std::vector<std::pair<std::size_t, std::size_t>> pairs_;  // (language, later language)
};

std::vector<TranslationLink> Matcher::link(std::span<const MatchDocument> docs,
                                           std::span<const SparseVector> sparse, const CandidateTable& table,
                                           LinkState* keep) const {
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == docs.size(),
                 "matcher: one sparse vector per document needed");
    const Languages g = group_by_language(docs);
    check_table(table, g, docs.size());
    need_all(docs.size());
    const Margins margins(table, g, options_.margin_k);
    const AnchorRanges anchors = anchor_ranges(sparse);
    // Language pairs are linked independently, on all cores; their links join in pair order.
    const PairLinks pairs(*this, docs, sparse, table, g, margins, anchors);
    std::size_t total = 0;
    const std::vector<float> floors = pairs.floors(&total);
    if (keep) *keep = {floors, {}};
    std::vector<TranslationLink> out = pairs.labelled(floors, total, keep);
    if (options_.pivot) close_over_pivots(docs, sparse, anchors, margins, out);
    limit_same_story(out);
    out.shrink_to_fit();
    return out;
}

namespace {
constexpr uint32_t kNoLocal = static_cast<uint32_t>(-1);

// Union-find over positions 0..n-1 (relink(): the components of a language pair's strong links).
class Components {
public:
    explicit Components(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), uint32_t{0}); }
    uint32_t find(uint32_t x) {
        while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
        return x;
    }
    void join(uint32_t a, uint32_t b) { parent_[find(a)] = find(b); }

private:
    std::vector<uint32_t> parent_;
};

// relink()'s phase 2 for one language pair: of its strong links, those in a component (documents
// joined by a strong link) that holds a dirty document are labelled again by `label` (which
// appends them, labelled, to `all`); the others are appended to `all` as they are. `local`: one
// entry per document, kNoLocal on entry and on return.
void relabel_dirty_components(const std::vector<TranslationLink>& links, std::span<const char> dirty,
                              std::vector<uint32_t>& local,
                              const std::function<void(std::vector<TranslationLink>&)>& label,
                              std::vector<TranslationLink>& all) {
    std::vector<uint32_t> ends;  // local position -> document
    for (const TranslationLink& l : links)
        for (std::size_t d : {l.a, l.b})
            if (local[d] == kNoLocal) {
                local[d] = static_cast<uint32_t>(ends.size());
                ends.push_back(static_cast<uint32_t>(d));
            }
    Components components(ends.size());
    for (const TranslationLink& l : links) components.join(local[l.a], local[l.b]);
    std::vector<char> redo(ends.size(), 0);
    for (std::size_t i = 0; i < ends.size(); ++i)
        if (dirty[ends[i]]) redo[components.find(static_cast<uint32_t>(i))] = 1;
    std::vector<TranslationLink> again;
    for (const TranslationLink& l : links) {
        if (redo[components.find(local[l.a])]) again.push_back(l);
        else all.push_back(l);
    }
    label(again);
    for (uint32_t d : ends) local[d] = kNoLocal;
}
}  // namespace

std::vector<TranslationLink> Matcher::relink(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                                             const CandidateTable& table, std::span<const char> changed,
                                             LinkState& state) const {
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == docs.size() && changed.size() == docs.size(),
                 "matcher: one sparse vector and one changed flag per document needed");
    const Languages g = group_by_language(docs);
    check_table(table, g, docs.size());
    const std::size_t L = g.names.size(), pairs = L * (L - 1) / 2;
    if (options_.same_story || state.floors.size() != pairs) return link(docs, sparse, table, &state);
    std::vector<uint32_t> lang(docs.size());
    for (std::size_t t = 0; t < L; ++t)
        for (std::size_t x : g.members[t]) lang[x] = static_cast<uint32_t>(t);
    std::vector<std::pair<std::size_t, std::size_t>> lang_pairs;
    std::vector<std::size_t> pair_at(L * L);
    for (std::size_t sa = 0; sa < L; ++sa)
        for (std::size_t tb = sa + 1; tb < L; ++tb) {
            pair_at[sa * L + tb] = lang_pairs.size();
            lang_pairs.push_back({sa, tb});
        }
    // Phase 1: each language pair's strong links: kept where neither document changed (their
    // lists, so their margins, are as before), found again from the lists where one did. A
    // document that lost a strong link is dirty too: its competitors are labelled again.
    std::vector<std::vector<TranslationLink>> strong_of(pairs);
    std::vector<char> dirty(changed.begin(), changed.end());
    for (const TranslationLink& l : state.strong) {
        DOPPEL_CHECK(kInvalidArgument, l.a < docs.size() && l.b < docs.size() && lang[l.a] < lang[l.b],
                     "matcher: a kept link is not of these documents");
        if (changed[l.a] || changed[l.b]) dirty[l.a] = dirty[l.b] = 1;
        else strong_of[pair_at[lang[l.a] * L + lang[l.b]]].push_back(l);
    }
    const Margins margins(table, g, options_.margin_k);
    std::vector<std::vector<PairCandidate>> touching(pairs);
    impl::parallel_for(pairs, impl::worker_count(pairs), [&](std::size_t p, std::size_t) {
        touching[p] = pair_candidates(table, g, lang_pairs[p].first, lang_pairs[p].second, changed);
        // Only strong links are kept: a pair under translation_margin (from the lists alone) is
        // none whatever its vectors say, so it is not made (nor are its vectors read).
        std::erase_if(touching[p], [&](const PairCandidate& c) {
            return c.sim < options_.related_similarity || margins(c.a, c.b, c.sim) < options_.translation_margin;
        });
    });
    if (need_) {
        std::vector<uint32_t> read;
        for (const auto& of : touching)
            for (const PairCandidate& c : of) read.insert(read.end(), {c.a, c.b});
        need_(read);
    }
    impl::parallel_for(pairs, impl::worker_count(pairs), [&](std::size_t p, std::size_t) {
        for (const auto& [a, b, sim] : touching[p]) {
            TranslationLink l = make_link(a, b, sim, margins(a, b, sim), sparse, {});
            url_evidence::add_url_evidence(docs, options_.url_weight, l);
            if (strong(docs, l, state.floors[p])) strong_of[p].push_back(l);
        }
    });
    // Phase 2: per language pair, the components of its strong links that hold a dirty document
    // are labelled again (one-to-one is greedy within a component); the others keep their labels.
    std::vector<TranslationLink> out, all;
    std::vector<uint32_t> local(docs.size(), kNoLocal);
    for (std::size_t p = 0; p < pairs; ++p)
        relabel_dirty_components(strong_of[p], dirty, local, [&](std::vector<TranslationLink>& again) {
            std::vector<TranslationLink> winners;
            label_links(docs, again, state.floors[p], winners, &all);
        }, all);
    for (const TranslationLink& l : all)
        if (l.label != LinkLabel::kSameStory) out.push_back(l);
    state.strong = std::move(all);
    // The vectors are read as asked (need_), so no anchor range is computed ahead.
    if (options_.pivot) close_over_pivots(docs, sparse, {}, margins, out);
    return out;
}

namespace {
// The median of xs (reordered); 0 when empty.
float median(std::vector<float>& xs) {
    if (xs.empty()) return 0.0f;
    const auto mid = xs.begin() + static_cast<std::ptrdiff_t>((xs.size() - 1) / 2);
    std::nth_element(xs.begin(), mid, xs.end());
    return *mid;
}
}  // namespace

std::vector<float> Matcher::confident_scores(std::span<const MatchDocument> docs,
                                             std::vector<TranslationLink>& candidates) const {
    std::vector<TranslationLink> labelled;
    label_links(docs, candidates, 0.0f, labelled);
    std::vector<float> scores;
    for (const auto& l : labelled)
        if (l.label != LinkLabel::kSameStory && l.margin >= options_.counterpart_margin) scores.push_back(l.score);
    return scores;
}

std::vector<float> Matcher::typical_floors(std::span<const std::pair<std::size_t, std::size_t>> lang_pairs,
                                           std::size_t languages, std::vector<std::vector<float>>& confident) const {
    std::vector<float> floors(lang_pairs.size(), 0.0f);
    if (options_.counterpart_ratio <= 0) return floors;
    DOPPEL_CHECK(kInvalidArgument, confident.size() == lang_pairs.size(), "matcher: one score list per language pair needed");
    // Phase 1: typical scores of each language and of the whole pool, the fallbacks.
    std::vector<std::vector<float>> of_language(languages);
    std::vector<float> all;
    for (std::size_t p = 0; p < lang_pairs.size(); ++p)
        for (float s : confident[p]) {
            of_language[lang_pairs[p].first].push_back(s);
            of_language[lang_pairs[p].second].push_back(s);
            all.push_back(s);
        }
    const std::size_t need = std::max<std::size_t>(1, options_.counterpart_links);
    const float pool_typical = all.size() >= need ? median(all) : 0.0f;  // 0: too few, no floor
    std::vector<float> language_typical(languages);
    for (std::size_t t = 0; t < languages; ++t)
        language_typical[t] = of_language[t].size() >= need ? median(of_language[t]) : pool_typical;
    // Phase 2: each pair's floor, from its own typical score where it has enough confident links.
    for (std::size_t p = 0; p < lang_pairs.size(); ++p) {
        const float typical = confident[p].size() >= need
                                  ? median(confident[p])
                                  : std::min(language_typical[lang_pairs[p].first], language_typical[lang_pairs[p].second]);
        floors[p] = options_.counterpart_ratio * typical;
    }
    return floors;
}

bool Matcher::strong(std::span<const MatchDocument> docs, const TranslationLink& l, float typical_floor) const {
    return l.score >= translation_floor(docs[l.a].length, docs[l.b].length) && l.margin >= options_.translation_margin &&
           (l.score >= typical_floor || !counterpart_applies(docs[l.a].length, docs[l.b].length));
}

void Matcher::label_links(std::span<const MatchDocument> docs, std::vector<TranslationLink>& links,
                          float typical_floor, std::vector<TranslationLink>& out,
                          std::vector<TranslationLink>* strong_links) const {
    // Greedy one-to-one by margin-weighted score.
    std::sort(links.begin(), links.end(), [](const TranslationLink& a, const TranslationLink& b) {
        const float ka = a.score * std::min(a.margin, 3.0f), kb = b.score * std::min(b.margin, 3.0f);
        if (ka != kb) return ka > kb;
        return std::tie(a.a, a.b) < std::tie(b.a, b.b);
    });
    std::vector<char> used_a(docs.size(), 0), used_b(docs.size(), 0);
    for (auto& l : links) {
        const bool winner = !options_.one_to_one || (!used_a[l.a] && !used_b[l.b]);
        const bool is_strong = strong(docs, l, typical_floor);
        if (winner && is_strong) {
            used_a[l.a] = used_b[l.b] = 1;
            l.label = length_label(docs[l.a].length, docs[l.b].length);
            out.push_back(l);
        } else {
            l.label = LinkLabel::kSameStory;
            if (options_.same_story) out.push_back(l);
        }
        if (is_strong && strong_links) strong_links->push_back(l);
    }
}

void Matcher::limit_same_story(std::vector<TranslationLink>& links) const {
    if (options_.same_story_per_doc == 0) return;
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < links.size(); ++i)
        if (links[i].label == LinkLabel::kSameStory) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const TranslationLink &a = links[x], &b = links[y];
        if (a.score != b.score) return a.score > b.score;
        return std::tie(a.a, a.b) < std::tie(b.a, b.b);
    });
    std::unordered_map<std::size_t, std::size_t> kept;  // document -> same-story links kept
    std::vector<char> drop(links.size(), 0);
    for (std::size_t i : order) {
        std::size_t &na = kept[links[i].a], &nb = kept[links[i].b];
        if (na < options_.same_story_per_doc && nb < options_.same_story_per_doc) ++na, ++nb;
        else drop[i] = 1;
    }
    std::size_t w = 0;
    for (std::size_t i = 0; i < links.size(); ++i)
        if (!drop[i]) links[w++] = links[i];
    links.resize(w);
}

float Matcher::translation_floor(float length_a, float length_b) const {
    float t = std::clamp((std::min(length_a, length_b) - options_.short_length) /
                             std::max(1.0f, options_.long_length - options_.short_length),
                         0.0f, 1.0f);
    return options_.translation_similarity + t * (options_.long_translation_score - options_.translation_similarity);
}

namespace {
// The links' positions by document pair (the lower position first): a sorted vector of 16-byte
// entries (a std::map took about 80 bytes a link, and every candidate pair is a link here).
// A pair linked twice finds its last link.
class ExistingLinks {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    explicit ExistingLinks(const std::vector<TranslationLink>& links) {
        entries_.reserve(links.size());
        for (std::size_t i = 0; i < links.size(); ++i)
            entries_.push_back({static_cast<uint32_t>(std::min(links[i].a, links[i].b)),
                                static_cast<uint32_t>(std::max(links[i].a, links[i].b)), static_cast<uint64_t>(i)});
        std::sort(entries_.begin(), entries_.end(), [](const Entry& x, const Entry& y) {
            return std::tie(x.a, x.b, x.at) < std::tie(y.a, y.b, y.at);
        });
    }
    // The position of the last link of pair (a, b), a < b; npos when none.
    std::size_t find(std::size_t a, std::size_t b) const {
        const Entry key{static_cast<uint32_t>(a), static_cast<uint32_t>(b), ~uint64_t{0}};
        auto it = std::upper_bound(entries_.begin(), entries_.end(), key, [](const Entry& x, const Entry& y) {
            return std::tie(x.a, x.b, x.at) < std::tie(y.a, y.b, y.at);
        });
        if (it == entries_.begin()) return npos;
        --it;
        return it->a == a && it->b == b ? static_cast<std::size_t>(it->at) : npos;
    }

private:
    struct Entry {
        uint32_t a, b;
        uint64_t at;
    };
    std::vector<Entry> entries_;
};
}  // namespace

namespace {
// The links of `out` (same-story ones aside) as a graph: each document's linked documents, and
// which (document, other language) pairs have a link already, as doc * languages + the language's
// position (a hash of numbers: over every link, a set of strings was a second or so a pass at a
// million documents).
struct PivotGraph {
    std::vector<std::vector<std::size_t>> linked;
    std::vector<uint32_t> lang;  // each document's language, as its position among the languages
    std::size_t languages = 0;
    std::unordered_set<uint64_t> has;

    PivotGraph(std::span<const MatchDocument> docs, const std::vector<TranslationLink>& out)
        : linked(docs.size()) {
        std::map<std::string, std::size_t> at;
        for (const std::string& l : Matcher::languages_of(docs)) at.emplace(l, at.size());
        languages = at.size();
        lang.resize(docs.size());
        for (std::size_t i = 0; i < docs.size(); ++i) lang[i] = static_cast<uint32_t>(at.at(docs[i].lang));
        for (const TranslationLink& l : out) {
            if (l.label == LinkLabel::kSameStory) continue;
            linked[l.a].push_back(l.b);
            linked[l.b].push_back(l.a);
            mark(l.a, l.b);
        }
    }
    uint64_t key(std::size_t doc, std::size_t other) const { return uint64_t{doc} * languages + lang[other]; }
    // Whether a or b has a link in the other's language.
    bool either_linked(std::size_t a, std::size_t b) const {
        return has.count(key(a, b)) || has.count(key(b, a));
    }
    void mark(std::size_t a, std::size_t b) {
        has.insert(key(a, b));
        has.insert(key(b, a));
    }
};

// Pairs (a < b) of documents in different languages linked to a common pivot, and how many
// pivots they share (their support).
std::map<std::pair<std::size_t, std::size_t>, int> shared_pivots(std::span<const MatchDocument> docs,
                                                                 const PivotGraph& g) {
    std::map<std::pair<std::size_t, std::size_t>, int> support;
    for (std::size_t z = 0; z < docs.size(); ++z) {
        const auto& nz = g.linked[z];
        for (std::size_t i = 0; i < nz.size(); ++i)
            for (std::size_t j = i + 1; j < nz.size(); ++j) {
                std::size_t a = std::min(nz[i], nz[j]), b = std::max(nz[i], nz[j]);
                if (docs[a].lang == docs[b].lang) continue;
                ++support[{a, b}];
            }
    }
    return support;
}

struct PivotCandidate {
    std::size_t a, b;
    int support;
    float sim;
};
}  // namespace

void Matcher::close_over_pivots(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                                const AnchorRanges& anchors,
                                const std::function<float(std::size_t, std::size_t, float)>& margins,
                                std::vector<TranslationLink>& out) const {
    // Two-hop closure: x and y, both linked to a pivot z, become candidates (support = how many
    // pivots they share). Per language pair, candidates are taken greedily by support, then
    // similarity, and only for documents with no link in that language pair yet, so one wrong
    // link adds at most a weak candidate, never a chain through a whole group.
    const ExistingLinks existing(out);
    PivotGraph g(docs, out);
    const std::map<std::pair<std::size_t, std::size_t>, int> support = shared_pivots(docs, g);
    if (need_) {
        std::vector<uint32_t> read;
        for (const auto& [p, n] : support)
            if (!g.either_linked(p.first, p.second))
                read.insert(read.end(), {static_cast<uint32_t>(p.first), static_cast<uint32_t>(p.second)});
        need_(read);
    }
    std::vector<PivotCandidate> cands;
    for (const auto& [p, n] : support) {
        auto [a, b] = p;
        if (g.either_linked(a, b)) continue;
        float sim = dot(sparse[a], sparse[b]);
        if (sim < options_.pivot_similarity) continue;
        // Through one pivot only, the pair must stand out against its competitors: one wrong
        // link would otherwise bring its whole group of versions along.
        if (n < 2 && margins(a, b, sim) < options_.pivot_margin) continue;
        cands.push_back({a, b, n, sim});
    }
    std::sort(cands.begin(), cands.end(), [](const PivotCandidate& x, const PivotCandidate& y) {
        if (x.support != y.support) return x.support > y.support;
        if (x.sim != y.sim) return x.sim > y.sim;
        return std::tie(x.a, x.b) < std::tie(y.a, y.b);
    });
    for (const auto& c : cands) {
        if (g.either_linked(c.a, c.b)) continue;
        g.mark(c.a, c.b);
        TranslationLink l = make_link(c.a, c.b, c.sim, margins(c.a, c.b, c.sim), sparse, anchors);
        url_evidence::add_url_evidence(docs, options_.url_weight, l);
        l.label = length_label(docs[c.a].length, docs[c.b].length);
        const std::size_t at = existing.find(c.a, c.b);
        if (at != ExistingLinks::npos) out[at] = l;
        else out.push_back(l);
    }
}

}  // namespace doppel
