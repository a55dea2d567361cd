#include "doppel/align/aligner.h"

#include <algorithm>

#include "align/bead_scoring.h"
#include "align/coarse_to_fine.h"
#include "align/learned_pairs.h"
#include "align/null_model.h"
#include "align/unit_features.h"
#include "doppel/align/anchor_encoder.h"
#include "doppel/align/bridge_encoder.h"
#include "doppel/align/cognate_encoder.h"
#include "doppel/align/pair_encoder.h"
#include "doppel/error.h"
#include "impl/option_keys.h"
#include "impl/parallel.h"
#include "impl/spec.h"

namespace doppel {

const char* pair_label_name(PairLabel label) {
    switch (label) {
        case PairLabel::kNone: return "none";
        case PairLabel::kSameStory: return "same-story";
        case PairLabel::kPartial: return "partial";
        case PairLabel::kTranslation: return "translation";
    }
    return "?";
}

Aligner::Aligner(AlignerOptions options) : options_(options) {
    if (options_.max_side < 1 || options_.max_side > 4) DOPPEL_THROW(kInvalidArgument, "aligner: max_side must be 1..4");
    if (options_.max_units < 2) DOPPEL_THROW(kInvalidArgument, "aligner: max_units must be at least 2");
    if (options_.clean_max_side < 1 || options_.clean_max_side > 4)
        DOPPEL_THROW(kInvalidArgument, "aligner: clean_side must be 1..4");
    if (options_.clean_max_units < 2) DOPPEL_THROW(kInvalidArgument, "aligner: clean_units must be at least 2");
    if (options_.band < 1) DOPPEL_THROW(kInvalidArgument, "aligner: band must be at least 1");
}
Aligner::~Aligner() = default;

void Aligner::add_encoder(float weight, std::unique_ptr<UnitEncoder> encoder) {
    DOPPEL_CHECK(kInvalidArgument, encoder != nullptr, "aligner: null encoder");
    DOPPEL_CHECK(kInvalidArgument, weight > 0, "aligner: encoder weight must be positive");
    encoders_.emplace_back(weight, std::move(encoder));
}

namespace {

// AlignerOptions' spec keys, in describe()'s order: the one home of each field's name, which
// from_spec() reads and describe() writes.
constexpr impl::OptionKey<AlignerOptions> kOptionKeys[] = {
    {"max_side", &AlignerOptions::max_side},
    {"max_units", &AlignerOptions::max_units},
    {"skip", &AlignerOptions::skip_cost},
    {"skip_len", &AlignerOptions::skip_length},
    {"skip_short", &AlignerOptions::skip_short},
    {"skip_long", &AlignerOptions::skip_long},
    {"skip_bare", &AlignerOptions::skip_bare},
    {"len", &AlignerOptions::length_weight},
    {"var", &AlignerOptions::length_variance},
    {"merge", &AlignerOptions::merge_cost},
    {"member", &AlignerOptions::member_weight},
    {"member_floor", &AlignerOptions::member_floor},
    {"member_rel", &AlignerOptions::member_relative},
    {"unshared", &AlignerOptions::unshared_weight},
    {"band", &AlignerOptions::band},
    {"full", &AlignerOptions::max_full_cells},
    {"coarse", &AlignerOptions::coarse_features},
    {"score_len", &AlignerOptions::score_length_weight},
    {"sigmas", &AlignerOptions::score_sigmas},
    {"same_lang", &AlignerOptions::same_language_similarity},
    {"aligned", &AlignerOptions::aligned_score},
    {"translation", &AlignerOptions::translation_coverage},
    {"partial", &AlignerOptions::partial_coverage},
    {"story", &AlignerOptions::same_story_similarity},
    {"clean", &AlignerOptions::clean_nulls},
    {"clean_skip", &AlignerOptions::clean_skip},
    {"clean_side", &AlignerOptions::clean_max_side},
    {"clean_units", &AlignerOptions::clean_max_units},
    {"learn", &AlignerOptions::learn_weight},
    {"learn_score", &AlignerOptions::learn_score},
    {"learn_dice", &AlignerOptions::learn_dice},
    {"cross", &AlignerOptions::cross_sigmas},
    {"cross_side", &AlignerOptions::cross_max_side},
    {"margin", &AlignerOptions::margin_weight},
    {"margin_floor", &AlignerOptions::margin_floor},
    {"base", &AlignerOptions::baseline_weight},
    {"merge_len", &AlignerOptions::merge_length_weight},
    {"bound", &AlignerOptions::boundary_weight},
    {"absorb", &AlignerOptions::absorb_floor},
    {"absorb_fall", &AlignerOptions::absorb_fall},
    {"shed", &AlignerOptions::shed_floor},
};

// "dp:...;W*ENCODER;..." cut at its semicolons (an empty part stays, as an empty string).
std::vector<std::string> spec_parts(const std::string& spec) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= spec.size()) {
        auto semi = spec.find(';', start);
        if (semi == std::string::npos) semi = spec.size();
        parts.push_back(spec.substr(start, semi - start));
        start = semi + 1;
    }
    return parts;
}

