#include "doppel/match/near_duplicate_finder.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "doppel/error.h"

namespace doppel {
namespace {

// Runs fn(begin, end, worker) over [0, n) on `threads` threads (worker in [0, threads)); the threads take
// small chunks in turn, so documents of very different sizes still keep every thread busy.
template <class Fn>
void parallel_for(std::size_t n, int threads, Fn fn, std::size_t grain = 16) {
    const std::size_t t = std::max<std::size_t>(1, std::min<std::size_t>(threads, (n + grain - 1) / grain));
    if (t <= 1) {
        if (n) fn(std::size_t{0}, n, std::size_t{0});
        return;
    }
    std::atomic<std::size_t> next{0};
    auto work = [&](std::size_t worker) {
        for (;;) {
            const std::size_t b = next.fetch_add(grain);
            if (b >= n) return;
            fn(b, std::min(n, b + grain), worker);
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t k = 1; k < t; ++k) pool.emplace_back(work, k);
    work(0);
    for (auto& th : pool) th.join();
}

// Calls fn(line) for every line of text (without its '\n').
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const void* p = std::memchr(text.data() + pos, '\n', text.size() - pos);
        const std::size_t nl = p ? static_cast<const char*>(p) - text.data() : text.size();
        fn(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
}

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

uint64_t source_hash(const Document& doc) {
    const std::string key = document_source_key(doc);
    return XXH3_64bits(key.data(), key.size());
}

}  // namespace

ShingleOverlap shingle_overlap(const uint64_t* a, std::size_t na, const uint64_t* b, std::size_t nb) {
    ShingleOverlap o;
    std::size_t i = 0, j = 0;
    uint32_t common = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            ++i;
        else if (b[j] < a[i])
            ++j;
        else {
            ++common;
            ++i;
            ++j;
        }
    }
    o.common = common;
    const std::size_t uni = na + nb - common;
    o.jaccard = uni ? static_cast<double>(common) / static_cast<double>(uni) : 0.0;
    const std::size_t small = std::min(na, nb);
    o.containment = small ? static_cast<double>(common) / static_cast<double>(small) : 0.0;
    return o;
}

std::string document_source_key(const Document& doc) {
    if (!doc.url.empty()) {
        std::string_view u = doc.url;
        const auto scheme = u.find("://");
        if (scheme != std::string_view::npos) u.remove_prefix(scheme + 3);
        const auto end = u.find_first_of("/?#");
        if (end != std::string_view::npos) u = u.substr(0, end);
        const auto at = u.rfind('@');
        if (at != std::string_view::npos) u.remove_prefix(at + 1);
        std::string host(u);
        for (char& c : host)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        return "url:" + host;
    }
    std::string path = doc.source;
    // A JSONL record's source is "PATH:LINE": the JSONL file is the source.
    const auto colon = path.rfind(':');
    if (colon != std::string::npos && colon + 1 < path.size() &&
        path.find_first_not_of("0123456789", colon + 1) == std::string::npos)
        return "file:" + path.substr(0, colon);
    const auto slash = path.rfind('/');
    return "dir:" + (slash == std::string::npos ? std::string(".") : path.substr(0, slash));
}

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

struct NearDuplicateFinder::Impl {
    std::unique_ptr<Shingler> shingler;
    std::unique_ptr<MinHash> minhash;
    LshParams lsh;
    int threads = 1;
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

    void build_boilerplate(int min_docs, double min_share) {
        if (boilerplate_ready) return;
        boilerplate_ready = true;
        std::sort(line_keys.begin(), line_keys.end());
        for (std::size_t s = 0; s < line_keys.size();) {
            std::size_t e = s + 1;
            while (e < line_keys.size() && line_keys[e] == line_keys[s]) ++e;
            const double share_needed = min_share * source_docs[line_keys[s].first];
            if (static_cast<int>(e - s) >= min_docs && static_cast<double>(e - s) >= share_needed) {
                boilerplate[line_keys[s].first].insert(line_keys[s].second);
                ++boilerplate_entries;
            }
            s = e;
        }
        std::vector<std::pair<uint64_t, uint64_t>>().swap(line_keys);
    }

