// SQLite's allocator (store/sqlite_memory.h): block sizes, SQLite's use of it, blocks freed on
// other threads than their own.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <thread>
#include <vector>

#include "store/sqlite_memory.h"

namespace doppel::store_detail {
namespace {

// Installed before this program's first use of SQLite (ctest runs each test in a process of its
// own; a run of the whole program runs this first too).
bool installed() {
    static const bool done = install_sqlite_memory();
    return done;
}

constexpr const char* kNotCached = "no cache under the address sanitizer (by design)";

TEST(SqliteMemory, BlockSizesCoverTheRequestWithLittleWaste) {
    std::size_t last = 0;
    for (std::size_t n = 1; n <= 70000; ++n) {
        const std::size_t size = sqlite_block_size(n);
        ASSERT_GE(size, n);
        ASSERT_GE(size, last) << n;
        ASSERT_EQ(size % 8, 0u) << n;
        if (n <= 128)
            ASSERT_LT(size - n, 16u) << n;
        else
            ASSERT_LE(size, n + n / 4) << n;
        last = size;
    }
    EXPECT_EQ(sqlite_block_size(4096), 4096u);
    EXPECT_EQ(sqlite_block_size(4097), 4104u);  // past the classes: to a multiple of 8
}

TEST(SqliteMemory, SqliteAllocatesThroughIt) {
    if (!kSqliteMemoryCache) GTEST_SKIP() << kNotCached;
    ASSERT_TRUE(installed());
    for (int n : {1, 7, 100, 129, 1000, 1500, 4096, 4097, 100000}) {
        auto* p = static_cast<unsigned char*>(sqlite3_malloc(n));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(sqlite3_msize(p), sqlite_block_size(static_cast<std::size_t>(n))) << n;
        for (int i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(i * 7);
        // Grown and shrunk, the bytes stay.
        for (int m : {2 * n + 1, n / 2 + 1, n + 5000}) {
            const int kept = std::min(n, m);
            p = static_cast<unsigned char*>(sqlite3_realloc(p, m));
            ASSERT_NE(p, nullptr);
            for (int i = 0; i < kept; ++i)
                ASSERT_EQ(p[i], static_cast<unsigned char>(i * 7)) << n << " -> " << m;
            n = kept;
        }
        sqlite3_free(p);
    }
    // A connection, a table, rows of a few sizes: SQLite's own allocations go through it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db,
                     "CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < 2000) INSERT INTO t SELECT randomblob(i) FROM n;",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT sum(length(x)) FROM t", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(st, 0), 2000 * 2001 / 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST(SqliteMemory, AFreedBlockServesTheThreadsNextOfItsClass) {
    if (!kSqliteMemoryCache) GTEST_SKIP() << kNotCached;
    ASSERT_TRUE(installed());
    void* p = sqlite3_malloc(1200);
    sqlite3_free(p);
    void* q = sqlite3_malloc(1100);  // the same class (1024 < n <= 1280)
    EXPECT_EQ(q, p);
    void* r = sqlite3_malloc(1100);  // p is taken: another block
    EXPECT_NE(r, q);
    sqlite3_free(q);
    sqlite3_free(r);
}

TEST(SqliteMemory, BlocksFreedByOtherThreadsAndThreadsThatEnd) {
    if (!kSqliteMemoryCache) GTEST_SKIP() << kNotCached;
    ASSERT_TRUE(installed());
    auto request = [](int i) { return 16 + (i * 37) % 5000; };
    std::vector<unsigned char*> blocks;
    std::thread([&] {
        for (int i = 0; i < 5000; ++i) {
            auto* p = static_cast<unsigned char*>(sqlite3_malloc(request(i)));
            std::memset(p, i & 0xff, static_cast<std::size_t>(request(i)));
            blocks.push_back(p);
        }
    }).join();  // its cache is emptied as it ends
    int damaged = 0;
    std::thread([&] {
        for (int i = 0; i < 5000; ++i) {  // the blocks as written, their sizes as allocated
            unsigned char* p = blocks[static_cast<std::size_t>(i)];
            damaged += sqlite3_msize(p) != sqlite_block_size(static_cast<std::size_t>(request(i))) ||
                       p[0] != (i & 0xff) || p[request(i) - 1] != (i & 0xff);
            sqlite3_free(p);  // kept by this thread up to its bounds, the rest freed
        }
        for (int i = 0; i < 5000; ++i) sqlite3_free(sqlite3_malloc(16 + (i * 53) % 5000));
    }).join();  // its cache is emptied as it ends
    EXPECT_EQ(damaged, 0);
    for (int i = 0; i < 1000; ++i) {
        auto* p = static_cast<char*>(sqlite3_malloc(300));
        std::memset(p, 1, 300);
        sqlite3_free(p);
    }
}

}  // namespace
}  // namespace doppel::store_detail
