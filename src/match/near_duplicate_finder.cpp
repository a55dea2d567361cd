#include "doppel/match/near_duplicate_finder.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "doppel/error.h"
#include "doppel/sketch/line_summary.h"
#include "impl/hash_buckets.h"
#include "impl/parallel.h"
#include "impl/spec.h"

namespace doppel {
namespace {

// Work handed to one worker at a time (impl::parallel_for_ranges): small enough that documents
// of very different sizes keep every thread busy.
constexpr std::size_t kLineCountGrain = 16;
constexpr std::size_t kSketchGrain = 2;
constexpr std::size_t kVerifyGrain = 256;

}  // namespace

const char* duplicate_kind_name(DuplicateKind k) {
    switch (k) {
        case DuplicateKind::kExact:
            return "exact";
        case DuplicateKind::kNear:
            return "near";
        case DuplicateKind::kPartial:
            return "partial";
    }
    return "?";
}

ReportedPair reported_order(const NearDuplicatePair& p, const std::vector<FinderDocument>& docs) {
    const FinderDocument *a = &docs[p.a], *b = &docs[p.b];
    return b->id < a->id ? ReportedPair{b, a} : ReportedPair{a, b};
}

bool is_boilerplate_line(std::size_t docs_with_line, std::size_t source_docs, const NearDuplicateOptions& o) {
    return static_cast<int>(docs_with_line) >= o.boilerplate_min_docs &&
           static_cast<double>(docs_with_line) >= o.boilerplate_min_share * static_cast<double>(source_docs);
}

bool verify_candidate_pair(uint32_t a, uint32_t b, const uint64_t* sa, std::size_t na, const uint64_t* sb,
                           std::size_t nb, double t, bool partial, NearDuplicatePair* out) {
    const bool near_possible =
        static_cast<double>(std::min(na, nb)) >= t * static_cast<double>(std::max(na, nb)) - 1e-9;
    if (!near_possible && !partial) return false;
    const ShingleOverlap o = shingle_overlap(sa, na, sb, nb);
    *out = NearDuplicatePair{a, b, DuplicateKind::kNear, o.jaccard, o.containment, o.common};
    if (o.jaccard >= t) return true;
    if (!partial || o.containment < t) return false;
    out->kind = DuplicateKind::kPartial;
    return true;
}

std::vector<uint32_t> order_by_set_hash(const std::vector<uint64_t>& set_hash, const std::vector<uint32_t>& set_size) {
    // Sorted as (hash, document) values, not as documents compared through the hash array: no
    // lookups a comparison, three times faster on 1,000,000 documents. The hashes are random:
    // in buckets of their top bits (impl/hash_buckets.h), not by std::sort.
    std::vector<std::pair<uint64_t, uint32_t>> keyed;
    keyed.reserve(set_hash.size());  // sized once: no copies while it grows
    for (uint32_t i = 0; i < set_hash.size(); ++i)
        if (set_size[i] > 0) keyed.emplace_back(set_hash[i], i);
    const int bits = impl::bucket_bits(keyed.size(), 4, 22);
    impl::sort_by_buckets(keyed, bits, [&](const auto& x) { return x.first >> (64 - bits); }, std::less<>());
    std::vector<uint32_t> by_hash(keyed.size());
    for (std::size_t k = 0; k < keyed.size(); ++k) by_hash[k] = keyed[k].second;
    return by_hash;
}

IdenticalSetGroups group_identical_sets(const std::vector<uint64_t>& set_hash,
                                        const std::vector<uint32_t>& set_size,
                                        const std::function<bool(uint32_t, uint32_t)>& same_set) {
    return group_identical_sets(set_hash, set_size, order_by_set_hash(set_hash, set_size), same_set);
}

IdenticalSetGroups group_identical_sets(const std::vector<uint64_t>& set_hash,
                                        const std::vector<uint32_t>& set_size,
                                        const std::vector<uint32_t>& by_hash,
                                        const std::function<bool(uint32_t, uint32_t)>& same_set) {
    const std::size_t n = set_hash.size();
    IdenticalSetGroups g;
    g.group_of.assign(n, UINT32_MAX);
    // A document joins the group of the one before it (the last group) or starts the next: the
    // groups are runs of by_hash, which is therefore member_list.
    g.member_list = by_hash;
    for (std::size_t k = 0; k < by_hash.size(); ++k) {
        const uint32_t i = by_hash[k];
        if (k > 0 && set_hash[by_hash[k - 1]] == set_hash[i]) {
            const uint32_t last = static_cast<uint32_t>(g.starts.size() - 1);
            const uint32_t first = by_hash[g.starts[last]];
            if (set_size[first] == set_size[i] && same_set(first, i)) {
                g.group_of[i] = last;
                continue;
            }
        }
        g.group_of[i] = static_cast<uint32_t>(g.starts.size());
        g.starts.push_back(static_cast<uint32_t>(k));
    }
    g.starts.push_back(static_cast<uint32_t>(by_hash.size()));
    take_representatives(g);
    return g;
}

void take_representatives(IdenticalSetGroups& g) {
    g.skip.assign(g.group_of.size(), true);
    g.reps.clear();
    g.reps.reserve(g.size());
    for (std::size_t k = 0; k < g.size(); ++k) {
        DOPPEL_CHECK(
            kInvalidArgument, g.starts[k] < g.starts[k + 1],
            "identical-set groups: group " + std::to_string(k) + " is empty (group numbers must be dense)");
        const uint32_t first = g.member_list[g.starts[k]];
        g.reps.push_back(first);
        g.skip[first] = false;
    }
    std::sort(g.reps.begin(), g.reps.end());
}

// Pairs of representatives become pairs of every member of their groups; members of one group
// are exact copies of each other. Sorted by (a, b).
std::vector<NearDuplicatePair> expand_duplicate_pairs(const std::vector<NearDuplicatePair>& rep_pairs,
                                                      const IdenticalSetGroups& groups,
                                                      const std::vector<FinderDocument>& docs) {
    std::vector<NearDuplicatePair> pairs;
    for (const auto& p : rep_pairs) {
        for (uint32_t x : groups.members(groups.group_of[p.a]))
            for (uint32_t y : groups.members(groups.group_of[p.b])) {
                NearDuplicatePair q = p;
                q.a = std::min(x, y);
                q.b = std::max(x, y);
                pairs.push_back(q);
            }
    }
    for (std::size_t k = 0; k < groups.size(); ++k) {
        const std::span<const uint32_t> g = groups.members(k);
        for (std::size_t x = 0; x < g.size(); ++x)
            for (std::size_t y = x + 1; y < g.size(); ++y) {
                const uint32_t s = docs[g[x]].shingles;
                pairs.push_back({g[x], g[y], DuplicateKind::kExact, 1.0, 1.0, s});
            }
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
    return pairs;
}

namespace {
// Each group's neighbours by the near (not partial) pairs of representatives, with their
// Jaccard: two flat arrays, as the groups' members (a vector a group was 24 bytes for each of
// millions of groups, most without a neighbour).
struct GroupNeighbours {
    std::vector<uint32_t> starts;  // groups + 1 offsets into list
    std::vector<std::pair<uint32_t, double>> list;
    std::span<const std::pair<uint32_t, double>> of(uint32_t g) const {
        return std::span<const std::pair<uint32_t, double>>(list).subspan(starts[g],
                                                                          starts[g + 1] - starts[g]);
    }
};

GroupNeighbours near_neighbours(const std::vector<NearDuplicatePair>& rep_pairs,
                                const IdenticalSetGroups& groups) {
    GroupNeighbours n;
    n.list = impl::group_by_key<std::pair<uint32_t, double>>(
        groups.size(),
        [&](auto emit) {
            for (const auto& p : rep_pairs) {
                if (p.kind == DuplicateKind::kPartial) continue;
                const uint32_t a = groups.group_of[p.a], b = groups.group_of[p.b];
                emit(a, std::pair<uint32_t, double>{b, p.jaccard});
                emit(b, std::pair<uint32_t, double>{a, p.jaccard});
            }
        },
        &n.starts);
    return n;
}

// The groups in the order of their first members (a document is the first member of one group
// at most, so this order has no ties): a pass over the documents, no sort.
std::vector<uint32_t> groups_by_first_member(const IdenticalSetGroups& groups) {
    std::vector<uint32_t> order;
    order.reserve(groups.size());
    for (uint32_t d = 0; d < groups.group_of.size(); ++d)
        if (const uint32_t g = groups.group_of[d]; g != UINT32_MAX && groups.members(g)[0] == d)
            order.push_back(g);
    DOPPEL_CHECK(kInvalidArgument, order.size() == groups.size(),
                 "cluster_near_duplicates: a group's first member is not in it");
    return order;
}
}  // namespace

// Clusters that do not chain (see the header), at group level: a group's members share one set.
std::vector<NearDuplicateCluster> cluster_near_duplicates(const std::vector<NearDuplicatePair>& rep_pairs,
                                                          const IdenticalSetGroups& groups,
                                                          const std::vector<FinderDocument>& docs) {
    const GroupNeighbours near = near_neighbours(rep_pairs, groups);
    std::vector<NearDuplicateCluster> clusters;
    std::vector<bool> assigned(groups.size(), false);
    for (uint32_t g : groups_by_first_member(groups)) {
        if (assigned[g]) continue;
        assigned[g] = true;
        const std::span<const uint32_t> own = groups.members(g);
        std::vector<std::pair<uint32_t, double>> members;
        for (std::size_t k = 1; k < own.size(); ++k) members.emplace_back(own[k], 1.0);
        for (const auto& [h, sim] : near.of(g)) {
            if (assigned[h]) continue;
            assigned[h] = true;
            for (uint32_t d : groups.members(h)) members.emplace_back(d, sim);
        }
        if (members.empty()) continue;
        std::sort(members.begin(), members.end());
        NearDuplicateCluster c;
        c.representative = own[0];
        for (const auto& [d, sim] : members) {
            c.members.push_back(d);
            c.similarity.push_back(sim);
        }
        clusters.push_back(std::move(c));
    }
    return clusters;
}

NearDuplicateOptions NearDuplicateOptions::parse_spec(const std::string& spec) {
    NearDuplicateOptions o;
    const auto semi = spec.find(';');
    impl::ParsedSpec p = impl::parse_spec(spec.substr(0, semi));
    DOPPEL_CHECK(kBadSpec, p.name == kName, "spec '" + spec + "': expected '" + kName + ":...'");
    auto take_bool = [&](const char* key, bool& value) {
        std::string v;
        if (!p.take(key, v)) return;
        DOPPEL_CHECK(kBadSpec, v == "0" || v == "1", "spec '" + spec + "': " + key + " must be 0 or 1");
        value = v == "1";
    };
    p.take_double("threshold", o.threshold);
    p.take_double("recall", o.target_recall);
    take_bool("boilerplate", o.boilerplate);
    p.take_number("boilerplate_min_docs", o.boilerplate_min_docs);
    p.take_double("boilerplate_min_share", o.boilerplate_min_share);
    take_bool("repeated_lines", o.repeated_lines);
    p.take_number("repeated_line_min_bytes", o.repeated_line_min_bytes);
    take_bool("partial", o.partial);
    take_bool("exact", o.exact);
    p.take_number("bands", o.banding.bands);
    p.take_number("rows", o.banding.rows);
    p.check_empty();
    if (semi == std::string::npos) return o;
    const std::string rest = spec.substr(semi + 1);
    const auto semi2 = rest.find(';');
    if (!rest.substr(0, semi2).empty()) o.shingle_spec = rest.substr(0, semi2);
    if (semi2 != std::string::npos) {
        o.minhash_spec = rest.substr(semi2 + 1);
        DOPPEL_CHECK(kBadSpec, o.minhash_spec.find(';') == std::string::npos,
                     "spec '" + spec + "': more than three parts");
    }
    return o;
}

namespace {
// The spec keys of an explicit banding ("" when it is chosen from threshold and recall, so specs
// written before the setting existed read the same).
std::string banding_keys(LshParams p) {
    if (p == LshParams{}) return "";
    return ",bands=" + std::to_string(p.bands) + ",rows=" + std::to_string(p.rows);
}
}  // namespace

std::string NearDuplicateOptions::describe() const {
    auto flag = [](bool b) { return b ? "1" : "0"; };
    return std::string(kName) + ":threshold=" + impl::spec_number(threshold) +
           ",recall=" + impl::spec_number(target_recall) + ",boilerplate=" + flag(boilerplate) +
           ",boilerplate_min_docs=" + std::to_string(boilerplate_min_docs) +
           ",boilerplate_min_share=" + impl::spec_number(boilerplate_min_share) +
           ",repeated_lines=" + flag(repeated_lines) +
           ",repeated_line_min_bytes=" + std::to_string(repeated_line_min_bytes) +
           ",partial=" + flag(partial) + ",exact=" + flag(exact) + banding_keys(banding) + ";" + shingle_spec +
           ";" + minhash_spec;
}

struct NearDuplicateFinder::Impl {
    std::unique_ptr<Shingler> shingler;
    std::unique_ptr<MinHash> minhash;
    LshParams lsh;
    std::size_t threads = 1;
    // Pass 1: (source hash, line hash) once per document and distinct line.
    std::vector<std::pair<uint64_t, uint64_t>> line_keys;
    std::unordered_map<uint64_t, uint32_t> source_docs;  // documents per source hash
    bool boilerplate_ready = false;
    std::unordered_map<uint64_t, LineHashSet> boilerplate;  // by source hash
    std::size_t boilerplate_entries = 0;
    // Pass 2.
    std::vector<FinderDocument> docs;
    std::vector<std::vector<uint64_t>> shingles;
    std::vector<uint32_t> sigs;
    std::vector<uint64_t> set_hash;
    uint64_t bytes = 0;

    using Groups = IdenticalSetGroups;

    void build_boilerplate(const NearDuplicateOptions& o);
    const LineHashSet* boilerplate_of(const Document& d) const;
    const LineHashSet* boilerplate_of(uint64_t source) const;  // by document_source_hash
    // The worker's state for sketch(): ICU's segmenter, and a buffer of shingles kept from one
    // document to the next (each document's own set is then allocated once, at its size).
    struct Worker {
        Segmenter segmenter;
        std::vector<uint64_t> shingles;
        std::vector<uint64_t> removed, added;  // derive(): what the boilerplate lines took and gave
    };
    bool derive(const Document& d, const PrecomputedSketch& pre, const LineHashSet& skip, Worker& worker,
                uint32_t* sig, std::size_t* skipped) const;
    void sketch(const Document& d, std::size_t k, Worker& worker, const NearDuplicateOptions& o,
                PrecomputedSketch* pre, const LineSummary* summary);
    static FinderDocument document_of(const Document& d, const NearDuplicateOptions& o, const LineSummary* summary);
    Groups group_identical_sets() const;
    std::vector<uint64_t> exact_candidates(const std::vector<uint32_t>& reps, double t) const;
    std::vector<NearDuplicatePair> verify(const std::vector<uint64_t>& candidates, double t,
                                          bool partial) const;
    std::vector<NearDuplicatePair> expand_to_documents(const std::vector<NearDuplicatePair>& rep_pairs,
                                                       const Groups& groups) const;
    std::vector<NearDuplicateCluster> cluster(const std::vector<NearDuplicatePair>& rep_pairs,
                                              const Groups& groups) const;
};

namespace {
// Puts equal (source, line) keys next to each other (the order is otherwise of no use), in
// buckets of the top bits of line ^ source (impl/hash_buckets.h): 4x faster than std::sort. The
// buckets are scattered here and sorted by the caller; *ends: where each ends (one bucket for a
// few keys).
void scatter_line_keys(std::vector<std::pair<uint64_t, uint64_t>>& keys, std::vector<uint32_t>* ends) {
    const std::size_t n = keys.size();
    if (n < 1024) {
        ends->assign(1, static_cast<uint32_t>(n));
        return;
    }
    const int shift = 64 - impl::bucket_bits(n, 4, 24);
    std::vector<std::pair<uint64_t, uint64_t>> out;
    impl::scatter_to_buckets(
        keys, 64 - shift, [shift](const auto& k) { return (k.first ^ k.second) >> shift; }, &out, ends);
    keys.swap(out);
}
}  // namespace

// The boilerplate lines from the line counts: equal keys grouped (scatter_line_keys), then the
// buckets sorted and their runs of equal keys counted on all cores, each worker a range of
// buckets (a run never crosses one), the boilerplate entries gathered per worker.
void NearDuplicateFinder::Impl::build_boilerplate(const NearDuplicateOptions& o) {
    if (boilerplate_ready) return;
    boilerplate_ready = true;
    std::vector<uint32_t> ends;
    scatter_line_keys(line_keys, &ends);
    const std::size_t buckets = ends.size(),
                      workers = impl::worker_count(line_keys.size() / 4096 + 1, threads);
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> found(workers);
    impl::parallel_for(workers, workers, [&](std::size_t part, std::size_t) {
        const std::size_t first = buckets * part / workers, last = buckets * (part + 1) / workers;
        for (std::size_t k = first; k < last; ++k) {
            auto* const b = line_keys.data() + (k ? ends[k - 1] : 0);
            auto* const e = line_keys.data() + ends[k];
            if (buckets == 1)
                std::sort(b, e);
            else
                impl::insertion_sort(b, e, std::less<>());
            for (auto* s = b; s < e;) {
                auto* r = s + 1;
                while (r < e && *r == *s) ++r;
                if (is_boilerplate_line(static_cast<std::size_t>(r - s), source_docs.at(s->first), o))
                    found[part].push_back(*s);
                s = r;
            }
        }
    });
    for (const auto& f : found)
        for (const auto& [source, line] : f) boilerplate[source].insert(line);
    for (const auto& f : found) boilerplate_entries += f.size();
    std::vector<std::pair<uint64_t, uint64_t>>().swap(line_keys);
}

namespace {
LshParams chosen_banding(const NearDuplicateOptions& o, int perms) {
    if (o.banding == LshParams{}) return choose_lsh_params(o.threshold, perms, o.target_recall);
    DOPPEL_CHECK(kInvalidArgument,
                 o.banding.bands > 0 && o.banding.rows > 0 && o.banding.bands * o.banding.rows <= perms,
                 "LSH banding " + banding_name(o.banding) +
                     " does not fit a signature of " + std::to_string(perms) + " values");
    return o.banding;
}
}  // namespace

NearDuplicateFinder::NearDuplicateFinder(NearDuplicateOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    DOPPEL_CHECK(kInvalidArgument, options_.threshold > 0 && options_.threshold <= 1,
                 "threshold must be in (0, 1]");
    impl_->shingler = Shingler::from_spec(options_.shingle_spec);
    impl_->minhash = MinHash::from_spec(options_.minhash_spec);
    impl_->lsh = chosen_banding(options_, impl_->minhash->perms());
    impl_->threads =
        options_.threads > 0 ? static_cast<std::size_t>(options_.threads) : impl::worker_count(SIZE_MAX);
}

NearDuplicateFinder::~NearDuplicateFinder() = default;

std::size_t NearDuplicateFinder::threads() const { return impl_->threads; }

std::string NearDuplicateFinder::describe() const {
    NearDuplicateOptions o = options_;
    o.shingle_spec = impl_->shingler->describe();
    o.minhash_spec = impl_->minhash->describe();
    return o.describe();
}

void NearDuplicateFinder::count_lines(std::size_t n, const Document* docs) { count_lines(n, docs, nullptr); }

void NearDuplicateFinder::count_lines(std::size_t n, const Document* docs, const LineSummary* const* summaries) {
    if (!options_.boilerplate) return;
    // The sources, once per document.
    std::vector<uint64_t> src(n);
    for (std::size_t i = 0; i < n; ++i) src[i] = document_source_hash(docs[i]);
    add_line_counts(n, src.data(), docs, summaries);
}

void NearDuplicateFinder::count_lines(std::size_t n, const uint64_t* sources,
                                      const LineSummary* const* summaries) {
    if (!options_.boilerplate) return;
    for (std::size_t i = 0; i < n; ++i)
        DOPPEL_CHECK(kInvalidArgument, summaries[i],
                     "count_lines() by source needs every document's line summary");
    add_line_counts(n, sources, nullptr, summaries);
}

// count_lines() with the sources given: docs[i] (docs may be null) read where summaries[i] is null.
void NearDuplicateFinder::add_line_counts(std::size_t n, const uint64_t* src, const Document* docs,
                                          const LineSummary* const* summaries) {
    DOPPEL_CHECK(kInvalidArgument, !impl_->boilerplate_ready, "count_lines() after add()");
    // The keys of documents with a summary go straight to their place in line_keys (their counts
    // are known: no growing vectors, no copy); the others' are gathered per worker.
    std::vector<std::size_t> at(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i)
        at[i + 1] = at[i] + (summaries && summaries[i] ? summaries[i]->lines.size() : 0);
    auto& keys = impl_->line_keys;
    const std::size_t base = keys.size();
    keys.resize(base + at[n]);
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> parts(impl_->threads);
    impl::parallel_for_ranges(n, impl_->threads, kLineCountGrain,
                              [&](std::size_t b, std::size_t e, std::size_t worker) {
                                  std::vector<uint64_t> lines;
                                  for (std::size_t i = b; i < e; ++i) {
                                      if (summaries && summaries[i]) {
                                          auto* out = keys.data() + base + at[i];
                                          for (uint64_t h : summaries[i]->lines) *out++ = {src[i], h};
                                          continue;
                                      }
                                      distinct_line_hashes(docs[i].text, &lines);
                                      for (uint64_t h : lines) parts[worker].emplace_back(src[i], h);
                                  }
                              });
    for (auto& p : parts) keys.insert(keys.end(), p.begin(), p.end());
    for (std::size_t i = 0; i < n; ++i) ++impl_->source_docs[src[i]];
}

namespace {
// Whether a line of `text` is in `skip` (the lines Shingler::shingle would leave out).
bool has_line_in(std::string_view text, const LineHashSet* skip) {
    if (!skip || skip->empty()) return false;
    bool found = false;
    for_each_line(text, [&](std::string_view line) { found = found || skip->count(Shingler::line_hash(line)); });
    return found;
}
// The same from the document's line summary when it has one.
bool has_line_in(const Document& d, const LineSummary* summary, const LineHashSet* skip) {
    if (!summary) return has_line_in(d.text, skip);
    if (!skip || skip->empty()) return false;
    return std::any_of(summary->lines.begin(), summary->lines.end(), [&](uint64_t h) { return skip->count(h) > 0; });
}
}  // namespace

// Document d's id, size and repeated lines (from its line summary when given, else its text).
FinderDocument NearDuplicateFinder::Impl::document_of(const Document& d, const NearDuplicateOptions& o,
                                                      const LineSummary* summary) {
    FinderDocument fd;
    fd.id = d.id;
    fd.bytes = summary ? summary->bytes : d.text.size();
    if (o.repeated_lines && summary) {
        for (const RepeatedLine& r : summary->repeated)
            if (r.text.size() >= static_cast<std::size_t>(o.repeated_line_min_bytes)) fd.repeated_lines.push_back(r);
    } else if (o.repeated_lines) {
        find_repeated_lines(d.text, o.repeated_line_min_bytes, &fd.repeated_lines);
    }
    return fd;
}

// Shingles and signs document number k (boilerplate of its source left out), or takes `pre`
// (may be null) when the document has no boilerplate line; its line summary (may be null) stands
// for its text in all but shingling.
void NearDuplicateFinder::Impl::sketch(const Document& d, std::size_t k, Worker& worker,
                                       const NearDuplicateOptions& o, PrecomputedSketch* pre,
                                       const LineSummary* summary) {
    FinderDocument& fd = docs[k];
    fd = document_of(d, o, summary);
    const LineHashSet* skip = boilerplate_of(d);
    std::vector<uint64_t>& sh = shingles[k];
    const auto perms = static_cast<std::size_t>(minhash->perms());
    if (pre && !has_line_in(d, summary, skip)) {
        DOPPEL_CHECK(kInvalidArgument, pre->sig.size() == perms,
                     "precomputed signature of '" + d.id + "' has " + std::to_string(pre->sig.size()) +
                         " values, not " + std::to_string(perms));
        sh = std::move(pre->shingles);
        std::copy(pre->sig.begin(), pre->sig.end(), sigs.begin() + static_cast<std::ptrdiff_t>(k * perms));
    } else {
        DOPPEL_CHECK(kInvalidArgument, !summary || d.text.size() == summary->bytes,
                     "document '" + d.id + "' is shingled again but came without its text");
        std::size_t skipped = 0;
        uint32_t* sig = &sigs[k * perms];
        if (!(pre && skip && derive(d, *pre, *skip, worker, sig, &skipped))) {
            shingler->shingle(d.text, worker.segmenter, &worker.shingles, skip, &skipped);
            minhash->sign(worker.shingles.data(), worker.shingles.size(), sig);
        }
        if (pre) std::vector<uint64_t>().swap(pre->shingles);  // not taken: freed now
        fd.boilerplate_lines = static_cast<uint32_t>(skipped);
        sh.assign(worker.shingles.begin(), worker.shingles.end());
    }
    fd.shingles = static_cast<uint32_t>(sh.size());
    set_hash[k] = shingle_set_hash(sh.data(), sh.size());
}

// The shingles of document d without the lines in `skip`, derived from its whole text's
// (Shingler::shingle_without), into worker.shingles, and their signature from the whole text's
// (MinHash::sign_changed) into sig. False when they cannot be derived.
bool NearDuplicateFinder::Impl::derive(const Document& d, const PrecomputedSketch& pre, const LineHashSet& skip,
                                       Worker& worker, uint32_t* sig, std::size_t* skipped) const {
    const std::vector<uint64_t>& all = pre.shingles;
    std::vector<uint64_t>& sh = worker.shingles;
    if (pre.sig.size() != static_cast<std::size_t>(minhash->perms()) ||
        !shingler->shingle_without(d.text, all.data(), all.size(), pre.counts, skip, worker.segmenter, &sh, skipped,
                                   &worker.removed, &worker.added))
        return false;
    minhash->sign_changed(pre.sig.data(), worker.removed.data(), worker.removed.size(), worker.added.data(),
                          worker.added.size(), sh.data(), sh.size(), sig);
    return true;
}

// The boilerplate lines of the document's source (null: none).
const LineHashSet* NearDuplicateFinder::Impl::boilerplate_of(const Document& d) const {
    return boilerplate.empty() ? nullptr : boilerplate_of(document_source_hash(d));
}

const LineHashSet* NearDuplicateFinder::Impl::boilerplate_of(uint64_t source) const {
    const auto it = boilerplate.find(source);
    return it == boilerplate.end() ? nullptr : &it->second;
}

std::vector<uint8_t> NearDuplicateFinder::needs_text(std::size_t n, const Document* docs) {
    return needs_text(n, docs, nullptr);
}

std::vector<uint8_t> NearDuplicateFinder::needs_text(std::size_t n, const Document* docs,
                                                     const LineSummary* const* lines) {
    Impl& im = *impl_;
    im.build_boilerplate(options_);
    std::vector<uint8_t> out(n, 0);
    impl::parallel_for_ranges(n, im.threads, kLineCountGrain, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i)
            out[i] = has_line_in(docs[i], lines ? lines[i] : nullptr, im.boilerplate_of(docs[i]));
    });
    return out;
}

