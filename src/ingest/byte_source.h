// doppel (private): reading a file's bytes as a stream, decompressed on the fly.
//
// A gzip file (any number of members, as `cat a.gz b.gz` and per-record WARC.gz files write
// them) or a zstd file (any number of frames) is recognized by its first bytes (its magic
// number), whatever its name, and decompressed as it is read: never unpacked to disk, never held
// whole in memory (two 64 KiB buffers, plus zstd's window). Other files pass through unchanged.
//
// A corrupt or truncated stream ends the bytes early; error() then says why and where (a byte
// offset in the compressed file), so the caller can keep what it read before and report the rest.
// Limits on what is kept (a document's size, a line's length) apply to the decompressed bytes:
// callers read through their own bounded readers (bounded_io.h), so a small file that inflates
// to gigabytes costs time, not memory.
//
// Thread safety: one reader at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>

namespace doppel::ingest {

enum class Compression { kNone, kGzip, kZstd };

// The compression whose magic number starts `head` (gzip 1F 8B, zstd 28 B5 2F FD).
Compression sniff_compression(std::string_view head);
const char* compression_name(Compression c);  // "gzip", "zstd", "none"

// A file name's compression suffix (".gz", ".zst", ".zstd", lower-case), or "" when none.
std::string_view compression_suffix(std::string_view path);

class ByteSource : public std::streambuf {
public:
    ByteSource();
    ~ByteSource() override;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;

    // Opens `path` ("-": standard input, not closed afterwards). False with *reason when it cannot
    // be opened or read.
    bool open(const std::string& path, std::string* reason);

    Compression compression() const { return compression_; }
    // Empty while the stream is sound; after a corrupt or truncated stream, one sentence.
    const std::string& error() const { return error_; }
    // Bytes read from the file so far (compressed ones for a compressed file).
    uint64_t raw_consumed() const { return raw_consumed_; }
    // Decompressed bytes handed out so far.
    uint64_t position() const { return produced_ - static_cast<uint64_t>(egptr() - gptr()); }
    // What is buffered at the read position (fills the buffer when it is empty): the start of the
    // stream right after open(), for sniffing formats. Empty at the end.
    std::string_view peek();

protected:
    int_type underflow() override;

private:
    struct Codec;
    bool refill_input();                  // reads more raw bytes; false at the end of the file
    std::size_t decode(char* out, std::size_t cap);  // 0 at the end or on error
    std::size_t decode_gzip(char* out, std::size_t cap);
    std::size_t decode_zstd(char* out, std::size_t cap);
    void fail(std::string why);

    FILE* file_ = nullptr;
    bool owns_file_ = false;
    Compression compression_ = Compression::kNone;
    std::unique_ptr<Codec> codec_;
    std::string in_;          // raw bytes
    std::size_t in_pos_ = 0;  // first unread raw byte in in_
    std::string out_;         // decoded bytes: the get area
    uint64_t raw_consumed_ = 0;
    uint64_t produced_ = 0;
    bool eof_ = false;        // the file is exhausted
    std::string error_;
};

}  // namespace doppel::ingest
