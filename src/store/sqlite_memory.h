// SQLite's memory allocator for the process (SQLITE_CONFIG_MALLOC): system malloc behind a
// per-thread cache of the blocks SQLite freed, by size class.
//
// Why: Debian builds SQLite with SQLITE_OMIT_LOOKASIDE, so every record SQLite assembles for a
// row (OP_MakeRecord), every cursor and every statement's registers is a malloc and a free. On
// `index`'s writing thread that was 18% of its time on a news feed, a third of it waiting for
// the heap's lock, which the preparing threads hold as they sketch the next batch (`index`
// uses one arena, see cli/main.cpp). The cache does for every connection what lookaside does
// for one, without the lock: a block freed by a thread serves that thread's next allocation of
// the same class. A file of 100,000 feed items indexed into a store of 100,000 (12 pairs,
// interleaved): 1.86 -> 1.57 s CPU, 1.30 -> 1.14 s wall.
//
// Thread safety: install_sqlite_memory() once, before SQLite's first use in the process (SQLite
// refuses a configuration after sqlite3_initialize(): the process's allocator then stays as it
// was, which is only slower). Blocks may be freed by any thread; each thread's cache is its own
// and is emptied when the thread ends.
#pragma once

#include <cstddef>

namespace doppel::store_detail {

// False in builds with AddressSanitizer (gcc's macro, clang's feature test), whose checks a
// cache of freed blocks would hide: SQLite keeps its own allocator there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSqliteMemoryCache = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSqliteMemoryCache = false;
#else
inline constexpr bool kSqliteMemoryCache = true;
#endif
#else
inline constexpr bool kSqliteMemoryCache = true;
#endif

// Configures SQLite to use the cache. Returns false where SQLite was already initialized, or
// without kSqliteMemoryCache: its allocator is left.
bool install_sqlite_memory();

// The size of the block that serves a request of n bytes (n >= 1): a size class up to 4 KiB
// (multiples of 16 up to 128, then four classes a power of two: at most a quarter more than n),
// n rounded up to a multiple of 8 above.
std::size_t sqlite_block_size(std::size_t n);

}  // namespace doppel::store_detail
