#include "doppel/index/vector_index.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/VectorTransform.h>
#include <faiss/clone_index.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/utils/Heap.h>
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <tuple>

#include "doppel/error.h"
#include "impl/parallel.h"
#include "impl/simd.h"
#include "impl/spec.h"
#include "index/pca_training.h"

namespace doppel {
namespace fs = std::filesystem;
using faiss_idx = faiss::Index::idx_t;

struct VectorIndex::Part {
    std::unique_ptr<faiss::IndexIDMap2> index;
    // Vectors waiting for an index that needs training (IVF): kept until there are enough.
    std::vector<float> pending_x;
    std::vector<int64_t> pending_ids;
    // Where a part read by load() is saved as it still is: its folder and file there, and the
    // file's checksum (checked as it was read). Cleared by every change, so that save() into
    // that folder keeps the file instead of writing it again (a daily batch touches a few
    // languages of a store's index, which was all rewritten at every run).
    struct Saved {
        std::string dir, file;
        uint64_t checksum = 0;
    };
    std::optional<Saved> saved;
};

struct VectorIndex::Approximate {
    const faiss::IndexPreTransform* model = nullptr;  // its projection and coarse quantizer
    const faiss::Index* quantizer = nullptr;
    std::size_t nlist = 0;
};

namespace {

// HNSW's search breadth: FAISS's default of 16 loses true neighbours as a store grows (a
// translation missing from the 10 nearest cannot be linked); 64 keeps recall at 32,000 documents a
// language (bench_match) for about twice the search time.
constexpr int kHnswEfSearch = 64;

void tune(faiss::Index* index) {
    if (auto* h = dynamic_cast<faiss::IndexHNSW*>(index)) h->hnsw.efSearch = std::max(h->hnsw.efSearch, kHnswEfSearch);
}

bool is_auto(const std::string& factory) { return factory == AutoIndexOptions::kName || factory.starts_with("auto:"); }

std::unique_ptr<faiss::IndexIDMap2> make_index(std::size_t dim, const std::string& factory) {
    try {
        // "auto" starts exact; VectorIndex converts it (convert()).
        const char* kind = is_auto(factory) ? "Flat" : factory.c_str();
        faiss::Index* inner = faiss::index_factory(static_cast<int>(dim), kind, faiss::METRIC_INNER_PRODUCT);
        tune(inner);
        auto m = std::make_unique<faiss::IndexIDMap2>(inner);
        m->own_fields = true;
        return m;
    } catch (const faiss::FaissException& e) {
        DOPPEL_THROW(kBadSpec, "FAISS rejects factory '" + factory + "': " + e.what());
    }
}

std::string safe_lang(const std::string& lang) {
    std::string s;
    for (char c : lang) s.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
    return s;
}

}  // namespace

AutoIndexOptions AutoIndexOptions::parse_spec(const std::string& spec) {
    impl::ParsedSpec p = impl::parse_spec(spec);
    DOPPEL_CHECK(kBadSpec, p.name == kName, "vector index spec '" + spec + "': expected the name '" + kName + "'");
    AutoIndexOptions o;
    p.take_number("exact_limit", o.exact_limit);
    p.take_number("dim", o.dim);
    p.take_number("nprobe", o.nprobe);
    p.take_number("refine", o.refine);
    p.check_empty();
    DOPPEL_CHECK(kBadSpec, o.dim > 0 && o.nprobe > 0 && o.refine > 0,
                 "vector index spec '" + spec + "': dim, nprobe and refine must be positive");
    return o;
}

std::string AutoIndexOptions::describe() const {
    return std::string(kName) + ":exact_limit=" + std::to_string(exact_limit) + ",dim=" + std::to_string(dim) +
           ",nprobe=" + std::to_string(nprobe) + ",refine=" + std::to_string(refine);
}

VectorIndex::VectorIndex(std::size_t dim, std::string factory) : dim_(dim), factory_(std::move(factory)) {
    if (is_auto(factory_)) auto_ = std::make_unique<AutoIndexOptions>(AutoIndexOptions::parse_spec(factory_));
    make_index(dim_, factory_);  // validates the factory string now
}
VectorIndex::~VectorIndex() = default;
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;

std::string VectorIndex::factory_of(const std::string& description) {
    if (!description.starts_with("faiss:")) return "";
    // An "auto" spec holds its own ",dim=", so its ";dim=" (the index's) is looked for first.
    std::size_t end = description.find(";dim=");
    if (end == std::string::npos) end = description.rfind(",dim=");
    return end == std::string::npos || end <= 6 ? "" : description.substr(6, end - 6);
}

std::string VectorIndex::describe() const {
    if (!auto_) return "faiss:" + factory_ + ",dim=" + std::to_string(dim_);
    const Approximate a = approximate();
    return "faiss:" + auto_->describe() + ";dim=" + std::to_string(dim_) +
           (a.model ? ";kind=pca" + std::to_string(a.model->chain[0]->d_out) + "-ivf"
                    : std::string(";kind=flat"));
}

namespace {
void add_projected(faiss::IndexIDMap2& map, std::size_t n, const int64_t* ids, const float* x);  // below
}  // namespace

void VectorIndex::add(const std::string& lang, std::size_t n, const int64_t* ids, const float* x) {
    if (n == 0) return;
    if (auto_ && !approximate().model && size() + n > auto_->exact_limit) {
        // load() reads such an index whole (read_whole): a conversion would train on the parts read only.
        DOPPEL_CHECK(kInternal, !partial_, "vector index: a partial load cannot convert to the approximate kind");
        grow(n, x);
    }
    auto it = parts_.find(lang);
    if (it == parts_.end()) it = parts_.emplace(lang, make_part(n, n, x)).first;  // make_part() reads parts_
    auto& part = it->second;
    part->saved.reset();
    auto* idx = part->index.get();
    if (!idx->index->is_trained) {
        // Train once enough vectors are there; until then keep them for exact search.
        part->pending_x.insert(part->pending_x.end(), x, x + n * dim_);
        part->pending_ids.insert(part->pending_ids.end(), ids, ids + n);
        std::size_t have = part->pending_ids.size();
        std::size_t need = 40;
        if (factory_.starts_with("IVF")) need = 40 * std::max<std::size_t>(1, std::stoul(factory_.substr(3)));
        if (have >= need) {
            auto trained = make_index(dim_, factory_);
            trained->index->train(static_cast<faiss_idx>(have), part->pending_x.data());
            trained->add_with_ids(static_cast<faiss_idx>(have), part->pending_x.data(), part->pending_ids.data());
            part->index = std::move(trained);
            part->pending_x.clear();
            part->pending_ids.clear();
        }
        return;
    }
    if (approximate().model) add_projected(*idx, n, ids, x);
    else idx->add_with_ids(static_cast<faiss_idx>(n), x, ids);
}

bool VectorIndex::can_remove() const { return factory_.find("HNSW") == std::string::npos; }

// The pending vectors of `part` selected by `sel` taken out; how many.
std::size_t VectorIndex::remove_pending(Part& part, const faiss::IDSelector& sel) const {
    std::vector<float> px;
    std::vector<int64_t> pi;
    std::size_t removed = 0;
    for (std::size_t i = 0; i < part.pending_ids.size(); ++i) {
        if (sel.is_member(part.pending_ids[i])) {
            ++removed;
            continue;
        }
        pi.push_back(part.pending_ids[i]);
        px.insert(px.end(), part.pending_x.begin() + i * dim_, part.pending_x.begin() + (i + 1) * dim_);
    }
    part.pending_ids = std::move(pi);
    part.pending_x = std::move(px);
    return removed;
}

std::size_t VectorIndex::remove(std::size_t n, const int64_t* ids) {
    std::size_t removed = 0;
    faiss::IDSelectorBatch sel(n, ids);
    for (auto& [lang, part] : parts_) {
        const std::size_t before = removed;
        if (approximate().model) {
            removed += remove_approximate(*part, sel);
        } else {
            removed += part->index->remove_ids(sel);
            removed += remove_pending(*part, sel);
        }
        if (removed != before) part->saved.reset();
    }
    return removed;
}

void VectorIndex::search(const std::string& lang, std::size_t n, const float* x, std::size_t k, float* distances,
                         int64_t* labels) const {
    std::fill(labels, labels + n * k, -1);
    std::fill(distances, distances + n * k, -1e30f);
    auto it = parts_.find(lang);
    if (it == parts_.end() || n == 0 || k == 0) return;
    if (approximate().model) return search_approximate({lang}, n, x, k, distances, labels);
    const Part& part = *it->second;
    if (part.index->ntotal > 0)
        part.index->search(static_cast<faiss_idx>(n), x, static_cast<faiss_idx>(k), distances, labels);
    if (!part.pending_ids.empty()) {
        // Exact search over the vectors waiting for training, merged into the results.
        faiss::IndexFlatIP flat(static_cast<faiss_idx>(dim_));
        flat.add(static_cast<faiss_idx>(part.pending_ids.size()), part.pending_x.data());
        std::vector<float> d(n * k);
        std::vector<faiss_idx> l(n * k);
        flat.search(static_cast<faiss_idx>(n), x, static_cast<faiss_idx>(k), d.data(), l.data());
        for (std::size_t q = 0; q < n; ++q) {
            std::vector<std::pair<float, int64_t>> all;
            for (std::size_t r = 0; r < k; ++r) {
                if (labels[q * k + r] >= 0) all.emplace_back(distances[q * k + r], labels[q * k + r]);
                if (l[q * k + r] >= 0) all.emplace_back(d[q * k + r], part.pending_ids[l[q * k + r]]);
            }
            std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
            for (std::size_t r = 0; r < k; ++r) {
                labels[q * k + r] = r < all.size() ? all[r].second : -1;
                distances[q * k + r] = r < all.size() ? all[r].first : -1e30f;
            }
        }
    }
}

// ---- The approximate "auto" kind: PCA + IVF, trained once and shared by every language.


namespace {

// Sample sizes for training: the projection (covariance of dim x dim) and k-means.
constexpr std::size_t kPcaSample = 8192;
constexpr std::size_t kTrainSample = 32768;

const faiss::IndexIVF* ivf_of(const faiss::IndexPreTransform& t) {
    return t.chain.size() == 1 ? dynamic_cast<const faiss::IndexIVF*>(t.index) : nullptr;
}

// A power of two near 4 sqrt(expected), with at least 8 training vectors per list (1 for a
// handful of vectors).
std::size_t list_count(std::size_t expected, std::size_t sample) {
    std::size_t nlist = 1;
    while (nlist * 2 <= 4 * std::sqrt(static_cast<double>(expected)) && nlist * 2 * 8 <= sample && nlist < 65536)
        nlist *= 2;
    return nlist;
}

// An empty approximate index with copies of model's projection and centroids.
std::unique_ptr<faiss::IndexPreTransform> empty_approximate(const faiss::IndexPreTransform& model) {
    const faiss::IndexIVF* ivf = ivf_of(model);
    faiss::Cloner cloner;
    faiss::VectorTransform* pca = cloner.clone_VectorTransform(model.chain[0]);
    faiss::Index* quantizer = cloner.clone_Index(ivf->quantizer);
    auto* inner = new faiss::IndexIVFFlat(quantizer, ivf->d, ivf->nlist, faiss::METRIC_INNER_PRODUCT);
    inner->own_fields = true;
    auto t = std::make_unique<faiss::IndexPreTransform>(pca, inner);
    t->own_fields = true;
    return t;
}

// The "auto" projection as a d_in x d_out matrix (FAISS's A transposed) and its bias: a document's
// projection is then a sum over its nonzero coordinates (hashed bridge features are mostly zeros),
// about a tenth of the work of the dense product, and needs no BLAS (Debian's is the reference one).
struct Projection {
    std::size_t din = 0, dout = 0;
    std::vector<float> at, bias;

