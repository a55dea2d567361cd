// doppel normalize [--words] [--sentences] FILE...
// Prints the normalized text (what shingles and embeddings see), or its words or sentences one a
// line: a tool for looking at what doppel compares.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/common.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"

namespace doppel::cli {

Command add_normalize_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("normalize", "Print documents as doppel normalizes them");
    struct Args {
        std::vector<std::string> paths;
        std::string spec = Normalizer().describe();
        bool words = false, sentences = false;
        std::string lang;
        ReaderOptions reader;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("paths", args->paths, "Files, directories, or - for JSONL on stdin")->required();
    cmd->add_option("--spec", args->spec, "Normalizer spec")->capture_default_str();
    cmd->add_flag("--words", args->words, "One word a line");
    cmd->add_flag("--sentences", args->sentences, "One sentence a line (of the original text)");
    cmd->add_option("--lang", args->lang, "Language for sentence rules (ISO 639-1)");
    add_extract_option(cmd, args->reader.extract);
    return {cmd, [args]() -> int {
        auto normalizer = Normalizer::from_spec(args->spec);
        Segmenter seg;
        DocumentReader reader(args->paths, args->reader);
        std::vector<Document> docs;
        std::vector<RecordError> errors;
        std::size_t n_errors = 0;
        while (reader.next_batch(64, docs, errors) || !errors.empty()) {
            report_errors(errors);
            n_errors += errors.size();
            errors.clear();
            for (const auto& d : docs) {
                if (args->sentences) {
                    for (const Span& s : seg.sentences(d.text, args->lang))
                        std::cout << std::string_view(d.text).substr(s.begin, s.size()) << '\n';
                    continue;
                }
                const std::string text = normalizer->normalize_text(d.text);
                if (args->words) {
                    for (const Span& w : seg.words(text)) std::cout << std::string_view(text).substr(w.begin, w.size()) << '\n';
                } else {
                    std::cout << text << '\n';
                }
            }
            docs.clear();
        }
        return n_errors ? kExitSkipped : kExitOk;
    }};
}

}  // namespace doppel::cli
