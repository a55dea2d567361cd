// doppel check --store DIR [--threshold J] PATH...
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/metadata.h"
#include "cli/tsv.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/ops/duplicates.h"
#include "doppel/store/store.h"

namespace doppel::cli {
namespace {

void write_tsv(const CheckResult& r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", r.similarity);
    std::cout << tsv_field(r.id) << '\t' << check_status_name(r.status) << '\t' << tsv_field(r.match_id) << '\t'
              << (r.match_id.empty() ? "" : buf) << '\n';
}

void write_jsonl(const CheckResult& r, DocumentMetadata& meta) {
    nlohmann::json j = {{"id", r.id}, {"status", check_status_name(r.status)}};
    meta.add(j, r.id);
    if (!r.match_id.empty()) {
        meta.add(j, r.match_id, "_match");
        j["match_id"] = r.match_id;
        j["similarity"] = r.similarity;
        j["containment"] = r.containment;
    }
    nlohmann::json partial = nlohmann::json::array();
    for (const auto& p : r.partial)
        partial.push_back({{"id", p.id}, {"similarity", p.similarity}, {"containment", p.containment}});
    if (!partial.empty()) j["partial"] = partial;
    std::cout << j.dump() << '\n';
}

}  // namespace

Command add_check_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "check", "Say for each new document whether it copies a stored one (stores nothing)");
    struct Args {
        std::string store;
        std::vector<std::string> paths;
        CheckOptions opt;
        std::string format = "tsv";
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("paths", args->paths, "Files, directories, or - for JSONL on stdin")->required();
    cmd->add_option("--threshold", args->opt.threshold, "Jaccard similarity threshold")
        ->check(kFiniteNumber)
        ->capture_default_str();
    cmd->add_option("--recall", args->opt.recall, "LSH recall target at the threshold")
        ->check(kFiniteNumber)
        ->capture_default_str();
    cmd->add_option("--format", args->format, "tsv or jsonl (jsonl adds containment and partial copies)")
        ->check(CLI::IsMember({"tsv", "jsonl"}))
        ->capture_default_str();
    return {cmd, [args, &g]() -> int {
                Store store(args->store, StoreOptions{false, true});
                CheckOptions opt = args->opt;
                opt.partial = args->format == "jsonl";
                DuplicateChecker checker(store, opt);
                if (!checker.on_disk() && !g.quiet)
                    std::cerr << "check: LSH tables for threshold " << opt.threshold
                              << " were built in memory from every stored signature (the store's band runs "
                                 "serve thresholds of "
                              << kDefaultBandThreshold << " and up at recall " << kDefaultBandRecall
                              << ", and those given to `doppel index --dedup-thresholds`)\n";
                DocumentReader reader(args->paths);
                DocumentMetadata meta(&store);
                Progress progress("check", g.quiet);
                std::size_t n_errors = 0, n_docs = 0, counts[3] = {0, 0, 0};
                std::vector<Document> docs;
                std::vector<RecordError> errors;
                while (reader.next_batch(256, docs, errors) || !errors.empty()) {
                    report_errors(errors);
                    n_errors += errors.size();
                    errors.clear();
                    for (const Document& d : docs) meta.remember(d);
                    for (const CheckResult& r : checker.check(docs.size(), docs.data())) {
                        ++counts[static_cast<std::size_t>(r.status)];
                        opt.partial ? write_jsonl(r, meta) : write_tsv(r);
                    }
                    n_docs += docs.size();
                    docs.clear();
                    progress.update(n_docs, 0);
                }
                progress.finish(std::to_string(n_docs) + " documents: " + std::to_string(counts[0]) +
                                " new, " + std::to_string(counts[1]) + " exact, " +
                                std::to_string(counts[2]) + " near" +
                                // counting the stored signatures reads them all: not when quiet
                                (g.quiet ? "" : "; index holds " + std::to_string(checker.size())) +
                                (n_errors ? ", " + std::to_string(n_errors) + " skipped" : ""));
                return n_errors ? kExitSkipped : kExitOk;
            }};
}

}  // namespace doppel::cli