std::vector<uint8_t> NearDuplicateFinder::needs_text(std::size_t n, const uint64_t* sources,
                                                     const LineSummary* const* lines) {
    Impl& im = *impl_;
    im.build_boilerplate(options_);
    std::vector<uint8_t> out(n, 0);
    const Document none;  // the summary stands for it
    for (std::size_t i = 0; i < n; ++i) {
        const LineHashSet* skip = im.boilerplate_of(sources[i]);
        DOPPEL_CHECK(kInvalidArgument, !skip || lines[i], "needs_text() by source without a line summary");
        out[i] = skip && has_line_in(none, lines[i], skip);
    }
    return out;
}

std::vector<uint8_t> NearDuplicateFinder::in_boilerplate_source(std::size_t n, const Document* docs) {
    impl_->build_boilerplate(options_);
    std::vector<uint64_t> sources(impl_->boilerplate.empty() ? 0 : n);  // hashed only where they count
    for (std::size_t i = 0; i < sources.size(); ++i) sources[i] = document_source_hash(docs[i]);
    return sources.empty() ? std::vector<uint8_t>(n, 0) : in_boilerplate_source(n, sources.data());
}

std::vector<uint8_t> NearDuplicateFinder::in_boilerplate_source(std::size_t n, const uint64_t* sources) {
    Impl& im = *impl_;
    im.build_boilerplate(options_);
    std::vector<uint8_t> out(n, 0);
    if (!im.boilerplate.empty())
        for (std::size_t i = 0; i < n; ++i) out[i] = im.boilerplate_of(sources[i]) != nullptr;
    return out;
}