    explicit Projection(const faiss::VectorTransform& vt) {
        const auto* lt = dynamic_cast<const faiss::LinearTransform*>(&vt);
        DOPPEL_CHECK(kInternal, lt && lt->is_trained, "vector index: the auto projection is not a trained linear map");
        din = static_cast<std::size_t>(lt->d_in);
        dout = static_cast<std::size_t>(lt->d_out);
        at.resize(din * dout);
        for (std::size_t i = 0; i < dout; ++i)
            for (std::size_t j = 0; j < din; ++j) at[j * dout + i] = lt->A[i * din + j];
        bias = lt->have_bias ? lt->b : std::vector<float>(dout, 0.0f);
    }
    // y (dout floats) = A x + b for one vector x (din floats).
    void apply(const float* x, float* y) const {
        std::copy(bias.begin(), bias.end(), y);
        for (std::size_t j = 0; j < din; ++j)
            if (x[j] != 0.0f) impl::axpy_f32(x[j], at.data() + j * dout, y, dout);
    }
};

// Projects n vectors x (din floats each) into xt (dout each), on all cores.
void project_all(const Projection& projection, std::size_t n, const float* x, float* xt) {
    impl::parallel_for_ranges(n, impl::worker_count(n / 64 + 1), 64, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) projection.apply(x + i * projection.din, xt + i * projection.dout);
    });
}

