// doppel (private): an anonymous temporary file that a run spills to past its memory bound, the
// one home of the spills' file handling (dedup's own shingle sets and band keys, the boilerplate
// band keys a run makes: ops/band_run_dedup.cpp, ops/dedup_state.cpp).
//
// The file is made at the first append (std::tmpfile: it has no name, and is gone when closed or
// when the process ends, however it ends). Appends go through a buffer of their own; flush()
// writes it out, and read() reads the file's bytes at any offset. `what` names the file in errors
// (kIo): "dedup's temporary file of band keys".
//
// Thread safety: append() and flush() need exclusive access; once flushed, read() may be called
// from any number of threads at once (pread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace doppel::impl {

class TempFile {
public:
    explicit TempFile(std::string what) : what_(std::move(what)) {}
    // Appends `bytes` bytes; returns the offset they start at.
    uint64_t append(const void* data, std::size_t bytes);
    // Writes the appended bytes still buffered to the file.
    void flush();
    // Reads `bytes` bytes at `offset` into out; all of them must be in the file (flushed).
    void read(uint64_t offset, void* out, std::size_t bytes) const;
    uint64_t size() const { return size_; }  // bytes appended, buffered ones included
    bool empty() const { return size_ == 0; }

private:
    void write_out(const char* p, std::size_t bytes);
    static constexpr std::size_t kBuffer = std::size_t{1} << 20;
    std::string what_;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, &std::fclose};
    std::vector<char> buffer_;
    uint64_t size_ = 0;
    uint64_t written_ = 0;  // bytes in the file
};

}  // namespace doppel::impl
