// doppel score PAIRS.tsv [--store DIR] [--units ...] [--format jsonl|tsv]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/align_support.h"
#include "doppel/store/store.h"

namespace doppel::cli {
namespace fs = std::filesystem;

Command add_score_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "score", "Align a batch of document pairs and score them (translation, partial, same-story, none)");
    struct Args {
        std::string pairs;
        std::string store;
        std::string units = "sentences";
        std::string format = "jsonl";
        std::string spec;
        bool no_text = false;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("PAIRS", args->pairs,
                    "TSV file, one pair a line: ID_A<TAB>ID_B (ids in --store, or file paths); - for stdin")
        ->required();
    cmd->add_option("--store", args->store, "Store folder the ids refer to (without it: file paths)");
    cmd->add_option("--units", args->units, "lines, sentences or paragraphs")
        ->check(CLI::IsMember({"lines", "sentences", "paragraphs"}))
        ->capture_default_str();
    cmd->add_option("--format", args->format,
                    "jsonl (scores, label and the aligned units) or tsv "
                    "(a<TAB>b<TAB>score<TAB>label<TAB>coverage_a<TAB>coverage_b)")
        ->check(CLI::IsMember({"jsonl", "tsv"}))
        ->capture_default_str();
    cmd->add_option("--spec", args->spec, "Aligner spec (default: as for align)");
    cmd->add_flag("--no-text", args->no_text, "jsonl: leave the units' texts out");
    return {cmd, [args, &g]() -> int {
        Progress progress("score", g.quiet);
        const UnitKind kind = parse_unit_kind(args->units);
        std::unique_ptr<Store> store;
        if (!args->store.empty()) store = std::make_unique<Store>(args->store, StoreOptions{false, true});
        std::unique_ptr<LanguageIdentifier> langid;  // loaded on first use (files only)
        Segmenter segmenter;
        auto aligner = make_aligner(g, args->spec);

        auto load = [&](const std::string& ref) -> UnitDocument {
            if (store) {
                auto d = store->get(ref, true);
                if (!d) DOPPEL_THROW(kNotFound, "no document '" + ref + "' in the store");
                UnitDocument u;
                u.id = d->id;
                u.text = std::move(d->text);
                u.lang = d->lang;
                u.units = split_units(u.text, kind, u.lang, segmenter);
                return u;
            }
            if (!langid) langid = load_langid(g);
            return load_document_file(ref, kind, langid.get(), segmenter);
        };

        std::ifstream file;
        std::istream* in = &std::cin;
        if (args->pairs != "-") {
            file.open(args->pairs);
            if (!file) DOPPEL_THROW(kIo, args->pairs + ": cannot read the file");
            in = &file;
        }
        const std::string name = args->pairs == "-" ? "-" : args->pairs;
        std::vector<RecordError> errors;
        std::string line;
        std::size_t line_no = 0, done = 0, translations = 0;
        while (std::getline(*in, line)) {
            ++line_no;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty() || line[0] == '#') continue;
            const auto tab = line.find('\t');
            if (tab == std::string::npos) {
                errors.push_back({name, line_no, "expected ID_A<TAB>ID_B"});
                report_errors({errors.back()});
                continue;
            }
            std::string ra = line.substr(0, tab), rb = line.substr(tab + 1);
            if (const auto t2 = rb.find('\t'); t2 != std::string::npos) rb.resize(t2);  // extra columns ignored
            UnitDocument a, b;
            try {
                a = load(ra);
                b = load(rb);
            } catch (const Error& e) {
                errors.push_back({name, line_no, e.what()});
                report_errors({errors.back()});
                continue;
            }
            const Alignment al = aligner->align(a.side(), b.side());
            ++done;
            translations += al.label == PairLabel::kTranslation;
            if (args->format == "tsv") {
                char buf[128];
                std::snprintf(buf, sizeof buf, "%.4f\t%s\t%.4f\t%.4f", al.score, pair_label_name(al.label),
                              al.coverage_a, al.coverage_b);
                std::cout << ra << '\t' << rb << '\t' << buf << '\n';
            } else {
                nlohmann::json j = pair_json(al);
                j["a"] = {{"id", ra}, {"lang", a.lang}, {"units", a.units.size()}};
                j["b"] = {{"id", rb}, {"lang", b.lang}, {"units", b.units.size()}};
                nlohmann::json beads = nlohmann::json::array();
                for (const Bead& bead : al.beads)
                    if (bead.aligned()) beads.push_back(bead_json(bead, a, b, !args->no_text));
                j["aligned"] = std::move(beads);
                std::cout << j.dump() << '\n';
            }
            progress.update(done, 0);
        }
        progress.finish(std::to_string(done) + " pairs scored (" + std::to_string(translations) + " translations), " +
                        std::to_string(errors.size()) + " skipped; spec " + aligner->describe());
        return errors.empty() ? kExitOk : kExitSkipped;
    }};
}

}  // namespace doppel::cli
