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
#include "doppel/store/store.h"

namespace doppel::cli {

IndexConfig index_config(const Globals& g);
// open_index_stages() of index_config(g) for a store's purpose ("all" or "duplicates", see
// ops/indexer.h), with `index --dedup-thresholds` and `--drop-dedup-thresholds`; its warnings go
// to stderr unless --quiet.
std::vector<std::unique_ptr<IndexStage>> make_index_stages(const Globals& g, const std::string& purpose = "all",
                                                           const std::vector<double>& dedup_thresholds = {},
                                                           const std::vector<double>& dropped_dedup_thresholds = {});

// What `index` runs with: the store in `dir` (for one thread; a new one with the rollback
// journal, which index_paths() turns into the log when done), its stages for the store's purpose
// (store_purpose() of `requested_purpose`) and language ID (--langid `langid_spec`; null for a
// store for duplicates). Language ID's model (lid.176.ftz) loads on a thread of its own beside
// the store's opening where the store is surely for all (asked for, or new), and beside the
// stages' models; an error in the spec comes, as the model's, from here.
struct IndexSetup {
    std::unique_ptr<Store> store;
    std::vector<std::unique_ptr<IndexStage>> stages;
    std::unique_ptr<LanguageIdentifier> langid;
};
IndexSetup open_for_index(const Globals& g, const std::string& dir, const std::string& requested_purpose,
                          const std::string& langid_spec, const std::vector<double>& dedup_thresholds,
                          const std::vector<double>& dropped_dedup_thresholds);

}  // namespace doppel::cli
