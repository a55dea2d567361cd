// Shared pieces of the doppel command-line tool: exit codes, model lookup, progress on a
// terminal, error reporting. The tool only parses arguments, calls the library and writes.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "doppel/error.h"
#include "doppel/ingest/document_reader.h"

namespace doppel::cli {

// Exit codes (../shared/docs/INTERFACE.md).
constexpr int kExitOk = 0;        // everything done
constexpr int kExitSkipped = 1;   // some inputs skipped with a reported error, the rest done
constexpr int kExitFatal = 2;     // misuse or a fatal error

struct Globals {
    std::string argv0;
    std::string models_dir;  // --models, or found by find_models_dir()
    bool quiet = false;      // --quiet: no progress and no summary line
    std::string vector_index = "auto";  // --vector-index: FAISS factory or "auto" spec for new embedding indexes
    std::string vectors;                // --vectors: aligned word vectors combined with the bridge
    float vectors_weight = 0.5f;        // --vectors-weight
};

// The folder with the model files: --models, else doppel::find_models_dir() (ops/models.h).
std::string find_models_dir(const Globals& g);
std::string model_path(const Globals& g, const std::string& file);

// Checks for numeric options, shared by every command: kFiniteNumber rejects nan and inf (which
// pass CLI11's ranges, every comparison with nan being false) and anything that is not a number;
// kAtLeastOne rejects 0 and negative counts (--batch 0 would read nothing).
extern const CLI::Validator kFiniteNumber;
extern const CLI::Validator kAtLeastOne;

// --extract article|all: what of an HTML page becomes the text (ReaderOptions::extract).
void add_extract_option(CLI::App* cmd, HtmlExtract& extract);

// Prints "PATH:LINE: reason" lines on stderr, of errors[from, ...).
void report_errors(const std::vector<RecordError>& errors, std::size_t from = 0);
// Prints "doppel: warning: ..." lines on stderr, of warnings[from, ...).
void report_warnings(const std::vector<std::string>& warnings, std::size_t from = 0);

// Progress on stderr, redrawn at most 10 times a second, only when stderr is a terminal; the
// summary line is printed always (unless quiet).
class Progress {
public:
    Progress(std::string what, bool quiet);
    // done and total in the unit of the task (total 0 when unknown); bytes for the throughput.
    void update(uint64_t done, uint64_t total, uint64_t bytes = 0);
    // Clears the progress line and prints "doppel WHAT: SUMMARY (in N.N s)".
    void finish(const std::string& summary);
    double seconds() const;

private:
    std::string what_;
    bool quiet_, tty_;
    std::chrono::steady_clock::time_point start_, last_;
    bool drawn_ = false;
};

// A command: registers itself on the app and runs when chosen. run() returns the exit code.
using CommandRunner = std::function<int()>;
struct Command {
    CLI::App* app;
    CommandRunner run;
};

// Each command file defines one of these.
Command add_index_command(CLI::App& app, Globals& g);
Command add_list_command(CLI::App& app, Globals& g);
Command add_normalize_command(CLI::App& app, Globals& g);
Command add_report_command(CLI::App& app, Globals& g);
Command add_dedup_command(CLI::App& app, Globals& g);
Command add_check_command(CLI::App& app, Globals& g);
Command add_delete_command(CLI::App& app, Globals& g);
Command add_expire_command(CLI::App& app, Globals& g);
Command add_align_command(CLI::App& app, Globals& g);
Command add_score_command(CLI::App& app, Globals& g);
Command add_translations_command(CLI::App& app, Globals& g);
Command add_lexicon_command(CLI::App& app, Globals& g);
Command add_verify_command(CLI::App& app, Globals& g);

}  // namespace doppel::cli
