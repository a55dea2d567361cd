// doppel (private): unsigned varints (7 bits a byte, low bits first, the high bit set on every
// byte but the last), for small numbers in stored blobs, and zigzag for signed ones. Pure functions: call them from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace doppel::impl {

// Writes one varint at p, which has room for kMaxVarintBytes; returns the end (for a coder that
// writes in place, as the band runs' segments are).
inline constexpr std::size_t kMaxVarintBytes = 10;
inline unsigned char* put_varint(uint64_t v, unsigned char* p) {
    while (v >= 0x80) {
        *p++ = static_cast<unsigned char>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<unsigned char>(v);
    return p;
}

inline void put_varint(uint64_t v, std::string* out) {
    unsigned char buf[kMaxVarintBytes];
    out->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(put_varint(v, buf) - buf));
}

// A signed step as an unsigned varint's value: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... (a small
// step either way is a small number). unzigzag() is its inverse.
inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// base + unzigzag(step) into *out; false where the sum leaves int64_t (a damaged blob's step
// can be anything, and a signed overflow is undefined).
inline bool add_zigzag(int64_t base, uint64_t step, int64_t* out) {
    return !__builtin_add_overflow(base, unzigzag(step), out);
}

// Reads one varint at p (moved past it); false when it runs past `end` or over 64 bits.
inline bool get_varint(const unsigned char*& p, const unsigned char* end, uint64_t* v) {
    *v = 0;
    for (int shift = 0; p < end && shift < 64; shift += 7) {
        const unsigned char b = *p++;
        if (shift == 63 && b > 1) return false;  // bits past the 64th
        *v |= uint64_t{b & 0x7Fu} << shift;
        if (b < 0x80) return true;
    }
    return false;
}

}  // namespace doppel::impl
