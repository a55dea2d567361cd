// doppel index --store DIR PATH...
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/common.h"
#include "cli/stages.h"
#include "doppel/indexer.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_index_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("index", "Add documents to a store (created if missing)");
    struct Args {
        std::string store;
        std::vector<std::string> paths;
        std::size_t batch = 256;
        int64_t now = 0;
        std::size_t max_bytes = ReaderOptions{}.max_document_bytes;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("paths", args->paths, "Files, directories, or - for JSONL on stdin")->required();
    cmd->add_option("--batch", args->batch, "Documents per transaction")->capture_default_str();
    cmd->add_option("--time", args->now, "Time to record as added (seconds since the epoch; default now)");
    cmd->add_option("--max-bytes", args->max_bytes, "Largest document accepted, in bytes")->capture_default_str();
    return {cmd, [args, &g]() -> int {
        Store store(args->store);
        LanguageIdentifier langid(model_path(g, "lid.176.ftz"));
        Indexer indexer(store, langid);
        for (auto& stage : make_index_stages(g, store)) indexer.add_stage(std::move(stage));
        ReaderOptions ropt;
        ropt.max_document_bytes = args->max_bytes;
        DocumentReader reader(args->paths, ropt);
        const int64_t now = args->now ? args->now : static_cast<int64_t>(std::time(nullptr));
        Progress progress("index", g.quiet);
        IndexSummary summary;
        std::size_t n_errors = 0, n_read = 0;
        std::vector<Document> docs;
        std::vector<RecordError> errors;
        auto t_read = std::chrono::steady_clock::now();
        while (reader.next_batch(args->batch, docs, errors) || !errors.empty()) {
            summary.add_seconds("read", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_read).count());
            report_errors(errors);
            n_errors += errors.size();
            errors.clear();
            n_read += docs.size();
            if (!docs.empty()) indexer.add(docs.size(), docs.data(), now, &summary);
            for (const auto& w : summary.warnings) std::cerr << "doppel: warning: " << w << "\n";
            summary.warnings.clear();
            docs.clear();
            progress.update(reader.bytes_read(), reader.bytes_total(), reader.bytes_read());
            if (reader.bytes_total() == 0) progress.update(n_read, 0);
            t_read = std::chrono::steady_clock::now();
        }
        indexer.finish(&summary);
        for (const auto& w : summary.warnings) std::cerr << "doppel: warning: " << w << "\n";
        std::string times;
        for (const auto& [step, s] : summary.seconds) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s%s %.2f s", times.empty() ? "" : ", ", step.c_str(), s);
            times += buf;
        }
        progress.finish(std::to_string(n_read) + " documents read, " + std::to_string(summary.added) +
                        " added, " + std::to_string(summary.replaced) + " replaced, " +
                        std::to_string(summary.unchanged) + " unchanged, " + std::to_string(n_errors) +
                        " skipped; store holds " + std::to_string(store.size()) +
                        (times.empty() ? "" : " (" + times + ")"));
        return n_errors ? kExitSkipped : kExitOk;
    }};
}

}  // namespace doppel::cli
