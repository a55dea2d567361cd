// Synthetic feature documents for the matcher and search benchmarks (bench_match, bench_search):
// documents of feature ids drawn from a Zipf-like vocabulary of 50,000 (feature rank r with
// probability ~ 1 / (r + 10), as document frequency shapes real text), "versions" of a document
// that keep each feature with probability 0.7 and replace the rest, idf-like weights, and the
// bridge embedder's dense form (BridgeEmbedder::densify's signed feature hashing; no lexicon).
// One random stream (std::mt19937_64, seed 7) serves every draw, so a benchmark's pool is the
// same from run to run on one standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/sparse_vector.h"
#include "doppel/index/vector_index.h"

namespace doppel::bench {

class SyntheticFeatures {
public:
    explicit SyntheticFeatures(std::size_t dim) : hasher_(options(dim), std::shared_ptr<const BridgeLexicon>()) {
        std::vector<double> w(50000);
        for (std::size_t r = 0; r < w.size(); ++r) w[r] = 1.0 / (static_cast<double>(r) + 10.0);
        vocab_ = std::discrete_distribution<uint64_t>(w.begin(), w.end());
    }

    // n features drawn from the vocabulary.
    std::vector<uint64_t> words(std::size_t n) {
        std::vector<uint64_t> f;
        for (std::size_t j = 0; j < n; ++j) f.push_back(vocab_(rng_));
        return f;
    }
    // A version of `f`: each feature kept with probability 0.7, else replaced by a fresh draw.
    std::vector<uint64_t> version_of(const std::vector<uint64_t>& f) {
        std::vector<uint64_t> v;
        for (uint64_t id : f) v.push_back(unit_(rng_) < 0.7f ? id : vocab_(rng_));
        return v;
    }
    // The weighted, canonical, unit-length sparse vector of `f` (rare features weigh more).
    static SparseVector vector_of(const std::vector<uint64_t>& f) {
        SparseVector v;
        for (uint64_t id : f) {
            v.ids.push_back(id);
            v.weights.push_back(static_cast<float>(std::log(2.0 + static_cast<double>(id))));
        }
        v.canonicalize();
        v.normalize();
        return v;
    }
    // Appends the dense form of `v` (dim floats) to `dense`.
    void append_dense(const SparseVector& v, std::vector<float>& dense) const {
        const std::size_t dim = hasher_.dim();
        dense.resize(dense.size() + dim);
        hasher_.densify(v, dense.data() + dense.size() - dim);
    }

private:
    static BridgeEmbedderOptions options(std::size_t dim) {
        BridgeEmbedderOptions eo;
        eo.dim = dim;
        return eo;
    }
    std::mt19937_64 rng_{7};
    std::discrete_distribution<uint64_t> vocab_;
    std::uniform_real_distribution<float> unit_{0, 1};
    BridgeEmbedder hasher_;
};

// Adds the documents of each language in `names` to `index`: document i has language langs[i],
// id seqs[i] and dense vector dense[i * dim, (i + 1) * dim).
inline void add_by_language(VectorIndex& index, const std::vector<std::string>& names,
                            const std::vector<std::string>& langs, const std::vector<int64_t>& seqs,
                            const std::vector<float>& dense) {
    const std::size_t dim = index.dim();
    for (const std::string& lang : names) {
        std::vector<int64_t> ids;
        std::vector<float> x;
        for (std::size_t i = 0; i < seqs.size(); ++i)
            if (langs[i] == lang) {
                ids.push_back(seqs[i]);
                x.insert(x.end(), dense.begin() + static_cast<std::ptrdiff_t>(i * dim),
                         dense.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
            }
        index.add(lang, ids.size(), ids.data(), x.data());
    }
}

}  // namespace doppel::bench
