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
// Files, in the store folder: "vectors.idx", the header (magic "DPVI", uint32 format version 2,
// uint32 dim, factory; uint32 parts, then per language: name, file, uint32 pending flag, uint64
// vector count, uint64 XXH3-64 checksum of the file; then uint64 total count and uint64 digest of
// the ids; strings as uint32 length + bytes, little-endian) and one "vectors-<lang>.faiss" per
// language (faiss::write_index). Each file is written to a temporary name, flushed and renamed,
// the header last; load() checks every file against its checksum. The index is derived data:
// index/vector_index_check.h says whether it is in step with its store, and the embedding stage
// rebuilds it when it is not.
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
    static constexpr uint32_t kFormatVersion = 2;
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

    // The ids of every vector, sorted.
    std::vector<int64_t> ids() const;

    // What a saved index holds, from its header: the vectors (count) and an order-free digest of
    // their ids (ids_digest), and the checksum of the header file itself.
    struct FileState {
        std::size_t count = 0;
        uint64_t ids_digest = 0;
        uint64_t header_checksum = 0;
    };
    // An order-free digest of a set of ids (XOR of a mix of each): equal sets, equal digests.
    static uint64_t ids_digest(std::size_t n, const int64_t* ids);

    // Writes the index files into dir (each to a temporary file, flushed and renamed; the header
    // last) and returns what it wrote. Throws doppel::Error on I/O errors.
    FileState save(const std::string& dir) const;
    // Reads an index written by save(). Throws doppel::Error when the header is missing, has a
    // bad magic or another format version, or a FAISS file cannot be read or fails its checksum.
    static VectorIndex load(const std::string& dir);
    // Reads the header and checks every file against its checksum without loading FAISS; throws
    // doppel::Error as load() does.
    static FileState inspect(const std::string& dir);
    static bool exists(const std::string& dir);

private:
    struct Part;
    std::size_t dim_;
    std::string factory_;
    std::map<std::string, std::unique_ptr<Part>> parts_;
};

}  // namespace doppel
