// doppel delete --store DIR ID...
// doppel expire --store DIR --older-than SECONDS [--by added|published]
#include <ctime>
#include <iostream>

#include "cli/common.h"
#include "cli/stages.h"
#include "doppel/ops/expire.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_delete_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("delete", "Delete documents (and their sketches) from a store");
    struct Args {
        std::string store;
        std::vector<std::string> ids;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("ids", args->ids, "Document ids")->required();
    return {cmd, [args, &g]() -> int {
                Store store(args->store, StoreOptions{false, false});
                Indexer indexer(store);  // stored documents only: no language model to load
                for (auto& stage : make_index_stages(g, store_purpose(store))) indexer.add_stage(std::move(stage));
                const std::size_t n = indexer.remove(args->ids);
                for (const auto& id : args->ids)
                    if (store.get(id, false)) std::cerr << id << ": still stored\n";
                Progress progress("delete", g.quiet);
                progress.finish(std::to_string(n) + " of " + std::to_string(args->ids.size()) +
                                " deleted; store holds " + std::to_string(store.size()));
                return n == args->ids.size() ? kExitOk : kExitSkipped;
            }};
}

Command add_expire_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("expire", "Delete documents added (or published) more than SECONDS ago");
    struct Args {
        std::string store, by = "added";
        int64_t older_than = 0;
        int64_t now = 0;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("--older-than", args->older_than, "Age in seconds")
        ->required()
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--time", args->now, "The time now (seconds since the epoch; default now)");
    cmd->add_option("--by", args->by, "added (when stored) or published (the document's own date; undated kept)")
        ->check(CLI::IsMember({"added", "published"}))->capture_default_str();
    return {cmd, [args, &g]() -> int {
                Store store(args->store, StoreOptions{false, false});
                Indexer indexer(store);  // stored documents only: no language model to load
                for (auto& stage : make_index_stages(g, store_purpose(store))) indexer.add_stage(std::move(stage));
                const int64_t now = args->now ? args->now : static_cast<int64_t>(std::time(nullptr));
                const ExpireResult r = expire_documents(indexer, store, now - args->older_than, parse_expire_by(args->by));
                Progress progress("expire", g.quiet);
                progress.finish(std::to_string(r.ids.size()) + " expired" +
                                (r.undated ? ", " + std::to_string(r.undated) + " kept without a date" : "") +
                                "; store holds " + std::to_string(store.size()));
                return kExitOk;
            }};
}

}  // namespace doppel::cli
