#include "doppel/index/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "doppel/error.h"

namespace doppel {
namespace fs = std::filesystem;
using faiss_idx = faiss::Index::idx_t;

struct VectorIndex::Part {
    std::unique_ptr<faiss::IndexIDMap2> index;
    // Vectors waiting for an index that needs training (IVF): kept until there are enough.
    std::vector<float> pending_x;
    std::vector<int64_t> pending_ids;
};

namespace {

// HNSW's search breadth: FAISS's default of 16 loses true neighbours as a store grows (a
// translation missing from the 10 nearest cannot be linked); 64 keeps recall at 32,000 documents a
// language (bench_match) for about twice the search time.
constexpr int kHnswEfSearch = 64;

void tune(faiss::Index* index) {
    if (auto* h = dynamic_cast<faiss::IndexHNSW*>(index)) h->hnsw.efSearch = std::max(h->hnsw.efSearch, kHnswEfSearch);
}

std::unique_ptr<faiss::IndexIDMap2> make_index(std::size_t dim, const std::string& factory) {
    try {
        faiss::Index* inner = faiss::index_factory(static_cast<int>(dim), factory.c_str(), faiss::METRIC_INNER_PRODUCT);
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

VectorIndex::VectorIndex(std::size_t dim, std::string factory) : dim_(dim), factory_(std::move(factory)) {
    make_index(dim_, factory_);  // validates the factory string now
}
VectorIndex::~VectorIndex() = default;
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;

std::string VectorIndex::describe() const { return "faiss:" + factory_ + ",dim=" + std::to_string(dim_); }

void VectorIndex::add(const std::string& lang, std::size_t n, const int64_t* ids, const float* x) {
    if (n == 0) return;
    auto& part = parts_[lang];
    if (!part) {
        part = std::make_unique<Part>();
        part->index = make_index(dim_, factory_);
    }
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
    idx->add_with_ids(static_cast<faiss_idx>(n), x, ids);
}

std::size_t VectorIndex::remove(std::size_t n, const int64_t* ids) {
    std::size_t removed = 0;
    faiss::IDSelectorBatch sel(n, ids);
    for (auto& [lang, part] : parts_) {
        removed += part->index->remove_ids(sel);
        std::vector<float> px;
        std::vector<int64_t> pi;
        for (std::size_t i = 0; i < part->pending_ids.size(); ++i) {
            if (sel.is_member(part->pending_ids[i])) {
                ++removed;
                continue;
            }
            pi.push_back(part->pending_ids[i]);
            px.insert(px.end(), part->pending_x.begin() + i * dim_, part->pending_x.begin() + (i + 1) * dim_);
        }
        part->pending_ids = std::move(pi);
        part->pending_x = std::move(px);
    }
    return removed;
}

void VectorIndex::search(const std::string& lang, std::size_t n, const float* x, std::size_t k, float* distances,
                         int64_t* labels) const {
    std::fill(labels, labels + n * k, -1);
    std::fill(distances, distances + n * k, -1e30f);
    auto it = parts_.find(lang);
    if (it == parts_.end() || n == 0 || k == 0) return;
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

namespace {
void put32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put_str(std::string& s, const std::string& v) {
    put32(s, static_cast<uint32_t>(v.size()));
    s += v;
}
}  // namespace

void VectorIndex::save(const std::string& dir) const {
    std::string h(kMagic, 4);
    put32(h, kFormatVersion);
    put32(h, static_cast<uint32_t>(dim_));
    put_str(h, factory_);
    put32(h, static_cast<uint32_t>(parts_.size()));
    for (auto& [lang, part] : parts_) {
        std::string file = "vectors-" + safe_lang(lang) + ".faiss";
        put_str(h, lang);
        put_str(h, file);
        // Pending vectors (untrained IVF) are saved in a Flat index of their own.
        bool pending = !part->pending_ids.empty();
        put32(h, pending ? 1u : 0u);
        const std::string tmp = dir + "/" + file + ".tmp";
        try {
            if (pending) {
                auto flat = make_index(dim_, "Flat");
                flat->add_with_ids(static_cast<faiss_idx>(part->pending_ids.size()), part->pending_x.data(),
                                   part->pending_ids.data());
                faiss::write_index(flat.get(), tmp.c_str());
            } else {
                faiss::write_index(part->index.get(), tmp.c_str());
            }
        } catch (const faiss::FaissException& e) {
            DOPPEL_THROW(kIo, "cannot write " + tmp + ": " + e.what());
        }
        fs::rename(tmp, dir + "/" + file);
    }
    const std::string tmp = dir + "/" + kHeaderFile + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        f << h;
        if (!f) DOPPEL_THROW(kIo, "cannot write " + tmp);
    }
    fs::rename(tmp, dir + "/" + kHeaderFile);
}

bool VectorIndex::exists(const std::string& dir) { return fs::exists(dir + "/" + kHeaderFile); }

VectorIndex VectorIndex::load(const std::string& dir) {
    const std::string path = dir + "/" + kHeaderFile;
    std::ifstream f(path, std::ios::binary);
    if (!f) DOPPEL_THROW(kIo, "cannot open vector index " + path);
    std::string h((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::size_t pos = 0;
    auto need = [&](std::size_t n) {
        if (pos + n > h.size()) DOPPEL_THROW(kBadFormat, "vector index " + path + ": truncated header");
    };
    auto u32 = [&]() {
        need(4);
        uint32_t v;
        std::memcpy(&v, h.data() + pos, 4);
        pos += 4;
        return v;
    };
    auto str = [&]() {
        uint32_t n = u32();
        need(n);
        std::string s = h.substr(pos, n);
        pos += n;
        return s;
    };
    need(4);
    if (std::memcmp(h.data(), kMagic, 4) != 0) DOPPEL_THROW(kBadFormat, "vector index " + path + ": bad magic");
    pos = 4;
    uint32_t version = u32();
    if (version != kFormatVersion)
        DOPPEL_THROW(kVersion, "vector index " + path + ": format version " + std::to_string(version) +
                     ", this build reads " + std::to_string(kFormatVersion) + " (re-index the store)");
    std::size_t dim = u32();
    std::string factory = str();
    VectorIndex vi(dim, factory);
    uint32_t n = u32();
    for (uint32_t i = 0; i < n; ++i) {
        std::string lang = str(), file = str();
        bool pending = u32() != 0;
        faiss::Index* raw = nullptr;
        try {
            raw = faiss::read_index((dir + "/" + file).c_str());
        } catch (const faiss::FaissException& e) {
            DOPPEL_THROW(kIo, "cannot read " + dir + "/" + file + ": " + e.what());
        }
        auto* map = dynamic_cast<faiss::IndexIDMap2*>(raw);
        if (!map || raw->d != static_cast<faiss_idx>(dim)) {
            delete raw;
            DOPPEL_THROW(kBadFormat, dir + "/" + file + ": not a doppel vector index of dimension " + std::to_string(dim));
        }
        auto part = std::make_unique<Part>();
        if (pending) {
            part->index = make_index(dim, factory);
            auto* flat = dynamic_cast<faiss::IndexFlat*>(map->index);
            part->pending_ids.assign(map->id_map.begin(), map->id_map.end());
            part->pending_x.assign(flat->get_xb(), flat->get_xb() + map->ntotal * dim);
            delete raw;
        } else {
            tune(map->index);
            part->index.reset(map);
        }
        vi.parts_[lang] = std::move(part);
    }
    return vi;
}

}  // namespace doppel