    std::vector<uint64_t> exact_candidates(const std::vector<uint32_t>& reps, double t) const;
};

NearDuplicateFinder::NearDuplicateFinder(NearDuplicateOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    DOPPEL_CHECK(kInvalidArgument, options_.threshold > 0 && options_.threshold <= 1, "threshold must be in (0, 1]");
    impl_->shingler = Shingler::from_spec(options_.shingle_spec);
    impl_->minhash = MinHash::from_spec(options_.minhash_spec);
    impl_->lsh = choose_lsh_params(options_.threshold, impl_->minhash->perms(), options_.target_recall);
    impl_->threads = options_.threads > 0
                         ? options_.threads
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

NearDuplicateFinder::~NearDuplicateFinder() = default;

std::string NearDuplicateFinder::describe() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "lsh:threshold=%g,recall=%g,bands=%d,rows=%d", options_.threshold,
                  options_.target_recall, impl_->lsh.bands, impl_->lsh.rows);
    return impl_->shingler->describe() + ";" + impl_->minhash->describe() + ";" + buf;
}

void NearDuplicateFinder::count_lines(std::size_t n, const Document* docs) {
    if (!options_.boilerplate) return;
    DOPPEL_CHECK(kInvalidArgument, !impl_->boilerplate_ready, "count_lines() after add()");
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> parts(impl_->threads);
    parallel_for(n, impl_->threads, [&](std::size_t b, std::size_t e, std::size_t worker) {
        auto& out = parts[worker];
        std::vector<uint64_t> lines;
        for (std::size_t i = b; i < e; ++i) {
            const uint64_t src = source_hash(docs[i]);
            lines.clear();
            for_each_line(docs[i].text, [&](std::string_view line) {
                if (const uint64_t h = Shingler::line_hash(line)) lines.push_back(h);
            });
            std::sort(lines.begin(), lines.end());
            lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
            for (uint64_t h : lines) out.emplace_back(src, h);
        }
    });
    for (auto& p : parts) impl_->line_keys.insert(impl_->line_keys.end(), p.begin(), p.end());
    for (std::size_t i = 0; i < n; ++i) ++impl_->source_docs[source_hash(docs[i])];
}

