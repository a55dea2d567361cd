// doppel: the interface of a stage that derives per-document data when documents are indexed
// (near-duplicate sketches, cross-language embeddings) and keeps it in the store.
//
// The Indexer (ops/indexer.h) calls add() once per batch with the documents that were added or
// replaced, after they are in the store; a stage writes its artifacts and index files there.
//
// Thread safety: implementations need not be thread-safe; the Indexer calls them from one thread
// (a stage may spread its own work over threads inside add()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "doppel/document.h"

namespace doppel {

class Store;

class IndexStage {
public:
    virtual ~IndexStage() = default;
    // docs[i] was stored under seqs[i]. Called inside no transaction: open one with
    // Store::transaction if the writes must be atomic.
    virtual void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) = 0;
    // Called after documents were deleted from the store (their artifacts are gone already).
    virtual void removed(Store& store, std::size_t n, const int64_t* seqs) {}
    // Writes anything kept in memory (index files) to the store; called at the end of a run.
    virtual void flush(Store& store) {}
    // Warnings since the last call (a language without model data, ...), handed over once.
    virtual std::vector<std::string> take_warnings() { return {}; }
    // The spec string that builds this stage.
    virtual std::string describe() const = 0;
    // A short name for progress and timing ("sketch", "embed"): describe() up to its first ':'.
    std::string name() const {
        std::string d = describe();
        return d.substr(0, d.find(':'));
    }
};

}  // namespace doppel
