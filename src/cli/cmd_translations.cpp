// doppel translations --store DIR [--format tsv|jsonl]
// JSONL adds, for each translation or partial pair, its alignment: the beads over the two
// documents' units (non-blank lines by default) with their scores and texts.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/align_support.h"
#include "cli/common.h"
#include "doppel/align/units.h"
#include "doppel/match/store_matching.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_translations_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("translations", "Link stored documents to their versions in other languages");
    struct Args {
        std::string store;
        std::string format = "tsv";
        std::string mode = "one-to-one";
        MatcherOptions m;
        bool no_same_story = false;
        std::string embedder;
        std::string units = "lines";
        bool no_align = false;
        bool no_learn = false;
        FeatureAssociationOptions learn;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("--format", args->format, "tsv or jsonl")->check(CLI::IsMember({"tsv", "jsonl"}))->capture_default_str();
    cmd->add_option("--mode", args->mode, "one-to-one (per language pair) or one-to-many")
        ->check(CLI::IsMember({"one-to-one", "one-to-many"}))->capture_default_str();
    cmd->add_option("--k", args->m.k, "Candidates per document and target language")->capture_default_str();
    cmd->add_option("--min-similarity", args->m.translation_similarity, "Similarity floor for translation/partial")->capture_default_str();
    cmd->add_option("--min-margin", args->m.translation_margin, "Ratio margin needed for translation/partial")->capture_default_str();
    cmd->add_option("--related", args->m.related_similarity, "Similarity floor for reporting a pair at all")->capture_default_str();
    cmd->add_option("--margin-k", args->m.margin_k, "Competitors averaged in the margin")->capture_default_str();
    cmd->add_option("--anchor-weight", args->m.anchor_weight, "Weight of anchor agreement in the score")->capture_default_str();
    cmd->add_option("--long-score", args->m.long_translation_score, "Score floor for long documents")->capture_default_str();
    cmd->add_flag("--no-same-story", args->no_same_story, "List translation and partial pairs only");
    cmd->add_option("--embedder", args->embedder,
                    "Bridge spec to weigh the stored features with (default: the store's); the vectors are then "
                    "searched in an index rebuilt in memory");
    cmd->add_option("--units", args->units, "jsonl: units of the alignment (lines, sentences or paragraphs)")
        ->check(CLI::IsMember({"lines", "sentences", "paragraphs"}))
        ->capture_default_str();
    cmd->add_flag("--no-learn", args->no_learn,
                  "One pass only: no second pass with word associations learned from the first pass's links");
    cmd->add_option("--learn-margin", args->learn.min_margin, "Margin of the first-pass links learned from")
        ->capture_default_str();
    cmd->add_option("--learn-dice", args->learn.min_dice, "Dice coefficient a learned association must reach")
        ->capture_default_str();
    cmd->add_option("--learn-count", args->learn.min_count, "Links a learned association must be seen in")
        ->capture_default_str();
    cmd->add_option("--learn-new-margin", args->learn.new_link_margin,
                    "Margin a link found only in the second pass needs")->capture_default_str();
    cmd->add_flag("--no-align", args->no_align, "jsonl: leave the aligned units out");
    return {cmd, [args, &g]() -> int {
        Progress progress("translations", g.quiet);
        Store store(args->store, StoreOptions{false, true});
        TranslationSearchOptions opt;
        opt.matcher = args->m;
        opt.matcher.one_to_one = args->mode == "one-to-one";
        opt.matcher.same_story = !args->no_same_story;
        opt.embedder_spec = args->embedder;
        opt.learn = !args->no_learn;
        opt.associations = args->learn;
        const TranslationSearch found = find_stored_translations(
            store, find_models_dir(g), opt, [&](std::size_t done, std::size_t total) { progress.update(done, total); });
        if (!g.quiet)
            for (const auto& w : found.warnings) std::cerr << "doppel translations: warning: " << w << '\n';
        const bool align = args->format == "jsonl" && !args->no_align;
        std::unique_ptr<Aligner> aligner = align ? make_aligner(g, "") : nullptr;
        const UnitKind kind = parse_unit_kind(args->units);
        Segmenter segmenter;
        std::size_t nt = 0, np = 0, ns = 0;
        for (const TranslationPair& p : found.pairs) {
            const TranslationLink& l = p.link;
            nt += l.label == LinkLabel::kTranslation;
            np += l.label == LinkLabel::kPartial;
            ns += l.label == LinkLabel::kSameStory;
            char score[32];
            std::snprintf(score, sizeof score, "%.4f", l.score);
            if (args->format == "tsv") {
                std::cout << p.id_a << '\t' << p.id_b << '\t' << score << '\t' << to_string(l.label) << '\n';
                continue;
            }
            nlohmann::json j = {{"id_a", p.id_a}, {"id_b", p.id_b}, {"lang_a", p.lang_a}, {"lang_b", p.lang_b},
                                {"score", std::stod(score)}, {"label", to_string(l.label)},
                                {"similarity", l.similarity}, {"margin", l.margin}};
            if (l.anchors >= 0) j["anchors"] = l.anchors;
            if (aligner && l.label != LinkLabel::kSameStory) {
                auto a = store.get(p.id_a), b = store.get(p.id_b);
                if (a && b) {
                    UnitDocument ua{a->id, a->text, a->lang, split_units(a->text, kind, a->lang, segmenter)};
                    UnitDocument ub{b->id, b->text, b->lang, split_units(b->text, kind, b->lang, segmenter)};
                    const Alignment al = aligner->align(ua.side(), ub.side());
                    nlohmann::json beads = nlohmann::json::array();
                    for (const Bead& bead : al.beads) beads.push_back(bead_json(bead, ua, ub, true));
                    j["alignment"] = pair_json(al);
                    j["alignment"]["units"] = unit_kind_name(kind);
                    j["aligned_units"] = std::move(beads);
                }
            }
            std::cout << j.dump() << '\n';
        }
        std::ostringstream s;
        s.setf(std::ios::fixed);
        s.precision(2);
        s << found.documents << " documents, " << nt << " translation, " << np << " partial, " << ns
          << " same-story pairs (features " << found.features_seconds << " s, index load " << found.index_seconds
          << " s, match " << found.match_seconds << " s";
        if (opt.learn) s << ", learned " << found.associations << " associations and matched again " << found.learn_seconds << " s";
        s << ")";
        progress.finish(s.str());
        return kExitOk;
    }};
}

}  // namespace doppel::cli
