// doppel dedup --store DIR [--new] [--threshold J] [--format tsv|jsonl]
// doppel dedup [--threshold J] PATH... | --files-from LIST   (storeless batch mode)
#include "cli/common.h"
#include "cli/dedup_output.h"
#include "cli/output.h"
#include "doppel/ops/duplicates.h"
#include "doppel/store/store.h"

namespace doppel::cli {
namespace {

struct Args {
    std::string store;
    std::vector<std::string> paths;
    std::string files_from;
    std::string format = "tsv";
    std::string out;
    std::string id_kind = "name";
    std::string spec;
    NearDuplicateOptions opt;
    bool no_boilerplate = false;
    bool only_new = false;
    FileDedupOptions read;
};

void add_options(CLI::App* cmd, Args& a) {
    cmd->add_option("--store", a.store, "Store folder (else read PATH... directly, storing nothing)");
    cmd->add_flag("--new", a.only_new,
                  "Only documents added since the last --new run (the first: all); "
                  "their pairs and the clusters they join. Records its place in the store")
        ->needs("--store");
    cmd->add_option("paths", a.paths, "Files or directories to compare (storeless mode)");
    cmd->add_option("--files-from", a.files_from,
                    "Read the paths of files to compare from this file, one a line");
    cmd->add_option("--threshold", a.opt.threshold, "Jaccard similarity threshold")
        ->check(kFiniteNumber)
        ->capture_default_str();
    cmd->add_option("--format", a.format,
                    "tsv or jsonl (jsonl adds containment, partial copies, clusters, repeated lines)")
        ->check(CLI::IsMember({"tsv", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("--out", a.out, "Write results to this file instead of standard output");
    cmd->add_option("--recall", a.opt.target_recall, "LSH recall target at the threshold")
        ->check(kFiniteNumber)
        ->capture_default_str();
    cmd->add_option("--shingles", a.opt.shingle_spec, "Shingle spec")->capture_default_str();
    cmd->add_option("--minhash", a.opt.minhash_spec, "MinHash spec")->capture_default_str();
    cmd->add_flag("--no-boilerplate", a.no_boilerplate,
                  "Keep lines repeated across a source in the shingles");
    cmd->add_option("--boilerplate-min-docs", a.opt.boilerplate_min_docs,
                    "A line in this many documents of one source is boilerplate")
        ->capture_default_str();
    cmd->add_option("--boilerplate-min-share", a.opt.boilerplate_min_share, "...and in this share of them")
        ->check(kFiniteNumber)
        ->capture_default_str();
    cmd->add_flag("--exact", a.opt.exact, "Exact all-pairs join instead of LSH (ground truth; slower)");
    cmd->add_option("--spec", a.spec, "Every setting at once, as the JSONL summary records it");
    cmd->add_option("--threads", a.opt.threads, "Worker threads (0: all cores)")->capture_default_str();
    cmd->add_option("--cache-mb", a.read.cache_mb,
                    "Keep inputs that take up to this many MiB in memory (documents with their text) between "
                    "the two passes")
        ->capture_default_str();
    cmd->add_option("--batch", a.read.batch, "Documents read ahead (with --store: taken at a time, 4096 unless given)")
        ->check(kAtLeastOne)
        ->capture_default_str();
    cmd->add_option("--id", a.id_kind, "Storeless ids: name (as index does) or path (the file path)")
        ->check(CLI::IsMember({"name", "path"}))
        ->capture_default_str();
}

// --store (the run, its store kept in *stored), or files (storeless).
FileDedup run_dedup(const Args& a, const NearDuplicateOptions& opt, Progress& progress, StoredDedupRun* stored) {
    std::vector<std::string> paths = a.paths;
    if (!a.files_from.empty()) append_path_list(a.files_from, paths);
    DOPPEL_CHECK(kInvalidArgument, !a.store.empty() || !paths.empty(),
                 "give --store DIR or the files to compare");
    DOPPEL_CHECK(kInvalidArgument, a.store.empty() || paths.empty(),
                 "give either --store DIR or files, not both");
    if (a.store.empty())
        return find_file_duplicates(
            paths, opt, a.read, [&](uint64_t done, uint64_t total) { progress.update(done, total, done); });
    *stored = run_stored_dedup(a.store, a.only_new, opt, a.read.batch,
                               [&](std::size_t d, std::size_t t) { progress.update(d, t); });
    return {std::move(stored->found.result), {}};
}

}  // namespace

Command add_dedup_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "dedup",
        "Near-duplicate pairs (exact Jaccard of shingle sets) among stored documents, or among files");
    auto args = std::make_shared<Args>();
    add_options(cmd, *args);
    return {
        cmd, [args, &g, cmd]() -> int {
            if (!args->store.empty() && !cmd->count("--batch")) args->read.batch = kStoredDedupBatch;
            NearDuplicateOptions opt = args->opt;
            opt.boilerplate = !args->no_boilerplate;
            opt.repeated_lines = opt.partial = args->format == "jsonl";
            if (!args->spec.empty()) opt = NearDuplicateOptions::parse_spec(args->spec);
            opt.threads = args->opt.threads;
            args->read.id_from_path = args->id_kind == "path";
            Progress progress("dedup", g.quiet);
            StoredDedupRun stored;
            const FileDedup d = run_dedup(*args, opt, progress, &stored);
            report_errors(d.errors);
            OutputFile out(args->out);
            const auto [n_near, n_partial] =
                write_result(out.stream(), d.result, args->format == "jsonl", stored.store.get());
            out.commit();
            stored.record();
            progress.finish(summary_line(d.result, n_near, n_partial, progress.seconds()) + new_note(stored) +
                            (d.errors.empty() ? "" : ", " + std::to_string(d.errors.size()) + " skipped"));
            return d.errors.empty() ? kExitOk : kExitSkipped;
        }};
}

}  // namespace doppel::cli
