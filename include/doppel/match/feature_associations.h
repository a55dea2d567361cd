// doppel: word associations learned from the pool itself, for a second matching pass.
//
// The bridge lexicon misses words: a domain's terms ("tập tin", file; "trình đơn", menu), new
// words, spellings. A word it does not know becomes a feature of its own language alone (read
// as English, or a raw token), so it adds nothing to the similarity with the document's
// versions. But once a first matching pass has linked documents, the linked pairs are a small
// parallel corpus, and a word that keeps appearing where the other side has one English concept
// is, most likely, a translation of it. hunalign's "realign" builds its dictionary this way from
// a first alignment; this is the same idea over documents.
//
// Terms:
//  - confident pair: a pair the first pass labelled translation or partial with a ratio margin
//    of at least min_margin.
//  - exclusive feature of language A: one that documents of A hold far more often than all
//    other documents together (df elsewhere <= exclusive_ratio * df in A): an unknown word.
//  - association f -> g, for a language A other than English: f an exclusive concept or token
//    feature of A, g a concept feature of the other side of A's confident pairs, scored by the
//    Dice coefficient 2 n(f,g) / (n(f) + n(g)) over those pairs (n: how many pairs hold it on
//    that side). f keeps its best g when n(f,g) >= min_count and Dice >= min_dice. Associations
//    are accepted best first; one whose target is another's source (or the reverse) is dropped,
//    so two rewrites never undo each other.
//  - false sense of A: a concept feature of A that A's side of its confident pairs holds at least
//    prune_count times while the other side holds it in under prune_share of those pairs. The
//    lexicon reads a word as all its dictionary senses (Vietnamese "các", a plural marker, as
//    card, service, root; "để", to, as put, preserve): where translations never show a sense, it
//    only meets unrelated documents by chance.
//  - apply: in every document of A, each source feature's count moves to its target, and each
//    false sense of A is removed (but for the sources and targets of associations). English
//    documents are never rewritten: English concepts are the space the bridge maps into.
//  - kept first-pass link: the second pass matches every document again, and the rewritten
//    features lift all of a domain's documents a little, so a pair the first pass linked with
//    a clear margin can fall under the margin against its lifted competitors. When the second
//    pass links neither of its documents to anything, nothing contradicts the first pass, and
//    its link (margin >= keep_first_margin) is kept. Where either document has found versions
//    in the second pass, the first pass's link is not kept: the second pass's groups (closed
//    over pivots) left it out.
//
// Plain value; thread safety: const methods may run from many threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "doppel/embed/sparse_vector.h"

namespace doppel {

struct FeatureAssociationOptions {   // spec key (every field has one, named as the field)
    static constexpr const char* kName = "learn";
    float min_margin = 1.2f;          // min_margin: first-pass margin of a confident pair
    std::size_t min_pairs = 20;       // min_pairs: fewer confident pairs for a language: learn nothing
    std::size_t min_count = 3;        // min_count: pairs an association must be seen in
    float min_dice = 0.3f;            // min_dice: Dice coefficient an association must reach
    float exclusive_ratio = 0.1f;     // exclusive_ratio: df elsewhere / df in the language, at
                                      // most, for a source
    std::size_t max_targets = 64;     // max_targets: per document, the highest-weighted concepts
                                      // considered
    float new_link_margin = 1.4f;     // new_link_margin: margin a second-pass link the first pass
                                      // did not make needs
    std::size_t prune_count = 10;     // prune_count: confident pairs a false sense must be seen in
    float prune_share = 0.0f;         // prune_share: share of those pairs whose other side holds a
                                      // concept, under which it is a false sense and removed;
                                      // 0 = never
    float keep_first_margin = 1.2f;   // keep_first_margin: a first-pass link of at least this
                                      // margin whose two documents the second pass links to
                                      // nothing is kept; 0 = never
    float rematch_similarity = 1.0f;  // rematch_similarity: the second pass searches a rewritten
                                      // document again when the cosine of its weighted vectors
                                      // before and after is under this; above, it keeps its
                                      // first-pass candidates, rescored (1 = every one changed)
    float rematch_margin = 0.0f;      // rematch_margin: the second pass does not search again a
                                      // rewritten document the first pass linked (translation
                                      // or partial) with at least this margin; it keeps its
                                      // first-pass candidates, rescored (0 = off)
    std::size_t rematch_rewritten = 3;  // rematch_rewritten: 1 = a document searched again searches
                                        // every language its language searches; 0 = only the
                                        // languages apply() leaves as they are (English): its
                                        // lists in rewritten languages keep their first-pass
                                        // candidates, rescored; 2 = only those too, its lists in
                                        // rewritten languages dropped (pairs of two rewritten
                                        // languages are linked through pivots only; as 1 for
                                        // every language when a rewritten language searches no
                                        // unrewritten one); 3 = as 2, but such a language alone
                                        // searches as with 1 (the others drop)

    // Spec "learn:min_margin=1.2,min_pairs=20,..." (keys above; missing keys keep their
    // defaults). Throws doppel::Error (kBadSpec) on another name, an unknown key or a value that
    // is not a number.
    static FeatureAssociationOptions parse_spec(const std::string& spec);
    // The spec of every field; parse_spec(describe()) gives these options back.
    std::string describe() const;
};

struct FeatureAssociation {
    uint64_t source = 0, target = 0;
    uint32_t count = 0;  // confident pairs holding both
    float dice = 0;
};

class FeatureAssociations {
public:
    FeatureAssociations() = default;

    // Learns from raw feature counts (one vector per document, as stored, of language langs[i])
    // and the first pass's confident pairs (positions into counts). Documents of the same language
    // are never a pair; English is never a source language.
    static FeatureAssociations learn(std::span<const SparseVector> counts, std::span<const std::string> langs,
                                     std::span<const std::pair<std::size_t, std::size_t>> pairs,
                                     const FeatureAssociationOptions& options = {});

    // Raw counts of a document of language `lang` with every source feature moved to its target.
    SparseVector apply(const SparseVector& counts, const std::string& lang) const;

    // The associations of one language, best first.
    std::vector<FeatureAssociation> of(const std::string& lang) const;
    // The false senses of one language (features apply() removes), ascending.
    std::vector<uint64_t> dropped(const std::string& lang) const;
    std::size_t size() const;  // associations, all languages
    // Whether apply() may change documents of `lang` (it has associations or false senses).
    bool rewrites(const std::string& lang) const { return by_lang_.count(lang) > 0 || dropped_.count(lang) > 0; }
    // The languages with associations or false senses, sorted.
    std::vector<std::string> languages() const;
    // Rebuilding a set saved elsewhere (ops/translation_state.h): association a of language
    // `lang`, and a false sense of it. Nothing is checked: the saved set was learned whole.
    void add(const std::string& lang, const FeatureAssociation& a) { by_lang_[lang][a.source] = a; }
    void drop(const std::string& lang, uint64_t feature) { dropped_[lang].insert(feature); }
    // Neither associations nor false senses: apply() changes nothing.
    bool empty() const { return by_lang_.empty() && dropped_.empty(); }

private:
    std::unordered_map<std::string, std::unordered_map<uint64_t, FeatureAssociation>> by_lang_;
    std::unordered_map<std::string, std::unordered_set<uint64_t>> dropped_;
};

}  // namespace doppel
