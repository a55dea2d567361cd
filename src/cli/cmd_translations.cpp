// doppel translations --store DIR [--format tsv|jsonl] [--matcher SPEC] [--associations SPEC] [--incremental]
// JSONL adds each translation or partial pair's aligned units and ends with a summary record of
// the specs used (--matcher, --associations and --embedder given them reproduce the output).

#include <iostream>
#include <type_traits>

#include "cli/align_support.h"
#include "cli/common.h"
#include "doppel/store/store.h"

namespace doppel::cli {
namespace {

struct Args {
    std::string store, format = "tsv", mode = "one-to-one", embedder, units = "lines", matcher, associations;
    bool no_same_story = false, no_align = false, no_learn = false, incremental = false;
    MatcherOptions m;  // values of the flags, applied when given
    FeatureAssociationOptions learn;
    std::vector<std::function<void(const Args&, TranslationSearchOptions&)>> overrides;
};

// A flag that overrides one field of the options (of the spec, or the defaults).
template <class O, class T>
void field(CLI::App* cmd, Args& args, const std::string& flag, O Args::*opts, T O::*member, const std::string& help) {
    CLI::Option* opt = cmd->add_option(flag, args.*opts.*member, help)->capture_default_str();
    if constexpr (std::is_floating_point_v<T>) opt->check(kFiniteNumber);
    args.overrides.push_back([opt, opts, member](const Args& a, TranslationSearchOptions& o) {
        if (opt->count() == 0) return;
        if constexpr (std::is_same_v<O, MatcherOptions>) o.matcher.*member = a.*opts.*member;
        else o.associations.*member = a.*opts.*member;
    });
}

void add_flags(CLI::App* cmd, Args& a) {
    using M = MatcherOptions;
    using F = FeatureAssociationOptions;
    field(cmd, a, "--k", &Args::m, &M::k, "Candidates per document and target language");
    field(cmd, a, "--min-similarity", &Args::m, &M::translation_similarity, "Similarity floor for translation/partial");
    field(cmd, a, "--min-margin", &Args::m, &M::translation_margin, "Ratio margin needed for translation/partial");
    field(cmd, a, "--related", &Args::m, &M::related_similarity, "Similarity floor for reporting a pair at all");
    field(cmd, a, "--margin-k", &Args::m, &M::margin_k, "Competitors averaged in the margin");
    field(cmd, a, "--anchor-weight", &Args::m, &M::anchor_weight, "Weight of anchor agreement in the score");
    field(cmd, a, "--long-score", &Args::m, &M::long_translation_score, "Score floor for long documents");
    field(cmd, a, "--same-story-per-doc", &Args::m, &M::same_story_per_doc, "Most same-story pairs per document (0: all)");
    field(cmd, a, "--learn-margin", &Args::learn, &F::min_margin, "Margin of the first-pass links learned from");
    field(cmd, a, "--learn-dice", &Args::learn, &F::min_dice, "Dice coefficient a learned association must reach");
    field(cmd, a, "--learn-count", &Args::learn, &F::min_count, "Links a learned association must be seen in");
    field(cmd, a, "--learn-new-margin", &Args::learn, &F::new_link_margin, "Margin a link found only in the second pass needs");
}

TranslationSearchOptions search_options(const Args& a, const CLI::App* cmd) {
    TranslationSearchOptions o;
    if (!a.matcher.empty()) o.matcher = MatcherOptions::parse_spec(a.matcher);
    o.learn = !a.no_learn && a.associations != "none";
    if (o.learn && !a.associations.empty()) o.associations = FeatureAssociationOptions::parse_spec(a.associations);
    for (const auto& f : a.overrides) f(a, o);
    if (cmd->count("--mode")) o.matcher.one_to_one = a.mode == "one-to-one";
    if (a.no_same_story) o.matcher.same_story = false;
    o.embedder_spec = a.embedder;
    o.incremental = a.incremental;
    return o;
}

}  // namespace

Command add_translations_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("translations", "Link stored documents to their versions in other languages");
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("--format", args->format, "tsv or jsonl")->check(CLI::IsMember({"tsv", "jsonl"}))->capture_default_str();
    cmd->add_option("--mode", args->mode, "one-to-one (per language pair) or one-to-many")
        ->check(CLI::IsMember({"one-to-one", "one-to-many"}))->capture_default_str();
    cmd->add_option("--matcher", args->matcher, "Matcher spec (matcher:k=10,...); the flags override its fields");
    cmd->add_option("--associations", args->associations, "Second-pass spec (learn:min_margin=1.2,...) or none");
    add_flags(cmd, *args);
    cmd->add_flag("--no-same-story", args->no_same_story, "List translation and partial pairs only");
    cmd->add_option("--embedder", args->embedder, "Bridge spec to weigh the stored features with (default: the store's)");
    cmd->add_option("--units", args->units, "jsonl: units of the alignment (lines, sentences or paragraphs)")
        ->check(CLI::IsMember({"lines", "sentences", "paragraphs"}))->capture_default_str();
    cmd->add_flag("--no-learn", args->no_learn, "One pass only (as --associations none)");
    cmd->add_flag("--no-align", args->no_align, "jsonl: leave the aligned units out");
    cmd->add_flag("--incremental", args->incremental, "Extend the last --incremental run's saved state to added documents");
    return {cmd, [args, cmd, &g]() -> int {
        Progress progress("translations", g.quiet);
        Store store(args->store, StoreOptions{false, true});
        const TranslationSearchOptions opt = search_options(*args, cmd);
        const TranslationSearch found = find_stored_translations(
            store, find_models_dir(g), opt, [&](std::size_t done, std::size_t total) { progress.update(done, total); });
        if (!g.quiet) for (const auto& w : found.warnings) std::cerr << "doppel translations: warning: " << w << '\n';
        const auto aligner = args->format == "jsonl" && !args->no_align ? make_aligner(find_models_dir(g)) : nullptr;
        nlohmann::json specs = specs_json(found);
        const auto n = write_translations(std::cout, args->format, parse_unit_kind(args->units), store, found,
                                          aligner.get(), specs);
        if (args->format == "jsonl") std::cout << summary_json(found, n, specs).dump() << '\n';
        if (!g.quiet) std::cerr << "doppel translations: specs " << specs.dump() << '\n';
        progress.finish(summary_line(found, n, opt.learn));
        return kExitOk;
    }};
}
}  // namespace doppel::cli
