// The index configuration of the command-line tool (models folder, --vector-index, --vectors,
// --vectors-weight) and the index-time stages it gives (ops/indexer.h), warnings printed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "doppel/index/index_stage.h"
#include "doppel/ops/indexer.h"

namespace doppel::cli {

IndexConfig index_config(const Globals& g);
// open_index_stages() of index_config(g) for a store's purpose ("all" or "duplicates", see
// ops/indexer.h); its warnings go to stderr unless --quiet.
std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, const std::string& purpose = "all");

}  // namespace doppel::cli
