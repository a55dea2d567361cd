// doppel: matching the documents of a store, end to end.
//
// One batched call that returns plain data, so the command-line tool, the report and later
// language bindings share one code path (near-duplicates: ops/duplicates.h):
//  - find_stored_translations(): the cross-language versions among them (bridge features stored
//    at index time, FAISS kNN per language, margin scoring, match/matcher.h), then, by default,
//    a second pass with the words learned from the first pass's links
//    (match/feature_associations.h).
//
// Thread safety: the functions read the store through the given object only; do not use that
// Store from another thread meanwhile.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "doppel/match/feature_associations.h"
#include "doppel/match/matcher.h"
#include "doppel/match/near_duplicate_finder.h"

namespace doppel {

class Store;

// Called now and then with (documents done, documents in all).
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

struct TranslationPair {
    std::string id_a, id_b;      // id_a < id_b bytewise
    std::string lang_a, lang_b;
    TranslationLink link;        // score, similarity, margin, anchors, label
};

struct TranslationSearchOptions {
    MatcherOptions matcher;
    // A bridge spec to weigh the stored features with instead of the store's own ("" = the
    // store's); the dense vectors are then searched in an index rebuilt in memory.
    std::string embedder_spec;
    // A second pass with word associations learned from the first pass's confident pairs
    // (match/feature_associations.h): the lexicon's missing words, from the pool itself.
    bool learn = true;
    FeatureAssociationOptions associations;
};

struct TranslationSearch {
    std::vector<TranslationPair> pairs;  // sorted by (id_a, id_b)
    std::vector<std::string> warnings;   // e.g. the store was indexed with another lexicon
    std::size_t documents = 0;
    std::size_t associations = 0;  // learned for the second pass (0: one pass)
    // Time per stage; learn_seconds holds the learning and the whole second pass.
    double features_seconds = 0, index_seconds = 0, match_seconds = 0, learn_seconds = 0;
};

// Finds cross-language versions among the stored documents. `models_dir` holds bridge.lex.
// Throws doppel::Error when the store has no embeddings (indexed without the bridge model).
TranslationSearch find_stored_translations(const Store& store, const std::string& models_dir,
                                           const TranslationSearchOptions& options = {},
                                           const ProgressCallback& progress = {});

}  // namespace doppel
