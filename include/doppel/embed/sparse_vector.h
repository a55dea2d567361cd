// doppel: a sparse vector over hashed features, the exact form of a bridge embedding.
//
// ids are 64-bit feature hashes, sorted ascending and unique; weights[i] belongs to ids[i].
// Used raw (term counts, as stored in the "features/bridge" artifact) or TF-IDF weighted and
// L2-normalized (then dot() of two such vectors is their cosine similarity).
//
// Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace doppel {

struct SparseVector {
    std::vector<uint64_t> ids;
    std::vector<float> weights;

    std::size_t size() const { return ids.size(); }
    bool empty() const { return ids.empty(); }
    // Sorts by id and sums the weights of equal ids, each sum in the order the ids came in.
    void canonicalize() { canonicalize(0); }
    // The same for the entries from `from` on (those before stay as they are): what
    // canonicalize() of a vector of those entries alone, appended to the ones before, gives.
    void canonicalize(std::size_t from);
    // Scales to unit L2 norm (no change when all weights are 0).
    void normalize();
    float norm() const;

    // Binary form: magic "DPSV", uint32 version 1, uint32 n, n uint64 ids, n float weights.
    std::string serialize() const;
    // Throws doppel::Error on a bad magic, version or size.
    static SparseVector deserialize(std::string_view blob);
};

// A vector summed from parts given one after the other (need not be canonical): take() gives
// what canonicalize() of all the parts' entries joined gives, bit for bit (each id's weights
// added in the order they come, part after part), holding one entry per distinct id, not every
// entry. A long document's runs of paragraphs are summed so (EmbeddingStage), each run freed
// once added: one pass over each run's entries into a table, where merging the growing sum with
// each run cost a pass over the sum per run (the copyright corpus's 2 MB document, 552,000
// entries in 8 runs, on one thread: 14.4 ms and three sorting buffers of all the entries then,
// 5-12 ms now).
//
// Thread safety: a plain value.
class SparseSum {
public:
    void add(const SparseVector& part);
    // The sum, canonical; this sum starts afresh.
    SparseVector take();

private:
    std::size_t slot_of(uint64_t id) const;  // its slot, or the free one where it would go
    void grow();
    std::vector<uint64_t> ids_;  // a power of two of slots, at most half of them used
    std::vector<float> weights_;
    std::vector<uint8_t> used_;
    std::size_t count_ = 0;
    int shift_ = 64;
};

// Inner product of two canonical sparse vectors (a merge over the sorted ids).
float dot(const SparseVector& a, const SparseVector& b);

// Whether two vectors hold the same entries, weights bit for bit (what makes their embeddings and
// their counts the same), and a hash of the entries that such vectors share: the key that
// finds exact copies' features among many (impl::first_of_repeats).
bool same_entries(const SparseVector& a, const SparseVector& b);
uint64_t entries_hash(const SparseVector& v);

}  // namespace doppel