void NearDuplicateFinder::add(std::size_t n, const Document* docs) {
    Impl& im = *impl_;
    im.build_boilerplate(options_.boilerplate_min_docs, options_.boilerplate_min_share);
    const std::size_t base = im.docs.size();
    const int perms = im.minhash->perms();
    im.docs.resize(base + n);
    im.shingles.resize(base + n);
    im.set_hash.resize(base + n);
    im.sigs.resize((base + n) * perms);
    std::vector<std::unique_ptr<Segmenter>> segmenters(im.threads);
    for (auto& sp : segmenters) sp = std::make_unique<Segmenter>();
    parallel_for(
        n, im.threads,
        [&](std::size_t b, std::size_t e, std::size_t worker) {
            Segmenter& segmenter = *segmenters[worker];
            std::vector<std::pair<uint64_t, std::string_view>> lines;
            for (std::size_t i = b; i < e; ++i) {
                const Document& d = docs[i];
                FinderDocument& fd = im.docs[base + i];
                fd.id = d.id;
                fd.bytes = d.text.size();
                const LineHashSet* skip = nullptr;
                if (!im.boilerplate.empty()) {
                    auto it = im.boilerplate.find(source_hash(d));
                    if (it != im.boilerplate.end()) skip = &it->second;
                }
                if (options_.repeated_lines) {
                    lines.clear();
                    for_each_line(d.text, [&](std::string_view line) {
                        const uint64_t h = Shingler::line_hash(line);
                        if (!h) return;
                        if (options_.repeated_lines &&
                            trim(line).size() >= static_cast<std::size_t>(options_.repeated_line_min_bytes))
                            lines.emplace_back(h, trim(line));
                    });
                    if (lines.size() > 1) {
                        std::stable_sort(lines.begin(), lines.end(),
                                         [](const auto& x, const auto& y) { return x.first < y.first; });
                        for (std::size_t s = 0; s < lines.size();) {
                            std::size_t t = s + 1;
                            while (t < lines.size() && lines[t].first == lines[s].first) ++t;
                            if (t - s > 1)
                                fd.repeated_lines.push_back(
                                    {std::string(lines[s].second), static_cast<uint32_t>(t - s)});
                            s = t;
                        }
                    }
                }
                std::vector<uint64_t>& sh = im.shingles[base + i];
                std::size_t skipped = 0;
                im.shingler->shingle(d.text, segmenter, &sh, skip, &skipped);
                fd.boilerplate_lines = static_cast<uint32_t>(skipped);
                sh.shrink_to_fit();
                fd.shingles = static_cast<uint32_t>(sh.size());
                im.set_hash[base + i] = XXH3_64bits(sh.data(), sh.size() * sizeof(uint64_t));
                im.minhash->sign(sh.data(), sh.size(), &im.sigs[(base + i) * perms]);
            }
        },
        2);
    for (std::size_t i = 0; i < n; ++i) im.bytes += docs[i].text.size();
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

NearDuplicateResult NearDuplicateFinder::finish() {
    Impl& im = *impl_;
    im.build_boilerplate(options_.boilerplate_min_docs, options_.boilerplate_min_share);
    const std::size_t n = im.docs.size();
    const int perms = im.minhash->perms();
    const double t = options_.threshold;
    NearDuplicateResult r;
    r.bytes = im.bytes;
    r.boilerplate_lines = im.boilerplate_entries;
    r.lsh = options_.exact ? LshParams{} : im.lsh;

    // Groups of identical shingle sets; the group's first document stands for it.
    std::vector<uint32_t> by_hash;
    for (uint32_t i = 0; i < n; ++i)
        if (!im.shingles[i].empty()) by_hash.push_back(i);
    std::sort(by_hash.begin(), by_hash.end(), [&](uint32_t x, uint32_t y) {
        return im.set_hash[x] != im.set_hash[y] ? im.set_hash[x] < im.set_hash[y] : x < y;
    });
    std::vector<uint32_t> group_of(n, UINT32_MAX);
    std::vector<std::vector<uint32_t>> groups;  // members in document order
    for (std::size_t k = 0; k < by_hash.size(); ++k) {
        const uint32_t i = by_hash[k];
        bool joined = false;
        if (k > 0 && im.set_hash[by_hash[k - 1]] == im.set_hash[i]) {
            const uint32_t g = group_of[by_hash[k - 1]];
            if (im.shingles[groups[g][0]] == im.shingles[i]) {
                groups[g].push_back(i);
                group_of[i] = g;
                joined = true;
            }
        }
        if (!joined) {
            group_of[i] = static_cast<uint32_t>(groups.size());
            groups.push_back({i});
        }
    }
    std::vector<uint32_t> reps;
    std::vector<bool> skip(n, true);
    for (const auto& g : groups) {
        reps.push_back(g[0]);
        skip[g[0]] = false;
    }
    std::sort(reps.begin(), reps.end());

    std::vector<uint64_t> candidates = options_.exact
                                           ? im.exact_candidates(reps, t)
                                           : lsh_candidate_pairs(n, im.sigs.data(), perms, im.lsh, &skip);
    r.candidates = candidates.size();

    // Verify in parallel.
    std::vector<std::vector<NearDuplicatePair>> found(im.threads);
    parallel_for(
        candidates.size(), im.threads,
        [&](std::size_t b, std::size_t e, std::size_t worker) {
            std::vector<NearDuplicatePair>& out = found[worker];
            for (std::size_t k = b; k < e; ++k) {
                const uint32_t a = static_cast<uint32_t>(candidates[k] >> 32),
                               c = static_cast<uint32_t>(candidates[k]);
                const auto& sa = im.shingles[a];
                const auto& sc = im.shingles[c];
                const bool near_possible = static_cast<double>(std::min(sa.size(), sc.size())) >=
                                           t * static_cast<double>(std::max(sa.size(), sc.size())) - 1e-9;
                if (!near_possible && !options_.partial) continue;
                const ShingleOverlap o = shingle_overlap(sa.data(), sa.size(), sc.data(), sc.size());
                NearDuplicatePair p{a, c, DuplicateKind::kNear, o.jaccard, o.containment, o.common};
                if (o.jaccard >= t)
                    out.push_back(p);
                else if (options_.partial && o.containment >= t) {
                    p.kind = DuplicateKind::kPartial;
                    out.push_back(p);
                }
            }
        },
        256);
    std::vector<uint64_t>().swap(candidates);

    // Expand groups to document pairs.
    std::vector<NearDuplicatePair> rep_pairs;
    for (auto& f : found) rep_pairs.insert(rep_pairs.end(), f.begin(), f.end());
    found.clear();
    std::sort(rep_pairs.begin(), rep_pairs.end(),
              [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
    for (const auto& p : rep_pairs) {
        for (uint32_t x : groups[group_of[p.a]])
            for (uint32_t y : groups[group_of[p.b]]) {
                NearDuplicatePair q = p;
                q.a = std::min(x, y);
                q.b = std::max(x, y);
                r.pairs.push_back(q);
            }
    }
    for (const auto& g : groups)
        for (std::size_t x = 0; x < g.size(); ++x)
            for (std::size_t y = x + 1; y < g.size(); ++y) {
                const uint32_t s = static_cast<uint32_t>(im.shingles[g[x]].size());
                r.pairs.push_back({g[x], g[y], DuplicateKind::kExact, 1.0, 1.0, s});
            }
    std::sort(r.pairs.begin(), r.pairs.end(),
              [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });

    // Clusters that do not chain, at group level (a group's members share one shingle set).
    std::vector<std::vector<std::pair<uint32_t, double>>> near_groups(groups.size());
    for (const auto& p : rep_pairs) {
        if (p.kind == DuplicateKind::kPartial) continue;
        near_groups[group_of[p.a]].emplace_back(group_of[p.b], p.jaccard);
        near_groups[group_of[p.b]].emplace_back(group_of[p.a], p.jaccard);
    }
    std::vector<uint32_t> group_order(groups.size());
    for (uint32_t g = 0; g < groups.size(); ++g) group_order[g] = g;
    std::sort(group_order.begin(), group_order.end(), [&](uint32_t x, uint32_t y) {
        const uint32_t a = groups[x][0], b = groups[y][0];
        return a != b ? a < b : im.docs[a].bytes > im.docs[b].bytes;
    });
    std::vector<bool> assigned(groups.size(), false);
    for (uint32_t g : group_order) {
        if (assigned[g]) continue;
        assigned[g] = true;
        NearDuplicateCluster c;
        c.representative = groups[g][0];
        std::vector<std::pair<uint32_t, double>> members;
        for (std::size_t k = 1; k < groups[g].size(); ++k) members.emplace_back(groups[g][k], 1.0);
        for (const auto& [h, sim] : near_groups[g]) {
            if (assigned[h]) continue;
            assigned[h] = true;
            for (uint32_t d : groups[h]) members.emplace_back(d, sim);
        }
        if (members.empty()) continue;
        std::sort(members.begin(), members.end());
        for (const auto& [d, sim] : members) {
            c.members.push_back(d);
            c.similarity.push_back(sim);
        }
        r.clusters.push_back(std::move(c));
    }
    r.docs = std::move(im.docs);
    return r;
}

}  // namespace doppel
