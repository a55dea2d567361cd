// doppel: checking a store, and repairing what can be recomputed (`doppel verify`).
//
// A store (store/store.h) holds documents, their per-document artifacts (sketches, features) and
// derived files (the vector index, index/vector_index.h). verify_store() checks, in order:
//   integrity     SQLite's own check of the database file and its foreign keys;
//   schema        the store's schema version is the one this build writes;
//   artifacts     every document has every artifact kind the store's stages write (the kinds
//                 recorded in the metadata, ops/indexer.h kArtifactKindsMeta, and those present);
//   vector index  the index is intact and in step with the stored features
//                 (index/vector_index_check.h); only for stores with features or an index;
//   paragraphs    every document's stored paragraphs (spans and languages) can be read and lie
//                 within its text (a damaged row reads as no paragraphs: named here, not
//                 repaired; deleting the document and indexing it again restores it);
//   copies        every exact copy stored as a pointer to the document holding its text
//                 (store/store.h, schema 8) names a stored holder with the same content hash
//                 (not repaired either: deleting the copy and indexing it again restores it);
//   ids           every document is found by its id through the id keys (store/store.h, schema
//                 9), no key names a missing document, and no two documents share an id (keys
//                 are computed again by repair; a shared id is named, not repaired);
//   band runs     the LSH band runs of every banding the store keeps (index/lsh_band_store.h)
//                 read whole: each segment present, decoding and in order, and every stored
//                 signature's keys in every band (index/near_duplicate_index.h check_band_runs).
// With repair, the missing artifacts are computed again from the stored texts and analyses with
// the stages of the store's kinds (the embedding stage needs bridge.lex in options.index.models_dir;
// the stored analyses are reused, so the language-ID model is never loaded), damaged band runs
// are dropped and built again from the stored signatures, the id keys are computed again where
// they are wrong, and the vector index is rebuilt or
// brought in step; the checks then run again. A damaged database file
// cannot be repaired here (restore a copy, or index the inputs into a new store).
//
// Usage:
//   StoreVerification v = verify_store("store/", {.repair = true});
//   for (const auto& f : v.findings) std::cout << f.check << ": " << f.detail << "\n";
//
// Without repair nothing in the store's folder is written or created (not even the lock file).
//
// Thread safety: verification reads the store like any reader (a writer running meanwhile can
// make the vector index look out of step: `writer_running` says so); repair takes the store's
// write lock (store/store_write_lock.h), waiting for a running writer to finish.
#pragma once

#include <string>
#include <vector>

#include "doppel/ops/indexer.h"

namespace doppel {

//   setting  default  meaning
//   repair   false    recompute missing artifacts and the vector index
//   index    {}       models_dir (lid.176.ftz, bridge.lex) and vector index factory for repairs
struct VerifyOptions {
    bool repair = false;
    IndexConfig index;
};

struct VerifyFinding {
    std::string check;   // "integrity", "schema", "artifacts", "vector index", "paragraphs", "copies",
                         // "ids", "band runs"
    bool ok = true;
    std::string detail;  // what was found ("ok", or the problem naming documents and files)
};

struct StoreVerification {
    std::vector<VerifyFinding> findings;  // the checks, in the order above
    bool healthy = true;                  // every check ok (before any repair)
    bool writer_running = false;          // another process held the write lock during the checks
    std::vector<std::string> repairs;     // what repair did, in order
    std::vector<VerifyFinding> after;     // with repair: the checks again afterwards
    bool repaired = false;                // with repair: every check ok afterwards
};

// Checks (and with options.repair repairs) the store in `dir`. Throws doppel::Error when the
// store cannot be opened at all (missing, not a doppel store, a newer schema).
StoreVerification verify_store(const std::string& dir, const VerifyOptions& options = {});

}  // namespace doppel
