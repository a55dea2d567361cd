// doppel: errors.
//
// doppel reports problems through two channels (README, "Using the library from C++"):
//  - `doppel::Error`, an exception, for misuse, bad configuration and I/O failures that stop an
//    operation (a store that cannot be opened, a model file with the wrong magic number). It
//    carries an ErrorCode, so that callers can react without reading the message, and records
//    the source file and line that raised it, as FAISS' FAISS_THROW_MSG does.
//  - `doppel::RecordError`, a plain value, for one bad input record (invalid UTF-8, malformed JSON,
//    an empty document). Batch operations return these beside their results and go on.
//
// Raising one: DOPPEL_THROW(kNotFound, "store not found: " + dir), or
// DOPPEL_CHECK(kInvalidArgument, n > 0, "n must be positive"); the code names an ErrorCode value.
//
// Thread safety: both types are plain values.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace doppel {

// What kind of failure an Error reports. The values are stable: bindings map them to their own
// exception types, and new values are only added at the end.
enum class ErrorCode {
    kInvalidArgument = 1,  // a call or option value out of its range, or calls in the wrong order
    kBadSpec = 2,          // a spec string that does not parse, or names an unknown component or key
    kNotFound = 3,         // a file, folder, store, document or model that is not there
    kIo = 4,               // reading or writing a file failed (permissions, full disk, short read)
    kBadFormat = 5,        // a file or stored blob is not what it claims: bad magic, truncated, wrong size
    kVersion = 6,          // a file or store in a format version this build cannot read
    kStore = 7,            // the SQLite store reported an error (locked, constraint, corrupt database)
    kModelMismatch = 8,    // stored data was made with other models or specs than the ones given
    kIcu = 9,              // an ICU service failed to open or run
    kInternal = 10,        // a broken invariant: a bug in doppel
};

// "invalid-argument", "bad-spec", ...: a stable name for messages and bindings.
const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message, const char* file, int line);
    ErrorCode code() const noexcept { return code_; }
    // Where in doppel's sources the error was raised.
    const char* file() const noexcept { return file_; }
    int line() const noexcept { return line_; }

private:
    ErrorCode code_;
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

// `code` is the name of an ErrorCode value without its type: DOPPEL_THROW(kIo, "cannot write x").
#define DOPPEL_THROW(code, msg) throw ::doppel::Error(::doppel::ErrorCode::code, (msg), __FILE__, __LINE__)
#define DOPPEL_CHECK(code, cond, msg)         \
    do {                                      \
        if (!(cond)) DOPPEL_THROW(code, msg); \
    } while (0)
