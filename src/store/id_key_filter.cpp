#include "store/id_key_filter.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace doppel::store_detail {
namespace {

constexpr char kMagic[4] = {'D', 'I', 'K', 'F'};
constexpr std::size_t kHeaderBytes = 4 + 4 + 8 * 4;

// The block a key falls in (the key's high bits, scaled to the block count) and the bits it sets
// there (kProbes slices of 9 bits of a second mix of it).
struct Place {
    uint64_t block;
    uint64_t bits;
};

__extension__ typedef unsigned __int128 Uint128;  // GCC's and clang's (__extension__: no -Wpedantic)

Place place_of(int64_t key, uint64_t blocks) {
    const auto k = static_cast<uint64_t>(key);
    const auto block = static_cast<uint64_t>((static_cast<Uint128>(k) * blocks) >> 64);
    uint64_t m = k ^ (k >> 31);
    m *= 0x9E3779B97F4A7C15ull;
    m ^= m >> 29;
    return {block, m};
}

template <class T>
void put_le(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // little-endian hosts only (x86-64, aarch64), as the store's other blobs
    out.append(b, sizeof(T));
}

template <class T>
T get_le(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

}  // namespace

IdKeyFilter IdKeyFilter::with_room_for(uint64_t keys) {
    IdKeyFilter f;
    f.room_ = std::max<uint64_t>(keys, 1);
    f.blocks_ = std::max<uint64_t>(1, (f.room_ * kBitsPerKey + 511) / 512);
    f.words_.assign(f.blocks_ * kWordsPerBlock, 0);
    return f;
}

void IdKeyFilter::add(int64_t key) {
    const Place p = place_of(key, blocks_);
    uint64_t* block = &words_[p.block * kWordsPerBlock];
    for (int i = 0; i < kProbes; ++i) {
        const uint64_t bit = (p.bits >> (9 * i)) & 511;
        block[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
    ++keys_;
}

bool IdKeyFilter::may_contain(int64_t key) const {
    const Place p = place_of(key, blocks_);
    const uint64_t* block = &words_[p.block * kWordsPerBlock];
    for (int i = 0; i < kProbes; ++i) {
        const uint64_t bit = (p.bits >> (9 * i)) & 511;
        if (!(block[bit >> 6] & (uint64_t{1} << (bit & 63)))) return false;
    }
    return true;
}

std::string IdKeyFilter::encode() const {
    std::string out(kMagic, 4);
    put_le<uint32_t>(out, kVersion);
    put_le<uint64_t>(out, blocks_);
    put_le<uint64_t>(out, keys_);
    put_le<uint64_t>(out, room_);
    put_le<uint64_t>(out, XXH3_64bits(words_.data(), words_.size() * sizeof(uint64_t)));
    out.append(reinterpret_cast<const char*>(words_.data()), words_.size() * sizeof(uint64_t));
    return out;
}

std::optional<IdKeyFilter> IdKeyFilter::decode(std::string_view blob) {
    if (blob.size() < kHeaderBytes || std::memcmp(blob.data(), kMagic, 4) != 0) return std::nullopt;
    if (get_le<uint32_t>(blob.data() + 4) != kVersion) return std::nullopt;
    IdKeyFilter f;
    f.blocks_ = get_le<uint64_t>(blob.data() + 8);
    f.keys_ = get_le<uint64_t>(blob.data() + 16);
    f.room_ = get_le<uint64_t>(blob.data() + 24);
    const auto checksum = get_le<uint64_t>(blob.data() + 32);
    const std::size_t body = blob.size() - kHeaderBytes;
    if (f.blocks_ == 0 || body % (kWordsPerBlock * sizeof(uint64_t)) != 0 ||
        body / (kWordsPerBlock * sizeof(uint64_t)) != f.blocks_)
        return std::nullopt;
    if (XXH3_64bits(blob.data() + kHeaderBytes, body) != checksum) return std::nullopt;
    f.words_.resize(f.blocks_ * kWordsPerBlock);
    std::memcpy(f.words_.data(), blob.data() + kHeaderBytes, body);
    return f;
}

}  // namespace doppel::store_detail
