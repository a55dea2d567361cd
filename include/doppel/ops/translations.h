// doppel: finding the cross-language versions among the documents of a store, end to end.
//
// find_stored_translations() is one batched call that returns plain data, so the command-line
// tool, the report and language bindings share one code path. Its phases:
//  1. features: the bridge features stored at index time (embed/feature_artifacts.h), weighed
//     with their document frequencies over the store (TF-IDF, embed/bridge_embedder.h), joined
//     with the stored word-vector embeddings when the store has them;
//  2. index: the store's vector index (index/vector_index.h), or, when the features are weighed
//     with another bridge spec than the store's, an index rebuilt in memory;
//  3. first pass: FAISS kNN per language, exact rescoring, margin scoring (match/matcher.h);
//  4. learn (by default): word associations learned from the first pass's confident links
//     (match/feature_associations.h), the lexicon's missing words, from the pool itself;
//  5. second pass: the features rewritten with them, weighed and indexed again, matched again;
//     a link the first pass did not make must reach associations.new_link_margin, and a
//     first-pass link whose two documents the second pass links to nothing is kept
//     (associations.keep_first_margin).
//
// Incremental mode (TranslationSearchOptions::incremental, `doppel translations --incremental`):
// a run saves its state in the store (ops/translation_state.h: who is whose candidate, in both
// passes); the next run, when the store has only gained documents since (the same specs, every
// matched document still stored under the same matching language), extends it instead of
// searching everything again:
//  - first pass: the previous candidate lists kept with the similarities they were scored with
//    (rescoring every list with the new frequencies cost the whole store); only the added
//    documents searched (in the languages the previous search plan gives theirs), their lists
//    scored with this run's weights; each added document offered to the lists of the old
//    documents it found, in place of the entry it is nearer than (Matcher::update_candidates,
//    keep_scores);
//  - learn: when the previous run made a second pass, its associations applied again, not
//    learned again (learning reads every link); else learned from the first pass's links;
//  - second pass: the previous second-pass lists kept with their similarities; the added
//    documents' first-pass lists taken as theirs (they are not searched again with the
//    rewritten vectors) and rescored with the rewritten weights, the added documents offered
//    again (Matcher::merge_candidates, keep_scores);
//  - links (each pass): made again only where lists changed (Matcher::relink, from the state's
//    link state of that pass): the strong candidate pairs of a changed document (an added one,
//    or an old one whose lists the added entered) scored again, one-to-one decided again in the
//    components of strong pairs that hold one, the other strong pairs kept with their labels;
//    each language pair's typical-score floor kept from the full run that made the state (it is
//    a median over every pair); pivots closed over every link. Without --no-same-story (matcher
//    same_story: every candidate pair is a link) the links are made from the whole tables.
//  - weighing (state version 4, which saves each pass's document frequencies and every
//    document's length): only the documents a step of the matcher reads are read from the store
//    and weighed, as it asks for them (Matcher::VectorsNeeded: the added documents, the search's
//    results, the lists offered to and rescored, the pairs linked again), with the saved
//    frequencies plus the added documents' (what counting every document gives): the same
//    pairs as weighing every document. A state of version 3 gets its weighing counted first
//    (one pass over the stored counts, no weighing); word-vector embeddings, regrouped
//    relatives, same-story pairs or the found search weigh every document, as before.
// An old document does not see an added one that reaches it only through the index (not as
// the added one's candidate), a rewritten old document is not searched again, and old lists
// keep the scores of the weights of their run, and the floors are the state's: the links
// differ slightly from a full run's (docs/measurements.md, "Incremental translations", has the
// figures); after many batches a full run (without a state, or with other specs) makes them
// again.
// Otherwise (no state, other specs, documents deleted, replaced or relabelled) the run is a full
// one, saying why in the warnings, and saves its state.
//
// Thread safety: reads the store through the given object only; do not use that Store from
// another thread meanwhile.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "doppel/match/feature_associations.h"
#include "doppel/match/matcher.h"
#include "doppel/ops/progress.h"

namespace doppel {

class Store;

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
    // Close relatives (langid/language_relatives.h): a language of a family with fewer than this
    // share of the documents of the family's largest language in the store is matched as that
    // language (a few Catalan texts labelled Occitan are searched with the Catalan ones; the
    // vector index is then rebuilt in memory). 0: every language is matched on its own.
    double minor_relative_share = 0.1;
    // Incremental mode (above): extend the state the previous run saved in the store, and save
    // this run's (a state that cannot be written is a warning; the pairs stand). Off: nothing
    // is read or written beside the store.
    bool incremental = false;
};

struct TranslationSearch {
    std::vector<TranslationPair> pairs;  // sorted by (id_a, id_b)
    std::vector<std::string> warnings;   // e.g. the store was indexed with another lexicon
    std::size_t documents = 0;
    std::size_t associations = 0;  // learned for the second pass (0: one pass)
    // Incremental mode: the run extended the previous state (added: documents new since it);
    // false for a full run (the warnings say why when incremental mode was asked for).
    bool extended = false;
    std::size_t added = 0;
    // The specs that produced the pairs, as (what, spec): "matcher" (MatcherOptions::describe),
    // "associations" (FeatureAssociationOptions::describe, or "none" without the second pass),
    // "embedder" (the bridge spec the features were weighed with), "vector_index" (the index
    // searched). Feeding them back (and the same store and models) gives the same pairs.
    std::vector<std::pair<std::string, std::string>> specs;
    // Time per stage; learn_seconds holds the learning and the whole second pass.
    double features_seconds = 0, index_seconds = 0, match_seconds = 0, learn_seconds = 0;
    // Each phase in order: "load and weigh", "index", "match" (candidates, exact rescoring and
    // links), "learn", "match again" (the second pass: features rewritten, weighed, indexed and
    // matched again), "pairs"; wall time and CPU time of the process (all threads: on a busy
    // machine the CPU time says the work, the wall time what other programs left).
    struct Phase {
        std::string name;
        double seconds = 0, cpu_seconds = 0;
    };
    std::vector<Phase> phases;
};

// Finds cross-language versions among the stored documents. `models_dir` holds bridge.lex.
// Throws doppel::Error (kNotFound) when the store has no embeddings (indexed without the
// bridge model), or when its vector index is missing though features are stored (the message
// says so: the next doppel index on the store rebuilds it).
// Memory: with glibc, the call sets the process's malloc (mallopt, for the rest of the process,
// as a long matching run wants it) to one arena for all threads, blocks of 1 MiB or more mapped
// on their own, and the heap trimmed above 64 MiB free; between its phases it gives free heap
// pages back (malloc_trim). Arenas other threads made before the call stay theirs.
TranslationSearch find_stored_translations(const Store& store, const std::string& models_dir,
                                           const TranslationSearchOptions& options = {},
                                           const ProgressCallback& progress = {});

}  // namespace doppel
