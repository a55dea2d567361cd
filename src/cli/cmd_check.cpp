// doppel check --store DIR [--threshold J] PATH...
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/indexer.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_check_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "check", "Say for each new document whether it copies a stored one (stores nothing)");
    struct Args {
        std::string store;
        std::vector<std::string> paths;
        double threshold = 0.8;
        double recall = 0.99;
        std::string format = "tsv";
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("paths", args->paths, "Files, directories, or - for JSONL on stdin")->required();
    cmd->add_option("--threshold", args->threshold, "Jaccard similarity threshold")->capture_default_str();
    cmd->add_option("--recall", args->recall, "LSH recall target at the threshold")->capture_default_str();
    cmd->add_option("--format", args->format, "tsv or jsonl (jsonl adds containment and partial copies)")
        ->check(CLI::IsMember({"tsv", "jsonl"}))
        ->capture_default_str();
    return {
        cmd, [args, &g]() -> int {
            Store store(args->store, StoreOptions{false, true});
            NearDuplicateIndex index(store, args->threshold, args->recall);
            DocumentReader reader(args->paths);
            Progress progress("check", g.quiet);
            std::size_t n_errors = 0, n_docs = 0, n_new = 0, n_exact = 0, n_near = 0;
            std::vector<Document> docs;
            std::vector<RecordError> errors;
            const bool jsonl = args->format == "jsonl";
            while (reader.next_batch(256, docs, errors) || !errors.empty()) {
                report_errors(errors);
                n_errors += errors.size();
                errors.clear();
                for (const Document& d : docs) {
                    ++n_docs;
                    const std::vector<NearDuplicateMatch> matches = index.query(d.text, jsonl);
                    const std::string hash = content_hash(d.text);
                    std::string status = "new", match_id;
                    double sim = 0, containment = 0;
                    for (const auto& m : matches) {
                        if (m.jaccard < args->threshold) continue;
                        const auto s = store.get_by_seq(m.seq, false);
                        if (!s) continue;
                        const bool same = s->content_hash == hash || m.jaccard >= 1.0;
                        if (match_id.empty() || (same && status != "exact")) {
                            status = same ? "exact" : "near";
                            match_id = s->id;
                            sim = m.jaccard;
                            containment = m.containment;
                        }
                    }
                    (status == "new" ? n_new : status == "exact" ? n_exact : n_near)++;
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "%.6f", sim);
                    if (!jsonl) {
                        std::cout << d.id << '\t' << status << '\t' << match_id << '\t'
                                  << (match_id.empty() ? "" : buf) << '\n';
                        continue;
                    }
                    nlohmann::json j = {{"id", d.id}, {"status", status}};
                    if (!match_id.empty()) {
                        j["match_id"] = match_id;
                        j["similarity"] = sim;
                        j["containment"] = containment;
                    }
                    nlohmann::json partial = nlohmann::json::array();
                    for (const auto& m : matches) {
                        if (m.jaccard >= args->threshold) continue;
                        if (const auto s = store.get_by_seq(m.seq, false))
                            partial.push_back(
                                {{"id", s->id}, {"similarity", m.jaccard}, {"containment", m.containment}});
                    }
                    if (!partial.empty()) j["partial"] = partial;
                    std::cout << j.dump() << '\n';
                }
                docs.clear();
                progress.update(n_docs, 0);
            }
            progress.finish(std::to_string(n_docs) + " documents: " + std::to_string(n_new) + " new, " +
                            std::to_string(n_exact) + " exact, " + std::to_string(n_near) +
                            " near; index holds " + std::to_string(index.size()) +
                            (n_errors ? ", " + std::to_string(n_errors) + " skipped" : ""));
            return n_errors ? kExitSkipped : kExitOk;
        }};
}

}  // namespace doppel::cli
