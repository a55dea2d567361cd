#include "cli/dedup_output.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/metadata.h"
#include "cli/tsv.h"

namespace doppel::cli {

std::pair<std::size_t, std::size_t> write_result(std::ostream& out, const NearDuplicateResult& r,
                                                 bool jsonl, const std::string& store_dir) {
    std::unique_ptr<Store> store;
    if (jsonl && !store_dir.empty()) store = std::make_unique<Store>(store_dir, StoreOptions{false, true});
    DocumentMetadata meta(store.get());
    std::size_t n_near = 0, n_partial = 0;
    for (const auto& p : r.pairs) {
        const bool swap = r.docs[p.b].id < r.docs[p.a].id;
        const FinderDocument& a = r.docs[swap ? p.b : p.a];
        const FinderDocument& b = r.docs[swap ? p.a : p.b];
        ++(p.kind == DuplicateKind::kPartial ? n_partial : n_near);
        if (!jsonl) {
            if (p.kind == DuplicateKind::kPartial) continue;
            char score[32];
            std::snprintf(score, sizeof score, "%.6f", p.jaccard);
            out << tsv_field(a.id) << '\t' << tsv_field(b.id) << '\t' << score << '\n';
            continue;
        }
        nlohmann::json j{{"type", "pair"},
                         {"id_a", a.id},
                         {"id_b", b.id},
                         {"similarity", p.jaccard},
                         {"containment", p.containment},
                         {"status", duplicate_kind_name(p.kind)},
                         {"common_shingles", p.common},
                         {"shingles_a", a.shingles},
                         {"shingles_b", b.shingles}};
        meta.add(j, a.id, "_a");
        meta.add(j, b.id, "_b");
        out << j.dump() << '\n';
    }
    if (!jsonl) return {n_near, n_partial};
    for (const auto& c : r.clusters) {
        nlohmann::json members = nlohmann::json::array();
        for (std::size_t k = 0; k < c.members.size(); ++k) {
            members.push_back({{"id", r.docs[c.members[k]].id}, {"similarity", c.similarity[k]}});
            meta.add(members.back(), r.docs[c.members[k]].id);
        }
        out << nlohmann::json{{"type", "cluster"},
                              {"representative", r.docs[c.representative].id},
                              {"members", members}}
                   .dump()
            << '\n';
    }
    for (const auto& d : r.docs) {
        if (d.repeated_lines.empty()) continue;
        nlohmann::json lines = nlohmann::json::array();
        for (const auto& l : d.repeated_lines) lines.push_back({{"text", l.text}, {"count", l.count}});
        out << nlohmann::json{{"type", "repeated_lines"}, {"id", d.id}, {"lines", lines}}.dump() << '\n';
    }
    out << nlohmann::json{{"type", "summary"},
                          {"documents", r.docs.size()},
                          {"pairs", n_near},
                          {"partial", n_partial},
                          {"clusters", r.clusters.size()},
                          {"candidates", r.candidates},
                          {"boilerplate_lines", r.boilerplate_lines},
                          {"spec", r.spec}}
               .dump()
        << '\n';
    return {n_near, n_partial};
}

std::string summary_line(const NearDuplicateResult& r, std::size_t n_near, std::size_t n_partial,
                         double secs) {
    char rate[96];
    std::snprintf(rate, sizeof rate, "; %.1f MB/s, %.0f docs/s", static_cast<double>(r.bytes) / 1e6 / secs,
                  static_cast<double>(r.docs.size()) / secs);
    return std::to_string(r.docs.size()) + " documents, " + std::to_string(r.bytes) + " bytes, " +
           std::to_string(r.candidates) + " candidates, " + std::to_string(n_near) + " pairs, " +
           std::to_string(n_partial) + " partial, " + std::to_string(r.clusters.size()) +
           " clusters, bands=" + std::to_string(r.lsh.bands) + " rows=" + std::to_string(r.lsh.rows) + rate;
}

}  // namespace doppel::cli
