// doppel index --store DIR PATH...
#include <cstdio>
#include <future>
#include <memory>
#include <iostream>

#include "cli/common.h"
#include "cli/stages.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/normalize/text_keys.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"

namespace doppel::cli {
namespace {

// "read 0.02 s 140 MB/s, analyze 0.05 s 56 MB/s, ..." from the summary's timings and the bytes
// of text read.
std::string format_times(const IndexSummary& summary, uint64_t bytes) {
    std::string times;
    for (const auto& [step, s] : summary.seconds) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s %.2f s", times.empty() ? "" : ", ", step.c_str(), s);
        times += buf;
        if (s >= 0.005 && step.find(" flush") == std::string::npos) {
            std::snprintf(buf, sizeof buf, " %.0f MB/s", static_cast<double>(bytes) / 1e6 / s);
            times += buf;
        }
    }
    return times;
}

// Prints the errors and warnings of `run` that were not printed yet.
void report_new(const IndexRun& run, std::size_t& errors_shown, std::size_t& warnings_shown) {
    report_errors(std::vector<RecordError>(run.errors.begin() + static_cast<std::ptrdiff_t>(errors_shown),
                                           run.errors.end()));
    errors_shown = run.errors.size();
    for (; warnings_shown < run.summary.warnings.size(); ++warnings_shown)
        std::cerr << "doppel: warning: " << run.summary.warnings[warnings_shown] << "\n";
}

}  // namespace

Command add_index_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("index", "Add documents to a store (created if missing)");
    struct Args {
        std::string store;
        std::vector<std::string> paths;
        IndexRunOptions run;
        std::string langid = LanguageIdOptions().describe();
        std::string purpose;
        std::vector<double> dedup_thresholds;
        std::vector<double> dropped_dedup_thresholds;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    auto* paths = cmd->add_option("paths", args->paths, "Files, directories, or - for JSONL on stdin");
    cmd->add_option("--batch", args->run.batch,
                    "Documents per transaction (default: " + std::to_string(kLanguageBatch) + " with language ID, " +
                        std::to_string(kDuplicatesBatch) + " for a store for duplicates)")
        ->check(kAtLeastOne);
    cmd->add_option("--batch-bytes", args->run.batch_bytes,
                    "A batch also ends at this many bytes of text (default: " + std::to_string(kLanguageBatchBytes) +
                        " with language ID, " + std::to_string(kDuplicatesBatchBytes) + " for a store for duplicates)")
        ->check(kAtLeastOne);
    cmd->add_option("--time", args->run.now,
                    "Time to record as added (seconds since the epoch; default now)");
    cmd->add_option("--max-bytes", args->run.reader.max_document_bytes, "Largest document accepted, in bytes")
        ->capture_default_str();
    add_extract_option(cmd, args->run.reader.extract);
    cmd->add_option("--langid", args->langid,
                    "Language-ID spec: short texts, confidence floor, likely languages (README: Language ID)")
        ->capture_default_str();
    cmd->add_option("--for", args->purpose,
                    "What the store is for: all (default; translations too) or duplicates (no language ID, no "
                    "embeddings); kept by later runs")
        ->check(CLI::IsMember({"all", "duplicates"}));
    auto* thresholds = cmd->add_option(
        "--dedup-thresholds", args->dedup_thresholds,
        "Near-duplicate thresholds under 0.8 that dedup --store and check will be asked for: the store keeps LSH "
        "bands on disk for each, as it does for 0.8 and up (kept by later runs; with no paths, only adds them)");
    thresholds->delimiter(',')->check(CLI::Range(0.0, 1.0));
    auto* dropped = cmd->add_option(
        "--drop-dedup-thresholds", args->dropped_dedup_thresholds,
        "Thresholds given to --dedup-thresholds before whose LSH bands the store no longer needs: they are dropped "
        "(the default bands, for 0.8 and up, are always kept; with no paths, only drops them)");
    dropped->delimiter(',')->check(CLI::Range(0.0, 1.0));
    cmd->callback([paths, thresholds, dropped] {
        if (paths->count() == 0 && thresholds->count() == 0 && dropped->count() == 0)
            throw CLI::RequiredError("paths (or --dedup-thresholds or --drop-dedup-thresholds alone)");
    });
    return {cmd, [args, &g]() -> int {
                // Language ID's model loads beside the store's opening (a new store: about 20 ms,
                // mostly syncs) where the store is surely for all (asked for, or new), and beside
                // the bridge lexicon's (about 20 ms each before any work).
                std::future<std::unique_ptr<LanguageIdentifier>> loading;
                if (surely_for_all(args->store, args->purpose)) loading = start_loading_langid(g, args->langid);
                StoreOptions store_options;
                store_options.journal_at_creation = true;  // index_paths() turns the log on when done
                store_options.one_thread = true;  // index_paths() uses it on this thread alone
                Store store(args->store, store_options);
                const std::string purpose = store_purpose(store, args->purpose);
                if (purpose == "all" && !loading.valid()) loading = start_loading_langid(g, args->langid);
                // The embedders' transliterators' shared part, beside the models (a third thread:
                // the main one mostly waits for syncs and for language ID here).
                std::future<void> icu;
                if (purpose == "all") icu = std::async(std::launch::async, &TextKeys::prepare_shared);
                auto stages = make_index_stages(g, purpose, args->dedup_thresholds, args->dropped_dedup_thresholds);
                const std::unique_ptr<LanguageIdentifier> langid = loading.valid() ? loading.get() : nullptr;
                if (icu.valid()) icu.get();
                Progress progress("index", g.quiet);
                args->run.count_stored = !g.quiet;  // shown in the summary line alone
                std::size_t errors_shown = 0, warnings_shown = 0;
                const IndexRun run = index_paths(store, langid.get(), std::move(stages), args->paths, args->run,
                                                 [&](const IndexRun& so_far, uint64_t done, uint64_t total) {
                                                     report_new(so_far, errors_shown, warnings_shown);
                                                     progress.update(done, total, done);
                                                     if (total == 0) progress.update(so_far.read, 0);
                                                 });
                report_new(run, errors_shown, warnings_shown);
                const std::string times = format_times(run.summary, run.text_bytes);
                const IndexSummary& s = run.summary;
                progress.finish(std::to_string(run.read) + " documents read, " + std::to_string(s.added) +
                                " added, " + std::to_string(s.replaced) + " replaced, " +
                                std::to_string(s.unchanged) + " unchanged, " +
                                std::to_string(run.errors.size()) + " skipped" +
                                (s.relabeled ? ", " + std::to_string(s.relabeled) + " relabeled" : "") +
                                "; store holds " +
                                std::to_string(run.stored) + (times.empty() ? "" : " (" + times + ")"));
                return run.errors.empty() ? kExitOk : kExitSkipped;
            }};
}

}  // namespace doppel::cli
