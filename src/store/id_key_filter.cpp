#include "store/id_key_filter.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace doppel::store_detail {
namespace {

constexpr char kMagic[4] = {'D', 'I', 'K', 'F'};
constexpr std::size_t kHeaderBytes = 4 + 4 + 8 * 4;
constexpr std::size_t kBlockBytes = impl::BlockedBloom::kWordsPerBlock * sizeof(uint64_t);

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
    f.bits_ = impl::BlockedBloom(impl::BlockedBloom::blocks_for(f.room_, kBitsPerKey));
    return f;
}

std::string IdKeyFilter::encode() const {
    const std::vector<uint64_t>& words = bits_.words();
    std::string out(kMagic, 4);
    put_le<uint32_t>(out, kVersion);
    put_le<uint64_t>(out, bits_.blocks());
    put_le<uint64_t>(out, keys_);
    put_le<uint64_t>(out, room_);
    put_le<uint64_t>(out, XXH3_64bits(words.data(), words.size() * sizeof(uint64_t)));
    out.append(reinterpret_cast<const char*>(words.data()), words.size() * sizeof(uint64_t));
    return out;
}

std::optional<IdKeyFilter> IdKeyFilter::decode(std::string_view blob) {
    if (blob.size() < kHeaderBytes || std::memcmp(blob.data(), kMagic, 4) != 0) return std::nullopt;
    if (get_le<uint32_t>(blob.data() + 4) != kVersion) return std::nullopt;
    IdKeyFilter f;
    const auto blocks = get_le<uint64_t>(blob.data() + 8);
    f.keys_ = get_le<uint64_t>(blob.data() + 16);
    f.room_ = get_le<uint64_t>(blob.data() + 24);
    const auto checksum = get_le<uint64_t>(blob.data() + 32);
    const std::size_t body = blob.size() - kHeaderBytes;
    if (blocks == 0 || body % kBlockBytes != 0 || body / kBlockBytes != blocks) return std::nullopt;
    if (XXH3_64bits(blob.data() + kHeaderBytes, body) != checksum) return std::nullopt;
    std::vector<uint64_t> words(body / sizeof(uint64_t));
    std::memcpy(words.data(), blob.data() + kHeaderBytes, body);
    f.bits_ = impl::BlockedBloom(std::move(words));
    return f;
}

}  // namespace doppel::store_detail
