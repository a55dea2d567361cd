// doppel list --store DIR [--format tsv|jsonl]
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/tsv.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_list_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("list", "List the stored documents");
    struct Args {
        std::string store;
        std::string format = "tsv";
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("--format", args->format, "tsv or jsonl")->check(CLI::IsMember({"tsv", "jsonl"}))->capture_default_str();
    return {cmd, [args]() -> int {
        Store store(args->store, StoreOptions{false, true});
        store.scan([&](const StoredDocument& d) {
            std::string others;
            for (const auto& l : d.other_languages) others += (others.empty() ? "" : ",") + l;
            if (args->format == "tsv") {
                std::cout << tsv_field(d.id) << '\t' << d.lang << '\t' << d.paragraphs.size() << '\t' << others << '\n';
            } else {
                nlohmann::json j = {{"id", d.id},
                                    {"language", d.lang},
                                    {"language_confidence", d.lang_confidence},
                                    {"paragraphs", d.paragraphs.size()},
                                    {"other_languages", d.other_languages},
                                    {"source", d.source},
                                    {"content_hash", d.content_hash},
                                    {"added_at", d.added_at}};
                if (!d.url.empty()) j["url"] = d.url;
                if (!d.title.empty()) j["title"] = d.title;
                if (!d.date.empty()) j["date"] = d.date;
                std::cout << j.dump() << '\n';
            }
            return true;
        }, false);
        return kExitOk;
    }};
}

}  // namespace doppel::cli
