// doppel lexicon build --entries FILE... --out PATH [--header-json FILE] [--spec SPEC]
// doppel lexicon build --describe
// Builds the bridge lexicon (models/bridge.lex) from extracted dictionary entries (entries file
// format: embed/lexicon_builder.h); scripts/build-bridge extracts them from the packages.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/common.h"
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
    return {cmd, [args, &g]() -> int {
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
