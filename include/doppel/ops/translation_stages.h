// doppel: `doppel translations` split into stages over parts of the input, for runs spread
// across processes or machines (the Python module's doppel.dask.translations). Each stage is a
// batched call on plain data; fed the documents in the order a store holds them, the stages give
// the pairs of find_stored_translations() (ops/translations.h) on a store indexed from them.
//
// The stages (a part is any slice of the input, in reading order; positions are then global: a
// part's offset plus the position in it):
//  1. features:    featurize_documents(part): language ID and analysis (analyze_document, as
//                  `doppel index`), raw bridge feature counts and matching languages (what the
//                  index's EmbeddingStage stores).
//  1b. relatives:  regroup_relatives() over the matching languages of every document (the whole
//                  input's counts): minor relatives matched as their family's main language.
//  2. frequencies: DocumentFrequencies::add of every document's counts, summed over the parts.
//  3. weigh:       weigh_for_matching() per document with those frequencies: the weighted sparse
//                  vector, the dense vector and the length that the matcher takes.
//  4. candidates:  per matching language, a shard: an index of its documents' dense vectors,
//                  searched by the documents of other languages (Matcher::shard_candidates,
//                  match/matcher.h) as the search plan (matcher.h) gives them, which makes the
//                  CandidateTable that Matcher::candidates() makes on one machine. In the first
//                  pass, in three steps (Matcher::candidates() takes the same ones):
//                  4a. sample: Matcher::search_sample() over every document's matching language
//                      (empty: no plan, every document searches every shard, 4b is skipped); the
//                      sampled documents searched in every other language's shard;
//                  4b. plan:   Matcher::search_plan() over the sample's candidates (the table of
//                      every document, only the sample's lists filled, with stage 3's lengths):
//                      which languages' documents search which shard, and for how many
//                      candidates (CandidateTable::searched: 2 for few, low_affinity_k);
//                  4c. the other documents searched in the shards planned for their language,
//                      each query with its pair's plan value (shard_candidates' `plan`: it keeps
//                      low_affinity_k candidates where the plan says few); the sample's
//                      candidates from 4a kept (all of them, planned or not, k each).
//                  The second pass keeps the first pass's plan: every document, sampled or not,
//                  searches the shards planned for its language (as update_candidates() with
//                  every document changed).
//  5. link:        Matcher::link over the whole table, its `searched` the plan of 4b in both
//                  passes (margins, scaled in the pairs searched for few; one-to-one, pivots).
//  6. learn:       confident_pairs() of the links, FeatureAssociations::learn and apply
//                  (match/feature_associations.h); 2-5 again on the rewritten counts, then
//                  second_pass_labels() and Matcher::limit_same_story.
//  7. finish:      translation_pairs(): the links as pairs of ids, sorted.
//
// Thread safety: the calls share no state; featurize_documents runs worker threads
// (impl::parallel_for) over `threads` (0: all cores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "doppel/document.h"
#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/feature_artifacts.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/match/matcher.h"
#include "doppel/ops/translations.h"

namespace doppel {

// Stage 1: what `doppel index` stores of each document for translations.
struct TranslationFeatures {
    std::vector<std::string> ids;
    std::vector<std::string> langs;        // the document's language (as the store records it)
    std::vector<std::string> match_langs;  // the language it is matched under (BridgeEmbedder::matching_language)
    std::vector<std::string> urls, titles, dates;  // metadata, "" when unknown
    std::vector<SparseVector> counts;      // raw bridge feature counts
};
// `embedder_spec` as `doppel index` records it (store metadata "embedder"; "" = the index's
// default, EmbeddingStageOptions::embedder); models_dir holds bridge.lex.
TranslationFeatures featurize_documents(std::vector<Document> docs, const LanguageIdentifier& langid,
                                        const std::string& embedder_spec, const std::string& models_dir,
                                        std::size_t threads = 0);
// The bridge spec featurize_documents uses for `embedder_spec` (the default filled in).
std::string translation_embedder_spec(const std::string& embedder_spec);

// Stage 1b (and find_stored_translations' phase 1b): minor relatives matched as their family's
// main language. The documents of each language in `match_langs` (one entry per document, the
// whole collection) are counted, merge_minor_relatives(counts, minor_share)
// (langid/language_relatives.h) names the language each is matched as, and the entries are
// rewritten in place. Returns whether any changed. minor_share as
// TranslationSearchOptions::minor_relative_share (0 or less: nothing changes).
bool regroup_relatives(std::vector<std::string>& match_langs, double minor_share);

// Stage 3, one document: the weighted sparse vector of raw `counts` (TF-IDF with the embedder's
// frequencies, joined with the document's word-vector embedding where `vectors` holds one for
// `seq`), its dense form into dense[embedder.dim()], and its length, the count of concept
// features (MatchDocument::length). Const on the embedder: may run from many threads.
float weigh_for_matching(const BridgeEmbedder& embedder, SparseVector counts, const StoredVectors& vectors,
                         int64_t seq, SparseVector& sparse, float* dense);
// A document's length as weigh_for_matching gives it: the count of concept features in its raw counts.
float matching_length(const SparseVector& counts);

// Stage 6: the first pass's links the associations are learned from (positions), and the second
// pass's rule: a link the first pass did not make rests on learned evidence, which lifts the
// similarity of every document of a domain a little, so it must reach
// associations.new_link_margin or it is same-story (dropped without matcher.same_story).
std::vector<std::pair<std::size_t, std::size_t>> confident_pairs(const std::vector<TranslationLink>& links,
                                                                 const FeatureAssociationOptions& options);
// spared[i] != 0 (empty: none): document i was not searched again (learn:rematch_margin; it
// kept its first-pass candidates, rescored, which make weaker competitors than a search finds,
// so its margins run high); a link the first pass did not make between two spared documents is
// same-story too.
// Then a first-pass link (margin >= associations.keep_first_margin, > 0) whose two documents
// the second pass links to no document at all (no translation or partial link) is kept as the
// first pass made it, replacing the pair's same-story link if there is one.
void second_pass_labels(std::vector<TranslationLink>& links, const std::vector<TranslationLink>& first,
                        const TranslationSearchOptions& options, std::span<const char> spared = {});

// Stage 6, before 2-5 run again: what a rewritten document (of a language `learned` rewrites)
// does with its list in each language, per language pair of table.languages (L of them):
// again[s * L + t] is Matcher::kSearchList, kKeepList or kDropList for the documents of s in t
// (Matcher::update_candidates' `again`); empty: every document searches again every language its
// language searches. associations.rematch_rewritten=1 gives empty; 0, 2 and 3 search again only
// the languages no association rewrites (English, the pivot) and keep (0) or drop (2, 3: such
// pairs are linked through their pivots) the lists between two rewritten languages. Dropping
// needs a pivot: a rewritten language that searches (table.searches) no unrewritten one falls
// back to searching every language again, alone (3, the default) or with every other language
// (2: empty). The diagonal again[s * L + s] is kSearchList where s's documents drop or keep
// nothing (s unrewritten, or fallen back).
std::vector<char> languages_searched_again(const CandidateTable& table, const FeatureAssociations& learned,
                                           const FeatureAssociationOptions& associations);

// Stage 7: the links as pairs, ids[l.a] and ids[l.b] ordered so that id_a < id_b bytewise, their
// languages from langs; sorted by (id_a, id_b).
std::vector<TranslationPair> translation_pairs(const std::vector<TranslationLink>& links,
                                               std::span<const std::string> ids, std::span<const std::string> langs);

}  // namespace doppel
