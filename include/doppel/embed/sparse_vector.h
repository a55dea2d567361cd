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
    // Where this vector is canonicalize() of some entries E, makes it canonicalize() of E followed
    // by `more`'s entries (in their order; `more` need not be canonical), bit for bit: each id's
    // sum is a left fold in input order, and this vector holds its fold over E already. A long
    // list of entries is so summed a part at a time, without all of it in memory at once.
    void accumulate(const SparseVector& more);
    // Scales to unit L2 norm (no change when all weights are 0).
    void normalize();
    float norm() const;

    // Binary form: magic "DPSV", uint32 version 1, uint32 n, n uint64 ids, n float weights.
    std::string serialize() const;
    // Throws doppel::Error on a bad magic, version or size.
    static SparseVector deserialize(std::string_view blob);
};

// Inner product of two canonical sparse vectors (a merge over the sorted ids).
float dot(const SparseVector& a, const SparseVector& b);

// Whether two vectors hold the same entries, weights bit for bit (what makes their embeddings and
// their counts the same), and a hash of the entries that such vectors share: the key that
// finds exact copies' features among many (impl::first_of_repeats).
bool same_entries(const SparseVector& a, const SparseVector& b);
uint64_t entries_hash(const SparseVector& v);

}  // namespace doppel
