// doppel: one writer at a time per store.
//
// SQLite serializes the database's own transactions, but a store also holds derived files (the
// FAISS vector index, vectors.idx) that a writer loads, extends and saves at the end of its run:
// two writers running at once would each save their own copy, and the last one would drop the
// other's additions. A StoreWriteLock is an exclusive lock on the store's writers (flock on
// DIR/doppel.lock), held while the object lives; the Indexer (ops/indexer.h) takes one, so two
// processes indexing into one store take turns. Readers (dedup, check, translations, report)
// never take it.
//
// Thread safety: the constructor blocks until the lock is free, also against another
// StoreWriteLock of the same process (each holds its own open file). Not copyable.
#pragma once

#include <string>

namespace doppel {

class StoreWriteLock {
public:
    static constexpr const char* kLockFile = "doppel.lock";

    // Blocks until no other writer holds the store in `dir`. Throws doppel::Error (kIo) when the
    // lock file cannot be opened or locked.
    explicit StoreWriteLock(const std::string& dir);
    ~StoreWriteLock();
    StoreWriteLock(const StoreWriteLock&) = delete;
    StoreWriteLock& operator=(const StoreWriteLock&) = delete;

    // Whether another writer holds the store in `dir` right now (does not wait). Opens the lock
    // file read-only and never creates it (no file: no writer).
    static bool held_by_another(const std::string& dir);

private:
    int fd_ = -1;
};

}  // namespace doppel
