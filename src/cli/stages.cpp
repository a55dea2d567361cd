#include "cli/stages.h"

namespace doppel::cli {

std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, Store& store) {
    std::vector<std::unique_ptr<IndexStage>> stages;
    return stages;
}

}  // namespace doppel::cli
