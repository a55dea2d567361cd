// Which index stages the command-line tool runs at index time (sketches for near-duplicates,
// embeddings for translations), built from their default spec strings.
#pragma once

#include <memory>
#include <vector>

#include "cli/common.h"
#include "doppel/index/index_stage.h"
#include "doppel/store/store.h"

namespace doppel::cli {

std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, Store& store);

}  // namespace doppel::cli
