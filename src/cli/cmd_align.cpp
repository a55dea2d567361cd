// doppel align FILE_A FILE_B [--units lines|sentences|paragraphs] [--format beads|jsonl]
#include <cstdio>
#include <iostream>

#include "cli/align_support.h"

namespace doppel::cli {

Command add_align_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("align", "Align two documents unit by unit, with scores");
    struct Args {
        std::string a, b;
        std::string units = "sentences";
        std::string format = "beads";
        std::string spec;
        std::string lang_a, lang_b;
        bool no_text = false;
    };
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
        const UnitKind kind = parse_unit_kind(args->units);
        auto langid = load_langid(g);
        Segmenter segmenter;
        UnitDocument a = load_document_file(args->a, kind, langid.get(), segmenter);
        UnitDocument b = load_document_file(args->b, kind, langid.get(), segmenter);
        if (!args->lang_a.empty()) a.lang = args->lang_a;
        if (!args->lang_b.empty()) b.lang = args->lang_b;
        auto aligner = make_aligner(g, args->spec);
        const Alignment al = aligner->align(a.side(), b.side());
        std::size_t aligned = 0;
        for (const Bead& bead : al.beads) {
            aligned += bead.aligned();
            if (args->format == "beads") {
                char score[32];
                std::snprintf(score, sizeof score, "%.4f", bead.score);
                std::cout << bead_units(bead) << '\t' << score << '\n';
            } else {
                nlohmann::json j = bead_json(bead, a, b, !args->no_text);
                j["type"] = "bead";
                std::cout << j.dump() << '\n';
            }
        }
        if (args->format == "jsonl") {
            nlohmann::json j = pair_json(al);
            j["type"] = "pair";
            j["a"] = {{"path", args->a}, {"lang", a.lang}, {"units", a.units.size()}};
            j["b"] = {{"path", args->b}, {"lang", b.lang}, {"units", b.units.size()}};
            j["spec"] = aligner->describe();
            std::cout << j.dump() << '\n';
        }
        char summary[256];
        std::snprintf(summary, sizeof summary,
                      "%zu x %zu %s (%s, %s), %zu aligned beads, coverage %.2f / %.2f, score %.3f, label %s",
                      a.units.size(), b.units.size(), unit_kind_name(kind), a.lang.empty() ? "?" : a.lang.c_str(),
                      b.lang.empty() ? "?" : b.lang.c_str(), aligned, al.coverage_a, al.coverage_b, al.score,
                      pair_label_name(al.label));
        progress.finish(summary);
        return kExitOk;
    }};
}

}  // namespace doppel::cli