void NearDuplicateFinder::add(std::size_t n, const Document* docs) { add(n, docs, nullptr, nullptr); }

void NearDuplicateFinder::add(std::size_t n, const Document* docs, PrecomputedSketch* const* pre) {
    add(n, docs, pre, nullptr);
}

void NearDuplicateFinder::add(std::size_t n, const Document* docs, PrecomputedSketch* const* pre,
                              const LineSummary* const* lines) {
    Impl& im = *impl_;
    im.build_boilerplate(options_);
    const std::size_t base = im.docs.size();
    const auto perms = static_cast<std::size_t>(im.minhash->perms());
    im.docs.resize(base + n);
    im.shingles.resize(base + n);
    im.set_hash.resize(base + n);
    im.sigs.resize((base + n) * perms);
    std::vector<std::unique_ptr<Impl::Worker>> workers(im.threads);
    for (auto& w : workers) w = std::make_unique<Impl::Worker>();
    impl::parallel_for_ranges(n, im.threads, kSketchGrain,
                              [&](std::size_t b, std::size_t e, std::size_t worker) {
                                  for (std::size_t i = b; i < e; ++i)
                                      im.sketch(docs[i], base + i, *workers[worker], options_,
                                                pre ? pre[i] : nullptr, lines ? lines[i] : nullptr);
                              });
    for (std::size_t i = 0; i < n; ++i) im.bytes += im.docs[base + i].bytes;
}

