// Helpers shared by doppel's tests: paths of the source tree and models, temporary folders,
// running the command-line tool.
#pragma once

#include <string>

namespace doppel::test {

std::string source_dir();                  // the repository root
std::string seeds_dir();                   // <root>/seeds
std::string seed_path(const std::string& name);  // <root>/seeds/<name>
// The seed documents (seeds/*.txt, not their README) as shell-quoted arguments, sorted.
std::string seed_args();
std::string shared_dir();                  // ../shared beside the repository
std::string lid_model();                   // <root>/models/lid.176.ftz
std::string test_tmp_dir();                // the build tree's folder for test files
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
// Runs `sql` on the store in folder `store_dir` behind its Store's back (a store as another build
// or a damaged disk left it); throws std::runtime_error when SQLite refuses it.
void exec_sql(const std::string& store_dir, const std::string& sql);

// A fresh empty folder under the build tree, removed when the object dies.
class TempDir {
public:
    explicit TempDir(const std::string& name);
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

struct CommandResult {
    int exit_code = -1;
    std::string out;  // standard output
    std::string err;  // standard error
};

// Runs an evaluation script of scripts/ (python3 SCRIPT ARGS, with --doppel pointing at the built
// tool), echoing its output; exit_code is the script's, out holds stdout and stderr together.
CommandResult run_eval_script(const std::string& script, const std::string& args);

// Runs the built doppel with `args` (a shell-quoted argument string), stdin from `input_file`
// when not empty; with --models <root>/models unless `args` starts with its own --models.
CommandResult run_doppel(const std::string& args, const std::string& input_file = "");
// The same with standard output sent to `stdout_path` (e.g. /dev/full); out stays empty.
CommandResult run_doppel_stdout_to(const std::string& args, const std::string& stdout_path);

}  // namespace doppel::test
