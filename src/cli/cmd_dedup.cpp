// doppel dedup --store DIR [--threshold J] [--format tsv|jsonl]
// doppel dedup [--threshold J] PATH... | --files-from LIST   (storeless batch mode)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/match/store_matching.h"
#include "doppel/store/store.h"

namespace doppel::cli {
namespace {

std::string format_score(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", x);
    return buf;
}

}  // namespace

Command add_dedup_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "dedup",
        "Near-duplicate pairs (exact Jaccard of shingle sets) among stored documents, or among files");
    struct Args {
        std::string store;
        std::vector<std::string> paths;
        std::string files_from;
        std::string format = "tsv";
        std::string out;
        std::string id_kind = "name";
        NearDuplicateOptions opt;
        bool no_boilerplate = false;
        std::size_t batch = 256;
        std::size_t cache_mb = 256;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder (else read PATH... directly, storing nothing)");
    cmd->add_option("paths", args->paths, "Files or directories to compare (storeless mode)");
    cmd->add_option("--files-from", args->files_from,
                    "Read the paths of files to compare from this file, one a line");
    cmd->add_option("--threshold", args->opt.threshold, "Jaccard similarity threshold")
        ->capture_default_str();
    cmd->add_option("--format", args->format,
                    "tsv or jsonl (jsonl adds containment, partial copies, clusters, repeated lines)")
        ->check(CLI::IsMember({"tsv", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("--out", args->out, "Write results to this file instead of standard output");
    cmd->add_option("--recall", args->opt.target_recall, "LSH recall target at the threshold")
        ->capture_default_str();
    cmd->add_option("--shingles", args->opt.shingle_spec, "Shingle spec")->capture_default_str();
    cmd->add_option("--minhash", args->opt.minhash_spec, "MinHash spec")->capture_default_str();
    cmd->add_flag("--no-boilerplate", args->no_boilerplate,
                  "Keep lines repeated across a source in the shingles");
    cmd->add_option("--boilerplate-min-docs", args->opt.boilerplate_min_docs,
                    "A line in this many documents of one source is boilerplate")
        ->capture_default_str();
    cmd->add_option("--boilerplate-min-share", args->opt.boilerplate_min_share,
                    "...and in this share of them")
        ->capture_default_str();
    cmd->add_flag("--exact", args->opt.exact, "Exact all-pairs join instead of LSH (ground truth; slower)");
    cmd->add_option("--threads", args->opt.threads, "Worker threads (0: all cores)")->capture_default_str();
    cmd->add_option("--cache-mb", args->cache_mb,
                    "Keep inputs up to this size in memory between the two passes")
        ->capture_default_str();
    cmd->add_option("--batch", args->batch, "Documents read ahead while the previous ones are processed")
        ->capture_default_str();
    cmd->add_option("--id", args->id_kind, "Storeless ids: name (as index does) or path (the file path)")
        ->check(CLI::IsMember({"name", "path"}))
        ->capture_default_str();
    return {
        cmd, [args, &g]() -> int {
            NearDuplicateOptions opt = args->opt;
            opt.boilerplate = !args->no_boilerplate;
            opt.repeated_lines = args->format == "jsonl";
            opt.partial = args->format == "jsonl";
            NearDuplicateFinder finder(opt);
            Progress progress("dedup", g.quiet);
            std::size_t n_errors = 0;
            const bool storeless = args->store.empty();
            std::vector<std::string> paths = args->paths;
            if (!args->files_from.empty()) {
                std::ifstream in(args->files_from);
                if (!in) DOPPEL_THROW(kIo, "cannot read " + args->files_from);
                for (std::string line; std::getline(in, line);)
                    if (!line.empty()) paths.push_back(line);
            }
            if (storeless && paths.empty()) DOPPEL_THROW(kInvalidArgument, "give --store DIR or the files to compare");
            if (!storeless && !paths.empty()) DOPPEL_THROW(kInvalidArgument, "give either --store DIR or files, not both");

            // Calls fn(batch) for every batch of documents read from the files; reports read errors
            // when `report`.
            auto for_each_batch = [&](bool report, const std::function<void(std::vector<Document>&)>& fn) {
                // Reads the next batch on another thread while this one is processed.
                DocumentReader reader(paths);
                struct Batch {
                    std::vector<Document> docs;
                    std::vector<RecordError> errors;
                    bool more = false;
                };
                auto read = [&] {
                    Batch b;
                    b.more = reader.next_batch(args->batch, b.docs, b.errors) || !b.errors.empty();
                    if (args->id_kind == "path")
                        for (auto& d : b.docs) d.id = d.source;
                    return b;
                };
                Batch cur = read();
                while (cur.more) {
                    auto next = std::async(std::launch::async, read);
                    if (report) {
                        report_errors(cur.errors);
                        n_errors += cur.errors.size();
                    }
                    if (!cur.docs.empty()) fn(cur.docs);
                    cur = next.get();
                    progress.update(reader.bytes_read(), reader.bytes_total(), reader.bytes_read());
                }
            };
            NearDuplicateResult r;
            if (!storeless) {
                Store store(args->store, StoreOptions{false, true});
                r = find_stored_duplicates(store, opt, args->batch,
                                           [&](std::size_t done, std::size_t total) { progress.update(done, total); });
            } else {
                // Boilerplate needs two passes (line counts per source, then shingles). The first
                // keeps the documents in memory up to --cache-mb, so small inputs (and standard
                // input, which cannot be read twice) are read once.
                const bool from_stdin = std::find(paths.begin(), paths.end(), "-") != paths.end();
                std::vector<std::vector<Document>> cache;
                std::size_t cached_bytes = 0;
                bool cached = opt.boilerplate;
                if (opt.boilerplate)
                    for_each_batch(true, [&](std::vector<Document>& d) {
                        finder.count_lines(d.size(), d.data());
                        if (!cached) return;
                        for (const auto& doc : d)
                            cached_bytes += doc.text.size() + doc.id.size() + doc.source.size();
                        if (cached_bytes > (args->cache_mb << 20) && !from_stdin) {
                            cached = false;
                            std::vector<std::vector<Document>>().swap(cache);
                            return;
                        }
                        cache.push_back(std::move(d));
                    });
                if (cached) {
                    for (auto& d : cache) {
                        finder.add(d.size(), d.data());
                        std::vector<Document>().swap(d);
                    }
                } else {
                    for_each_batch(!opt.boilerplate,
                                   [&](std::vector<Document>& d) { finder.add(d.size(), d.data()); });
                }
                r = finder.finish();
            }

            std::ofstream file;
            if (!args->out.empty()) {
                file.open(args->out);
                if (!file) DOPPEL_THROW(kIo, "cannot write " + args->out);
            }
            std::ostream& out = args->out.empty() ? std::cout : file;
            std::size_t n_near = 0, n_partial = 0;
            for (const auto& p : r.pairs) {
                std::string a = r.docs[p.a].id, b = r.docs[p.b].id;
                if (b < a) std::swap(a, b);
                if (p.kind == DuplicateKind::kPartial)
                    ++n_partial;
                else
                    ++n_near;
                if (args->format == "tsv") {
                    if (p.kind == DuplicateKind::kPartial) continue;
                    out << a << '\t' << b << '\t' << format_score(p.jaccard) << '\n';
                } else {
                    nlohmann::json j = {{"type", "pair"},
                                        {"id_a", a},
                                        {"id_b", b},
                                        {"similarity", p.jaccard},
                                        {"containment", p.containment},
                                        {"status", duplicate_kind_name(p.kind)},
                                        {"common_shingles", p.common},
                                        {"shingles_a", r.docs[a == r.docs[p.a].id ? p.a : p.b].shingles},
                                        {"shingles_b", r.docs[a == r.docs[p.a].id ? p.b : p.a].shingles}};
                    out << j.dump() << '\n';
                }
            }
            if (args->format == "jsonl") {
                for (const auto& c : r.clusters) {
                    nlohmann::json members = nlohmann::json::array();
                    for (std::size_t k = 0; k < c.members.size(); ++k)
                        members.push_back({{"id", r.docs[c.members[k]].id}, {"similarity", c.similarity[k]}});
                    out << nlohmann::json{{"type", "cluster"},
                                          {"representative", r.docs[c.representative].id},
                                          {"members", members}}
                               .dump()
                        << '\n';
                }
                for (const auto& d : r.docs) {
                    if (d.repeated_lines.empty()) continue;
                    nlohmann::json lines = nlohmann::json::array();
                    for (const auto& l : d.repeated_lines)
                        lines.push_back({{"text", l.text}, {"count", l.count}});
                    out << nlohmann::json{{"type", "repeated_lines"}, {"id", d.id}, {"lines", lines}}.dump()
                        << '\n';
                }
                out << nlohmann::json{{"type", "summary"},
                                      {"documents", r.docs.size()},
                                      {"pairs", n_near},
                                      {"partial", n_partial},
                                      {"clusters", r.clusters.size()},
                                      {"candidates", r.candidates},
                                      {"boilerplate_lines", r.boilerplate_lines},
                                      {"spec", finder.describe()}}
                           .dump()
                    << '\n';
            }
            out.flush();
            const double secs = progress.seconds();
            char rate[96];
            std::snprintf(rate, sizeof rate, "; %.1f MB/s, %.0f docs/s",
                          static_cast<double>(r.bytes) / 1e6 / secs,
                          static_cast<double>(r.docs.size()) / secs);
            progress.finish(
                std::to_string(r.docs.size()) + " documents, " + std::to_string(r.bytes) + " bytes, " +
                std::to_string(r.candidates) + " candidates, " + std::to_string(n_near) + " pairs, " +
                std::to_string(n_partial) + " partial, " + std::to_string(r.clusters.size()) +
                " clusters, bands=" + std::to_string(r.lsh.bands) + " rows=" + std::to_string(r.lsh.rows) +
                rate + (n_errors ? ", " + std::to_string(n_errors) + " skipped" : ""));
            return n_errors ? kExitSkipped : kExitOk;
        }};
}

}  // namespace doppel::cli
