// Where a command's results go, with every write checked.
//
// A file given on the command line (--out, --html) is written to a temporary file beside it
// ("FILE.tmp-XXXXXX"), flushed to disk, checked and renamed over FILE by commit(): a kill, a full
// disk or an error leaves the previous FILE as it was, never a half-written one. A path that
// names a device or a FIFO (--out /dev/null, a named pipe) is written in place, never replaced.
// Without a path the results go to standard output, checked on commit() too.
//
// Usage:
//   OutputFile out(args->out);           // "" -> standard output
//   write_result(out.stream(), ...);
//   out.commit();                        // throws doppel::Error (kIo) when a write failed
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace doppel::cli {

class OutputFile {
public:
    // Creates the temporary file beside `path` (throws doppel::Error when that is not possible);
    // an empty path means standard output.
    explicit OutputFile(std::string path);
    // Removes the temporary file when commit() was not reached.
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    std::ostream& stream();
    // Flushes and checks every write, then renames the temporary file over the path.
    void commit();

private:
    std::string path_, tmp_;
    std::ofstream file_;
    bool committed_ = false;
};

// Flushes standard output; throws doppel::Error (kIo) "cannot write standard output" when a write
// to it failed (a full disk, /dev/full, a closed pipe).
void check_stdout();

}  // namespace doppel::cli
