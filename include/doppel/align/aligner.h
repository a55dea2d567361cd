// doppel: aligning two versions of a document unit by unit, with scores.
//
// Usage:
//   auto aligner = doppel::Aligner::from_spec(doppel::Aligner::kDefaultSpec, "models");
//   doppel::AlignSide a{units_of_a, "de"}, b{units_of_b, "fr"};
//   doppel::Alignment al = aligner->align(a, b);
//   for (const doppel::Bead& bead : al.beads) ...  // bead.a_begin..a_end : bead.b_begin..b_end
//   al.label  // translation, partial, same-story or none
//
// Terms:
//  - unit: a line, sentence or paragraph (align/units.h); the aligner takes the texts of the
//    units of each side.
//  - bead: consecutive units [a_begin, a_end) of A matched with consecutive units
//    [b_begin, b_end) of B. Its type is "la-lb" (the numbers of units on each side): 1-1, 1-2,
//    2-1, 2-2, ... up to AlignerOptions::max_side units on a side; 1-0 and 0-1 beads hold a unit
//    that has no counterpart (an insertion or deletion). The beads of an alignment cover every
//    unit of both sides exactly once, in document order (monotonic alignment).
//  - anchor: a piece of text that translation keeps (numbers, names, URLs, some punctuation;
//    align/anchor_encoder.h); with cognates, dictionary translations through English concepts
//    (align/bridge_encoder.h) and direct word pairs of two languages (align/pair_encoder.h)
//    they make the unit similarity (align/unit_encoder.h).
//  - coverage: the share of a side's characters that lies in aligned beads (not 1-0/0-1) whose
//    score is at least AlignerOptions::aligned_score.
//
// The method. A dynamic program finds the sequence of beads of least total cost. A bead's cost
// adds (1) its dissimilarity, 1 - cosine of the summed feature vectors of its two sides, times
// the number of units it holds over two; features found in one document only are left out
// (unshared_weight), as they could only dilute the cosine; (2) a Gale-Church length cost,
// -log P(|delta|) of the standardized difference between the character lengths of its sides,
// with the expected ratio of lengths estimated from the two documents themselves (so it adapts
// to each language pair); (3) merge_cost per unit beyond 1-1, and member_weight for each merged
// unit whose own cosine with the other side is under member_floor (so that a stray line is left
// unaligned rather than glued to a good neighbour; a unit without features has no evidence
// either way and pays nothing). A 1-0 or 0-1 bead costs skip_cost; with skip_length > 0 (off
// by default) it costs skip_cost times its unit's length over skip_length, clamped to
// [skip_short, skip_long], so that a long sentence is dearer to leave alone than a scrap.
// The search is coarse-to-fine, as in Vecalign (Thompson and Koehn 2019): when the full lattice
// of positions (units of A + 1) x (units of B + 1) exceeds max_full_cells, consecutive units are
// merged pairwise into blocks (their feature vectors and lengths summed, the coarse_features
// heaviest features kept) until it does not; the coarsest level is searched in full, and each
// finer level only within `band` units of the path found one level up. Time and memory then
// grow linearly with the length of the documents. Unit similarities inside the band are
// computed once per level into a banded matrix (Eigen; sparse feature vectors are Eigen sparse
// matrices, one row per unit). The defaults were tuned on Text+Berg's dev file and checked on
// the Arabic-English seeds.
//
// align() runs four phases, in this order: the unit features (every encoder on both sides,
// idf-weighted sparse rows), the null model (below), the coarse-to-fine search, and the scores
// of the beads and of the pair.
//
// Second pass. A first pass with the options above shows what kind of pair this is. When it
// leaves fewer than clean_nulls of the units of both sides in 1-0/0-1 beads, the pair is a clean
// translation (a book and its translation, not a web page and another site's version with its
// own chrome): a unit left alone is then rarely right, and translators merge and split
// sentences more freely, so the pair is aligned again with skip_cost = clean_skip and beads of
// up to clean_max_side units a side, clean_max_units in all. Only pairs whose lattice is searched
// in full (at most max_full_cells) get this pass: on longer ones it would triple the time. (Tuned on Text+Berg's dev file,
// where the first pass leaves 7% of units alone, against 24-32% on the seed pages; the seeds'
// alignments must not change.)
// The second pass can also (off by default) use word pairs learned from the first pass, as
// hunalign does: with learn > 0 the words of the 1-1 beads scoring at least learn_score are
// counted, and each pair of a word of A and a word of B seen together in at least three of them
// with a Dice coefficient 2n(x,y)/(n(x)+n(y)) of at least learn_dice becomes a feature of both
// sides (weight learn_weight, idf-weighted like the others; at most three pairs per word). With
// member_rel > 0 it calibrates member_floor on the pair: member_rel times the median similarity
// of the first pass's 1-1 beads. On Text+Berg (de-fr, with the bridge lexicon) neither helped on
// the dev file enough to be a default (docs/measurements.md, "Alignment").
//
// Crossing beads (off by default). With cross > 0, after the search two adjacent beads (one of
// them aligned) become one when a side of one shares with the other side of the other at least
// cross null-model spreads above chance (the cosine of the scores, below), at most cross_side
// units a side: a translator who moved a sentence boundary leaves such crossings.
//
// Neighbour margin (off by default). With margin > 0 a bead also pays margin times its number
// of units over two times how far its neighbour similarity (the highest cosine of one side
// with the unit just before or just after the other side) exceeds margin_floor, as Bertalign
// and Vecalign score a bead against its neighbours: a 1-1 bead whose units a neighbour shares
// is likely part of a larger bead. Skipped debris (off by default): a unit that shares no
// feature with the other document pays skip_bare times its skip cost. Neither carried from
// Text+Berg's dev file to test (docs/measurements.md, "Alignment").
//
// Chance baseline (off by default). With base > 0 the cost reads a bead's cosine less base
// times the mean of its two sides' chance similarities, each the mean cosine of that side (the
// merged units summed) with 32 units spread over the other document, as Vecalign normalizes a
// bead's cosine by its sides' cosines with random sentences: a merged side holds more features
// and so shares more with anything. With merge_len > 0 a bead of more than two units pays
// merge_len more times its length cost. Neither carried from Text+Berg's dev file to test
// (docs/measurements.md, "Alignment").
//
// Boundaries. A bead ends where both sides end a sentence, or where both leave one open: a
// translator who splits or joins sentences keeps the text between two full stops together.
// A unit leaves its sentence open when, after closing quotes and brackets, it does not end with
// a full stop, ! ? or an ellipsis (a colon, a semicolon, a word: the sentence splitter cut at a
// colon, or a caption), or when the next unit starts with a lower-case letter. An aligned bead
// one of whose sides ends open while the other is closed pays boundary_weight (the cue is read
// on the last unit of each side; at coarser levels on a block's last unit). On Text+Berg's dev
// file 93% of the gold beads end alike on both sides; 73% of French units followed by a
// lower-case one lie inside a gold bead, against 26% of all.
//
// Lone units (default absorb 0.03, chosen on dev; 0: off). With absorb > 0, after the search (and the crossing merges) a
// unit left alone (a 1-0 or 0-1 bead) next to an aligned bead joins it when the evidence says
// it belongs there: its own cosine with the bead's other side is at least absorb, and the
// joined bead's cosine (one-sided features in the norms, as for scores) is at most absorb_fall
// below the bead's; of two such neighbours, the one whose cosine rises more; at most
// cross_side units a side. The search weighs a skip against a merge by costs that a long
// unit's length term or a merge's cost can tip; this decides by the similarity alone, so a
// sentence shares a bead where it shares words, and debris with nothing in common stays
// alone. It runs in the clean-pair pass only (a page and another site's version leave many
// units alone rightly, and there a low absorb would join chrome to any bead). On Text+Berg's
// dev file every absorb in 0.01-0.05 (absorb_fall 0-0.2) gives 0.911 against 0.900, test0-6
// 0.8997 against 0.8977 (docs/measurements.md); 0.03, the middle of dev's plateau, is the
// default. The converse (default shed 0.03; 0: off), before the absorption: a merged unit at
// the start or end of a bead's side whose neighbour outside the bead is a lone unit of the same
// side leaves the bead, one unit after the other, when its own cosine with the bead's other side
// is under shed (the bead keeps a unit a side). Lone units come in runs (captions, a block the
// other version lacks), and the search, to which a merge costs less than a skip, glues the
// run's last scrap or caption to the bead beside it; a unit that shares evidence with the bead,
// or one whose neighbours are aligned, stays. On Text+Berg's dev file every shed in 0.005-0.04
// gives 0.916 against 0.911 (0.05-0.2: 0.912), test0-6 0.9030 against 0.8997.
//
// Scores. A bead's score is in [0, 1]: how far its similarity (the cosine above, but with the
// one-sided features counted in the norms) stands above what unrelated units of the same two
// documents get. The null model is the median m and scaled median absolute deviation s (at
// least 0.02) of the cosines of 256 pseudo-random unit pairs; the score is
// logistic((sim - m) / s - score_sigmas) * exp(-score_length_weight * length cost), the length
// ratio estimated again from the aligned beads. So a bead whose sides share no more than chance,
// or whose lengths disagree, scores low. Two sides in the same language share their very words
// when one copies the other, so there a similarity under same_language_similarity lowers the
// score in proportion. 1-0 and 0-1 beads score 0. The pair's score is the character-weighted
// mean score of its aligned beads times its mean coverage. The pair's label:
//   translation  both coverages >= translation_coverage;
//   partial      one coverage >= partial_coverage (one side's text largely inside the other,
//                as when a page adds captions and chrome);
//   same-story   little aligned text, but the documents share names, numbers and words: the
//                cosine of their whole-document feature vectors (features found in both
//                documents) >= same_story_similarity;
//   none         otherwise.
//
// Spec string: "dp:KEY=VALUE,...;WEIGHT*ENCODER_SPEC;..." e.g. kDefaultSpec below: the DP
// options (keys as in AlignerOptions' comments) followed by the unit encoders and their weights.
// describe() gives the full spec back.
//
// Thread safety: an Aligner is immutable after construction (add_encoder is construction);
// align() and align_batch() are const and may be called from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "doppel/align/unit_encoder.h"

