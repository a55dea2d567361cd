// doppel align FILE_A FILE_B [--units lines|sentences|paragraphs] [--format beads|jsonl]
#include <cstdio>
#include <iostream>

#include "cli/align_support.h"
#include "cli/common.h"

namespace doppel::cli {

namespace {
struct Args {
    std::string a, b;
    std::string units = "sentences";
    std::string format = "beads";
    std::string spec;
    std::string lang_a, lang_b;
    bool no_text = false;
};

void write_alignment(const Args& args, const AlignedPair& p, const Aligner& aligner) {
    for (const Bead& bead : p.alignment.beads) {
        if (args.format == "beads") {
            char score[32];
            std::snprintf(score, sizeof score, "%.4f", bead.score);
            std::cout << bead_units(bead) << '\t' << score << '\n';
        } else {
            nlohmann::json j = bead_json(bead, p.a, p.b, !args.no_text);
            j["type"] = "bead";
            std::cout << j.dump() << '\n';
        }
    }
    if (args.format != "jsonl") return;
    nlohmann::json j = pair_json(p);
    j["type"] = "pair";
    j["a"] = {{"path", args.a}, {"lang", p.a.lang}, {"units", p.a.units.size()}};
    j["b"] = {{"path", args.b}, {"lang", p.b.lang}, {"units", p.b.units.size()}};
    j["spec"] = aligner.describe();
    std::cout << j.dump() << '\n';
}
}  // namespace

Command add_align_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("align", "Align two documents unit by unit, with scores");
    auto args = std::make_shared<Args>();
    cmd->add_option("FILE_A", args->a, "First document")->required();
    cmd->add_option("FILE_B", args->b, "Second document")->required();
    cmd->add_option("--units", args->units, "lines (each non-blank line), sentences or paragraphs")
        ->check(CLI::IsMember({"lines", "sentences", "paragraphs"}))
        ->capture_default_str();
    cmd->add_option("--format", args->format,
                    "beads ('[i, ...]:[j, ...]<TAB>score' a line) or jsonl (a bead a line with texts, then "
                    "the pair's score and label)")
        ->check(CLI::IsMember({"beads", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("--spec", args->spec, std::string("Aligner spec (default ") + Aligner::kDefaultSpec + ")");
    cmd->add_option("--lang-a", args->lang_a, "Language of FILE_A (default: identified)");
    cmd->add_option("--lang-b", args->lang_b, "Language of FILE_B (default: identified)");
    cmd->add_flag("--no-text", args->no_text, "jsonl: leave the units' texts out");
    return {cmd, [args, &g]() -> int {
        Progress progress("align", g.quiet);
        const std::string models = find_models_dir(g);
        const auto langid = load_language_identifier(models);
        UnitReader reader(parse_unit_kind(args->units), langid.get());
        UnitDocument a = reader.from_file(args->a), b = reader.from_file(args->b);
        if (!args->lang_a.empty()) a.lang = args->lang_a;
        if (!args->lang_b.empty()) b.lang = args->lang_b;
        const auto aligner = make_aligner(models, args->spec);
        const AlignedPair p = align_documents(std::move(a), std::move(b), *aligner);
        write_alignment(*args, p, *aligner);
        char summary[256];
        std::snprintf(summary, sizeof summary,
                      "%zu x %zu %s (%s, %s), %zu aligned beads, coverage %.2f / %.2f, score %.3f, label %s",
                      p.a.units.size(), p.b.units.size(), unit_kind_name(reader.kind()),
                      p.a.lang.empty() ? "?" : p.a.lang.c_str(), p.b.lang.empty() ? "?" : p.b.lang.c_str(),
                      p.aligned_beads(), p.alignment.coverage_a, p.alignment.coverage_b, p.alignment.score,
                      pair_label_name(p.alignment.label));
        progress.finish(summary);
        return kExitOk;
    }};
}

}  // namespace doppel::cli
