// doppel: finding the versions of a document in other languages.
//
// Terms:
//  - candidate: a document of another language among the k nearest neighbours of a document
//    in the vector index (dense embeddings, index/vector_index.h), searched per target language.
//  - similarity: the exact cosine of the two documents' sparse bridge vectors (TF-IDF weighted
//    language-neutral features, embed/bridge_embedder.h), computed for every candidate
//    (rescoring: the dense vectors only choose whom to look at).
//  - hubness: in high-dimensional spaces some documents are near to everything (short pages,
//    boilerplate); raw similarity ranks them first for many queries.
//  - margin: the ratio margin of Artetxe & Schwenk (2019), which corrects hubness:
//      margin(x, y) = sim(x, y) / ((avg_k sim(x, NN_B(x)) + avg_k sim(y, NN_A(y))) / 2)
//    where NN_B(x) are x's margin_k most similar *other* candidates in y's language B (y
//    itself left out, so the margin says how much y stands out from its competitors; a side
//    with no other candidate is left out of the mean, and with none on either side the margin
//    is 10, "no competition"). A translation stands out: margin above 1.
//    Margin alone links unrelated texts when nothing better exists, so an absolute floor on the
//    similarity applies as well.
//  - anchors: features that survive translation unchanged (numbers, name keys, URLs); their
//    agreement is the cosine of the anchor part of the two vectors.
//  - one-to-one: per pair of languages, pairs are taken greedily by decreasing
//    score * min(margin, 3), each document at most once (a document may still have one version
//    in each other language). One-to-many keeps every candidate pair above the thresholds.
//  - pivot: when x and y are both translations of z (say a German and a Polish page of one
//    English page), x and y are translations of each other, although their own similarity,
//    through two lexicons, is weaker. With `pivot`, every two documents linked to a common
//    document (a pivot) become candidates, supported by the number of pivots they share; per
//    pair of languages they are linked greedily by support, then similarity, each document at
//    most once per language and only where it has no link to that language yet (when their
//    similarity reaches pivot_similarity, and, with a single pivot, their margin reaches
//    pivot_margin). A wrong link so adds one weak candidate at most,
//    instead of joining two groups of versions.
//
//  - search plan: every document searching every other language costs (languages - 1)
//    searches a document, most of them in vain in a pool of many languages that are each
//    translated from one or two (a help manual in 25 languages). With affinity_sample, a
//    sample of each language (affinity_sample documents, spread over it) is searched in every
//    language; the affinity of language A for B is the share of A's sampled documents whose
//    best candidate in B is confident (a similarity above translation_floor and a one-sided
//    margin, against its other candidates there, of at least counterpart_margin). The other
//    documents of A then search B (and those of B search A) only when B is among A's
//    target_languages languages of highest affinity, or A among B's, or the affinity of
//    either for the other reaches target_affinity. So a small language
//    searches its source language and few others, and the source language the languages
//    translated from it: in such a pool about two searches a document instead of one per
//    language. A language no larger than the sample is searched in full (all of it is the
//    sample); so is every pool of two languages.
//    With low_affinity_k, where A searches B though B is not among A's target_languages
//    likeliest languages (B has A among its own, or their affinity reaches target_affinity)
//    and A's affinity for B is under low_affinity, A's documents keep the low_affinity_k most
//    similar of their k candidates in B (the links and the second pass's rescoring of those
//    lists shrink with them): in such a pool the source language searches every language
//    translated from it, yet each of its documents has a version in few of them, while each
//    translated language keeps k candidates in its source. The margin's mean over such a
//    list's fewer competitors is scaled to what margin_k of them average in that pair,
//    measured on its lists that hold more (the sample's). (doppel.dask does the same: its
//    queries carry their pair's plan value to each shard, shard_candidates, and its link stage
//    takes the plan.)
//    (Searching one way only, the large language's lists filled with the documents of the
//    small one that found them, lost a fifth of the links on such a pool: a paragraph's
//    English version is easier to find among the few documents of its language than the
//    other way round, among many English documents that share its paragraphs.)
//
//  - found search: in a pool of one large language and many small ones translated from it
//    (English and 25 languages of a manual), the large language's documents are most of the
//    queries and each has its version in one small language at most: searching all of them
//    in every small language is most of the work, mostly in vain. With found_only_ratio, where
//    a language A holds at least found_only_ratio times the documents of a language B it
//    searches, B's documents search A in full first; then A's documents search B only when
//    one of B's documents found them (lists them, or was given them by the index: with an
//    approximate index, the candidates_for(k) results before the k nearest are kept; sampled
//    documents search in full). A pair (x, y) found from y's side keeps its margin, as x's
//    list in B is complete; only candidates that x alone would have found are lost (its
//    version, when the index did not give x to y: in a large language, many documents are
//    near y). An update (update_candidates) searches A's documents found with no list in B
//    yet, changed or newly found. (doppel.dask does not take this step: its runs search in full.)
//
//  - no counterpart: a document whose version in the other language is missing still has a
//    best candidate there, often one whose own version is missing too; the two stand out
//    against their (even weaker) competitors, so the margin passes them. Their score, though,
//    is far under what true translations of that language pair score. The pool's confident
//    links (one-to-one winners with a margin >= counterpart_margin) give each language pair
//    its typical score (their median; with fewer than counterpart_links of them, the lower of
//    the two languages' medians over all their pairs, else the median of all confident links;
//    with fewer than counterpart_links in the whole pool, no floor),
//    and a link scoring under counterpart_ratio times it is no translation (per-pair score
//    calibration, as bitext mining sets its threshold from the score distribution) when its
//    documents also look unlike versions of each other: the shorter one is under
//    counterpart_length_ratio of the other's length, or both are longer than short_length.
//    Two short texts of similar length are spared: a few words score anywhere. So is a short
//    text whose version is two to six times longer (a paragraph and its wordier translation),
//    which scores low for its length alone; a short text against a whole document (man page
//    against a help paragraph: under a sixth of its length) is not.
//
// Labels: `translation` (one-to-one winner with score >= translation_floor() and margin
// >= translation_margin, score >= counterpart_ratio * the pair's typical score, lengths comparable), `partial` (the same, but the shorter document has
// less than partial_length_ratio of the other's length), `same-story` (similarity >=
// related_similarity but not a translation). Pairs below related_similarity are not reported.
// Same-story pairs are capped: each document keeps at most same_story_per_doc of them, the
// best-scored (limit_same_story), so a person reads a document's few related documents, not
// every pair above a low floor.
//
// score, in [0, 1]: the similarity, raised or lowered by anchor agreement:
//     score = (1 - anchor_weight) * similarity + anchor_weight * anchors  (when both have anchors),
// plus url_weight when the two documents' URLs are the same but for a language code
// (match/url_evidence.h; only for pairs found on content).
//
// Thread safety: a Matcher is immutable; match() may run from many threads at once on the same
// vectors when it has no VectorsNeeded hook (below). With a hook, one call at a time on a given
// set of vectors: the hook fills vectors the matcher holds as const (DenseRows::placed may
// reallocate its rows).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "doppel/embed/sparse_vector.h"
#include "doppel/match/candidate_table.h"
#include "doppel/match/dense_rows.h"
#include "doppel/index/vector_index.h"