// Projection to dout dimensions, trained on sample x, with an empty inverted file of one list as
// a template (each language trains its own lists: language_index()).
std::unique_ptr<faiss::IndexPreTransform> train_approximate(std::size_t dim, std::size_t dout, std::size_t n,
                                                            const float* x) {
    auto* pca = new faiss::PCAMatrix(static_cast<int>(dim), static_cast<int>(dout));
    pca_training::train_leading_components(*pca, std::min(n, kPcaSample), x);
    // No centring: inner products of projections then approximate those of the vectors.
    std::fill(pca->mean.begin(), pca->mean.end(), 0.0f);
    pca->prepare_Ab();
    auto* quantizer = new faiss::IndexFlatIP(static_cast<faiss_idx>(dout));
    const std::vector<float> zero(dout, 0.0f);
    quantizer->add(1, zero.data());
    auto* inner = new faiss::IndexIVFFlat(quantizer, dout, 1, faiss::METRIC_INNER_PRODUCT);
    inner->own_fields = true;
    auto t = std::make_unique<faiss::IndexPreTransform>(pca, inner);
    t->own_fields = true;
    return t;
}

// One language's approximate index: model's projection and its own inverted lists (spherical
// k-means on the language's n vectors x, every stride-th of them). A query of another language
// is assigned to this language's lists by their centroids, which carry this language's words
// only: lists shared by all languages would group documents by language, not by content.
std::unique_ptr<faiss::IndexPreTransform> language_index(const faiss::IndexPreTransform& model, std::size_t expected,
                                                         std::size_t n, const float* x) {
    const auto* pca = model.chain[0];
    const std::size_t dim = static_cast<std::size_t>(pca->d_in), dout = static_cast<std::size_t>(pca->d_out);
    const std::size_t stride = (n + kTrainSample - 1) / kTrainSample;
    std::vector<float> sample;
    for (std::size_t i = 0; i < n; i += stride) sample.insert(sample.end(), x + i * dim, x + (i + 1) * dim);
    const std::size_t m = sample.size() / dim, nlist = list_count(std::max(n, expected), m);
    std::vector<float> xt(m * dout);
    project_all(Projection(*pca), m, sample.data(), xt.data());
    auto* quantizer = new faiss::IndexFlatIP(static_cast<faiss_idx>(dout));
    faiss::ClusteringParameters cp;
    cp.niter = 8;
    cp.spherical = true;
    cp.max_points_per_centroid = 64;
    cp.min_points_per_centroid = 1;  // list_count() keeps about 8; FAISS would warn under 39
    cp.seed = 1234;
    faiss::Clustering kmeans(static_cast<int>(dout), static_cast<int>(nlist), cp);
    if (nlist > 1) kmeans.train(static_cast<faiss_idx>(m), xt.data(), *quantizer);
    else quantizer->add(1, xt.data());
    auto* inner = new faiss::IndexIVFFlat(quantizer, dout, nlist, faiss::METRIC_INNER_PRODUCT);
    inner->own_fields = true;
    auto t = std::make_unique<faiss::IndexPreTransform>(faiss::Cloner().clone_VectorTransform(pca), inner);
    t->own_fields = true;
    return t;
}

}  // namespace

VectorIndex::Approximate VectorIndex::approximate() const {
    if (!auto_) return {};
    const faiss::IndexPreTransform* model = trained_.get();
    if (!model && !parts_.empty()) model = dynamic_cast<const faiss::IndexPreTransform*>(parts_.begin()->second->index->index);
    const faiss::IndexIVF* ivf = model ? ivf_of(*model) : nullptr;
    if (!ivf) return {};
    return {model, ivf->quantizer, ivf->nlist};
}

std::unique_ptr<VectorIndex::Part> VectorIndex::make_part(std::size_t expected, std::size_t n, const float* x) const {
    auto part = std::make_unique<Part>();
    const Approximate a = approximate();
    if (!a.model) {
        part->index = make_index(dim_, factory_);
        return part;
    }
    part->index = std::make_unique<faiss::IndexIDMap2>(language_index(*a.model, expected, n, x).release());
    part->index->own_fields = true;
    return part;
}

VectorIndex VectorIndex::empty_like() const {
    VectorIndex v(dim_, factory_);
    if (const Approximate a = approximate(); a.model) v.trained_ = empty_approximate(*a.model);
    return v;
}

bool VectorIndex::exact() const { return auto_ ? approximate().model == nullptr : factory_ == "Flat"; }

std::size_t VectorIndex::candidates_for(std::size_t k) const {
    return auto_ && !exact() ? k * auto_->refine : k;
}

void VectorIndex::prepare_language(const std::string& lang, std::size_t expected, std::size_t n, const float* x) {
    if (n == 0 || parts_.count(lang) || !approximate().model) return;
    parts_.emplace(lang, make_part(expected, n, x));
}

std::vector<std::size_t> VectorIndex::spread_order(std::size_t n, std::size_t batch) {
    const std::size_t stride = batch == 0 ? 1 : std::max<std::size_t>(1, (n + batch - 1) / batch);
    std::vector<std::size_t> order;
    order.reserve(n);
    for (std::size_t r = 0; r < stride; ++r)
        for (std::size_t i = r; i < n; i += stride) order.push_back(i);
    return order;
}

