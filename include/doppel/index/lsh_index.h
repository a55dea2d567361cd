// doppel: banded locality-sensitive hashing (LSH) over MinHash signatures.
//
// A signature of `perms` values (sketch/min_hash.h) is cut into `bands` bands of `rows`
// consecutive values (bands * rows <= perms; the rest is unused). Two documents whose signatures
// agree on every value of at least one band land in the same bucket of that band's table: they
// are a *candidate* pair. A pair with Jaccard similarity s becomes a candidate with probability
//     P(s) = 1 - (1 - s^rows)^bands,
// an S-curve. Candidates are only a short list: exact verification on the shingle sets decides.
//
// choose_lsh_params() picks (bands, rows) from the requested threshold t and a target recall at t
// (default 0.99), not from the S-curve midpoint: among all (b, r) with b * r <= perms and
// P(t) >= target it takes the one with the fewest expected false candidates, measured as the area
// under P(s) for s in [0, t) (the chance that a pair below the threshold is a candidate). Since
// P is increasing in s, every pair at or above t is found with probability >= target.
//
// Layout: signatures of n documents are sigs[i * perms + j], as in min_hash.h.
//
// Thread safety: the free functions are pure; an LshIndex is safe for concurrent const use
// (query) and not for concurrent add/remove.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace doppel {

struct LshParams {
    int bands = 0;
    int rows = 0;
    bool operator==(const LshParams&) const = default;
};

// A banding written "<bands>x<rows>" (16 bands of 6 rows: "16x6"), as the store names its band
// runs and records the bandings it keeps (index/near_duplicate_index.h), and the banding of such a
// name (nullopt: not one, or a count under 1).
std::string banding_name(LshParams p);
std::optional<LshParams> parse_banding(std::string_view name);

// P(s) above: the probability that a pair of Jaccard similarity s is a candidate.
double lsh_candidate_probability(double s, LshParams p);
// The (bands, rows) for `threshold` and `target_recall` (see above). Throws doppel::Error when no
// choice reaches the target with `perms` values.
LshParams choose_lsh_params(double threshold, int perms, double target_recall = 0.99);

// The key of band `band` of one signature (a hash of its `rows` values and the band number).
uint64_t lsh_band_key(const uint32_t* sig, LshParams p, int band);

// All candidate pairs among n signatures (batch mode, no index kept): pairs (i, j), i < j, as
// (uint64_t(i) << 32 | j), sorted and without repeats. skip[i] (optional) leaves document i out.
std::vector<uint64_t> lsh_candidate_pairs(std::size_t n, const uint32_t* sigs, int perms, LshParams p,
                                          const std::vector<bool>* skip = nullptr);

// An incremental index: add, remove and query documents by a 64-bit id (the store's seq).
class LshIndex {
public:
    LshIndex(int perms, LshParams params);

    // Adds n documents: ids[i] with signature sigs[i * perms ...]. An id added twice is replaced.
    void add(std::size_t n, const int64_t* ids, const uint32_t* sigs);
    void remove(int64_t id);
    // The ids sharing at least one band bucket with `sig`, sorted, without repeats.
    std::vector<int64_t> query(const uint32_t* sig) const;

    std::size_t size() const { return sigs_.size(); }
    LshParams params() const { return params_; }
    int perms() const { return perms_; }

private:
    int perms_;
    LshParams params_;
    std::vector<std::unordered_map<uint64_t, std::vector<int64_t>>> tables_;  // one per band
    std::unordered_map<int64_t, std::vector<uint32_t>> sigs_;
};

}  // namespace doppel