namespace doppel {

struct MatcherOptions {                    // spec key (every field has one, named as the field)
    static constexpr const char* kName = "matcher";
    std::size_t k = 10;                   // k: candidates per document and target language
    std::size_t margin_k = 8;             // margin_k: competitors averaged in the margin's denominator
    float related_similarity = 0.08f;     // related_similarity: floor, pairs below are not reported
    float translation_similarity = 0.08f; // translation_similarity: score floor for translation /
                                          // partial (short texts)
    float long_translation_score = 0.15f; // long_translation_score: score floor for long texts
                                          // (see translation_floor)
    float short_length = 50;              // short_length: length (concept tokens) up to which
                                          // texts are short
    float long_length = 300;              // long_length: length from which texts are long
    float translation_margin = 1.20f;     // translation_margin: ratio margin needed for
                                          // translation / partial
    float partial_length_ratio = 0.25f;   // partial_length_ratio: shorter/longer length below
                                          // this: partial
    float anchor_weight = 0.15f;          // anchor_weight: weight of anchor agreement in the score
    float url_weight = 0.05f;             // url_weight: added to the score of a candidate pair whose
                                          // URLs are the same but for a language code (URL
                                          // evidence, as CCAligned); never makes a candidate
    bool one_to_one = true;               // one_to_one: 1, or 0 for one-to-many
    bool same_story = true;               // same_story: 1 to report same-story pairs
    bool pivot = true;                    // pivot: 1 to close translation links over pivots (below)
    float pivot_similarity = 0.05f;       // pivot_similarity: similarity floor for a pair found
                                          // through a pivot
    float pivot_margin = 1.4f;            // pivot_margin: ratio margin a pair with a single pivot
                                          // must reach
    std::size_t same_story_per_doc = 5;   // same_story_per_doc: most same-story pairs a document
                                          // is in (its best-scored); 0 = unlimited
    float counterpart_ratio = 0.4f;       // counterpart_ratio: a translation's score must reach
                                          // this share of its language pair's typical score
                                          // (no counterpart, above); 0 = off
    float counterpart_margin = 2.0f;      // counterpart_margin: margin of the confident links
                                          // the typical score is taken from
    std::size_t counterpart_links = 10;   // counterpart_links: confident links a language pair
                                          // (or language) needs for a typical score of its own
    float counterpart_length_ratio = 0.16f; // counterpart_length_ratio: shorter/longer length
                                          // under this: lengths disagree (no-counterpart rule)
    std::size_t affinity_sample = 256;    // affinity_sample: documents per language searched in
                                          // every other language to plan the search (search plan,
                                          // above); 0 = every document searches every language
    std::size_t target_languages = 2;     // target_languages: languages of highest affinity each
                                          // language's pairs are searched with; 0 = every pair
    float target_affinity = 0.2f;         // target_affinity: affinity (either way) from which a
                                          // pair of languages is searched whatever its rank
    float found_only_ratio = 0;           // found_only_ratio: a language with at least this many
                                          // times the documents of a language it searches searches
                                          // it with the documents found from there only (found
                                          // search, above); 0 = off
    std::size_t low_affinity_k = 5;       // low_affinity_k: candidates a document keeps in a
                                          // target searched for the target's sake, of affinity
                                          // under low_affinity (search plan, above); 0 = k
    float low_affinity = 0.5f;            // low_affinity: affinity under which such a list keeps
                                          // low_affinity_k candidates

