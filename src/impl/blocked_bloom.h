// doppel (private): a blocked Bloom filter of 64-bit keys, the one home of the filters that let
// a lookup skip a table or a search (the store's id keys, store/id_key_filter.h; the band keys an
// only-new dedup run asks of every earlier page, ops/band_run_dedup.cpp).
//
// Blocked: a key sets kProbes bits in one block of 512 bits (a cache line), so a query costs one
// cache miss however many probes it makes, and most keys not added stop at the first or second
// bit. Full, with 12 bits of room a key, 0.44% of other keys pass; with 16, 0.12% (random keys,
// 1.6 M added, 20 M asked: a scratch program).
// The keys must be spread over the 64 bits already (hashes): the block is taken from the key's
// high bits, the probes from a mix of the whole key. A filter never forgets a key added.
//
// The place of a key (its block and bits) is part of the store's format (the blob of
// IdKeyFilter): changing it needs a new version there.
//
// Thread safety: const methods may be called concurrently; add() needs exclusive access.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace doppel::impl {

class BlockedBloom {
public:
    static constexpr int kProbes = 6;
    static constexpr uint64_t kWordsPerBlock = 8;

    // The blocks that give `keys` keys `bits_per_key` bits of room each (at least one).
    static uint64_t blocks_for(uint64_t keys, uint64_t bits_per_key) {
        return std::max<uint64_t>(1, (keys * bits_per_key + 511) / 512);
    }
    // An empty filter of `blocks` blocks (at least one).
    explicit BlockedBloom(uint64_t blocks = 1) : words_(std::max<uint64_t>(blocks, 1) * kWordsPerBlock, 0) {}
    // A filter of these words (kWordsPerBlock a block, at least one block: the caller checks).
    explicit BlockedBloom(std::vector<uint64_t> words) : words_(std::move(words)) {}

    void add(uint64_t key) {
        const Place p = place_of(key);
        uint64_t* block = &words_[p.block * kWordsPerBlock];
        for (int i = 0; i < kProbes; ++i) {
            const uint64_t bit = (p.bits >> (9 * i)) & 511;
            block[bit >> 6] |= uint64_t{1} << (bit & 63);
        }
    }
    bool may_contain(uint64_t key) const {
        const Place p = place_of(key);
        const uint64_t* block = &words_[p.block * kWordsPerBlock];
        for (int i = 0; i < kProbes; ++i) {
            const uint64_t bit = (p.bits >> (9 * i)) & 511;
            if (!(block[bit >> 6] & (uint64_t{1} << (bit & 63)))) return false;
        }
        return true;
    }
    uint64_t blocks() const { return words_.size() / kWordsPerBlock; }
    const std::vector<uint64_t>& words() const { return words_; }

private:
    // The block a key falls in (its high bits, scaled to the block count) and the bits it sets
    // there (kProbes slices of 9 bits of a second mix of it).
    struct Place {
        uint64_t block;
        uint64_t bits;
    };
    __extension__ typedef unsigned __int128 Uint128;  // GCC's and clang's (__extension__: no -Wpedantic)
    Place place_of(uint64_t k) const {
        const auto block = static_cast<uint64_t>((static_cast<Uint128>(k) * blocks()) >> 64);
        uint64_t m = k ^ (k >> 31);
        m *= 0x9E3779B97F4A7C15ull;
        m ^= m >> 29;
        return {block, m};
    }
    std::vector<uint64_t> words_;
};

}  // namespace doppel::impl