namespace doppel {

struct AlignerOptions {                // spec key
    int max_side = 3;                  // max_side: most units on one side of a bead (1..4)
    int max_units = 4;                 // max_units: most units in a bead, both sides together
    double skip_cost = 1.0;            // skip: cost of a 1-0 or 0-1 bead
    double skip_length = 0;            // skip_len: a unit of this many characters pays skip_cost
                                       // alone; others in proportion, within [skip_short,
                                       // skip_long] times skip_cost (0: every unit pays skip_cost)
    double skip_short = 0.5;           // skip_short: least share of skip_cost a unit pays alone
    double skip_long = 1.5;            // skip_long: most share of skip_cost a unit pays alone
    double skip_bare = 1;              // skip_bare: share of skip_cost paid by a unit that shares
                                       // no feature with the other document (OCR debris, a
                                       // page's scrap: no evidence that it belongs anywhere)
    double length_weight = 0.2;        // len: weight of the Gale-Church length cost
    double length_variance = 6.8;      // var: Gale-Church variance per character (s^2)
    double merge_cost = 0.3;           // merge: extra cost per unit beyond 1-1 in a bead
    double member_weight = 0.6;        // member: cost of a merged unit with no evidence of its own
    double member_floor = 0.2;         // member_floor: a merged unit's cosine with the other side
                                       // under which it pays (part of) member_weight
    double member_relative = 0;        // member_rel: in the second pass, member_floor becomes
                                       // this times the first pass's median 1-1 similarity (0: kept)
    double unshared_weight = 0.0;      // unshared: weight of features found in one document only
    int band = 8;                      // band: half-width of the coarse-to-fine search band
    std::size_t max_full_cells = 1 << 18;  // full: largest lattice searched in full
    int coarse_features = 128;         // coarse: features kept per block at coarser levels
    double score_sigmas = 1.5;         // sigmas: similarity (in null-model spreads) scoring 0.5
    double same_language_similarity = 0.7;  // same_lang: below this similarity a bead of two
                                       // texts in the same language scores proportionally less
    double score_length_weight = 0.25; // score_len: how much a length mismatch lowers a bead score
    double aligned_score = 0.5;        // aligned: least bead score counted in coverage
    double translation_coverage = 0.6; // translation: least coverage of both sides
    double partial_coverage = 0.6;     // partial: least coverage of one side
    double same_story_similarity = 0.15;  // story: least whole-document feature cosine
    double clean_nulls = 0.15;         // clean: a pair whose first pass leaves fewer than this share
                                       // of its units in 1-0/0-1 beads is a clean translation,
                                       // aligned again with the clean_* values (0: never)
    double clean_skip = 1.3;           // clean_skip: skip_cost of a clean pair
    int clean_max_side = 4;            // clean_side: max_side of a clean pair (1..4)
    int clean_max_units = 6;           // clean_units: max_units of a clean pair
    double learn_weight = 0;           // learn: weight of the word pairs learned from the first
                                       // pass's confident beads (0: one pass only)
    double learn_score = 0.8;          // learn_score: least score of a 1-1 bead learned from
    double learn_dice = 0.5;           // learn_dice: least Dice coefficient of a learned pair
    double cross_sigmas = 0;           // cross: merge adjacent beads whose sides cross by this
                                       // many null-model spreads (0: never)
    int cross_max_side = 5;            // cross_side: most units a side of a merged bead
    double margin_weight = 0;          // margin: weight of the bead's neighbour similarity
                                       // above margin_floor (0: off)
    double margin_floor = 0.1;         // margin_floor: neighbour similarity that costs nothing
    double baseline_weight = 0;        // base: weight of the chance similarity of a bead's
                                       // sides taken off its cosine (aligner.h "Chance
                                       // baseline"; 0: off)
    double merge_length_weight = 0;    // merge_len: extra weight of the length cost of a bead
                                       // of more than two units
    double boundary_weight = 0.2;      // bound: cost of a bead one of whose sides ends a
                                       // sentence while the other leaves it open (aligner.h
                                       // "Boundaries"; 0: off)
    double absorb_floor = 0.03;        // absorb: a lone unit whose own cosine with a neighbouring
                                       // bead's other side reaches this joins the bead
                                       // (aligner.h "Lone units"; 0: off)
    double absorb_fall = 0;            // absorb_fall: most the joined bead's cosine may fall
                                       // below the bead's own
    double shed_floor = 0.03;          // shed: a merged unit at a bead's edge, next to a lone
                                       // unit of its side, whose own cosine with the bead's
                                       // other side is under this leaves the bead (aligner.h
                                       // "Lone units"; 0: off)
};

// One side of an alignment: the texts of its units, in order, and its language.
struct AlignSide {
    std::vector<std::string_view> units;  // must stay alive during align()
    std::string lang;                     // ISO 639-1 code, or empty when unknown
};

struct Bead {
    uint32_t a_begin = 0, a_end = 0;  // units [a_begin, a_end) of A
    uint32_t b_begin = 0, b_end = 0;  // units [b_begin, b_end) of B
    float score = 0;                  // in [0, 1]; 0 for 1-0 and 0-1 beads
    float similarity = 0;             // cosine of the two sides' feature vectors, in [0, 1]
    bool aligned() const { return a_begin < a_end && b_begin < b_end; }
    bool operator==(const Bead&) const = default;
};

enum class PairLabel { kNone, kSameStory, kPartial, kTranslation };
// "none", "same-story", "partial", "translation".
const char* pair_label_name(PairLabel label);

struct Alignment {
    std::vector<Bead> beads;   // in document order, covering every unit of both sides once
    float coverage_a = 0;      // share of A's characters in aligned beads scoring >= aligned_score
    float coverage_b = 0;
    float quality = 0;         // character-weighted mean score of those beads
    float document_similarity = 0;  // cosine of the whole documents' feature vectors
    float score = 0;           // quality * (coverage_a + coverage_b) / 2, in [0, 1]
    PairLabel label = PairLabel::kNone;
    double cost = 0;           // total cost of the beads (what the search minimized)
    int levels = 1;            // resolutions searched (1: the full lattice at once)
};

class Aligner {
public:
    // DP defaults with anchors and cognates: needs no model, works for any pair of languages,
    // best for pairs that share a script.
    static constexpr const char* kLexicalSpec = "dp;1*anchors;1*cognates";
    // kLexicalSpec plus dictionary evidence from the bridge lexicon (models/bridge.lex).
    static constexpr const char* kBridgeSpec = "dp;1*anchors;1*cognates;1*bridge";
    // kBridgeSpec plus direct word pairs between two languages other than English
    // (models/pairs.lex, align/pair_encoder.h; German-French): the default when both files are
    // there. The weight 2.5 was chosen on Text+Berg's dev file (docs/measurements.md).
    static constexpr const char* kDefaultSpec = "dp;1*anchors;1*cognates;1*bridge;2.5*pairs";

