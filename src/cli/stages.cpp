#include "cli/stages.h"

#include "doppel/index/near_duplicate_index.h"

namespace doppel::cli {

std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, Store& store) {
    std::vector<std::unique_ptr<IndexStage>> stages;
    stages.push_back(std::make_unique<NearDuplicateStage>());
    return stages;
}

}  // namespace doppel::cli
