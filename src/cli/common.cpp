#include "cli/common.h"

#include "doppel/ops/models.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

namespace doppel::cli {
namespace fs = std::filesystem;

namespace {
// `s` as a number; nan when it is not entirely one.
double parse_number(const std::string& s) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    return s.empty() || end != s.c_str() + s.size() ? std::nan("") : v;
}
}  // namespace

const CLI::Validator kFiniteNumber(
    [](std::string& s) -> std::string {
        return std::isfinite(parse_number(s)) ? std::string() : "must be a finite number, not '" + s + "'";
    },
    "FINITE", "finite number");

const CLI::Validator kAtLeastOne(
    [](std::string& s) -> std::string {
        return parse_number(s) >= 1 ? std::string() : "must be at least 1, not '" + s + "'";
    },
    ">=1", "at least one");

std::string find_models_dir(const Globals& g) { return doppel::find_models_dir(g.models_dir); }

std::string model_path(const Globals& g, const std::string& file) {
    return (fs::path(find_models_dir(g)) / file).string();
}

void add_extract_option(CLI::App* cmd, HtmlExtract& extract) {
    cmd->add_option("--extract", extract,
                    "What of an HTML page is kept: article (the main content, else all of a short or "
                    "list-like page) or all (every visible text)")
        ->transform(CLI::CheckedTransformer(std::map<std::string, HtmlExtract>{{"article", HtmlExtract::kArticle},
                                                                               {"all", HtmlExtract::kAll}}))
        ->default_str("article");
}

void report_errors(const std::vector<RecordError>& errors, std::size_t from) {
    for (std::size_t i = from; i < errors.size(); ++i) std::cerr << errors[i].to_string() << '\n';
}

void report_warnings(const std::vector<std::string>& warnings, std::size_t from) {
    for (std::size_t i = from; i < warnings.size(); ++i)
        std::cerr << "doppel: warning: " << warnings[i] << '\n';
}

Progress::Progress(std::string what, bool quiet)
    : what_(std::move(what)), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

double Progress::seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(uint64_t done, uint64_t total, uint64_t bytes) {
    if (quiet_ || !tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    drawn_ = true;
    const double s = seconds();
    char buf[256];
    if (total > 0)
        std::snprintf(buf, sizeof buf, "\r\033[Kdoppel %s: %llu/%llu (%.0f%%)", what_.c_str(),
                      static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                      100.0 * static_cast<double>(done) / static_cast<double>(total));
    else
        std::snprintf(buf, sizeof buf, "\r\033[Kdoppel %s: %llu", what_.c_str(), static_cast<unsigned long long>(done));
    std::string line = buf;
    if (bytes > 0 && s > 0) {
        std::snprintf(buf, sizeof buf, ", %.1f MB/s", static_cast<double>(bytes) / 1e6 / s);
        line += buf;
    }
    std::snprintf(buf, sizeof buf, ", %.1f s", s);
    line += buf;
    std::cerr << line << std::flush;
}

void Progress::finish(const std::string& summary) {
    if (quiet_) return;
    if (drawn_) std::cerr << "\r\033[K";
    char buf[64];
    std::snprintf(buf, sizeof buf, " in %.2f s", seconds());
    std::cerr << "doppel " << what_ << ": " << summary << buf << '\n';
}

}  // namespace doppel::cli