    // Spec "matcher:k=10,margin_k=8,..." (keys above; missing keys keep their defaults; "matcher"
    // alone gives the defaults). Throws doppel::Error (kBadSpec) on another name, an unknown key
    // or a value that is not a number.
    static MatcherOptions parse_spec(const std::string& spec);
    // The spec of every field, in the order above; parse_spec(describe()) gives these options back.
    std::string describe() const;
};

enum class LinkLabel { kTranslation, kPartial, kSameStory };
const char* to_string(LinkLabel label);

// One document to match: its seq (its id in the vector index), matching language, and length
// (any unit comparable across languages; the bridge uses its count of concept features).
struct MatchDocument {
    int64_t seq = 0;
    std::string lang;
    float length = 0;
    std::string url;  // where it came from, "" when unknown (URL evidence)
};

struct TranslationLink {
    std::size_t a = 0, b = 0;  // positions in the documents passed to match()
    float score = 0;           // in [0, 1]
    float similarity = 0;      // exact sparse cosine
    float margin = 0;          // ratio margin
    float anchors = 0;         // anchor agreement in [0, 1]; -1 when one side has no anchors
    LinkLabel label = LinkLabel::kSameStory;
    bool url_evidence = false; // the URLs are the same but for a language code (+url_weight)
};

// What link() keeps for a later relink() (an incremental run, ops/translations.h): per language
// pair, in link()'s order ((0, 1), (0, 2), ..., (1, 2), ... of table.languages), its
// no-counterpart floor; and the strong candidate links of every pair, those that pass the
// score, margin and floor thresholds, each labelled translation or partial where one-to-one
// took it, same-story where not (a in the first language of its pair, b in the second).
struct LinkState {
    std::vector<float> floors;
    std::vector<TranslationLink> strong;
};

// An incremental run's hook (ops/translations.h weighs only the documents a step reads): called
// from the calling thread, before a step of the matcher reads them, with the positions of the
// documents whose sparse vectors or dense rows it is about to read (a position may come more
// than once, or again in a later call; lengths, MatchDocument::length, must be there already).
// The callback fills them in place, in the spans and DenseRows the matcher was given
// (DenseRows::placed). Empty: every document's vectors are there.
using VectorsNeeded = std::function<void(std::span<const uint32_t>)>;

class Matcher {
public:
    explicit Matcher(MatcherOptions options = {}, VectorsNeeded need = {})
        : options_(options), need_(std::move(need)) {}
    const MatcherOptions& options() const { return options_; }

