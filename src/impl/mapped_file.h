// doppel: a file's bytes mapped read-only into memory (private helper).
//
// map_file() maps a whole file (mmap, MAP_PRIVATE): opening a model of tens of megabytes costs
// no copy, and pages are read as they are touched and shared between processes. The bytes start
// page-aligned. Where a file cannot be mapped (an empty file, a pipe) it is read into memory
// instead. Throws doppel::Error (kIo) when the file cannot be opened or read.
//
// Thread safety: the bytes are immutable; the owner may be copied and released on any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace doppel::impl {

struct MappedFile {
    std::shared_ptr<const void> owner;  // keeps the mapping (or the buffer) alive
    std::string_view bytes;
};

MappedFile map_file(const std::string& path);

}  // namespace doppel::impl
