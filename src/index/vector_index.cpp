#include "doppel/index/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
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

// Reads the header and checks every file it names against its checksum.
Header verified_header(const std::string& dir, uint64_t* header_checksum) {
    const std::string path = dir + "/" + VectorIndex::kHeaderFile;
    const std::string bytes = read_all(path);
    Header h = decode_header(path, bytes);
    for (const auto& p : h.parts) {
        const std::string file = dir + "/" + p.file;
        if (!fs::exists(file)) DOPPEL_THROW(kBadFormat, "vector index " + path + ": " + file + " is missing");
        if (file_checksum(file) != p.checksum)
            DOPPEL_THROW(kBadFormat, "vector index " + path + ": " + file + " does not match its checksum");
    }
    if (header_checksum) *header_checksum = XXH3_64bits(bytes.data(), bytes.size());
    return h;
}

}  // namespace

VectorIndex::FileState VectorIndex::save(const std::string& dir) const {
    Header h;
    h.dim = dim_;
    h.factory = factory_;
    for (auto& [lang, part] : parts_) {
        HeaderPart p{lang, "vectors-" + safe_lang(lang) + ".faiss", !part->pending_ids.empty(), 0, 0};
        p.count = static_cast<uint64_t>(part->index->ntotal) + part->pending_ids.size();
        const std::string tmp = dir + "/" + p.file + ".tmp";
        try {
            if (p.pending) {  // pending vectors (untrained IVF) are saved in a Flat index of their own
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
        sync_file(tmp);
        p.checksum = file_checksum(tmp);
        rename_file(tmp, dir + "/" + p.file);
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

VectorIndex::FileState VectorIndex::inspect(const std::string& dir) {
    FileState st;
    const Header h = verified_header(dir, &st.header_checksum);
    st.count = static_cast<std::size_t>(h.count);
    st.ids_digest = h.digest;
    return st;
}

VectorIndex VectorIndex::load(const std::string& dir) {
    const Header h = verified_header(dir, nullptr);
    VectorIndex vi(h.dim, h.factory);
    for (const auto& p : h.parts) {
        const std::string file = dir + "/" + p.file;
        faiss::Index* raw = nullptr;
        try {
            raw = faiss::read_index(file.c_str());
        } catch (const faiss::FaissException& e) {
            DOPPEL_THROW(kIo, "cannot read " + file + ": " + e.what());
        }
        auto* map = dynamic_cast<faiss::IndexIDMap2*>(raw);
        if (!map || raw->d != static_cast<faiss_idx>(h.dim)) {
            delete raw;
            DOPPEL_THROW(kBadFormat, file + ": not a doppel vector index of dimension " + std::to_string(h.dim));
        }
        auto part = std::make_unique<Part>();
        if (p.pending) {
            part->index = make_index(h.dim, h.factory);
            auto* flat = dynamic_cast<faiss::IndexFlat*>(map->index);
            if (!flat) {
                delete raw;
                DOPPEL_THROW(kBadFormat, file + ": pending vectors not in a Flat index");
            }
            part->pending_ids.assign(map->id_map.begin(), map->id_map.end());
            part->pending_x.assign(flat->get_xb(), flat->get_xb() + map->ntotal * h.dim);
            delete raw;
        } else {
            tune(map->index);
            part->index.reset(map);
        }
        vi.parts_[p.lang] = std::move(part);
    }
    return vi;
}

}  // namespace doppel
