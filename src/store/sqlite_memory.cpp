#include "store/sqlite_memory.h"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace doppel::store_detail {
namespace {

// Every block starts with a header holding its usable size: SQLite asks a block's size back
// (xSize), and a freed block's class is found from it. 16 bytes keep malloc's alignment.
constexpr std::size_t kHeader = 16;
// Blocks up to this size are cached; larger ones (the page cache's pages: a page and its
// header, which SQLite keeps and reuses itself) are malloc's, at their size.
constexpr std::size_t kMaxCached = 4096;
// Size classes: multiples of 16 up to 128, then four a power of two (at most a quarter more
// than asked): 16, 32, ..., 128, 160, 192, 224, 256, 320, ..., 4096.
constexpr std::size_t kSmallClasses = 8;
constexpr std::size_t kClasses = kSmallClasses + 4 * (std::bit_width(kMaxCached - 1) - 7);
// A thread keeps at most this many freed blocks of a class (at most 32 * 4 KiB = 128 KiB of
// the largest, about 0.9 MiB over all classes).
constexpr unsigned kKeptPerClass = 32;

struct SizeClass {
    std::size_t index, size;
};

// n in [1, kMaxCached].
SizeClass size_class(std::size_t n) {
    if (n <= 128) {
        const std::size_t k = (n + 15) / 16;
        return {k - 1, k * 16};
    }
    const int b = std::bit_width(n - 1);  // 2^(b-1) < n <= 2^b, b >= 8
    const std::size_t step = std::size_t{1} << (b - 3);
    const std::size_t k = (n + step - 1) / step;  // 5..8
    return {kSmallClasses + 4 * (b - 8) + (k - 5), k * step};
}

std::size_t& size_of(void* p) { return *reinterpret_cast<std::size_t*>(static_cast<char*>(p) - kHeader); }

// The block in `raw` (null: none) of usable `size`, its header written.
void* with_header(void* raw, std::size_t size) {
    if (!raw) return nullptr;
    *static_cast<std::size_t*>(raw) = size;
    return static_cast<char*>(raw) + kHeader;
}

void* from_malloc(std::size_t size) { return with_header(std::malloc(size + kHeader), size); }

void to_free(void* p) { std::free(static_cast<char*>(p) - kHeader); }

// A thread's freed blocks, by class: each list threads through the blocks themselves.
struct ThreadCache {
    struct Bin {
        void* head = nullptr;
        unsigned count = 0;
    };
    Bin bins[kClasses];
    ~ThreadCache();
};
thread_local bool cache_gone = false;  // set as the thread's cache is emptied at its end
thread_local ThreadCache cache;

ThreadCache::~ThreadCache() {
    cache_gone = true;
    for (Bin& bin : bins)
        while (bin.head) {
            void* p = bin.head;
            bin.head = *static_cast<void**>(p);
            to_free(p);
        }
}

void* cached_malloc(int n) {
    if (n <= 0) return nullptr;
    const auto bytes = static_cast<std::size_t>(n);
    if (bytes > kMaxCached) return from_malloc(sqlite_block_size(bytes));
    const SizeClass c = size_class(bytes);
    if (!cache_gone) {
        ThreadCache::Bin& bin = cache.bins[c.index];
        if (void* p = bin.head) {
            bin.head = *static_cast<void**>(p);
            --bin.count;
            return p;
        }
    }
    return from_malloc(c.size);
}

void cached_free(void* p) {
    if (!p) return;
    const std::size_t size = size_of(p);
    if (size <= kMaxCached && !cache_gone) {
        ThreadCache::Bin& bin = cache.bins[size_class(size).index];
        if (bin.count < kKeptPerClass) {
            *static_cast<void**>(p) = bin.head;
            bin.head = p;
            ++bin.count;
            return;
        }
    }
    to_free(p);
}

int cached_size(void* p) { return p ? static_cast<int>(size_of(p)) : 0; }

int rounded(int n) { return n <= 0 ? 0 : static_cast<int>(sqlite_block_size(static_cast<std::size_t>(n))); }

void* cached_realloc(void* p, int n) {
    if (!p) return cached_malloc(n);
    if (n <= 0) return cached_free(p), nullptr;
    const std::size_t size = sqlite_block_size(static_cast<std::size_t>(n));
    if (size == size_of(p)) return p;
    if (size > kMaxCached && size_of(p) > kMaxCached)  // malloc's both: realloc's
        return with_header(std::realloc(static_cast<char*>(p) - kHeader, size + kHeader), size);
    void* q = cached_malloc(n);
    if (!q) return nullptr;
    std::memcpy(q, p, std::min<std::size_t>(size_of(p), static_cast<std::size_t>(n)));
    cached_free(p);
    return q;
}

int no_init(void*) { return SQLITE_OK; }
void no_shutdown(void*) {}

}  // namespace

std::size_t sqlite_block_size(std::size_t n) {
    return n > kMaxCached ? (n + 7) & ~std::size_t{7} : size_class(std::max<std::size_t>(n, 1)).size;
}

bool install_sqlite_memory() {
    if (!kSqliteMemoryCache) return false;
    static const sqlite3_mem_methods methods = {cached_malloc, cached_free, cached_realloc, cached_size,
                                                rounded,       no_init,     no_shutdown,    nullptr};
    return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) == SQLITE_OK;
}

}  // namespace doppel::store_detail
