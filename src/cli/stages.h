// The index configuration of the command-line tool (models folder, --vector-index, --vectors,
// --vectors-weight) and the index-time stages it gives (ops/indexer.h), warnings printed.
#pragma once

#include <memory>
#include <vector>

#include "cli/common.h"
#include "doppel/index/index_stage.h"
#include "doppel/ops/indexer.h"

namespace doppel::cli {

IndexConfig index_config(const Globals& g);
// open_index_stages(index_config(g)); its warnings go to stderr unless --quiet.
std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g);

}  // namespace doppel::cli
