// doppel: the vector index (FAISS), searched per target language.
//
// Embeddings (embed/embedder.h) of stored documents are kept in one FAISS index per matching
// language, so a query asks "the k nearest documents in language L" directly. Each per-language
// index is built from a FAISS factory string, always with the inner-product metric (cosine
// similarity on L2-normalized vectors), wrapped in an IndexIDMap2 so ids are document seqs:
//   "auto"  (the default; AutoIndexOptions below) exact search (Flat) while the index holds at
//           most exact_limit vectors; beyond that an approximate kind: a PCA projection to `dim`
//           dimensions, trained once on a sample of all languages and shared, and per language an
//           inverted file (IVFFlat, about 4 sqrt(n) lists from k-means on that language's own
//           vectors: lists trained on all languages at once group documents by language, not by
//           content, and lose most cross-language neighbours). An index that grows past the
//           limit converts itself in add(); prepare() trains up front for a bulk build. The
//           projection's `dim` leading components are computed alone (LAPACK dsyevr, about
//           0.4 s for 2048 dimensions; FAISS's own training diagonalizes the whole covariance,
//           7 s), and the FAISS files keep those rows only.
//   "Flat" (exact, quadratic over a store), "HNSW32" (graph), "IVF1024,PQ64" (compressed; needs
//           training: until a language has 40 vectors per list it is kept in a Flat index): the
//           FAISS kind named, for every store size.
//
// search_languages() answers one query batch for several target languages at once. With the
// approximate "auto" kind each query is projected once, and then scans its nprobe nearest lists
// in each target language: a language of n_t documents costs about nprobe * sqrt(n_t) / 4
// similarities, so the work per query grows like sqrt(store size * languages), not with the
// store. The batch is searched one target language at a time (every query in it, on all
// cores), so that language's centroids and lists stay in the cache. Approximate results are
// ordered by the projected similarity; ask for candidates_for(k) of them and re-rank them with
// the full vectors (the matcher does).
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
// the header last (a part unchanged since it was read from that folder is not written again);
// load() checks every file against its checksum. The index is derived data:
// index/vector_index_check.h says whether it is in step with its store, and the embedding stage
// rebuilds it when it is not.
//
// Thread safety: search() and search_languages() are const and may run from many threads at
// once when no thread modifies the index; add(), prepare(), remove() and save() need exclusive
// access.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace faiss {
struct Index;
struct IndexPreTransform;
struct IDSelector;
}

namespace doppel {

// Options of the "auto" index kind, spec "auto:exact_limit=20000,dim=256,nprobe=16,refine=4".
struct AutoIndexOptions {
    static constexpr const char* kName = "auto";
    std::size_t exact_limit = 20000;  // exact_limit: vectors up to which search is exact (Flat)
    std::size_t dim = 256;            // dim: PCA dimensions of the approximate index
    std::size_t nprobe = 16;          // nprobe: inverted lists scanned per query
    std::size_t refine = 4;           // refine: approximate candidates per wanted one (re-ranked)

    // Throws doppel::Error (kBadSpec) on another name, an unknown key or a zero value.
    static AutoIndexOptions parse_spec(const std::string& spec);
    std::string describe() const;
};

class VectorIndex {
public:
    static constexpr char kMagic[4] = {'D', 'P', 'V', 'I'};
    static constexpr uint32_t kFormatVersion = 2;
    static constexpr const char* kHeaderFile = "vectors.idx";

    // An empty index of dimension dim; factory is a FAISS factory string ("Flat", "HNSW32",
    // "IVF256,PQ32") or an "auto" spec (AutoIndexOptions). Throws doppel::Error when FAISS
    // rejects the factory string.
    VectorIndex(std::size_t dim, std::string factory = "auto");
    ~VectorIndex();
    VectorIndex(VectorIndex&&) noexcept;
    VectorIndex& operator=(VectorIndex&&) noexcept;

    std::size_t dim() const { return dim_; }
    const std::string& factory() const { return factory_; }
    // "faiss:FACTORY,dim=D"; for "auto": "faiss:SPEC;dim=D;kind=flat" or ";kind=pcaP-ivfN" (now).
    std::string describe() const;
    // The factory (or "auto" spec, with its options) that a describe() text was made from; ""
    // when `description` is not one.
    static std::string factory_of(const std::string& description);

    // An empty index of the same kind whose trained parts (the "auto" projection and
    // centroids) are copied, so a rebuild with vectors of the same space needs no training.
    VectorIndex empty_like() const;

    // True when search() and search_languages() are exact (Flat or "auto" below its limit).
    bool exact() const;
    // How many approximate results to ask for when k are wanted: k, or k * refine when the
    // "auto" index is approximate (the caller re-ranks them with its full vectors).
    std::size_t candidates_for(std::size_t k) const;

