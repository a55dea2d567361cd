#include "doppel/ops/dedup_stages.h"

#include <algorithm>

#include "impl/hash_buckets.h"
#include "impl/parallel.h"

namespace doppel {
namespace {

constexpr std::size_t kVerifyGrain = 256;

// Position of document `number` in sets.numbers.
std::size_t position_of(const ShingleSets& sets, uint32_t number) {
    const auto it = std::lower_bound(sets.numbers.begin(), sets.numbers.end(), number);
    DOPPEL_CHECK(kInvalidArgument, it != sets.numbers.end() && *it == number,
                 "verify_candidates: no shingle set for document " + std::to_string(number));
    return static_cast<std::size_t>(it - sets.numbers.begin());
}

// Sums runs of equal keys of sorted (key, count) entries into out_key / out_count.
template <class Key>
void sum_runs(std::vector<std::pair<Key, uint32_t>>& entries, std::vector<Key>* out_key,
              std::vector<uint32_t>* out_count) {
    std::sort(entries.begin(), entries.end());
    for (std::size_t s = 0; s < entries.size();) {
        std::size_t e = s;
        uint64_t total = 0;
        for (; e < entries.size() && entries[e].first == entries[s].first; ++e) total += entries[e].second;
        out_key->push_back(entries[s].first);
        out_count->push_back(static_cast<uint32_t>(total));
        s = e;
    }
}

}  // namespace

DocumentBatch read_documents(const std::vector<std::string>& paths, const FileDedupOptions& read,
                             const ReaderOptions& reader_options) {
    DocumentBatch out;
    DocumentReader reader(paths, reader_options);
    std::vector<Document> batch;
    while (reader.next_batch(read.batch, batch, out.errors)) {
        for (auto& d : batch) {
            if (read.id_from_path) d.id = d.source;
            out.docs.push_back(std::move(d));
        }
        batch.clear();
    }
    return out;
}

SourceLineCounts count_source_lines(std::size_t n, const Document* docs,
                                    const NearDuplicateOptions& options) {
    NearDuplicateFinder finder(options);
    finder.count_lines(n, docs);
    return finder.take_line_counts();
}

SourceLineCounts merge_line_counts(const std::vector<SourceLineCounts>& parts) {
    std::vector<std::pair<std::pair<uint64_t, uint64_t>, uint32_t>> lines;
    std::vector<std::pair<uint64_t, uint32_t>> sources;
    for (const auto& p : parts) {
        for (std::size_t k = 0; k < p.source.size(); ++k)
            lines.push_back({{p.source[k], p.line[k]}, p.docs[k]});
        for (std::size_t k = 0; k < p.sources.size(); ++k)
            sources.emplace_back(p.sources[k], p.source_docs[k]);
    }
    SourceLineCounts out;
    std::vector<std::pair<uint64_t, uint64_t>> keys;
    sum_runs(lines, &keys, &out.docs);
    for (const auto& [src, line] : keys) {
        out.source.push_back(src);
        out.line.push_back(line);
    }
    sum_runs(sources, &out.sources, &out.source_docs);
    return out;
}

BoilerplateTable select_boilerplate(const SourceLineCounts& lines, const SourceLineCounts& sources,
                                    const NearDuplicateOptions& options) {
    BoilerplateTable t;
    for (std::size_t k = 0; k < lines.source.size(); ++k) {
        const auto it = std::lower_bound(sources.sources.begin(), sources.sources.end(), lines.source[k]);
        const bool known = it != sources.sources.end() && *it == lines.source[k];
        const std::size_t source_docs = known ? sources.source_docs[it - sources.sources.begin()] : 0;
        if (!is_boilerplate_line(lines.docs[k], source_docs, options)) continue;
        t.source.push_back(lines.source[k]);
        t.line.push_back(lines.line[k]);
    }
    return t;
}

BoilerplateTable boilerplate_of_parts(const std::vector<SourceLineCounts>& line_parts,
                                      const SourceLineCounts& sources, const NearDuplicateOptions& options) {
    auto docs_of = [&](uint64_t src) -> std::size_t {
        const auto it = std::lower_bound(sources.sources.begin(), sources.sources.end(), src);
        return it != sources.sources.end() && *it == src ? sources.source_docs[it - sources.sources.begin()]
                                                         : 0;
    };
    std::vector<SourceLineCounts> kept(line_parts.size());
    for (std::size_t p = 0; p < line_parts.size(); ++p) {
        const SourceLineCounts& in = line_parts[p];
        for (std::size_t k = 0; k < in.source.size(); ++k) {
            // docs_with_line <= source_docs: below min_docs documents nothing is boilerplate.
            if (!is_boilerplate_line(docs_of(in.source[k]), docs_of(in.source[k]), options)) continue;
            kept[p].source.push_back(in.source[k]);
            kept[p].line.push_back(in.line[k]);
            kept[p].docs.push_back(in.docs[k]);
        }
    }
    return select_boilerplate(merge_line_counts(kept), sources, options);
}

FinderSketches sketch_documents(std::size_t n, const Document* docs, const NearDuplicateOptions& options,
                                const BoilerplateTable& table) {
    NearDuplicateFinder finder(options);
    finder.set_boilerplate(table.source, table.line);
    finder.add(n, docs);
    return finder.take_sketches();
}

std::vector<NearDuplicatePair> verify_candidates(const std::vector<uint64_t>& pairs, const ShingleSets& sets,
                                                 const NearDuplicateOptions& options) {
    DOPPEL_CHECK(kInvalidArgument, sets.offsets.size() == sets.numbers.size() + 1,
                 "verify_candidates: offsets must hold one more entry than numbers");
    const std::size_t threads =
        impl::worker_count(SIZE_MAX, static_cast<std::size_t>(std::max(0, options.threads)));
    std::vector<std::vector<NearDuplicatePair>> found(threads);
    impl::parallel_for_ranges(
        pairs.size(), threads, kVerifyGrain, [&](std::size_t b, std::size_t e, std::size_t w) {
            for (std::size_t k = b; k < e; ++k) {
                const auto a = static_cast<uint32_t>(pairs[k] >> 32), c = static_cast<uint32_t>(pairs[k]);
                const std::size_t pa = position_of(sets, a), pc = position_of(sets, c);
                const uint64_t* sa = sets.flat.data() + sets.offsets[pa];
                const uint64_t* sc = sets.flat.data() + sets.offsets[pc];
                NearDuplicatePair p;
                if (verify_candidate_pair(a, c, sa, sets.offsets[pa + 1] - sets.offsets[pa], sc,
                                          sets.offsets[pc + 1] - sets.offsets[pc], options.threshold,
                                          options.partial, &p))
                    found[w].push_back(p);
            }
        });
    std::vector<NearDuplicatePair> out;
    for (auto& f : found) out.insert(out.end(), f.begin(), f.end());
    std::sort(out.begin(), out.end(),
              [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
    return out;
}

IdenticalSetGroups groups_from_numbers(const std::vector<uint32_t>& group_of) {
    IdenticalSetGroups g;
    g.group_of = group_of;
    uint32_t groups = 0;
    for (uint32_t x : group_of)
        if (x != UINT32_MAX) groups = std::max(groups, x + 1);
    // The members by group number, each group's in document order; an empty group (numbers
    // not dense) is refused by take_representatives.
    g.member_list = impl::group_by_key<uint32_t>(
        groups,
        [&](auto emit) {
            for (uint32_t i = 0; i < group_of.size(); ++i)
                if (group_of[i] != UINT32_MAX) emit(group_of[i], i);
        },
        &g.starts);
    take_representatives(g);
    return g;
}

NearDuplicateResult finish_duplicates(const std::vector<NearDuplicatePair>& rep_pairs,
                                      const IdenticalSetGroups& groups, std::vector<FinderDocument> docs) {
    NearDuplicateResult r;
    r.pairs = expand_duplicate_pairs(rep_pairs, groups, docs);
    r.clusters = cluster_near_duplicates(rep_pairs, groups, docs);
    for (const auto& d : docs) r.bytes += d.bytes;
    r.docs = std::move(docs);
    return r;
}

}  // namespace doppel
