#include "ops/dedup_state.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "doppel/error.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/store/store.h"

namespace doppel {
namespace {

constexpr char kMagic[4] = {'D', 'P', 'D', 'M'};
constexpr std::size_t kHeaderBytes = 8;
constexpr const char* kFirstWord = "doppel-dedup-state";
constexpr uint32_t kPartVersion = 1;  // of the member blobs (the header's version is DedupState's)

// Each spec's state under its own names: "<kMetaKey>/<hash>", "dedup/<hash>/members/<part>".
std::string spec_hash(const std::string& spec) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits(spec.data(), spec.size())));
    return hex;
}
std::string part_name(const std::string& spec, std::size_t part) {
    return "dedup/" + spec_hash(spec) + "/members/" + std::to_string(part);
}

struct Header {
    int64_t since = 0;
    uint64_t docs = 0, boilerplate = 0;
    std::vector<uint64_t> counts;  // members per part
    std::optional<uint64_t> boilerplate_lines;  // none in version 1
    std::string spec;
};

std::optional<Header> read_header(const Store& store, const std::string& spec) {
    const auto meta = store.meta(DedupState::meta_key(spec));
    if (!meta) return std::nullopt;
    std::istringstream in(*meta);
    std::string first, boilerplate;
    uint32_t version = 0;
    std::size_t parts = 0;
    Header h;
    in >> first >> version;
    DOPPEL_CHECK(kBadFormat, in && first == kFirstWord, "the store's dedup state does not parse");
    DOPPEL_CHECK(kVersion, version == 1 || version == DedupState::kVersion,
                 "the store's dedup state is version " + std::to_string(version) + "; this build reads 1 to " +
                     std::to_string(DedupState::kVersion));
    in >> h.since >> h.docs >> boilerplate >> parts;
    h.counts.resize(in ? parts : 0);
    for (auto& c : h.counts) in >> c;
    if (version >= 2) in >> h.boilerplate_lines.emplace();
    DOPPEL_CHECK(kBadFormat, static_cast<bool>(in), "the store's dedup state does not parse");
    h.boilerplate = std::stoull(boilerplate, nullptr, 16);
    in.ignore(1);  // the line's end
    std::getline(in, h.spec);
    return h;
}

std::vector<int64_t> read_part(const Store& store, const std::string& spec, std::size_t part,
                               uint64_t count) {
    const std::string name = part_name(spec, part);
    std::string buf(kHeaderBytes + count * sizeof(int64_t), '\0');
    DOPPEL_CHECK(kBadFormat, store.read_blob(name, 0, buf.size(), buf.data()),
                 "the store's dedup state misses " + name);
    uint32_t version = 0;
    std::memcpy(&version, buf.data() + 4, 4);
    DOPPEL_CHECK(kBadFormat, std::memcmp(buf.data(), kMagic, 4) == 0, name + ": bad magic");
    DOPPEL_CHECK(kVersion, version == kPartVersion, name + ": unknown version");
    std::vector<int64_t> seqs(count);
    if (count > 0) std::memcpy(seqs.data(), buf.data() + kHeaderBytes, count * sizeof(int64_t));  // data() may be null
    return seqs;
}

void write_part(Store& store, const std::string& spec, std::size_t part, const std::vector<int64_t>& seqs) {
    std::string buf(kHeaderBytes + seqs.size() * sizeof(int64_t), '\0');
    std::memcpy(buf.data(), kMagic, 4);
    std::memcpy(buf.data() + 4, &kPartVersion, 4);
    if (!seqs.empty()) std::memcpy(buf.data() + kHeaderBytes, seqs.data(), seqs.size() * sizeof(int64_t));  // ditto
    store.put_blob(part_name(spec, part), buf);
}