bool VectorIndex::needs_training(std::size_t expected) const {
    return auto_ && !approximate().model && expected > auto_->exact_limit;
}

void VectorIndex::prepare(std::size_t expected, std::size_t n, const float* x) {
    if (needs_training(expected) && n > 0) convert(expected, n, x);
}

void VectorIndex::convert(std::size_t expected, std::size_t n, const float* x) {
    const std::size_t dout = std::min(auto_->dim, dim_);
    (void)expected;  // each language sizes its own lists (language_index())
    trained_ = train_approximate(dim_, dout, n, x);
    // A language whose documents were all removed has nothing to train its lists on: dropped.
    std::erase_if(parts_, [](const auto& entry) { return entry.second->index->ntotal == 0; });
    for (auto& [lang, part] : parts_) {
        const auto* flat = dynamic_cast<const faiss::IndexFlat*>(part->index->index);
        DOPPEL_CHECK(kInternal, flat && part->pending_ids.empty(), "vector index: an auto index holds a non-Flat part");
        const auto held = static_cast<std::size_t>(part->index->ntotal);
        auto fresh = make_part(held, held, flat->get_xb());
        add_projected(*fresh->index, held, part->index->id_map.data(), flat->get_xb());
        part = std::move(fresh);
    }
}

void VectorIndex::grow(std::size_t n, const float* x) {
    const std::size_t total = size() + n;
    const std::size_t stride = (total + kTrainSample - 1) / kTrainSample;
    std::vector<float> sample;
    std::size_t i = 0;
    auto take = [&](const float* v) {
        if (i++ % stride == 0) sample.insert(sample.end(), v, v + dim_);
    };
    for (const auto& [lang, part] : parts_) {
        const auto* flat = dynamic_cast<const faiss::IndexFlat*>(part->index->index);
        for (faiss_idx j = 0; flat && j < part->index->ntotal; ++j) take(flat->get_xb() + j * dim_);
    }
    for (std::size_t j = 0; j < n; ++j) take(x + j * dim_);
    convert(total, sample.size() / dim_, sample.data());
}

void VectorIndex::search_languages(const std::vector<std::string>& targets, std::size_t n, const float* x, std::size_t k,
                                   float* distances, int64_t* labels) const {
    const std::size_t T = targets.size();
    if (n == 0 || k == 0 || T == 0) return;
    if (approximate().model) return search_approximate(targets, n, x, k, distances, labels);
    std::vector<float> d(n * k);
    std::vector<int64_t> l(n * k);
    for (std::size_t t = 0; t < T; ++t) {
        search(targets[t], n, x, k, d.data(), l.data());
        for (std::size_t i = 0; i < n; ++i) {
            std::copy(d.begin() + i * k, d.begin() + (i + 1) * k, distances + (i * T + t) * k);
            std::copy(l.begin() + i * k, l.begin() + (i + 1) * k, labels + (i * T + t) * k);
        }
    }
}

namespace {

// One language's inverted file as the search reads it.
struct LanguageLists {
    const faiss::IndexIDMap2* map = nullptr;
    const faiss::IndexIVF* ivf = nullptr;
    const float* centroids = nullptr;  // nlist x dout (the coarse quantizer's vectors)
};

// Pushes (s, id) into a min-heap of the k best.
inline void keep_best(std::size_t k, float* d, int64_t* l, float s, int64_t id) {
    if (s > d[0]) faiss::minheap_replace_top(k, d, l, s, id);
}

// One language's search for a batch of projected queries, in three steps that each read the
// index's memory once for many queries: the centroids a block at a time for every query
// (probe_lists), each probed list's vectors once for every query that probes it (scan_lists),
// then each query's k best from those similarities (best_of_probes). Every similarity is
// dot_f32 of the same two vectors, and each query's heap takes them in the order a
// query-at-a-time scan gives (its probes nearest first as the heap leaves them, a list's
// vectors in order), so the results are that scan's, bit for bit (ties included). Scanning
// query by query re-read each probed list from memory for every query: at 1,000,000 documents
// an English index of 500,000 vectors, 16 probes of about 250 vectors of 1 KiB per query.
//
// Its buffers are the searching thread's (BatchScratch), kept from one search to the next: the
// similarities take up to about 32 MiB (batch_size), which a vector of its own took fresh from
// the kernel and zeroed at every call (the matcher searches 4,096 queries a call). Every
// similarity read is written first, so none needs zeroing. A thread keeps them until it ends,
// and runs one BatchSearch at a time (search_approximate's loop): two would share them.
struct BatchScratch {
    std::vector<int64_t> probes;
    std::vector<std::size_t> at;
    std::unique_ptr<float[]> sims;
    std::size_t sims_size = 0;

    float* sims_of(std::size_t n) {
        if (n > sims_size) {
            sims = std::make_unique_for_overwrite<float[]>(n);
            sims_size = n;
        }
        return sims.get();
    }
    static BatchScratch& of_this_thread() {
        thread_local BatchScratch scratch;
        return scratch;
    }
};

class BatchSearch {
public:
    BatchSearch(const LanguageLists& lang, std::size_t dout, std::size_t nprobe)
        : lang_(lang), dout_(dout), nlist_(lang.ivf->nlist), np_(std::min(nprobe, nlist_)),
          scratch_(BatchScratch::of_this_thread()), probes_(scratch_.probes), at_(scratch_.at) {}

    // Queries qs[0, n) (n x dout), their k best into d and l (query i at d + i * stride).
    void run(const float* qs, std::size_t n, std::size_t k, float* d, int64_t* l, std::size_t stride) {
        probes_.assign(n * np_, -1);
        probe_lists(qs, n);
        scan_lists(qs, n);
        best_of_probes(n, k, d, l, stride);
    }

    // Queries per batch so that the similarities scan_lists keeps take about 32 MiB.
    std::size_t batch_size() const {
        const double per_query = static_cast<double>(np_) * static_cast<double>(lang_.ivf->ntotal) /
                                 static_cast<double>(std::max<std::size_t>(1, nlist_));
        return std::max<std::size_t>(64, static_cast<std::size_t>(8.0 * (1 << 20) / (per_query + 1.0)));
    }

private:
    static constexpr std::size_t kCentroidBlock = 64;  // centroids read for every query of a range