std::vector<uint64_t> NearDuplicateFinder::boilerplate_keys(std::size_t n, const uint64_t* sources,
                                                            const LineSummary* const* lines) {
    Impl& im = *impl_;
    im.build_boilerplate(options_);
    std::vector<uint64_t> out(n, 0);
    if (im.boilerplate.empty()) return out;
    std::vector<uint64_t> in;
    for (std::size_t i = 0; i < n; ++i) {
        const LineHashSet* skip = lines[i] ? im.boilerplate_of(sources[i]) : nullptr;
        if (!skip) continue;
        in.clear();
        for (uint64_t h : lines[i]->lines)
            if (skip->count(h)) in.push_back(h);
        if (!in.empty()) out[i] = XXH3_64bits(in.data(), in.size() * sizeof(uint64_t)) | 1;  // never 0
    }
    return out;
}

FinderSketches NearDuplicateFinder::sketch_apart(std::size_t n, const Document* docs,
                                                 PrecomputedSketch* const* pre,
                                                 const LineSummary* const* lines) {
    const uint64_t bytes = impl_->bytes;
    add(n, docs, pre, lines);
    impl_->bytes = bytes;
    return take_sketches();
}

FinderDocument NearDuplicateFinder::stored_document(const Document& doc, const LineSummary& summary, uint32_t shingles) {
    FinderDocument fd = Impl::document_of(doc, options_, &summary);
    fd.shingles = shingles;
    impl_->bytes += fd.bytes;
    return fd;
}

