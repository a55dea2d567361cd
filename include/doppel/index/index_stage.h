// doppel: the interface of a stage that derives per-document data when documents are indexed
// (near-duplicate sketches, cross-language embeddings) and keeps it in the store.
//
// The Indexer (ops/indexer.h) calls add() once per batch with the documents that were added or
// replaced (or stored earlier without this stage's artifacts), inside the transaction that
// stores them, so a document and its artifacts are committed together; a stage writes its
// artifacts there, and its index files (derived data, rebuilt from the artifacts when they
// disagree with the store) at flush().
//
// Thread safety: implementations need not be thread-safe, with one exception: prepare() (and
// describe(), for its timing's name) of one batch may run on another thread while add_prepared()
// and take_warnings() of the batch before run (the Indexer's pipeline, ops/indexer.h), so
// prepare() must not touch what those change (its work goes into the Prepared it returns). The
// Indexer never runs two prepare() calls of one stage at once, nor two of the other methods; the
// prepare() calls of different stages run side by side, so stages share nothing mutable. A stage
// may spread its own work over threads inside add() and prepare().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "doppel/document.h"

namespace doppel {

class Store;

class IndexStage {
public:
    virtual ~IndexStage() = default;
    // docs[i] was stored under seqs[i]. Called inside the Indexer's transaction (a stage's own
    // Store::transaction joins it).
    virtual void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) = 0;
    // What prepare() made of a batch, for add_prepared(); each stage its own kind.
    struct Prepared {
        virtual ~Prepared() = default;
    };
    // Optional work on a batch before it is stored: what depends on the documents alone (the
    // sketches of their texts). The Indexer calls it on another thread while it stores this
    // batch or the one before (see the thread safety above), then add_prepared() with what it
    // returned. prepare() must not use the store. By default nothing (null).
    virtual std::unique_ptr<Prepared> prepare(std::size_t n, const AnalyzedDocument* docs) { return nullptr; }
    // add() with the work prepare() made, or null. A stage takes it only when it was made of the
    // same documents (an add given others, a subset, does its own work). By default add().
    virtual void add_prepared(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs,
                              std::unique_ptr<Prepared> prepared) {
        add(store, n, seqs, docs);
    }
    // Called, inside the Indexer's transaction, for documents whose language analysis changed in
    // place (same seq and text: language ID's settling, ops/indexer.h): the stage recomputes what
    // depends on the languages. By default as add(); a stage whose artifacts depend on the text
    // alone does nothing.
    virtual void relabeled(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) {
        add(store, n, seqs, docs);
    }
    // Called after documents were deleted from the store (their artifacts are gone already).
    virtual void removed(Store& store, std::size_t n, const int64_t* seqs) {}
    // Writes anything kept in memory (index files) to the store; called at the end of a run.
    virtual void flush(Store& store) {}
    // Warnings since the last call (a language without model data, ...), handed over once.
    virtual std::vector<std::string> take_warnings() { return {}; }
    // The artifact kinds add() writes for every document: a stored document without one of them
    // is incomplete (written by an older build, or before this stage was configured).
    virtual std::vector<std::string> artifact_kinds() const { return {}; }
    // The spec string that builds this stage.
    virtual std::string describe() const = 0;
    // A short name for progress and timing ("sketch", "embed"): describe() up to its first ':'.
    std::string name() const {
        std::string d = describe();
        return d.substr(0, d.find(':'));
    }
};

}  // namespace doppel