    // Each query's np_ nearest lists by centroid (probes_[i * np_ + p], in heap order).
    void probe_lists(const float* qs, std::size_t n) {
        const std::size_t workers = impl::worker_count(n / 16 + 1);
        impl::parallel_for_ranges(n, workers, 16, [&](std::size_t b, std::size_t e, std::size_t) {
            std::vector<float> sims((e - b) * nlist_), list_sims(np_);
            for (std::size_t c = 0; c < nlist_; c += kCentroidBlock)
                for (std::size_t i = b; i < e; ++i)
                    impl::dots_f32(qs + i * dout_, lang_.centroids + c * dout_, std::min(kCentroidBlock, nlist_ - c),
                                   dout_, sims.data() + (i - b) * nlist_ + c);
            for (std::size_t i = b; i < e; ++i) {
                int64_t* lists = probes_.data() + i * np_;
                faiss::minheap_heapify(np_, list_sims.data(), lists);
                const float* row = sims.data() + (i - b) * nlist_;
                for (std::size_t c = 0; c < nlist_; ++c) keep_best(np_, list_sims.data(), lists, row[c], static_cast<int64_t>(c));
            }
        });
    }

    std::size_t list_size(int64_t list) const {
        return list < 0 ? 0 : lang_.ivf->invlists->list_size(static_cast<std::size_t>(list));
    }

    // Every probe's similarities (sims_[at_[i * np_ + p] + v], v over the list), a list at a time.
    void scan_lists(const float* qs, std::size_t n) {
        struct Probe {
            int64_t list;
            std::size_t u;  // i * np_ + p
        };
        std::vector<Probe> order;
        at_.assign(n * np_ + 1, 0);
        for (std::size_t u = 0; u < n * np_; ++u) {
            at_[u + 1] = at_[u] + list_size(probes_[u]);
            if (at_[u + 1] > at_[u]) order.push_back({probes_[u], u});
        }
        sims_ = scratch_.sims_of(at_.back());
        std::sort(order.begin(), order.end(), [](const Probe& a, const Probe& b) { return std::tie(a.list, a.u) < std::tie(b.list, b.u); });
        std::vector<std::size_t> starts;
        for (std::size_t j = 0; j < order.size(); ++j)
            if (j == 0 || order[j].list != order[j - 1].list) starts.push_back(j);
        starts.push_back(order.size());
        const auto* invlists = lang_.ivf->invlists;
        impl::parallel_for_ranges(starts.size() - 1, impl::worker_count(starts.size() / 4 + 1), 4,
                                  [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t g = b; g < e; ++g) {
                const auto list = static_cast<std::size_t>(order[starts[g]].list);
                faiss::InvertedLists::ScopedCodes codes(invlists, list);
                const auto* x = reinterpret_cast<const float*>(codes.get());
                const std::size_t size = invlists->list_size(list);
                for (std::size_t j = starts[g]; j < starts[g + 1]; ++j)
                    impl::dots_f32(qs + (order[j].u / np_) * dout_, x, size, dout_, sims_ + at_[order[j].u]);
            }
        });
    }

    // Each query's k best of its probes' similarities, taken probe by probe as scanned.
    void best_of_probes(std::size_t n, std::size_t k, float* d, int64_t* l, std::size_t stride) const {
        const auto* invlists = lang_.ivf->invlists;
        impl::parallel_for_ranges(n, impl::worker_count(n / 16 + 1), 16, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t i = b; i < e; ++i) {
                float* di = d + i * stride;
                int64_t* li = l + i * stride;
                faiss::minheap_heapify(k, di, li);
                for (std::size_t u = i * np_; u < (i + 1) * np_; ++u) {
                    if (at_[u + 1] == at_[u]) continue;
                    faiss::InvertedLists::ScopedIds ids(invlists, static_cast<std::size_t>(probes_[u]));
                    for (std::size_t v = 0; v < at_[u + 1] - at_[u]; ++v) keep_best(k, di, li, sims_[at_[u] + v], ids[v]);
                }
                faiss::minheap_reorder(k, di, li);
                for (std::size_t r = 0; r < k; ++r) {
                    if (li[r] >= 0) li[r] = lang_.map->id_map[li[r]];
                    else di[r] = -1e30f;
                }
            }
        });
    }

    const LanguageLists& lang_;
    std::size_t dout_, nlist_, np_;
    BatchScratch& scratch_;
    std::vector<int64_t>& probes_;
    std::vector<std::size_t>& at_;
    float* sims_ = nullptr;  // scratch_'s, at least at_.back()
};

// The nearest centroid (inner product) of a projected vector among nlist of dout floats: the
// first of the largest similarities, dot_f32's (dots_f32 gives them bit for bit, a block of
// centroids at a time: a million documents' assignment was a fifth of `index`'s CPU).
faiss_idx nearest_list(const float* q, const float* centroids, std::size_t nlist, std::size_t dout) {
    constexpr std::size_t kBlock = 256;
    thread_local std::vector<float> sims(kBlock);
    faiss_idx best = 0;
    float best_sim = -1e30f;
    for (std::size_t c0 = 0; c0 < nlist; c0 += kBlock) {
        const std::size_t m = std::min(kBlock, nlist - c0);
        impl::dots_f32(q, centroids + c0 * dout, m, dout, sims.data());
        for (std::size_t j = 0; j < m; ++j)
            if (sims[j] > best_sim) best_sim = sims[j], best = static_cast<faiss_idx>(c0 + j);
    }
    return best;
}