    // For a bulk build of about `expected` vectors: when an "auto" index will pass its exact
    // limit, trains its approximate kind now on the n sample vectors x (drawn from every
    // language) and converts what it holds. Does nothing for other kinds.
    void prepare(std::size_t expected, std::size_t n, const float* x);
    // For a bulk add of about `expected` vectors of a language the index does not hold yet:
    // when the index is approximate, trains that language's lists (sized for `expected`) on the
    // n sample vectors x, drawn from all of the language's vectors (spread_order() gives such a
    // first batch). Does nothing otherwise; add() then trains a new language on its first batch.
    void prepare_language(const std::string& lang, std::size_t expected, std::size_t n, const float* x);
    // An order of 0..n-1 whose first `batch` positions are spread evenly over the whole range
    // (every stride-th first, then the next residue), so that the first batch of a bulk add is a
    // sample of all of it, not of its beginning.
    static std::vector<std::size_t> spread_order(std::size_t n, std::size_t batch);
    // Whether prepare(expected, ...) would train (so a caller draws a sample only then).
    bool needs_training(std::size_t expected) const;
    // Adds n vectors of language `lang` with ids (document seqs). An "auto" index that passes
    // its exact limit here converts itself (trained on its vectors and these).
    void add(const std::string& lang, std::size_t n, const int64_t* ids, const float* x);
    // Whether remove() works for this kind (FAISS's HNSW cannot remove vectors).
    bool can_remove() const;
    // Removes ids from every language; returns how many were removed.
    std::size_t remove(std::size_t n, const int64_t* ids);
    // The k nearest vectors of language `lang` to each of n queries (inner product, highest
    // first). A language with no vectors gives only -1 labels.
    void search(const std::string& lang, std::size_t n, const float* x, std::size_t k, float* distances,
                int64_t* labels) const;
    // The k nearest vectors of each target language to each of n queries: results for query i
    // and targets[t] at distances/labels[(i * targets.size() + t) * k + r]. Runs on all cores.
    void search_languages(const std::vector<std::string>& targets, std::size_t n, const float* x, std::size_t k,
                          float* distances, int64_t* labels) const;

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

    // Which parts of a saved index load() and inspect() read.
    //   languages  unset (the default): every language's part. Set: only the parts of these
    //              languages (a name the header does not list is skipped); the header is read
    //              whole, and the other parts' files are neither read nor checked.
    // A partial load (some stored part not read) holds the parts it read as the full index holds
    // them, so searching one of its languages gives what the full index gives; the others are
    // absent: searching them gives -1 labels, languages(), size() and ids() count what was read,
    // remove() does not reach them, and add() to one starts a new part (as for a new language).
    // It keeps the full index's kind: describe(), exact(), candidates_for() and empty_like() are
    // the full index's (an approximate "auto" index none of whose named languages is stored reads
    // its smallest part for the training and drops its vectors). An "auto" index of at most its
    // exact limit is read whole (it may be exact, and an add() past the limit converts it,
    // training on every vector), so a partial load is never converted. It may not be saved (it
    // would write an index without the other parts): save() throws doppel::Error
    // (kInvalidArgument).
    struct LoadOptions {
        std::optional<std::set<std::string>> languages;
    };

    // Writes the index files into dir (each to a temporary file, flushed and renamed; the header
    // last) and returns what it wrote. A part read by load() from dir and not changed since
    // (add() or remove() reaching it) keeps its file there, whose checksum load() checked: adding
    // a day's documents of a few languages writes those languages' files and the header, not
    // every language's again. Throws doppel::Error on I/O errors, and on a partial load.
    FileState save(const std::string& dir) const;
    // Reads an index written by save() (the parts `options` names). Throws doppel::Error when the
    // header is missing, has a bad magic or another format version, or a FAISS file read cannot be
    // read or fails its checksum.
    static VectorIndex load(const std::string& dir, const LoadOptions& options = {});
    // Reads the header and checks the files of the parts `options` names (every file by default)
    // against their checksums without loading FAISS; throws doppel::Error as load() does.
    static FileState inspect(const std::string& dir, const LoadOptions& options = {});
    static bool exists(const std::string& dir);

private:
    struct Part;
    struct Approximate;
    // The trained parts of the approximate "auto" kind (those of its first language; every
    // language has the same); all null when the index is exact or of another kind.
    Approximate approximate() const;
    // A new language's index; an approximate one trains its lists (sized for `expected`
    // vectors) on the n vectors x.
    std::unique_ptr<Part> make_part(std::size_t expected, std::size_t n, const float* x) const;
    // Trains the approximate kind for about `expected` vectors on sample x and converts every
    // language's Flat index to it.
    void convert(std::size_t expected, std::size_t n, const float* x);
    // convert() on a sample of the vectors held and the n about to be added.
    void grow(std::size_t n, const float* x);
    void search_approximate(const std::vector<std::string>& targets, std::size_t n, const float* x, std::size_t k,
                            float* distances, int64_t* labels) const;
    std::size_t remove_approximate(Part& part, const faiss::IDSelector& sel);
    std::size_t remove_pending(Part& part, const faiss::IDSelector& sel) const;
    std::size_t dim_;
    std::string factory_;
    std::unique_ptr<AutoIndexOptions> auto_;  // null unless factory_ is an "auto" spec
    // The trained, empty approximate kind, when trained here (a loaded index finds it in its
    // languages' indexes instead).
    std::unique_ptr<faiss::IndexPreTransform> trained_;
    std::map<std::string, std::unique_ptr<Part>> parts_;
    // Whether some stored part was not read (LoadOptions): save() and a conversion refused.
    bool partial_ = false;
};

}  // namespace doppel