std::vector<int64_t> read_members(const Store& store, const Header& h) {
    std::vector<int64_t> all;
    for (std::size_t p = 0; p < h.counts.size(); ++p) {
        const std::vector<int64_t> part = read_part(store, h.spec, p, h.counts[p]);
        all.insert(all.end(), part.begin(), part.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

}  // namespace

std::string DedupState::meta_key(const std::string& spec) {
    return std::string(kMetaKey) + "/" + spec_hash(spec);
}

std::optional<DedupState> DedupState::read(const Store& store, const std::string& spec) {
    const std::optional<Header> h = read_header(store, spec);
    if (!h || h->spec != spec) return std::nullopt;  // none, or (64-bit hashes colliding) another's
    DedupState s;
    s.since = h->since;
    s.docs = h->docs;
    s.boilerplate = h->boilerplate;
    s.spec = h->spec;
    s.members = read_members(store, *h);
    s.boilerplate_lines = h->boilerplate_lines;
    return s;
}

void DedupState::write(Store& store, int64_t since, uint64_t docs, uint64_t boilerplate,
                       const std::vector<int64_t>& added, const std::string& spec, bool full,
                       uint64_t boilerplate_lines) {
    store.transaction([&] {
        // Phase 1: the parts to keep (none for a full run).
        const std::optional<Header> old = read_header(store, spec);
        const bool extend = old && !full && old->spec == spec;
        std::vector<uint64_t> counts;
        if (extend) counts = old->counts;
        // Phase 2: one more part, or all of them merged into one past kMaxParts; none when a run
        // after a recorded one added nothing (the members are as they were).
        const bool unchanged = extend && added.empty();
        if (!unchanged && counts.size() + 1 > kMaxParts) {
            std::vector<int64_t> all = read_members(store, *old);
            all.insert(all.end(), added.begin(), added.end());
            std::sort(all.begin(), all.end());
            write_part(store, spec, 0, all);
            counts.assign(1, all.size());
        } else if (!unchanged) {
            write_part(store, spec, counts.size(), added);
            counts.push_back(added.size());
        }
        for (std::size_t p = counts.size(); old && p < old->counts.size(); ++p)
            store.remove_blob(part_name(spec, p));
        // Phase 3: the header.
        std::ostringstream meta;
        meta << kFirstWord << ' ' << kVersion << ' ' << since << ' ' << docs << ' ' << std::hex << boilerplate
             << std::dec << ' ' << counts.size();
        for (uint64_t c : counts) meta << ' ' << c;
        meta << ' ' << boilerplate_lines << '\n' << spec;
        store.set_meta(meta_key(spec), meta.str());
    });
}

namespace {
constexpr char kBandsMagic[4] = {'D', 'P', 'B', 'B'};
constexpr uint32_t kBandsVersion = 1;
constexpr std::size_t kBandsHeader = 4 + 4 + 8 + 8 + 4 + 4 + 4;
}  // namespace

std::string encode_boilerplate_bands(const BoilerplateBands& b) {
    const auto bands = static_cast<uint32_t>(b.keys.size());
    std::string out(kBandsHeader + b.keys.size() * sizeof(uint64_t), '\0');
    char* p = out.data();
    auto put = [&](const void* v, std::size_t n) { std::memcpy(p, v, n), p += n; };
    put(kBandsMagic, 4), put(&kBandsVersion, 4), put(&b.spec, 8), put(&b.lines, 8);  // little-endian hosts
    put(&b.boilerplate_lines, 4), put(&b.shingles, 4), put(&bands, 4);
    if (bands) put(b.keys.data(), b.keys.size() * sizeof(uint64_t));
    return out;
}

std::optional<BoilerplateBands> decode_boilerplate_bands(std::string_view blob, bool keys) {
    uint32_t version = 0, bands = 0;
    if (blob.size() < kBandsHeader || std::memcmp(blob.data(), kBandsMagic, 4) != 0) return std::nullopt;
    const char* p = blob.data() + 4;
    auto get = [&](void* v, std::size_t n) { std::memcpy(v, p, n), p += n; };
    BoilerplateBands b;
    get(&version, 4), get(&b.spec, 8), get(&b.lines, 8), get(&b.boilerplate_lines, 4), get(&b.shingles, 4);
    get(&bands, 4);
    if (version != kBandsVersion || blob.size() != kBandsHeader + uint64_t{bands} * sizeof(uint64_t))
        return std::nullopt;
    if (keys) b.keys.resize(bands);
    if (!b.keys.empty()) get(b.keys.data(), b.keys.size() * sizeof(uint64_t));
    return b;
}

std::string_view boilerplate_band_key_bytes(std::string_view blob) { return blob.substr(kBandsHeader); }

void BoilerplateBandsMade::add(int64_t seq, const BoilerplateBands& b) {
    const std::string blob = encode_boilerplate_bands(b);
    const auto size = static_cast<uint32_t>(blob.size());
    std::string record(sizeof seq + sizeof size, '\0');
    std::memcpy(record.data(), &seq, sizeof seq);
    std::memcpy(record.data() + sizeof seq, &size, sizeof size);
    append(record + blob);
    ++count_;
}

void BoilerplateBandsMade::append(std::string_view record) {
    buffer_.append(record);
    if (buffer_.size() < in_memory_) return;
    file_.append(buffer_.data(), buffer_.size());
    file_.flush();
    buffer_.clear();
}

void BoilerplateBandsMade::for_each_chunk(
    const std::function<void(std::size_t, const int64_t*, const std::string_view*)>& fn) const {
    // Phase 1: the file's records, a chunk at a time (a record cut at a chunk's end is kept for
    // the next); phase 2: the buffer's. The records of a chunk go to fn at once.
    std::string chunk;
    std::vector<int64_t> seqs;
    std::vector<std::string_view> blobs;
    auto records = [&](std::string_view s) {
        std::size_t at = 0;
        seqs.clear(), blobs.clear();
        for (int64_t seq = 0; s.size() - at >= sizeof seq + sizeof(uint32_t);) {
            uint32_t size = 0;
            std::memcpy(&seq, s.data() + at, sizeof seq);
            std::memcpy(&size, s.data() + at + sizeof seq, sizeof size);
            if (s.size() - at - sizeof seq - sizeof size < size) break;
            seqs.push_back(seq), blobs.push_back(s.substr(at + sizeof seq + sizeof size, size));
            at += sizeof seq + sizeof size + size;
        }
        if (!seqs.empty()) fn(seqs.size(), seqs.data(), blobs.data());
        return at;
    };
    constexpr uint64_t kChunk = uint64_t{1} << 20;
    for (uint64_t at = 0; at < file_.size();) {
        const auto got = static_cast<std::size_t>(std::min(kChunk, file_.size() - at));
        const std::size_t kept = chunk.size();
        chunk.resize(kept + got);
        file_.read(at, chunk.data() + kept, got);
        at += got;
        chunk.erase(0, records(chunk));
    }
    DOPPEL_CHECK(kBadFormat, chunk.empty(), "dedup's temporary file of band keys ends in a cut record");
    records(buffer_);
}

void BoilerplateBandsMade::for_each(const std::function<void(int64_t, std::string_view)>& fn) const {
    for_each_chunk([&](std::size_t n, const int64_t* seqs, const std::string_view* blobs) {
        for (std::size_t i = 0; i < n; ++i) fn(seqs[i], blobs[i]);
    });
}

uint64_t boilerplate_bands_spec(const NearDuplicateOptions& o, LshParams banding) {
    const std::string s = near_duplicate_sketch_spec(o.shingle_spec, o.minhash_spec) + ";" +
                          std::to_string(banding.bands) + "x" + std::to_string(banding.rows);
    return XXH3_64bits(s.data(), s.size());
}

uint64_t boilerplate_fingerprint(const std::vector<int64_t>& seqs, const std::vector<FinderDocument>& docs,
                                 std::size_t end) {
    uint64_t sum = 0;
    for (std::size_t k = 0; k < end; ++k) {
        if (docs[k].boilerplate_lines == 0) continue;
        const uint64_t key[2] = {static_cast<uint64_t>(seqs[k]), docs[k].boilerplate_lines};
        sum += XXH3_64bits(key, sizeof key);
    }
    return sum;
}

}  // namespace doppel