// Adds n vectors x with ids to one language's approximate index: projected and assigned to their
// lists on all cores (as FAISS's add would, without its BLAS products), then stored in the lists
// and the id map as IndexIDMap2::add_with_ids does.
void add_projected(faiss::IndexIDMap2& map, std::size_t n, const int64_t* ids, const float* x) {
    auto* t = static_cast<faiss::IndexPreTransform*>(map.index);
    auto* ivf = const_cast<faiss::IndexIVF*>(ivf_of(*t));
    const auto* flat = ivf ? dynamic_cast<const faiss::IndexFlat*>(ivf->quantizer) : nullptr;
    DOPPEL_CHECK(kInternal, flat, "vector index: an auto language without a flat quantizer");
    const Projection projection(*t->chain[0]);
    const std::size_t din = projection.din, dout = projection.dout;
    std::vector<float> xt(n * dout);
    std::vector<faiss_idx> assign(n);
    impl::parallel_for_ranges(n, impl::worker_count(n / 64 + 1), 64, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) {
            projection.apply(x + i * din, xt.data() + i * dout);
            assign[i] = nearest_list(xt.data() + i * dout, flat->get_xb(), ivf->nlist, dout);
        }
    });
    const faiss_idx before = map.ntotal;
    ivf->add_core(static_cast<faiss_idx>(n), xt.data(), nullptr, assign.data());
    t->ntotal = ivf->ntotal;
    for (std::size_t i = 0; i < n; ++i) {
        map.id_map.push_back(ids[i]);
        map.rev_map[ids[i]] = before + static_cast<faiss_idx>(i);
    }
    map.ntotal = t->ntotal;
}

}  // namespace

void VectorIndex::search_approximate(const std::vector<std::string>& targets, std::size_t n, const float* x,
                                     std::size_t k, float* distances, int64_t* labels) const {
    const Approximate a = approximate();
    const Projection projection(*a.model->chain[0]);
    const std::size_t T = targets.size(), dout = projection.dout, nprobe = auto_->nprobe;
    std::vector<LanguageLists> langs(T);
    for (std::size_t t = 0; t < T; ++t) {
        auto it = parts_.find(targets[t]);
        if (it == parts_.end()) continue;
        langs[t].map = it->second->index.get();
        langs[t].ivf = ivf_of(*static_cast<const faiss::IndexPreTransform*>(langs[t].map->index));
        const auto* flat = dynamic_cast<const faiss::IndexFlat*>(langs[t].ivf->quantizer);
        DOPPEL_CHECK(kInternal, flat, "vector index: an auto language without a flat quantizer");
        langs[t].centroids = flat->get_xb();
    }
    // Each query is projected once, then searched in every target language, a language at a
    // time: its centroids and lists stay in the cache while every query of the batch reads them
    // (query by query, every language in turn, they did not: the first pass on a 100,000-document
    // store of 25 languages took 89 s of CPU instead of 57 s, the same results). Queries on all cores.
    const std::size_t workers = impl::worker_count(n / 16 + 1);
    std::vector<float> qs(n * dout);
    impl::parallel_for_ranges(n, workers, 16, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t i = begin; i < end; ++i) projection.apply(x + i * dim_, qs.data() + i * dout);
    });
    // A language at a time, a batch of queries at a time (BatchSearch: the results are those of
    // searching query by query); results are written query-major (i * T + t).
    for (std::size_t t = 0; t < T; ++t) {
        if (!langs[t].ivf) {
            for (std::size_t i = 0; i < n; ++i) {
                std::fill(distances + (i * T + t) * k, distances + (i * T + t + 1) * k, -1e30f);
                std::fill(labels + (i * T + t) * k, labels + (i * T + t + 1) * k, int64_t{-1});
            }
            continue;
        }
        BatchSearch search(langs[t], dout, nprobe);
        const std::size_t batch = search.batch_size();
        for (std::size_t b = 0; b < n; b += batch)
            search.run(qs.data() + b * dout, std::min(batch, n - b), k, distances + (b * T + t) * k,
                       labels + (b * T + t) * k, T * k);
    }
}

std::size_t VectorIndex::remove_approximate(Part& part, const faiss::IDSelector& sel) {
    faiss::IndexIDMap2& map = *part.index;
    auto* t = static_cast<faiss::IndexPreTransform*>(map.index);
    auto* ivf = const_cast<faiss::IndexIVF*>(ivf_of(*t));
    auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf ? ivf->invlists : nullptr);
    DOPPEL_CHECK(kInternal, lists, "vector index: an approximate part without array inverted lists");
    // New internal numbers: the kept entries, in order (IndexIDMap2 expects 0..ntotal-1).
    std::vector<faiss_idx> renumber(static_cast<std::size_t>(map.ntotal), -1);
    std::vector<faiss_idx> kept;
    for (std::size_t i = 0; i < renumber.size(); ++i)
        if (!sel.is_member(map.id_map[i])) {
            renumber[i] = static_cast<faiss_idx>(kept.size());
            kept.push_back(map.id_map[i]);
        }
    const std::size_t removed = renumber.size() - kept.size();
    if (removed == 0) return 0;
    const std::size_t cs = lists->code_size;
    for (std::size_t list = 0; list < lists->nlist; ++list) {
        auto& ids = lists->ids[list];
        auto& codes = lists->codes[list];
        std::size_t out = 0;
        for (std::size_t j = 0; j < ids.size(); ++j) {
            if (renumber[ids[j]] < 0) continue;
            std::memmove(codes.data() + out * cs, codes.data() + j * cs, cs);
            ids[out++] = renumber[ids[j]];
        }
        ids.resize(out);
        codes.resize(out * cs);
    }
    ivf->ntotal = t->ntotal = map.ntotal = static_cast<faiss_idx>(kept.size());
    map.id_map = std::move(kept);
    map.construct_rev_map();
    return removed;
}


std::vector<std::string> VectorIndex::languages() const {
    std::vector<std::string> v;
    for (auto& [l, p] : parts_) v.push_back(l);
    return v;
}

std::size_t VectorIndex::size(const std::string& lang) const {
    auto it = parts_.find(lang);
    return it == parts_.end() ? 0
                              : static_cast<std::size_t>(it->second->index->ntotal) + it->second->pending_ids.size();
}

std::size_t VectorIndex::size() const {
    std::size_t s = 0;
    for (auto& [l, p] : parts_) s += size(l);
    return s;
}

std::vector<int64_t> VectorIndex::ids() const {
    std::vector<int64_t> out;
    for (auto& [lang, part] : parts_) {
        out.insert(out.end(), part->index->id_map.begin(), part->index->id_map.end());
        out.insert(out.end(), part->pending_ids.begin(), part->pending_ids.end());
    }
    std::sort(out.begin(), out.end());
    return out;
}

