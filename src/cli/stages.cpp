#include "cli/stages.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "doppel/normalize/text_keys.h"
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
    if (!g.quiet) report_warnings(stages.warnings);
    return std::move(stages.stages);
}

namespace {

std::future<std::unique_ptr<LanguageIdentifier>> start_loading_langid(const Globals& g, const std::string& spec) {
    return std::async(std::launch::async, [path = model_path(g, "lid.176.ftz"), spec] {
        return std::make_unique<LanguageIdentifier>(path, LanguageIdOptions::parse_spec(spec));
    });
}

// Whether the store in `dir` is for all whatever it holds: asked for, or new (store_purpose()).
bool surely_for_all(const std::string& dir, const std::string& requested_purpose) {
    return requested_purpose == "all" ||
           (requested_purpose.empty() && !std::filesystem::exists(std::filesystem::path(dir) / Store::kDatabaseFile));
}

// StoreOptions::id_merge_rows from DOPPEL_ID_MERGE_ROWS where it is set: a hook for tests
// (scripts/crash-test sets 1, so that a small store moves its id keys through every table while
// it is killed); users have no reason to set it.
std::size_t id_merge_rows(std::size_t fallback) {
    const char* text = std::getenv("DOPPEL_ID_MERGE_ROWS");
    if (!text || !*text) return fallback;
    std::size_t rows = 0;
    const char* end = text + std::char_traits<char>::length(text);
    const auto [at, ec] = std::from_chars(text, end, rows);
    DOPPEL_CHECK(
        kInvalidArgument, ec == std::errc() && at == end && rows > 0,
        std::string("DOPPEL_ID_MERGE_ROWS must be a whole number of at least 1, not \"") + text + "\"");
    return rows;
}

}  // namespace

IndexSetup open_for_index(const Globals& g, const std::string& dir, const std::string& requested_purpose,
                          const std::string& langid_spec, const std::vector<double>& dedup_thresholds,
                          const std::vector<double>& dropped_dedup_thresholds) {
    // Language ID's model loads beside the store's opening (a new store: about 20 ms, mostly
    // syncs) where the store is surely for all, and beside the bridge lexicon's (about 20 ms each
    // before any work).
    std::future<std::unique_ptr<LanguageIdentifier>> loading;
    if (surely_for_all(dir, requested_purpose)) loading = start_loading_langid(g, langid_spec);
    StoreOptions store_options;
    store_options.journal_at_creation = true;  // index_paths() turns the log on when done
    store_options.one_thread = true;           // index_paths() uses it on this thread alone
    store_options.id_merge_rows = id_merge_rows(store_options.id_merge_rows);
    IndexSetup setup;
    setup.store = std::make_unique<Store>(dir, store_options);
    const std::string purpose = store_purpose(*setup.store, requested_purpose);
    if (purpose == "all" && !loading.valid()) loading = start_loading_langid(g, langid_spec);
    // The embedders' transliterators' shared part, beside the models (a third thread: the main one
    // mostly waits for syncs and for language ID here).
    std::future<void> icu;
    if (purpose == "all") icu = std::async(std::launch::async, &TextKeys::prepare_shared);
    setup.stages = make_index_stages(g, purpose, dedup_thresholds, dropped_dedup_thresholds);
    if (loading.valid()) setup.langid = loading.get();
    if (icu.valid()) icu.get();
    return setup;
}

}  // namespace doppel::cli
