// doppel (private): reading inputs with a bound on memory, whatever they are (regular files,
// pipes, devices such as /dev/zero, standard input): no read keeps more than the limit.
#pragma once

#include <cstddef>
#include <istream>
#include <string>

namespace doppel::ingest {

// Reads the file at `path` into *data, at most `limit` bytes. Returns false with *reason set when
// it cannot be opened or read, or holds more than `limit` bytes (then *data is cleared and
// *consumed says how much was read before stopping).
bool read_bounded(const std::string& path, std::size_t limit, std::string* data, std::string* reason,
                  std::size_t* consumed);

// The same over a stream buffer (a ByteSource, decompressing): at most `limit` bytes are kept;
// a longer stream is refused (reading stops there).
bool read_bounded(std::streambuf& in, std::size_t limit, std::string* data, std::string* reason,
                  std::size_t* consumed);

// Reads lines of at most `limit` bytes from a stream. A longer line is consumed without being
// kept; a NUL byte marks the stream as binary (JSON text holds none), and reading stops there.
class LineReader {
public:
    enum class Result { kLine, kTooLong, kBinary, kEnd };

    LineReader(std::istream& in, std::size_t limit) : in_(in), limit_(limit) {}
    // The next line without its '\n' (and '\r') in *line; kTooLong leaves *line empty and says
    // how long it was through length().
    Result next(std::string* line);
    std::size_t length() const { return length_; }        // bytes of the last line
    std::size_t consumed() const { return consumed_; }    // bytes read in all
    bool ended_with_newline() const { return newline_; }  // false: the last line ended the stream

private:
    bool fill();  // refills buf_ from the stream; false at its end

    std::istream& in_;
    std::size_t limit_;
    std::size_t length_ = 0;
    std::size_t consumed_ = 0;
    bool newline_ = false;
    std::string buf_;       // bytes read from the stream, not yet handed out from pos_ on
    std::size_t pos_ = 0;
};

// A size in words: "3 MiB", "12 KiB", "100 bytes".
std::string human_size(std::size_t bytes);

}  // namespace doppel::ingest
