// doppel (private): unsigned varints (7 bits a byte, low bits first, the high bit set on every
// byte but the last), for small numbers in stored blobs. Pure functions: call them from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace doppel::impl {

inline void put_varint(uint64_t v, std::string* out) {
    while (v >= 0x80) {
        out->push_back(static_cast<char>(v | 0x80));
        v >>= 7;
    }
    out->push_back(static_cast<char>(v));
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
