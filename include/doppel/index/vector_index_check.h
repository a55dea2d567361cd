// doppel: whether a store's vector index is in step with the store.
//
// The vector index (index/vector_index.h, "vectors.idx" and its FAISS files) is derived data: the
// embedding stage (index/embedding_stage.h) computes it from the stored features at the end of an
// index run, so a run stopped before that, a deleted or damaged file, or a second program's copy
// can leave it out of step with the documents. After every save the stage records what it wrote
// in the store's metadata ("vector_index.state": count, ids digest and header checksum, see
// record_vector_index). check_vector_index() compares three things:
//   intact   the header reads, every FAISS file matches its checksum, and the store's record
//            names this very header;
//   in step  intact, and it indexes exactly the documents that have a "features/bridge" artifact
//            (the documents with features), by count and by a digest of their seqs.
// A document whose language changed in place (same seq: language ID's settling, ops/indexer.h)
// sits in the index under its old language until the index is saved again: the embedding stage
// lists such seqs in the metadata ("vector_index.relabeled", add_relabeled()) in the transaction
// that changes them, and an index is not in step while the list is not empty;
// record_vector_index() empties it.
// Writers rebuild an index that is not intact and bring an intact one in step (EmbeddingStage::
// flush); readers (`doppel translations`) build one in memory for the run; `doppel verify`
// reports it and `--repair` rebuilds it.
//
// Thread safety: plain functions over a Store (see store.h).
#pragma once

#include <cstddef>
#include <string>

#include "doppel/index/vector_index.h"

namespace doppel {

class Store;

struct VectorIndexCheck {
    bool present = false;   // vectors.idx exists
    bool intact = false;    // see above
    bool in_step = false;   // see above; true also for a store without features and without index
    std::size_t indexed = 0;   // documents in the index (0 unless intact)
    std::size_t expected = 0;  // documents with features in the store
    std::string problem;       // why it is not in step, naming the file; empty when in step
};

// Checks the vector index of `store` (reads the header and hashes the FAISS files). With
// `files` naming languages (VectorIndex::LoadOptions), only their parts' files are hashed: the
// check before a partial load of those parts (the header, the store's record, the count, the
// ids digest and the relabeled list are checked as always; "intact" then says nothing of the
// files not hashed).
VectorIndexCheck check_vector_index(const Store& store, const VectorIndex::LoadOptions& files = {});

// The seqs listed as relabeled since the index was saved (sorted, unique), and adding to them
// (inside the transaction that changes those documents).
std::vector<int64_t> relabeled_seqs(const Store& store);
void add_relabeled(Store& store, std::size_t n, const int64_t* seqs);

// Records in the store's metadata what VectorIndex::save wrote (call right after it, with an
// index that holds the relabeled documents under their present languages): empties the list of
// relabeled seqs.
void record_vector_index(Store& store, const VectorIndex::FileState& state);

}  // namespace doppel
