// doppel lexicon build --entries FILE... --out PATH [--header-json FILE] [--spec SPEC]
// doppel lexicon build --describe
// doppel lexicon coverage [--lexicon PATH] [--lang L] FILE...   (lang<TAB>files<TAB>words<TAB>covered<TAB>share)
// Builds the bridge lexicon (models/bridge.lex) from extracted dictionary entries (entries file
// format: embed/lexicon_builder.h); scripts/build-bridge extracts them from the packages.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <iostream>
#include <sstream>

#include "cli/common.h"
#include "doppel/embed/bridge_lexicon.h"
#include "doppel/embed/lexicon_builder.h"

namespace doppel::cli {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) DOPPEL_THROW(kIo, "cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

std::string summary_line(const LexiconBuildSummary& s, const LexiconBuilder& b, std::size_t bad) {
    std::ostringstream out;
    out << s.keys << " keys in " << s.keys_per_language.size() << " languages, " << s.concepts
        << " concepts from " << b.entries_added() << " entries (" << b.entries_unused()
        << " gave no key or concept, " << bad << " bad lines skipped)";
    return out.str();
}

// The language of a text file: --lang, else its folder's name up to '_' (docs/zh_CN/x.txt: zh).
std::string language_of(const std::string& path, const std::string& lang) {
    if (!lang.empty()) return lang;
    const std::string dir = std::filesystem::path(path).parent_path().filename().string();
    return dir.substr(0, dir.find('_'));
}

// `lexicon coverage`: its subcommand, and what runs it.
std::pair<CLI::App*, std::function<int()>> add_coverage(CLI::App* cmd, Globals& g) {
    auto* cov = cmd->add_subcommand("coverage", "Share of content words of text files the lexicon covers, per language");
    struct Args {
        std::string lexicon, lang;
        std::vector<std::string> files;
    };
    auto a = std::make_shared<Args>();
    cov->add_option("--lexicon", a->lexicon, "Lexicon file (default: the models' bridge.lex)");
    cov->add_option("--lang", a->lang, "Language of every file (default: each file's folder name, up to '_')");
    cov->add_option("files", a->files, "UTF-8 text files")->required();
    return {cov, [a, &g]() {
        const BridgeLexicon lexicon(a->lexicon.empty() ? find_models_dir(g) + "/bridge.lex" : a->lexicon);
        LexiconCoverageCounter counter(lexicon);
        std::map<std::string, std::pair<std::size_t, LexiconCoverage>> by_lang;
        for (const auto& f : a->files) {
            auto& [files, c] = by_lang[language_of(f, a->lang)];
            counter.add(language_of(f, a->lang), read_text(f), c);
            ++files;
        }
        for (const auto& [lang, fc] : by_lang)
            std::printf("%s\t%zu\t%zu\t%zu\t%.4f\n", lang.c_str(), fc.first, fc.second.words, fc.second.covered,
                        fc.second.share());
        return kExitOk;
    }};
}

}  // namespace

Command add_lexicon_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("lexicon", "Build the cross-language bridge lexicon");
    cmd->require_subcommand(1);
    auto* build = cmd->add_subcommand("build", "Write bridge.lex from dictionary entries files");
    struct Args {
        std::vector<std::string> entries;
        std::string out, header_json, spec = LexiconBuilderOptions().describe();
        bool describe = false;
    };
    auto args = std::make_shared<Args>();
    build->add_option("--entries", args->entries, "Entries files (#doppel-lexicon-entries 1)");
    build->add_option("--out", args->out, "Lexicon file to write (models/bridge.lex)");
    build->add_option("--header-json", args->header_json, "JSON object for the header (inputs, fingerprint)");
    build->add_option("--spec", args->spec, "Builder spec")->capture_default_str();
    build->add_flag("--describe", args->describe, "Print the builder's spec and text rules, and exit");
    auto coverage = add_coverage(cmd, g);
    return {cmd, [args, coverage, &g]() -> int {
        if (coverage.first->parsed()) return coverage.second();
        LexiconBuilder builder(LexiconBuilderOptions::parse_spec(args->spec));
        if (args->describe) {
            std::cout << builder.describe() << '\n';
            return kExitOk;
        }
        DOPPEL_CHECK(kInvalidArgument, !args->entries.empty() && !args->out.empty(),
                     "lexicon build needs --entries and --out");
        const std::string header = args->header_json.empty() ? "{}" : read_text(args->header_json);
        Progress progress("lexicon build", g.quiet);
        std::vector<RecordError> errors;
        std::size_t bad = 0;
        for (const auto& path : args->entries) {
            read_lexicon_entries(path, [&](std::span<const LexiconEntry> batch) {
                builder.add(batch);
                progress.update(builder.entries_added(), 0);
            }, errors);
            report_errors(errors);
            bad += errors.size();
            errors.clear();
        }
        const LexiconBuildSummary s = builder.write(args->out, header);
        progress.finish(summary_line(s, builder, bad));
        return bad > 0 ? kExitSkipped : kExitOk;
    }};
}

}  // namespace doppel::cli
