#include "support/test_support.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace doppel::test {
namespace fs = std::filesystem;

std::string source_dir() { return DOPPEL_SOURCE_DIR; }
std::string seeds_dir() { return source_dir() + "/seeds"; }
std::string seed_path(const std::string& name) { return seeds_dir() + "/" + name; }
std::string seed_args() {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(seeds_dir()))
        if (e.path().extension() == ".txt") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    std::string out;
    for (const auto& f : files) out += (out.empty() ? "'" : " '") + f + "'";
    return out;
}
std::string shared_dir() { return DOPPEL_SHARED_DIR; }
std::string lid_model() { return source_dir() + "/models/lid.176.ftz"; }
std::string test_tmp_dir() { return DOPPEL_TEST_TMP; }

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream f(path, std::ios::binary);
    f << data;
}

void exec_sql(const std::string& store_dir, const std::string& sql) {
    sqlite3* db = nullptr;
    const bool opened = sqlite3_open((store_dir + "/doppel.sqlite").c_str(), &db) == SQLITE_OK;
    char* err = nullptr;
    const bool ran = opened && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK;
    const std::string why = err ? err : (db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_free(err);
    sqlite3_close(db);
    if (!ran) throw std::runtime_error("exec_sql on " + store_dir + ": " + why + " in: " + sql);
}

TempDir::TempDir(const std::string& name) {
    path_ = test_tmp_dir() + "/" + name + "-" + std::to_string(getpid());
    fs::remove_all(path_);
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

CommandResult run_eval_script(const std::string& script, const std::string& args) {
    const std::string cmd = "python3 '" + source_dir() + "/scripts/" + script + "' " + args + " --doppel '" +
                            DOPPEL_CLI + "' 2>&1";
    CommandResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) r.out += buf;
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::printf("%s", r.out.c_str());
    return r;
}

namespace {
CommandResult run_doppel_with(const std::string& args, const std::string& input_file,
                              const std::string& stdout_path) {
    static std::atomic<int> counter{0};  // tests may run the tool from several threads
    const std::string base = std::string(DOPPEL_TEST_TMP) + "/run-" + std::to_string(getpid()) + "-" +
                             std::to_string(counter++);
    fs::create_directories(DOPPEL_TEST_TMP);
    const bool own_models = args.rfind("--models ", 0) == 0;  // args that start with --models replace the default
    std::string cmd = std::string("'") + DOPPEL_CLI + "' " + (own_models ? "" : "--models '" + source_dir() + "/models' ") + args +
                      " >'" + (stdout_path.empty() ? base + ".out" : stdout_path) + "' 2>'" + base + ".err'";
    cmd += input_file.empty() ? " </dev/null" : " <'" + input_file + "'";
    CommandResult r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (stdout_path.empty()) r.out = read_file(base + ".out");
    r.err = read_file(base + ".err");
    fs::remove(base + ".out");
    fs::remove(base + ".err");
    return r;
}
}  // namespace

CommandResult run_doppel(const std::string& args, const std::string& input_file) {
    return run_doppel_with(args, input_file, "");
}

CommandResult run_doppel_stdout_to(const std::string& args, const std::string& stdout_path) {
    return run_doppel_with(args, "", stdout_path);
}

}  // namespace doppel::test
