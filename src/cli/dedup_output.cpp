#include "cli/dedup_output.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/metadata.h"
#include "cli/tsv.h"
#include "doppel/error.h"
#include "doppel/ops/duplicates.h"
#include "doppel/store/store.h"
#include "ops/record_json.h"

namespace doppel::cli {

std::pair<std::size_t, std::size_t> write_result(std::ostream& out, const NearDuplicateResult& r, bool jsonl,
                                                 const Store* store) {
    DocumentMetadata meta(store);
    if (jsonl)
        return json_records::write_dedup_records(
            out, r, [&](nlohmann::json& j, const std::string& id, const std::string& suffix) {
                meta.add(j, id, suffix);
            });
    std::size_t n_near = 0, n_partial = 0;
    for (const auto& p : r.pairs) {
        ++(p.kind == DuplicateKind::kPartial ? n_partial : n_near);
        if (p.kind == DuplicateKind::kPartial) continue;
        const ReportedPair order = reported_order(p, r.docs);
        char score[32];
        std::snprintf(score, sizeof score, "%.6f", p.jaccard);
        out << tsv_field(order.a->id) << '\t' << tsv_field(order.b->id) << '\t' << score << '\n';
    }
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

std::string new_note(const StoredDedupRun& r) {
    if (!r.only_new) return "";
    return ", " + std::to_string(r.found.new_docs) + " new after seq " + std::to_string(r.found.since) +
           (r.found.full_run.empty() ? "" : " (a full run: " + r.found.full_run + ")");
}

void append_path_list(const std::string& file, std::vector<std::string>& paths) {
    std::ifstream in(file);
    if (!in) DOPPEL_THROW(kIo, "cannot read " + file);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) paths.push_back(line);
}

}  // namespace doppel::cli