AlignerOptions options_from_spec(const std::string& head, const std::string& spec) {
    auto p = impl::parse_spec(head);
    if (p.name != "dp") DOPPEL_THROW(kBadSpec, "aligner spec must start with 'dp': '" + spec + "'");
    AlignerOptions o;
    impl::take_options(p, kOptionKeys, o);
    p.check_empty();
    return o;
}

// One "WEIGHT*ENCODER_SPEC" part (the weight 1 when not given) added to the aligner.
void add_encoder_of_spec(Aligner& aligner, std::string part, const std::string& models_dir) {
    float weight = 1.0f;
    const auto star = part.find('*');
    if (star != std::string::npos) {
        try {
            weight = std::stof(part.substr(0, star));
        } catch (const std::exception&) {
            DOPPEL_THROW(kBadSpec, "aligner spec: bad weight in '" + part + "'");
        }
        part = part.substr(star + 1);
    }
    const std::string name = part.substr(0, part.find(':'));
    if (name == "anchors")
        aligner.add_encoder(weight, AnchorEncoder::from_spec(part));
    else if (name == "cognates")
        aligner.add_encoder(weight, CognateEncoder::from_spec(part));
    else if (name == "bridge")
        aligner.add_encoder(weight, BridgeEncoder::from_spec(part, models_dir));
    else if (name == "pairs")
        aligner.add_encoder(weight, PairEncoder::from_spec(part, models_dir));
    else
        DOPPEL_THROW(kBadSpec, "aligner spec: unknown encoder '" + name +
                                   "' (built in: anchors, cognates, bridge, pairs)");
}

}  // namespace

std::unique_ptr<Aligner> Aligner::from_spec(const std::string& spec, const std::string& models_dir) {
    const std::vector<std::string> parts = spec_parts(spec);
    auto aligner = std::make_unique<Aligner>(options_from_spec(parts[0], spec));
    for (std::size_t k = 1; k < parts.size(); ++k)
        if (!parts[k].empty()) add_encoder_of_spec(*aligner, parts[k], models_dir);
    return aligner;
}

std::string Aligner::describe() const {
    std::string s = "dp:";
    impl::append_options(s, kOptionKeys, options_);
    for (const auto& [w, e] : encoders_)
        s.append(";").append(impl::spec_number(w)).append("*").append(e->describe());
    return s;
}

