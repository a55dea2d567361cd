#include "cli/stages.h"

#include <filesystem>
#include <iostream>

#include "doppel/store/store.h"

namespace doppel::cli {

IndexConfig index_config(const Globals& g) {
    IndexConfig config;
    config.models_dir = find_models_dir(g);
    config.vector_index = g.vector_index;
    config.vectors = g.vectors;
    config.vectors_weight = g.vectors_weight;
    return config;
}

std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, const std::string& purpose,
                                                           const std::vector<double>& dedup_thresholds,
                                                           const std::vector<double>& dropped_dedup_thresholds) {
    IndexConfig config = index_config(g);
    config.dedup_thresholds = dedup_thresholds;
    config.dropped_dedup_thresholds = dropped_dedup_thresholds;
    IndexStages stages = open_index_stages(config_for_purpose(config, purpose));
    if (!g.quiet)
        for (const auto& w : stages.warnings) std::cerr << "doppel: warning: " << w << "\n";
    return std::move(stages.stages);
}

std::future<std::unique_ptr<LanguageIdentifier>> start_loading_langid(const Globals& g, const std::string& spec) {
    return std::async(std::launch::async, [path = model_path(g, "lid.176.ftz"), spec] {
        return std::make_unique<LanguageIdentifier>(path, LanguageIdOptions::parse_spec(spec));
    });
}

bool surely_for_all(const std::string& dir, const std::string& requested_purpose) {
    return requested_purpose == "all" ||
           (requested_purpose.empty() && !std::filesystem::exists(std::filesystem::path(dir) / Store::kDatabaseFile));
}

}  // namespace doppel::cli
