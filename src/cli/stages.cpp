#include "cli/stages.h"

#include <filesystem>
#include <iostream>

#include "doppel/index/embedding_stage.h"
#include "doppel/index/near_duplicate_index.h"

namespace doppel::cli {

std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, Store& store) {
    std::vector<std::unique_ptr<IndexStage>> stages;
    stages.push_back(std::make_unique<NearDuplicateStage>());
    // Cross-language embeddings (translations): needs models/bridge.lex (scripts/build-bridge).
    if (std::filesystem::exists(model_path(g, "bridge.lex"))) {
        EmbeddingStageOptions options;
        options.index = g.vector_index;
        options.vectors = g.vectors;
        options.vectors_weight = g.vectors_weight;
        stages.push_back(std::make_unique<EmbeddingStage>(options, EmbedderContext{find_models_dir(g)}));
    } else if (!g.quiet) {
        std::cerr << "doppel: warning: " << model_path(g, "bridge.lex")
                  << " missing (run scripts/build-bridge): no embeddings for translations\n";
    }
    return stages;
}

}  // namespace doppel::cli
