// doppel (private): a Bloom filter of the keys in a store's large table of id keys (id_keys,
// schema 10; store/store.cpp). A lookup by id probes the small table of new keys, then the large
// one only for a key the filter may hold: a feed's new ids (almost all of a crawl's) skip the
// large table, whose pages each batch would otherwise read again (100,000 new items into a
// 10,000,000-item store: the next batch's lookups 0.38-0.43 -> 0.14-0.15 s, docs/measurements.md,
// "Main of 2026-12-05, evening").
//
// An impl::BlockedBloom (a key's bits in one cache line) of kBitsPerKey bits of room a key, about
// 0.5% false positives when full. The blob, little-endian:
//     "DIKF", uint32 version (1), uint64 blocks, uint64 keys added, uint64 room (keys),
//     uint64 XXH3-64 of the blocks, then the blocks (8 uint64 each)
// A filter holds every key added to it; a key removed from the table stays in it (a lookup then
// probes the table for nothing). decode() refuses a blob whose checksum does not match: the store
// then probes the large table for every key until the filter is built again.
//
// Thread safety: const methods may be called concurrently; add() needs exclusive access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/blocked_bloom.h"

namespace doppel::store_detail {

class IdKeyFilter {
public:
    static constexpr const char* kBlobName = "id_keys/filter";
    static constexpr uint32_t kVersion = 1;
    static constexpr uint64_t kBitsPerKey = 12;

    // An empty filter with room for `keys` keys (at least one block).
    static IdKeyFilter with_room_for(uint64_t keys);
    void add(int64_t key) {
        bits_.add(static_cast<uint64_t>(key));
        ++keys_;
    }
    bool may_contain(int64_t key) const { return bits_.may_contain(static_cast<uint64_t>(key)); }
    uint64_t keys() const { return keys_; }  // added so far, repeats counted
    uint64_t room() const { return room_; }
    std::string encode() const;
    // nullopt: not a filter of this version, or damaged.
    static std::optional<IdKeyFilter> decode(std::string_view blob);

private:
    impl::BlockedBloom bits_;
    uint64_t keys_ = 0, room_ = 0;
};

}  // namespace doppel::store_detail