namespace {

// One pass of the aligner over encoded units: the four phases of align() (aligner.h).
Alignment align_pass(const impl::EncodedUnits& encoded, const AlignSide& side_a, const AlignSide& side_b,
                     const AlignerOptions& o) {
    Alignment out;
    // 1. Features: ids mapped to columns, weighted by idf.
    const impl::UnitFeatures features = impl::build_unit_features(encoded, side_a, side_b, o);
    const double ratio = impl::length_ratio(features.total_a, features.total_b, 1.0);
    // 2. The null model: what unrelated units score; and the documents' own similarity.
    const impl::NullModel null = impl::estimate_null_model(features);
    out.document_similarity = impl::document_similarity(features);
    // 3. Coarse-to-fine search for the least-cost beads.
    const impl::CoarseToFinePath found =
        impl::search_coarse_to_fine(features.units, o, ratio, impl::bead_types(o));
    out.levels = static_cast<int>(found.levels);
    // 4. Bead scores, coverage, the pair's score and label.
    const bool same_language = !side_a.lang.empty() && side_a.lang == side_b.lang;
    const std::vector<impl::PathStep> crossed = impl::merge_crossing_beads(found.path, features, null, o);
    const std::vector<impl::PathStep> path =
        impl::absorb_lone_units(impl::shed_stray_edges(crossed, features, o), features, o);
    impl::score_alignment(path, features, null, ratio, same_language, o, out);
    return out;
}

// The median search similarity of the 1-1 beads, 0 when there are none.
double median_one_to_one_similarity(const std::vector<Bead>& beads) {
    std::vector<float> sims;
    for (const Bead& b : beads)
        if (b.a_end - b.a_begin == 1 && b.b_end - b.b_begin == 1) sims.push_back(b.similarity);
    if (sims.empty()) return 0;
    std::nth_element(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(sims.size() / 2), sims.end());
    return sims[sims.size() / 2];
}

// The share of the units of both sides that lie in 1-0 and 0-1 beads.
double null_share(const std::vector<Bead>& beads) {
    double alone = 0, all = 0;
    for (const Bead& b : beads) {
        const double units = (b.a_end - b.a_begin) + (b.b_end - b.b_begin);
        all += units;
        if (!b.aligned()) alone += units;
    }
    return all > 0 ? alone / all : 0.0;
}

// `o` without the lone-unit rules: lone units join (and stray units leave) beads in clean pairs
// only (aligner.h "Lone units"), so every pass but the clean-pair one runs without them.
AlignerOptions without_lone_unit_rules(AlignerOptions o) {
    o.absorb_floor = 0;
    o.shed_floor = 0;
    return o;
}

// The options of the second pass (aligner.h: "Second pass"); `again` tells whether it differs
// from the first.
AlignerOptions second_pass_options(const AlignerOptions& o, const Alignment& first, bool& again) {
    AlignerOptions second = without_lone_unit_rules(o);
    again = o.learn_weight > 0;
    // Only pairs whose lattice is searched in full: on longer ones the second search would
    // triple the time (bench-align's limits).
    const double na = first.beads.empty() ? 0 : first.beads.back().a_end, nb = first.beads.empty() ? 0 : first.beads.back().b_end;
    const bool small = (na + 1) * (nb + 1) <= static_cast<double>(o.max_full_cells);
    if (o.clean_nulls > 0 && small && null_share(first.beads) < o.clean_nulls) {
        second.skip_cost = o.clean_skip;
        second.max_side = o.clean_max_side;
        second.max_units = o.clean_max_units;
        second.absorb_floor = o.absorb_floor;
        second.shed_floor = o.shed_floor;
        again = true;
    }
    const double median = median_one_to_one_similarity(first.beads);
    if (o.member_relative > 0 && median > 0) {
        second.member_floor = o.member_relative * median;
        again = true;
    }
    return second;
}

}  // namespace

Alignment Aligner::align(const AlignSide& side_a, const AlignSide& side_b) const {
    const AlignerOptions& o = options_;
    impl::EncodedUnits encoded = impl::run_encoders(side_a, side_b, encoders_);
    Alignment out = align_pass(encoded, side_a, side_b, without_lone_unit_rules(o));
    // Second pass (aligner.h): clean pairs, learned word pairs, the calibrated member floor.
    bool again = false;
    const AlignerOptions second = second_pass_options(o, out, again);
    if (!again) return out;
    if (o.learn_weight > 0) {
        const impl::LearnedPairs pairs = impl::learn_word_pairs(encoded, out.beads, o);
        impl::add_learned_features(pairs, static_cast<float>(o.learn_weight), encoded);
    }
    return align_pass(encoded, side_a, side_b, second);
}

void Aligner::align_batch(std::size_t n, const AlignSide* a, const AlignSide* b, Alignment* out) const {
    // Pairs are independent and align() is const: one pair at a time per thread. Every pair is
    // tried; the first error (in pair order) is thrown afterwards.
    std::vector<std::string> errors(n);
    impl::parallel_for(n, impl::worker_count(n), [&](std::size_t k, std::size_t) {
        try {
            out[k] = align(a[k], b[k]);
        } catch (const std::exception& e) {
            errors[k] = e.what();
        }
    });
    for (const auto& e : errors)
        if (!e.empty()) DOPPEL_THROW(kInternal, "aligner: " + e);
}

}  // namespace doppel
