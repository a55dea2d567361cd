// The index configuration of the command-line tool (models folder, --vector-index, --vectors,
// --vectors-weight) and the index-time stages it gives (ops/indexer.h), warnings printed.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "doppel/index/index_stage.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/indexer.h"

namespace doppel::cli {

IndexConfig index_config(const Globals& g);
// open_index_stages() of index_config(g) for a store's purpose ("all" or "duplicates", see
// ops/indexer.h), with `index --dedup-thresholds` and `--drop-dedup-thresholds`; its warnings go
// to stderr unless --quiet.
std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, const std::string& purpose = "all",
                                                           const std::vector<double>& dedup_thresholds = {},
                                                           const std::vector<double>& dropped_dedup_thresholds = {});

// Language ID's model (lid.176.ftz, with the --langid spec), loaded on a thread of its own: an
// error in the spec comes, as the model's, from get().
std::future<std::unique_ptr<LanguageIdentifier>> start_loading_langid(const Globals& g, const std::string& spec);
// Whether the store in `dir` is for all whatever it holds: asked for, or new (store_purpose()).
bool surely_for_all(const std::string& dir, const std::string& requested_purpose);

}  // namespace doppel::cli
