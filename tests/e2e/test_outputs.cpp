// Every write checked (issue 11, item 5): results cut short by a write error exit 2 with a
// message; files are written beside their target and renamed, so the previous version of a file
// survives anything short of a finished write.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/test_support.h"

using doppel::test::read_file;
using doppel::test::run_doppel;
using doppel::test::run_doppel_stdout_to;
using doppel::test::TempDir;
using doppel::test::write_file;
namespace fs = std::filesystem;

namespace {
std::size_t files_in(const std::string& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}
}  // namespace

TEST(CliOutput, WritesToAFullStandardOutputExitTwo) {
    TempDir dir("e2e-out-full");
    const std::string store = dir / "store";
    ASSERT_EQ(run_doppel("-q index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    for (const std::string cmd : {"list", "dedup --format jsonl", "check"}) {
        const std::string args = cmd + " --store '" + store + "'" +
                                 (cmd == "check" ? " " + doppel::test::seed_args() : std::string());
        auto r = run_doppel_stdout_to(args, "/dev/full");
        EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
        const std::string name = cmd.substr(0, cmd.find(' '));
        EXPECT_NE(r.err.find("doppel " + name + ": error: cannot write standard output"), std::string::npos)
            << r.err;
    }
}

TEST(CliOutput, FilesAreReplacedByRenameAndNoTemporaryStays) {
    TempDir dir("e2e-out-rename");
    const std::string store = dir / "store";
    ASSERT_EQ(run_doppel("-q index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    fs::create_directories(dir / "out");
    // A second name for the old file: writing in place would change it too, a rename does not.
    for (const std::string cmd : {"dedup --threshold 0.1 --out", "report --html"}) {
        const std::string target = dir / "out/result", keep = dir / "old";
        write_file(target, "previous version\n");
        fs::remove(keep);
        fs::create_hard_link(target, keep);
        auto r = run_doppel(cmd + " '" + target + "' --store '" + store + "'");
        ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
        EXPECT_EQ(read_file(keep), "previous version\n") << cmd;
        EXPECT_NE(read_file(target), "previous version\n") << cmd;
        EXPECT_EQ(files_in(dir / "out"), 1u) << cmd << ": a temporary file stayed";
    }
    EXPECT_EQ(read_file(dir / "out/result").rfind("<!DOCTYPE", 0), 0u);
    auto stdout_run = run_doppel("dedup --threshold 0.1 --store '" + store + "'");
    ASSERT_EQ(run_doppel("dedup --threshold 0.1 --out '" + dir / "out/result" + "' --store '" + store + "'")
                  .exit_code,
              0);
    EXPECT_EQ(read_file(dir / "out/result"), stdout_run.out);

    auto bad = run_doppel("dedup --out '" + dir / "missing/x.tsv" + "' --store '" + store + "'");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("cannot write " + dir / "missing/x.tsv"), std::string::npos) << bad.err;
}

// A FIFO (or a device: `--out /dev/null`) is written in place: renaming a file over it would
// replace it, and as root `--out /dev/null` replaced /dev/null itself with a regular file.
TEST(CliOutput, ADeviceOrFifoIsWrittenInPlaceNotReplaced) {
    TempDir dir("e2e-out-fifo");
    const std::string store = dir / "store", fifo = dir / "fifo";
    ASSERT_EQ(run_doppel("-q index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Opened for reading and writing, the FIFO opens at once and doppel's writing end does not wait
    // for a reader; the seeds' pairs fit in its buffer.
    const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
    ASSERT_GE(fd, 0);
    auto r = run_doppel("dedup --threshold 0.1 --out '" + fifo + "' --store '" + store + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::is_fifo(fifo)) << "the FIFO was replaced";
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    EXPECT_EQ(got, run_doppel("dedup --threshold 0.1 --store '" + store + "'").out);
    EXPECT_EQ(files_in(dir.path()), 2u) << "a temporary file stayed";
}