uint64_t VectorIndex::ids_digest(std::size_t n, const int64_t* ids) {
    uint64_t d = 0;
    for (std::size_t i = 0; i < n; ++i) {
        uint64_t z = static_cast<uint64_t>(ids[i]) + 0x9e3779b97f4a7c15ULL;  // splitmix64
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        d ^= z ^ (z >> 31);
    }
    return d;
}

// ---- persistence: the header, checksums, synced writes ------------------------------------
namespace {

struct HeaderPart {
    std::string lang, file;
    bool pending = false;
    uint64_t count = 0, checksum = 0;
};

struct Header {
    std::size_t dim = 0;
    std::string factory;
    std::vector<HeaderPart> parts;
    uint64_t count = 0, digest = 0;
};

void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }
void put_str(std::string& s, const std::string& v) {
    put32(s, static_cast<uint32_t>(v.size()));
    s += v;
}

std::string encode_header(const Header& h) {
    std::string s(VectorIndex::kMagic, 4);
    put32(s, VectorIndex::kFormatVersion);
    put32(s, static_cast<uint32_t>(h.dim));
    put_str(s, h.factory);
    put32(s, static_cast<uint32_t>(h.parts.size()));
    for (const auto& p : h.parts) {
        put_str(s, p.lang);
        put_str(s, p.file);
        put32(s, p.pending ? 1u : 0u);
        put64(s, p.count);
        put64(s, p.checksum);
    }
    put64(s, h.count);
    put64(s, h.digest);
    return s;
}

// A reader of the header bytes that names the file in every error.
struct HeaderReader {
    const std::string& path;
    const std::string& h;
    std::size_t pos = 0;
    void need(std::size_t n) {
        if (n > h.size() || pos > h.size() - n) DOPPEL_THROW(kBadFormat, "vector index " + path + ": truncated header");
    }
    template <class T>
    T num() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, h.data() + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    std::string str() {
        const uint32_t n = num<uint32_t>();
        need(n);
        std::string s = h.substr(pos, n);
        pos += n;
        return s;
    }
};

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) DOPPEL_THROW(kIo, "cannot open vector index " + path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

Header decode_header(const std::string& path, const std::string& bytes) {
    HeaderReader r{path, bytes};
    r.need(4);
    if (std::memcmp(bytes.data(), VectorIndex::kMagic, 4) != 0)
        DOPPEL_THROW(kBadFormat, "vector index " + path + ": bad magic");
    r.pos = 4;
    const uint32_t version = r.num<uint32_t>();
    if (version != VectorIndex::kFormatVersion)
        DOPPEL_THROW(kVersion, "vector index " + path + ": format version " + std::to_string(version) +
                                   ", this build reads " + std::to_string(VectorIndex::kFormatVersion));
    Header h;
    h.dim = r.num<uint32_t>();
    h.factory = r.str();
    const uint32_t n = r.num<uint32_t>();
    for (uint32_t i = 0; i < n; ++i) {
        HeaderPart p;
        p.lang = r.str();
        p.file = r.str();
        p.pending = r.num<uint32_t>() != 0;
        p.count = r.num<uint64_t>();
        p.checksum = r.num<uint64_t>();
        if (p.file.find('/') != std::string::npos)
            DOPPEL_THROW(kBadFormat, "vector index " + path + ": bad file name '" + p.file + "'");
        h.parts.push_back(std::move(p));
    }
    h.count = r.num<uint64_t>();
    h.digest = r.num<uint64_t>();
    return h;
}

// XXH3-64 of a file's bytes, read in blocks.
uint64_t file_checksum(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) DOPPEL_THROW(kIo, "cannot open " + path);
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    std::vector<char> buf(1 << 20);
    while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0)
        XXH3_64bits_update(state, buf.data(), static_cast<std::size_t>(f.gcount()));
    const uint64_t h = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    return h;
}

// Flushes a written file to the disk (so a rename after it never names a file still in the cache).
void sync_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        DOPPEL_THROW(kIo, "cannot flush " + path + " to disk: " + why);
    }
    ::close(fd);
}

void rename_file(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) DOPPEL_THROW(kIo, "cannot rename " + from + " to " + to + ": " + ec.message());
}

// Checks a part's file (in dir) against the header's checksum.
void check_part_file(const std::string& dir, const HeaderPart& p) {
    const std::string path = dir + "/" + VectorIndex::kHeaderFile, file = dir + "/" + p.file;
    if (!fs::exists(file)) DOPPEL_THROW(kBadFormat, "vector index " + path + ": " + file + " is missing");
    if (file_checksum(file) != p.checksum)
        DOPPEL_THROW(kBadFormat, "vector index " + path + ": " + file + " does not match its checksum");
}

// Whether an index with header h is read whole whatever LoadOptions name: an "auto" index of at
// most its exact limit may be of the exact kind, which an add() past the limit converts, training
// on every vector (the full index's), and a partial load cannot count its unread vectors exactly
// (a regrouped document removed from a part not read and added to one read counts twice). Past
// the limit an "auto" index is approximate (add() converts it on the way), and stays so.
bool read_whole(const Header& h) {
    return is_auto(h.factory) && h.count <= AutoIndexOptions::parse_spec(h.factory).exact_limit;
}

// Whether the part of language `lang` of the index with header h is read (`options`, read_whole).
bool to_read(const Header& h, const VectorIndex::LoadOptions& options, const std::string& lang) {
    return !options.languages || options.languages->count(lang) > 0 || read_whole(h);
}

// Reads the header and checks the files of the parts read (to_read) against their checksums.
Header verified_header(const std::string& dir, uint64_t* header_checksum, const VectorIndex::LoadOptions& options) {
    const std::string path = dir + "/" + VectorIndex::kHeaderFile;
    const std::string bytes = read_all(path);
    Header h = decode_header(path, bytes);
    for (const auto& p : h.parts)
        if (to_read(h, options, p.lang)) check_part_file(dir, p);
    if (header_checksum) *header_checksum = XXH3_64bits(bytes.data(), bytes.size());
    return h;
}

}  // namespace

