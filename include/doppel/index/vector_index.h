// doppel: the vector index (FAISS), searched per target language.
//
// Embeddings (embed/embedder.h) of stored documents are kept in one FAISS index per matching
// language, so a query asks "the k nearest documents in language L" directly. Each per-language
// index is built from a FAISS factory string: "Flat" (exact, the default), "HNSW32" (graph,
// sub-linear search for large stores), "IVF1024,PQ64" (compressed; needs training: until a
// language has 40 vectors per list it is kept in a Flat index), always with the inner-product
// metric (cosine similarity on L2-normalized vectors), wrapped in an IndexIDMap2 so ids are
// document seqs.
//
// Memory layout of every batched method: vector i is x[i * dim() .. (i + 1) * dim()); search
// results for query i are distances[i * k + r] and labels[i * k + r], rank r from 0 (best);
// missing results have label -1.
//
// Files, in the store folder: "vectors.idx" (magic "DPVI", uint32 format version, then dim,
// factory and per language: name, file, count) and one "vectors-<lang>.faiss" per language
// (faiss::write_index).
//
// Thread safety: search() is const and may run from many threads at once when no thread
// modifies the index; add(), remove() and save() need exclusive access.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace faiss {
struct Index;
}

namespace doppel {

class VectorIndex {
public:
    static constexpr char kMagic[4] = {'D', 'P', 'V', 'I'};
    static constexpr uint32_t kFormatVersion = 1;
    static constexpr const char* kHeaderFile = "vectors.idx";

    // An empty index of dimension dim; factory is a FAISS factory string ("Flat", "HNSW32",
    // "IVF256,PQ32"). Throws doppel::Error when FAISS rejects the factory string.
    VectorIndex(std::size_t dim, std::string factory = "Flat");
    ~VectorIndex();
    VectorIndex(VectorIndex&&) noexcept;
    VectorIndex& operator=(VectorIndex&&) noexcept;

    std::size_t dim() const { return dim_; }
    const std::string& factory() const { return factory_; }
    // "faiss:FACTORY,dim=D"
    std::string describe() const;

    // Adds n vectors of language `lang` with ids (document seqs).
    void add(const std::string& lang, std::size_t n, const int64_t* ids, const float* x);
    // Removes ids from every language; returns how many were removed.
    std::size_t remove(std::size_t n, const int64_t* ids);
    // The k nearest vectors of language `lang` to each of n queries (inner product, highest
    // first). A language with no vectors gives only -1 labels.
    void search(const std::string& lang, std::size_t n, const float* x, std::size_t k, float* distances,
                int64_t* labels) const;

    std::vector<std::string> languages() const;
    std::size_t size(const std::string& lang) const;
    std::size_t size() const;

    // Writes the index files into dir (atomically per file). Throws doppel::Error on I/O errors.
    void save(const std::string& dir) const;
    // Reads an index written by save(). Throws doppel::Error when the header is missing, has a
    // bad magic or another format version, or a FAISS file cannot be read.
    static VectorIndex load(const std::string& dir);
    static bool exists(const std::string& dir);

private:
    struct Part;
    std::size_t dim_;
    std::string factory_;
    std::map<std::string, std::unique_ptr<Part>> parts_;
};

}  // namespace doppel
