// doppel: MinHash signatures of shingle sets.
//
// A MinHash signature summarizes a shingle set (shingler.h) in `perms` 32-bit values: value i is
// the minimum of h_i(x) over the set's shingles x, where h_i is the i-th of `perms` pseudo-random
// permutations of the 32-bit numbers. For two sets A and B, P[sig_A[i] == sig_B[i]] is their
// Jaccard similarity, so the share of equal values estimates it; the LSH index (index/lsh_index.h)
// uses this to find candidates, and exact verification then computes the real Jaccard.
//
// The permutations are cheap and laid out for SIMD: each shingle's 64-bit XXH3 hash is folded to
// 32 bits x once, then h_i(x) = mix(a_i * x + b_i) with odd a_i, c_i and
// mix(v) = ((v ^ v >> 15) * c_i) ^ (that >> 13): a bijection of 32-bit values computed in 32-bit
// lanes, so the loop over i vectorizes (SSE2, or AVX2 through function multiversioning).
// a_i, b_i, c_i come from `seed` by SplitMix64.
//
// Layout: a signature is `perms` consecutive uint32_t; the signatures of n documents are
// sigs[i * perms + j] (value j of document i). The signature of an empty set is all 0xFFFFFFFF.
//
// Spec string: "minhash:perms=128,seed=1" (describe() gives it back).
//
// Thread safety: a MinHash is immutable; sign() and sign_changed() may be called from many threads
// at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace doppel {

// The MinHash spec doppel uses unless told otherwise (near-duplicate finder and index).
inline constexpr const char* kDefaultMinHashSpec = "minhash:perms=128,seed=1";

struct MinHashOptions {
    int perms = 128;    // values per signature (permutations); a multiple of 8, 8..1024
    uint64_t seed = 1;  // seeds the permutations: signatures compare only under the same seed
};

class MinHash {
public:
    explicit MinHash(MinHashOptions options = {});
    // Builds from a spec such as "minhash:perms=128,seed=1". Throws doppel::Error on a bad spec.
    static std::unique_ptr<MinHash> from_spec(const std::string& spec);

    int perms() const { return options_.perms; }
    uint64_t seed() const { return options_.seed; }
    // Writes the signature of the n shingle hashes at `shingles` to sig[0..perms).
    void sign(const uint64_t* shingles, std::size_t n, uint32_t* sig) const;
    std::vector<uint32_t> sign(const std::vector<uint64_t>& shingles) const;
    // The signature of a set T made from a set S by taking out `removed` (elements of S) and
    // putting in `added`, into sig: equal to sign(T), from S's signature sig_s. T (all its n_t
    // values) is read only for the permutations whose minimum over S is a removed value's (each
    // other minimum stays, or an added value's is lower), and only for those: when a small share
    // of S goes, a fraction of the cost of signing T.
    void sign_changed(const uint32_t* sig_s, const uint64_t* removed, std::size_t n_removed, const uint64_t* added,
                      std::size_t n_added, const uint64_t* t, std::size_t n_t, uint32_t* sig) const;

    // Share of equal values of two signatures: the estimated Jaccard similarity.
    double estimate(const uint32_t* a, const uint32_t* b) const;

    std::string describe() const;

private:
    MinHashOptions options_;
    std::vector<uint32_t> a_, b_, c_;
};

}  // namespace doppel