namespace {
// One part's FAISS file written into `dir` (through a temporary, synced, then renamed): its
// header entry.
HeaderPart write_part(const std::string& dir, const std::string& lang, std::size_t dim,
                      const faiss::IndexIDMap2& index, const std::vector<float>& pending_x,
                      const std::vector<int64_t>& pending_ids) {
    HeaderPart p{lang, "vectors-" + safe_lang(lang) + ".faiss", !pending_ids.empty(), 0, 0};
    p.count = static_cast<uint64_t>(index.ntotal) + pending_ids.size();
    const std::string tmp = dir + "/" + p.file + ".tmp";
    try {
        if (p.pending) {  // pending vectors (untrained IVF) are saved in a Flat index of their own
            auto flat = make_index(dim, "Flat");
            flat->add_with_ids(static_cast<faiss_idx>(pending_ids.size()), pending_x.data(),
                               pending_ids.data());
            faiss::write_index(flat.get(), tmp.c_str());
        } else {
            faiss::write_index(&index, tmp.c_str());
        }
    } catch (const faiss::FaissException& e) {
        DOPPEL_THROW(kIo, "cannot write " + tmp + ": " + e.what());
    }
    // The checksum read back from the page cache while the file goes to the disk.
    auto checksum = impl::in_background([&tmp] { return file_checksum(tmp); });
    sync_file(tmp);
    p.checksum = checksum.get();
    rename_file(tmp, dir + "/" + p.file);
    return p;
}
}  // namespace

// The parts changed since load() (or not read from `dir`) are written; the others keep their
// files, whose checksums load() checked. Every part is then saved in `dir` as it is.
VectorIndex::FileState VectorIndex::save(const std::string& dir) const {
    DOPPEL_CHECK(kInvalidArgument, !partial_, "vector index: a partial load cannot be saved (" + dir + ")");
    Header h;
    h.dim = dim_;
    h.factory = factory_;
    for (auto& [lang, part] : parts_) {
        HeaderPart p;
        if (part->saved && part->saved->dir == dir) {
            p = HeaderPart{lang, part->saved->file, !part->pending_ids.empty(), 0, part->saved->checksum};
            p.count = static_cast<uint64_t>(part->index->ntotal) + part->pending_ids.size();
        } else {
            p = write_part(dir, lang, dim_, *part->index, part->pending_x, part->pending_ids);
            part->saved = Part::Saved{dir, p.file, p.checksum};
        }
        h.count += p.count;
        h.parts.push_back(std::move(p));
    }
    const std::vector<int64_t> all = ids();
    h.digest = ids_digest(all.size(), all.data());
    const std::string bytes = encode_header(h);
    const std::string tmp = dir + "/" + kHeaderFile + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        f << bytes;
        f.flush();
        if (!f) DOPPEL_THROW(kIo, "cannot write " + tmp);
    }
    sync_file(tmp);
    rename_file(tmp, dir + "/" + kHeaderFile);
    return FileState{static_cast<std::size_t>(h.count), h.digest, XXH3_64bits(bytes.data(), bytes.size())};
}

bool VectorIndex::exists(const std::string& dir) { return fs::exists(dir + "/" + kHeaderFile); }

VectorIndex::FileState VectorIndex::inspect(const std::string& dir, const LoadOptions& options) {
    FileState st;
    const Header h = verified_header(dir, &st.header_checksum, options);
    st.count = static_cast<std::size_t>(h.count);
    st.ids_digest = h.digest;
    return st;
}

namespace {

// One part's FAISS file, as saved: its index, with pending vectors (untrained IVF) in a Flat one.
std::unique_ptr<faiss::IndexIDMap2> read_part(const std::string& file, std::size_t dim) {
    faiss::Index* raw = nullptr;
    try {
        raw = faiss::read_index(file.c_str());
    } catch (const faiss::FaissException& e) {
        DOPPEL_THROW(kIo, "cannot read " + file + ": " + e.what());
    }
    std::unique_ptr<faiss::IndexIDMap2> map(dynamic_cast<faiss::IndexIDMap2*>(raw));
    if (!map || raw->d != static_cast<faiss_idx>(dim)) {
        if (!map) delete raw;
        DOPPEL_THROW(kBadFormat, file + ": not a doppel vector index of dimension " + std::to_string(dim));
    }
    return map;
}

}  // namespace

VectorIndex VectorIndex::load(const std::string& dir, const LoadOptions& options) {
    const Header h = verified_header(dir, nullptr, options);
    VectorIndex vi(h.dim, h.factory);
    const HeaderPart* smallest = nullptr;  // of the parts not read
    for (const auto& p : h.parts) {
        const std::string file = dir + "/" + p.file;
        if (!to_read(h, options, p.lang)) {
            vi.partial_ = true;
            if (!smallest || p.count < smallest->count) smallest = &p;
            continue;
        }
        std::unique_ptr<faiss::IndexIDMap2> map = read_part(file, h.dim);
        auto part = std::make_unique<Part>();
        if (p.pending) {
            part->index = make_index(h.dim, h.factory);
            auto* flat = dynamic_cast<faiss::IndexFlat*>(map->index);
            if (!flat) DOPPEL_THROW(kBadFormat, file + ": pending vectors not in a Flat index");
            part->pending_ids.assign(map->id_map.begin(), map->id_map.end());
            part->pending_x.assign(flat->get_xb(), flat->get_xb() + map->ntotal * h.dim);
        } else {
            tune(map->index);
            part->index = std::move(map);
        }
        part->saved = Part::Saved{dir, p.file, p.checksum};
        vi.parts_[p.lang] = std::move(part);
    }
    // A partial load of an "auto" index with no part read keeps its kind from the smallest part
    // (checked against its checksum as any part read).
    if (vi.auto_ && vi.parts_.empty() && smallest) {
        check_part_file(dir, *smallest);
        const std::unique_ptr<faiss::IndexIDMap2> map = read_part(dir + "/" + smallest->file, h.dim);
        if (const auto* model = dynamic_cast<const faiss::IndexPreTransform*>(map->index); model && ivf_of(*model))
            vi.trained_ = empty_approximate(*model);
    }
    return vi;
}

}  // namespace doppel
