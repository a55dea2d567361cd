// doppel index --store DIR PATH...
#include <cstdio>
#include <memory>

#include "cli/common.h"
#include "cli/stages.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/indexer.h"

namespace doppel::cli {
namespace {

// Prints the errors and warnings of `run` that were not printed yet.
void report_new(const IndexRun& run, std::size_t& errors_shown, std::size_t& warnings_shown) {
    report_errors(run.errors, errors_shown);
    report_warnings(run.summary.warnings, warnings_shown);
    errors_shown = run.errors.size();
    warnings_shown = run.summary.warnings.size();
}

// index's summary line: "12 documents read, 10 added, ...; store holds 40 (read 0.02 s 140 MB/s,
// analyze 0.05 s 56 MB/s, ...)", the steps' times with their throughput over the text read.
std::string summary_line(const IndexRun& run) {
    std::string times;
    for (const auto& [step, secs] : run.summary.seconds) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s %.2f s", times.empty() ? "" : ", ", step.c_str(), secs);
        times += buf;
        if (secs >= 0.005 && step.find(" flush") == std::string::npos) {
            std::snprintf(buf, sizeof buf, " %.0f MB/s", static_cast<double>(run.text_bytes) / 1e6 / secs);
            times += buf;
        }
    }
    const IndexSummary& s = run.summary;
    return std::to_string(run.read) + " documents read, " + std::to_string(s.added) + " added, " +
           std::to_string(s.replaced) + " replaced, " + std::to_string(s.unchanged) + " unchanged, " +
           std::to_string(run.errors.size()) + " skipped" +
           (s.relabeled ? ", " + std::to_string(s.relabeled) + " relabeled" : "") + "; store holds " +
           std::to_string(run.stored) + (times.empty() ? "" : " (" + times + ")");
}

struct IndexArgs {
    std::string store, purpose;
    std::vector<std::string> paths;
    IndexRunOptions run;
    std::string langid = LanguageIdOptions().describe();
    std::vector<double> dedup_thresholds, dropped_dedup_thresholds;
};

// index's options, into `args`.
void add_index_options(CLI::App* cmd, IndexArgs& args) {
    cmd->add_option("--store", args.store, "Store folder")->required();
    auto* paths = cmd->add_option("paths", args.paths, "Files, directories, or - for JSONL on stdin");
    cmd->add_option("--batch", args.run.batch,
                    "Documents per transaction (default: " + std::to_string(kLanguageBatch) +
                        " with language ID, " + std::to_string(kDuplicatesBatch) +
                        " for a store for duplicates)")
        ->check(kAtLeastOne);
    cmd->add_option(
           "--batch-bytes", args.run.batch_bytes,
           "A batch also ends at this many bytes of text (default: " + std::to_string(kLanguageBatchBytes) +
               " with language ID, " + std::to_string(kDuplicatesBatchBytes) + " for a store for duplicates)")
        ->check(kAtLeastOne);
    cmd->add_option("--time", args.run.now, "Time to record as added (seconds since the epoch; default now)");
    cmd->add_option("--max-bytes", args.run.reader.max_document_bytes, "Largest document accepted, in bytes")
        ->capture_default_str();
    add_extract_option(cmd, args.run.reader.extract);
    cmd->add_option("--langid", args.langid,
                    "Language-ID spec: short texts, confidence floor, likely languages (README: Language ID)")
        ->capture_default_str();
    cmd->add_option(
           "--for", args.purpose,
           "What the store is for: all (default; translations too) or duplicates (no language ID, no "
           "embeddings); kept by later runs")
        ->check(CLI::IsMember({"all", "duplicates"}));
    auto* thresholds = cmd->add_option(
        "--dedup-thresholds", args.dedup_thresholds,
        "Near-duplicate thresholds under 0.8 that dedup --store and check will be asked for: the store "
        "keeps LSH bands on disk for each, as it does for 0.8 and up (kept by later runs; with no paths, "
        "only adds them)");
    thresholds->delimiter(',')->check(CLI::Range(0.0, 1.0));
    auto* dropped = cmd->add_option(
        "--drop-dedup-thresholds", args.dropped_dedup_thresholds,
        "Thresholds given to --dedup-thresholds before whose LSH bands the store no longer needs: they "
        "are dropped (the default bands, for 0.8 and up, are always kept; with no paths, only drops them)");
    dropped->delimiter(',')->check(CLI::Range(0.0, 1.0));
    cmd->callback([paths, thresholds, dropped] {
        if (paths->count() == 0 && thresholds->count() == 0 && dropped->count() == 0)
            throw CLI::RequiredError("paths (or --dedup-thresholds or --drop-dedup-thresholds alone)");
    });
}

}  // namespace

Command add_index_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("index", "Add documents to a store (created if missing)");
    auto args = std::make_shared<IndexArgs>();
    add_index_options(cmd, *args);
    return {cmd, [args, &g]() -> int {
                IndexSetup setup = open_for_index(g, args->store, args->purpose, args->langid,
                                                  args->dedup_thresholds, args->dropped_dedup_thresholds);
                Progress progress("index", g.quiet);
                args->run.count_stored = !g.quiet;  // shown in the summary line alone
                std::size_t errors_shown = 0, warnings_shown = 0;
                const IndexRun run =
                    index_paths(*setup.store, setup.langid.get(), std::move(setup.stages), args->paths,
                                args->run, [&](const IndexRun& so_far, uint64_t done, uint64_t total) {
                                    report_new(so_far, errors_shown, warnings_shown);
                                    progress.update(done, total, done);
                                    if (total == 0) progress.update(so_far.read, 0);
                                });
                report_new(run, errors_shown, warnings_shown);
                progress.finish(summary_line(run));
                return run.errors.empty() ? kExitOk : kExitSkipped;
            }};
}

}  // namespace doppel::cli