    // docs[i] has dense vector dense[i * index.dim() ...] (as in the index) and weighted,
    // L2-normalized sparse vector sparse[i]. Documents of the same matching language are never
    // linked. Returns links in no particular order.
    // match() is link(docs, sparse, candidates(index, docs, dense, sparse)); the two phases are
    // callable apart for runs that search the index elsewhere (doppel.dask: one shard per language).
    std::vector<TranslationLink> match(const VectorIndex& index, std::span<const MatchDocument> docs,
                                       const float* dense, std::span<const SparseVector> sparse) const;
    // The same with the dense vectors in either form of DenseRows (match/dense_rows.h; the
    // same links for the same vectors).
    std::vector<TranslationLink> match(const VectorIndex& index, std::span<const MatchDocument> docs,
                                       const DenseRows& dense, std::span<const SparseVector> sparse) const;

    // Phase 1: every document's k candidates per other language: the k nearest in the index
    // (approximate results re-ranked by the exact dense similarity), rescored exactly (sparse),
    // in the languages the search plan gives it (above).
    // The sorted matching languages of docs.
    static std::vector<std::string> languages_of(std::span<const MatchDocument> docs);
    CandidateTable candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const float* dense,
                              std::span<const SparseVector> sparse) const;
    CandidateTable candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const DenseRows& dense,
                              std::span<const SparseVector> sparse) const;
    // Phase 1 for one target language `lang` of `shard` (an index whose ids are seqs of docs):
    // the candidates of docs[queries[j]] there, as candidates() finds them. `docs` holds the
    // queries and every document of the shard (any others are ignored); dense and sparse as in
    // match(). plan[j] (empty: every query 1): the search plan's value for the pair of
    // docs[queries[j]]'s language and `lang` (CandidateTable::searched, or search_plan()); where
    // it searches for few (CandidateTable::is_few) the query keeps the low_affinity_k most
    // similar of its k candidates, as candidates() keeps them. Result j: positions in docs, best
    // first. Throws doppel::Error (kInvalidArgument) on a plan of another length than queries.
    std::vector<std::vector<MatchCandidate>> shard_candidates(const VectorIndex& shard, const std::string& lang,
                                                              std::span<const MatchDocument> docs,
                                                              std::span<const std::size_t> queries, const float* dense,
                                                              std::span<const SparseVector> sparse,
                                                              std::span<const char> plan = {}) const;
    // The search plan (above) in its two steps, for runs that search the index elsewhere
    // (doppel.dask); candidates() takes the same steps. search_sample: per document, whether it
    // is in the sample (searched in every other language); empty when docs get no plan (every
    // document searches every other language): affinity_sample or target_languages 0, two
    // languages or fewer, or none larger than affinity_sample.
    std::vector<char> search_sample(std::span<const MatchDocument> docs) const;
    // The plan (CandidateTable::searched over languages_of(docs)) from the sample's candidates:
    // `table` (of docs) holds every sampled document's lists in every other language, as
    // candidates() finds them; no other list is read. Empty when docs get no plan.
    std::vector<char> search_plan(std::span<const MatchDocument> docs, const CandidateTable& table) const;
    // Phase 1 again after some documents changed (changed[i] != 0: docs[i]'s vectors are new and
    // the index holds them; every document's sparse vector may have moved a little, as when the
    // frequencies change). table is the candidate table of the vectors before, updated in place:
    //  - a changed document is searched again in every language its language searches
    //    (table.searched; with a plan, the sampled documents too search only those);
    //  - an unchanged one keeps its candidates, their similarities computed again (sparse; a
    //    pair that a changed document's search found takes the similarity found there, the same
    //    float, and the offers below take theirs from the changed document's list);
    //  - a changed document y that finds an unchanged x among its candidates is offered to x's
    //    list in y's language: taken when the list is short of k, or in place of the entry of
    //    lowest dense similarity to x when y's is higher (neighbourhoods are mostly mutual, so
    //    the lists of x that an exact search would change are those y reaches).
    // With every document changed this is candidates() (with a plan, but for the sample's lists in
    // the languages it does not plan); it costs the search of the changed ones.
    // `again` (empty: every language): per language pair of table.languages (again[s * L + t],
    // L languages; again_row), whether the changed documents of language s search language t
    // again; their lists in a language it does not flag are kept, rescored, as an unchanged
    // document's (the second pass's learn:rematch_rewritten=0).
    // keep_scores: an unchanged document's list keeps the similarities it holds (re-sorted, not
    // computed again: an incremental run's saved lists, ops/translations.h), so the update costs
    // the changed documents' work only.
    // Values of `again`: the changed documents' lists in a language kept (rescored), searched
    // again, or dropped (emptied, not searched: such pairs link only through pivots).
    static constexpr char kKeepList = 0, kSearchList = 1, kDropList = 2;
    // The flags of `again` (as above) for the documents of language `source` of `languages`:
    // one per target language (empty when `again` is).
    static std::span<const char> again_row(std::span<const char> again, std::size_t languages, std::size_t source) {
        return again.empty() ? again : again.subspan(source * languages, languages);
    }
    // Whether a document's list in language `target` is dropped by `row` (again_row of its
    // language): the document changed and `row` marks target kDropList. The one home of that rule
    // (update_candidates applies it; an incremental run's second pass takes no such list).
    static bool drops_list(std::span<const char> row, bool changed, std::size_t target) {
        return changed && !row.empty() && row[target] == kDropList;
    }
    void update_candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const float* dense,
                           std::span<const SparseVector> sparse, std::span<const char> changed,
                           CandidateTable& table, std::span<const char> again = {}) const;
    void update_candidates(const VectorIndex& index, std::span<const MatchDocument> docs, const DenseRows& dense,
                           std::span<const SparseVector> sparse, std::span<const char> changed,
                           CandidateTable& table, std::span<const char> again = {},
                           bool keep_scores = false) const;
    // update_candidates without the search, for candidates found elsewhere (an incremental run,
    // ops/translations.h: the added documents' lists of the first pass seed the second's):
    // changed documents' lists already hold their candidates; every list is rescored (sparse)
    // and re-sorted, and each changed document is offered to the lists of the unchanged
    // documents it lists, as update_candidates offers it. keep_scores: only the changed
    // documents' lists are rescored; the others keep their similarities (as update_candidates).
    void merge_candidates(std::span<const MatchDocument> docs, const DenseRows& dense,
                          std::span<const SparseVector> sparse, std::span<const char> changed,
                          CandidateTable& table, bool keep_scores = false) const;
    // Phase 2: candidate pairs (both directions) above related_similarity with their margins,
    // labelled per language pair (one-to-one), closed over pivots, same-story links limited.
    // table.languages must be languages_of(docs).
    // With `keep`, what a later relink() needs is left there.
    std::vector<TranslationLink> link(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                                      const CandidateTable& table, LinkState* keep = nullptr) const;
    // Phase 2 again after some documents' lists changed (changed[i] != 0; every other list, and
    // the documents' lengths, as when `state` was kept by link() or relink(), on documents
    // placed onto these): the links link() would give with state's floors (not computed again:
    // they are medians over every pair), at the cost of the changed documents' pairs. Strong
    // links of two unchanged documents are kept as they were scored; those of the pairs with a
    // changed document are made again from the lists; per language pair, the components of the
    // strong links (documents joined by one) that hold a changed document, or one that lost a
    // strong link, are labelled again by one-to-one, the others keep their labels (greedy
    // one-to-one decides within a component); pivots are closed over every link. `state` becomes
    // this table's. With same_story, or a state of other languages, this is link(docs, sparse,
    // table, &state) (same-story pairs are every candidate pair: they are not kept).
    std::vector<TranslationLink> relink(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                                        const CandidateTable& table, std::span<const char> changed,
                                        LinkState& state) const;

    // Keeps each document's best same_story_per_doc same-story links: links taken by decreasing
    // score (ties: positions), a same-story link kept only while both its documents are in
    // fewer than same_story_per_doc kept ones; translation and partial links are all kept.
    // Order of the rest is kept. match() applies it; call it again after relabelling links.
    void limit_same_story(std::vector<TranslationLink>& links) const;

    // The ratio margin of a similarity given the two neighbourhood averages.
    static float margin(float similarity, float avg_a, float avg_b);
    // The score a pair needs for translation / partial: translation_similarity when the shorter
    // text is short, rising linearly to long_translation_score for long texts (chance overlap
    // of unrelated long texts on one topic is higher, and translations of long texts share
    // more of their vocabulary, so long pairs must score higher).
    float translation_floor(float length_a, float length_b) const;
    // The no-counterpart floor of each language pair (counterpart_ratio times its typical score;
    // all 0 when the rule is off), from confident[p]: the scores of lang_pairs[p]'s confident
    // links (reordered; see the class comment for the typical score and its fallbacks);
    // `languages`: how many languages the pairs index. link() applies it.
    std::vector<float> typical_floors(std::span<const std::pair<std::size_t, std::size_t>> lang_pairs,
                                      std::size_t languages, std::vector<std::vector<float>>& confident) const;

    // A document's anchor features (names, numbers, URLs: one range of its sorted ids) and the
    // sum of their squared weights, read once per link() for every pair the document is in.
    struct AnchorRange {
        uint32_t begin = 0, end = 0;
        double norm2 = 0;
    };
    using AnchorRanges = std::vector<AnchorRange>;
    static AnchorRange anchor_range_of(const SparseVector& v);
    // Every document's, on all cores.
    static AnchorRanges anchor_ranges(std::span<const SparseVector> sparse);

