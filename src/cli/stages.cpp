#include "cli/stages.h"

#include <iostream>

namespace doppel::cli {

IndexConfig index_config(const Globals& g) {
    IndexConfig config;
    config.models_dir = find_models_dir(g);
    config.vector_index = g.vector_index;
    config.vectors = g.vectors;
    config.vectors_weight = g.vectors_weight;
    return config;
}

std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, const std::string& purpose) {
    IndexStages stages = open_index_stages(config_for_purpose(index_config(g), purpose));
    if (!g.quiet)
        for (const auto& w : stages.warnings) std::cerr << "doppel: warning: " << w << "\n";
    return std::move(stages.stages);
}

}  // namespace doppel::cli
