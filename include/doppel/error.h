// doppel: errors.
//
// doppel reports problems through two channels (see docs in README "Errors"):
//  - `doppel::Error`, an exception, for misuse, bad configuration and I/O failures that stop an
//    operation (a store that cannot be opened, a model file with the wrong magic number). It
//    records the source file and line that raised it, as FAISS' FAISS_THROW_MSG does.
//  - `doppel::RecordError`, a plain value, for one bad input record (invalid UTF-8, malformed JSON,
//    an empty document). Batch operations return these beside their results and go on.
//
// Thread safety: both types are plain values.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace doppel {

class Error : public std::runtime_error {
public:
    Error(const std::string& message, const char* file, int line);
    // Where in doppel's sources the error was raised.
    const char* file() const noexcept { return file_; }
    int line() const noexcept { return line_; }

private:
    const char* file_;
    int line_;
};

// One input record that could not be used. Formatted the way compilers report errors, so that
// people and scripts can find it: "PATH:LINE: reason", or "PATH: reason" when line is 0.
struct RecordError {
    std::string path;    // file the record came from ("-" for standard input)
    std::size_t line = 0;  // 1-based line number, 0 when no line applies
    std::string reason;  // one lower-case sentence, no trailing period

    std::string to_string() const;
};

}  // namespace doppel

#define DOPPEL_THROW(msg) throw ::doppel::Error((msg), __FILE__, __LINE__)
#define DOPPEL_CHECK(cond, msg)        \
    do {                               \
        if (!(cond)) DOPPEL_THROW(msg); \
    } while (0)
