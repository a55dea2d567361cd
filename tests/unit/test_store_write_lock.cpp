#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "doppel/error.h"
#include "doppel/store/store.h"
#include "doppel/store/store_write_lock.h"
#include "support/test_support.h"

namespace doppel {
namespace {

using namespace std::chrono_literals;

TEST(StoreWriteLock, ASecondWriterWaitsForTheFirst) {
    test::TempDir dir("store-write-lock");
    Store store(dir.path());
    EXPECT_FALSE(StoreWriteLock::held_by_another(dir.path()));
    auto first = std::make_unique<StoreWriteLock>(dir.path());
    EXPECT_TRUE(StoreWriteLock::held_by_another(dir.path()));

    std::atomic<bool> second_has_it{false};
    std::thread second([&] {
        StoreWriteLock lock(dir.path());
        second_has_it = true;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(second_has_it) << "the second writer must wait while the first holds the store";
    first.reset();
    second.join();
    EXPECT_TRUE(second_has_it);
    EXPECT_FALSE(StoreWriteLock::held_by_another(dir.path()));
}

TEST(StoreWriteLock, AskingWhetherAWriterRunsCreatesNoLockFile) {
    test::TempDir dir("store-write-lock-probe");
    const std::string lock_file = dir.path() + "/" + StoreWriteLock::kLockFile;
    EXPECT_FALSE(StoreWriteLock::held_by_another(dir.path()));
    EXPECT_FALSE(std::filesystem::exists(lock_file)) << "a reader's probe must leave the folder as it was";
    { StoreWriteLock writer(dir.path()); }
    EXPECT_TRUE(std::filesystem::exists(lock_file));
    EXPECT_FALSE(StoreWriteLock::held_by_another(dir.path()));
}

TEST(StoreWriteLock, AMissingFolderIsAnIoError) {
    try {
        StoreWriteLock lock("/nonexistent/doppel-store");
        FAIL() << "locking a missing folder should throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kIo);
    }
}

}  // namespace
}  // namespace doppel