private:
    class PairLinks;  // link()'s language pairs and their candidate links (matcher.cpp)
    // Asks the VectorsNeeded hook (when set) for every document's vectors (a step that reads all).
    void need_all(std::size_t n) const;
    // A candidate pair's link: its similarity, margin, anchor agreement and score (unlabelled);
    // `anchors`: every document's AnchorRange, or empty (read from `sparse` for this pair).
    TranslationLink make_link(std::size_t a, std::size_t b, float sim, float margin,
                              std::span<const SparseVector> sparse, const AnchorRanges& anchors) const;
    // Whether the no-counterpart floor applies to documents of these lengths: lengths that
    // disagree (under counterpart_length_ratio), or both above short_length.
    bool counterpart_applies(float length_a, float length_b) const;
    // kPartial when the shorter document is under partial_length_ratio of the other, else kTranslation.
    LinkLabel length_label(float length_a, float length_b) const;
    // Labels the candidate links of one language pair (greedy one-to-one by margin-weighted
    // score, a translation scoring at least `typical_floor`) and appends those reported to out.
    // With strong_links, every strong link is appended there too, labelled (relink()).
    void label_links(std::span<const MatchDocument> docs, std::vector<TranslationLink>& links, float typical_floor,
                     std::vector<TranslationLink>& out, std::vector<TranslationLink>* strong_links = nullptr) const;
    // Whether a candidate link passes the thresholds of translation / partial (score floor for
    // its lengths, translation_margin, the pair's no-counterpart floor), one-to-one aside.
    bool strong(std::span<const MatchDocument> docs, const TranslationLink& l, float typical_floor) const;
    // The scores of one language pair's confident links (one-to-one winners with a margin of
    // counterpart_margin or more, labelled without the no-counterpart rule); `candidates` reordered.
    std::vector<float> confident_scores(std::span<const MatchDocument> docs,
                                        std::vector<TranslationLink>& candidates) const;
    void close_over_pivots(std::span<const MatchDocument> docs, std::span<const SparseVector> sparse,
                           const AnchorRanges& anchors,
                           const std::function<float(std::size_t, std::size_t, float)>& margins,
                           std::vector<TranslationLink>& out) const;
    MatcherOptions options_;
    VectorsNeeded need_;
};

}  // namespace doppel