    explicit Aligner(AlignerOptions options = {});
    ~Aligner();
    Aligner(const Aligner&) = delete;
    Aligner& operator=(const Aligner&) = delete;

    // Builds from a spec string; the encoders named there must be built-in ("anchors",
    // "cognates", "bridge": loads models_dir/bridge.lex, "pairs": loads models_dir/pairs.lex);
    // others are added with add_encoder.
    // Throws doppel::Error on a bad spec or a missing model.
    static std::unique_ptr<Aligner> from_spec(const std::string& spec, const std::string& models_dir = "models");
    // Adds a unit encoder whose features count `weight` times.
    void add_encoder(float weight, std::unique_ptr<UnitEncoder> encoder);

    Alignment align(const AlignSide& a, const AlignSide& b) const;
    // Aligns the pairs (a[k], b[k]) into out[k], k < n, several pairs at once (one thread per
    // hardware thread). A pair that fails does not stop the others; afterwards the first failure
    // (in pair order) is thrown as doppel::Error (kInternal, "aligner: " + its message).
    void align_batch(std::size_t n, const AlignSide* a, const AlignSide* b, Alignment* out) const;

    const AlignerOptions& options() const { return options_; }
    std::string describe() const;

private:
    struct Impl;
    AlignerOptions options_;
    std::vector<std::pair<float, std::unique_ptr<UnitEncoder>>> encoders_;
};

}  // namespace doppel
