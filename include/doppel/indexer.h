// doppel: the indexing pipeline, from ingested documents to the store.
//
//   Document --analyze()--> AnalyzedDocument --Store::put--> stored row --IndexStage::add-->
//   artifacts (sketches, embeddings) and index files
//
// analyze() identifies the languages of the document and of each paragraph and computes the
// content hash (hex XXH3-128 of the text). add() analyzes and stores a batch in one transaction,
// then hands the documents that were added or replaced to each registered IndexStage.
//
// Thread safety: an Indexer writes to one Store and is not safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "doppel/document.h"
#include "doppel/index/index_stage.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/store/store.h"

namespace doppel {

// Hex XXH3-128 of a text: the content hash stored with every document.
std::string content_hash(std::string_view text);

// What a run of add() / finish() did, and where its time went: wall seconds per step, in the
// order first seen ("analyze": language ID and segmentation; "store": SQLite writes; then each
// stage by name, "<name> flush" for its flush at finish()).
struct IndexSummary {
    std::size_t added = 0, replaced = 0, unchanged = 0;
    std::vector<std::pair<std::string, double>> seconds;
    std::vector<std::string> warnings;  // from the stages (IndexStage::take_warnings)
    void add_seconds(const std::string& step, double s);
};

class Indexer {
public:
    // The store and language identifier must outlive the Indexer.
    Indexer(Store& store, const LanguageIdentifier& langid);

    // Registers a stage that derives data for every added or replaced document.
    void add_stage(std::unique_ptr<IndexStage> stage);

    AnalyzedDocument analyze(Document doc) const;

    // Analyzes and stores n documents (moved from); returns what happened to each.
    std::vector<PutStatus> add(std::size_t n, Document* docs, int64_t now, IndexSummary* summary = nullptr);

    // Deletes documents and tells the stages; returns how many were stored.
    std::size_t remove(const std::vector<std::string>& ids);
    // Deletes documents added before `cutoff` (seconds since the epoch); returns their ids.
    std::vector<std::string> expire(int64_t cutoff);

    // Flushes every stage and records the specs that built the store in its metadata.
    void finish(IndexSummary* summary = nullptr);

private:
    Store& store_;
    const LanguageIdentifier& langid_;
    std::vector<std::unique_ptr<IndexStage>> stages_;
};

}  // namespace doppel