// Exact all-pairs candidates among `reps` by prefix filtering: tokens ordered by global frequency
// (rarest first); a pair with Jaccard >= t shares a token within the first |x| - ceil(t|x|) + 1
// tokens of each side. Returns pairs of document numbers, sorted.
std::vector<uint64_t> NearDuplicateFinder::Impl::exact_candidates(const std::vector<uint32_t>& reps,
                                                                  double t) const {
    std::vector<uint64_t> all;
    for (uint32_t r : reps) all.insert(all.end(), shingles[r].begin(), shingles[r].end());
    std::sort(all.begin(), all.end());
    std::vector<uint64_t> uniq;
    std::vector<uint32_t> count;
    for (std::size_t s = 0; s < all.size();) {
        std::size_t e = s + 1;
        while (e < all.size() && all[e] == all[s]) ++e;
        uniq.push_back(all[s]);
        count.push_back(static_cast<uint32_t>(e - s));
        s = e;
    }
    std::vector<uint64_t>().swap(all);
    std::vector<uint32_t> order(uniq.size());
    for (uint32_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(),
              [&](uint32_t x, uint32_t y) { return count[x] != count[y] ? count[x] < count[y] : x < y; });
    std::vector<uint32_t> rank(uniq.size());
    for (uint32_t k = 0; k < order.size(); ++k) rank[order[k]] = k;
    std::vector<uint32_t>().swap(order);
    std::vector<uint64_t> entries;  // rank << 32 | rep position
    std::vector<uint32_t> ranks;
    for (uint32_t p = 0; p < reps.size(); ++p) {
        const auto& s = shingles[reps[p]];
        ranks.clear();
        for (uint64_t x : s)
            ranks.push_back(rank[std::lower_bound(uniq.begin(), uniq.end(), x) - uniq.begin()]);
        std::sort(ranks.begin(), ranks.end());
        const std::size_t need =
            static_cast<std::size_t>(std::ceil(t * static_cast<double>(s.size()) - 1e-9));
        const std::size_t prefix = std::min(s.size(), s.size() - std::min(need, s.size()) + 1);
        for (std::size_t k = 0; k < prefix; ++k) entries.push_back(static_cast<uint64_t>(ranks[k]) << 32 | p);
    }
    std::sort(entries.begin(), entries.end());
    std::vector<uint64_t> pairs;
    for (std::size_t s = 0; s < entries.size();) {
        std::size_t e = s + 1;
        while (e < entries.size() && entries[e] >> 32 == entries[s] >> 32) ++e;
        for (std::size_t x = s; x < e; ++x)
            for (std::size_t y = x + 1; y < e; ++y) {
                const uint32_t a = reps[static_cast<uint32_t>(entries[x])],
                               b = reps[static_cast<uint32_t>(entries[y])];
                const double sa = static_cast<double>(shingles[a].size()),
                             sb = static_cast<double>(shingles[b].size());
                if (std::min(sa, sb) < t * std::max(sa, sb) - 1e-9) continue;  // size filter
                pairs.push_back(a < b ? (static_cast<uint64_t>(a) << 32 | b)
                                      : (static_cast<uint64_t>(b) << 32 | a));
            }
        s = e;
        if (pairs.size() > (64u << 20)) {
            std::sort(pairs.begin(), pairs.end());
            pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
        }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    return pairs;
}

NearDuplicateFinder::Impl::Groups NearDuplicateFinder::Impl::group_identical_sets() const {
    std::vector<uint32_t> sizes(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) sizes[i] = static_cast<uint32_t>(shingles[i].size());
    return doppel::group_identical_sets(set_hash, sizes,
                                        [&](uint32_t x, uint32_t y) { return shingles[x] == shingles[y]; });
}

// Exact scores of the candidate pairs (in parallel); keeps near pairs and, with `partial`,
// partial copies. Sorted by (a, b).
std::vector<NearDuplicatePair> NearDuplicateFinder::Impl::verify(const std::vector<uint64_t>& candidates,
                                                                 double t, bool partial) const {
    std::vector<std::vector<NearDuplicatePair>> found(threads);
    impl::parallel_for_ranges(
        candidates.size(), threads, kVerifyGrain, [&](std::size_t b, std::size_t e, std::size_t worker) {
            std::vector<NearDuplicatePair>& out = found[worker];
            for (std::size_t k = b; k < e; ++k) {
                const uint32_t a = static_cast<uint32_t>(candidates[k] >> 32),
                               c = static_cast<uint32_t>(candidates[k]);
                const auto& sa = shingles[a];
                const auto& sc = shingles[c];
                NearDuplicatePair p;
                if (verify_candidate_pair(a, c, sa.data(), sa.size(), sc.data(), sc.size(), t, partial, &p))
                    out.push_back(p);
            }
        });
    std::vector<NearDuplicatePair> pairs;
    for (auto& f : found) pairs.insert(pairs.end(), f.begin(), f.end());
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
    return pairs;
}

std::vector<NearDuplicatePair> NearDuplicateFinder::Impl::expand_to_documents(
    const std::vector<NearDuplicatePair>& rep_pairs, const Groups& groups) const {
    return expand_duplicate_pairs(rep_pairs, groups, docs);
}

std::vector<NearDuplicateCluster> NearDuplicateFinder::Impl::cluster(
    const std::vector<NearDuplicatePair>& rep_pairs, const Groups& groups) const {
    return cluster_near_duplicates(rep_pairs, groups, docs);
}

LshParams NearDuplicateFinder::lsh_params() const { return impl_->lsh; }

SourceLineCounts NearDuplicateFinder::take_line_counts() {
    Impl& im = *impl_;
    SourceLineCounts c;
    std::sort(im.line_keys.begin(), im.line_keys.end());
    for (std::size_t s = 0; s < im.line_keys.size();) {
        std::size_t e = s + 1;
        while (e < im.line_keys.size() && im.line_keys[e] == im.line_keys[s]) ++e;
        c.source.push_back(im.line_keys[s].first);
        c.line.push_back(im.line_keys[s].second);
        c.docs.push_back(static_cast<uint32_t>(e - s));
        s = e;
    }
    std::vector<std::pair<uint64_t, uint32_t>> sources(im.source_docs.begin(), im.source_docs.end());
    std::sort(sources.begin(), sources.end());
    for (const auto& [src, n] : sources) {
        c.sources.push_back(src);
        c.source_docs.push_back(n);
    }
    std::vector<std::pair<uint64_t, uint64_t>>().swap(im.line_keys);
    im.source_docs.clear();
    return c;
}

void NearDuplicateFinder::set_boilerplate(const std::vector<uint64_t>& source,
                                          const std::vector<uint64_t>& line) {
    Impl& im = *impl_;
    DOPPEL_CHECK(kInvalidArgument, source.size() == line.size(),
                 "boilerplate sources and lines differ in length");
    DOPPEL_CHECK(kInvalidArgument, im.docs.empty(), "set_boilerplate() after add()");
    im.boilerplate.clear();
    for (std::size_t k = 0; k < source.size(); ++k) im.boilerplate[source[k]].insert(line[k]);
    im.boilerplate_entries = source.size();
    im.line_keys.clear();
    im.boilerplate_ready = true;
}

FinderSketches NearDuplicateFinder::take_sketches() {
    Impl& im = *impl_;
    FinderSketches s;
    s.docs = std::move(im.docs);
    s.shingles = std::move(im.shingles);
    s.set_hash = std::move(im.set_hash);
    s.sigs = std::move(im.sigs);
    s.perms = im.minhash->perms();
    im.docs.clear();
    im.shingles.clear();
    im.set_hash.clear();
    im.sigs.clear();
    return s;
}

NearDuplicateResult NearDuplicateFinder::finish() {
    Impl& im = *impl_;
    im.build_boilerplate(options_);
    NearDuplicateResult r;
    r.bytes = im.bytes;
    r.boilerplate_lines = im.boilerplate_entries;
    r.lsh = options_.exact ? LshParams{} : im.lsh;
    r.spec = describe();
    const Impl::Groups groups = im.group_identical_sets();
    std::vector<uint64_t> candidates =
        options_.exact
            ? im.exact_candidates(groups.reps, options_.threshold)
            : lsh_candidate_pairs(im.docs.size(), im.sigs.data(), im.minhash->perms(), im.lsh, &groups.skip);
    r.candidates = candidates.size();
    const std::vector<NearDuplicatePair> rep_pairs =
        im.verify(candidates, options_.threshold, options_.partial);
    std::vector<uint64_t>().swap(candidates);
    r.pairs = im.expand_to_documents(rep_pairs, groups);
    r.clusters = im.cluster(rep_pairs, groups);
    r.docs = std::move(im.docs);
    return r;
}

}  // namespace doppel
