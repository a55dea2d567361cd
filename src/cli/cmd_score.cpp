// doppel score PAIRS.tsv [--store DIR] [--units ...] [--format jsonl|tsv]
#include <fstream>
#include <iostream>

#include "cli/align_support.h"
#include "cli/common.h"
#include "cli/tsv.h"
#include "doppel/store/store.h"

namespace doppel::cli {

namespace {
struct Args {
    std::string pairs, store, spec;
    std::string units = "sentences";
    std::string format = "jsonl";
    bool no_text = false;
};

// One line of the pairs file: a pair to score, or why it is not one.
struct Line {
    std::size_t number = 0;
    PairToScore pair;
    std::string error;
};
constexpr std::size_t kBatch = 256;  // pairs read and aligned at once

// Reads up to kBatch pairs (and the bad lines among them); false at the end of the input.
bool read_lines(std::istream& in, std::size_t& line_no, std::vector<Line>& out) {
    out.clear();
    std::string line;
    std::size_t pairs = 0;
    while (pairs < kBatch && std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos) {
            out.push_back({line_no, {}, "expected ID_A<TAB>ID_B"});
            continue;
        }
        std::string rb = line.substr(tab + 1);
        if (const auto t2 = rb.find('\t'); t2 != std::string::npos) rb.resize(t2);  // extra columns ignored
        out.push_back({line_no, {tsv_unescape(line.substr(0, tab)), tsv_unescape(rb)}, ""});
        ++pairs;
    }
    return !out.empty();
}

}  // namespace

Command add_score_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "score", "Align a batch of document pairs and score them (translation, partial, same-story, none)");
    auto args = std::make_shared<Args>();
    cmd->add_option("PAIRS", args->pairs,
                    "TSV file, one pair a line: ID_A<TAB>ID_B (ids in --store, or file paths; \\t \\n \\r \\\\ "
                    "escapes read back); - for stdin")
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
        std::unique_ptr<Store> store;
        if (!args->store.empty()) store = std::make_unique<Store>(args->store, StoreOptions{false, true});
        const auto langid = store ? nullptr : load_language_identifier(find_models_dir(g));  // files only
        UnitReader reader(parse_unit_kind(args->units), langid.get());
        const auto aligner = make_aligner(find_models_dir(g), args->spec);
        std::ifstream file;
        if (args->pairs != "-" && (file.open(args->pairs), !file)) DOPPEL_THROW(kIo, args->pairs + ": cannot read the file");
        std::istream& in = args->pairs == "-" ? std::cin : file;
        std::size_t line_no = 0, done = 0, skipped = 0, translations = 0;
        std::vector<Line> lines;
        while (read_lines(in, line_no, lines)) {
            std::vector<PairToScore> batch;
            for (const Line& l : lines)
                if (l.error.empty()) batch.push_back(l.pair);
            const std::vector<ScoredPair> scored = score_pairs(batch, *aligner, reader, store.get());
            std::size_t k = 0;
            for (const Line& l : lines) {
                const std::string error = l.error.empty() ? scored[k].error : l.error;
                if (!error.empty()) {
                    report_errors({{args->pairs, l.number, error}});
                    ++skipped;
                } else {
                    std::cout << (args->format == "tsv" ? scored_pair_tsv(l.pair, scored[k].pair)
                                                        : scored_pair_json(l.pair, scored[k].pair, !args->no_text).dump())
                              << '\n';
                    translations += scored[k].pair.alignment.label == PairLabel::kTranslation;
                    progress.update(++done, 0);
                }
                k += l.error.empty();
            }
        }
        progress.finish(std::to_string(done) + " pairs scored (" + std::to_string(translations) + " translations), " +
                        std::to_string(skipped) + " skipped; spec " + aligner->describe());
        return skipped == 0 ? kExitOk : kExitSkipped;
    }};
}

}  // namespace doppel::cli
