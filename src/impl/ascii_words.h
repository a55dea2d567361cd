// doppel (private): the words of lower-cased ASCII text, found 64 bytes at a time.
//
// The rule is the Segmenter's on ASCII text (normalize/segmenter.h), as the shingler's fast path
// applies it: a word is a run of word characters (a-z, 0-9, '_'), in which a '.' or ',' between
// two digits and an apostrophe between two word characters that are not digits stay inside.
// Bytes outside the text count as spaces.
//
// for_each_lower_ascii_word classifies 64 bytes at once into bit masks (SSE2 compares where the
// compiler targets x86-64, a loop elsewhere: the same masks) and walks the word boundaries with
// bit scans, instead of a branch per byte. for_each_lower_ascii_word_bytewise is the byte loop
// it replaced, kept as the reference the unit test compares with.
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace doppel::impl {

// Classes of lower-cased ASCII bytes: 1 a word character, 2 a digit (also a word character).
inline constexpr std::array<uint8_t, 256> kLowerAsciiClass = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[c] = 1;
    for (int c = '0'; c <= '9'; ++c) t[c] = 1 | 2;
    t['_'] = 1;
    return t;
}();

// The reference: one branch per byte. fn(begin, end) per word, in order.
template <class Fn>
void for_each_lower_ascii_word_bytewise(std::string_view s, Fn fn) {
    auto word = [](char c) { return kLowerAsciiClass[static_cast<unsigned char>(c)] & 1; };
    auto digit = [](char c) { return kLowerAsciiClass[static_cast<unsigned char>(c)] & 2; };
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        if (!word(s[i])) {
            ++i;
            continue;
        }
        std::size_t e = i + 1;
        char last = s[i];
        while (e < n) {
            const char d = s[e];
            if (word(d)) {
                last = d;
                ++e;
            } else if ((d == '.' || d == ',') && digit(last) && e + 1 < n && digit(s[e + 1])) {
                ++e;
            } else if (d == '\'' && !digit(last) && e + 1 < n && word(s[e + 1]) && !digit(s[e + 1])) {
                ++e;
            } else {
                break;
            }
        }
        fn(i, e);
        i = e;
    }
}

// Bit i of each mask describes byte i of a 64-byte block.
struct AsciiBlockMasks {
    uint64_t word = 0, digit = 0, point = 0, apostrophe = 0;  // point: '.' or ','
};

#if defined(__SSE2__)
inline AsciiBlockMasks ascii_block_masks(const char* p) {
    AsciiBlockMasks m;
    auto in_range = [](__m128i x, char lo, char hi) {  // lo <= x <= hi, unsigned
        const __m128i t = _mm_sub_epi8(x, _mm_set1_epi8(lo));
        const __m128i width = _mm_set1_epi8(static_cast<char>(hi - lo));
        return _mm_cmpeq_epi8(_mm_min_epu8(t, width), t);
    };
    for (int k = 0; k < 4; ++k) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        const __m128i digit = in_range(x, '0', '9');
        const __m128i word =
            _mm_or_si128(_mm_or_si128(in_range(x, 'a', 'z'), digit), _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
        const __m128i point =
            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')), _mm_cmpeq_epi8(x, _mm_set1_epi8(',')));
        const __m128i apostrophe = _mm_cmpeq_epi8(x, _mm_set1_epi8('\''));
        const int shift = 16 * k;
        m.word |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(word))) << shift;
        m.digit |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(digit))) << shift;
        m.point |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(point))) << shift;
        m.apostrophe |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(apostrophe))) << shift;
    }
    return m;
}
#else
inline AsciiBlockMasks ascii_block_masks(const char* p) {
    AsciiBlockMasks m;
    for (int i = 0; i < 64; ++i) {
        const uint8_t c = kLowerAsciiClass[static_cast<unsigned char>(p[i])];
        const uint64_t bit = uint64_t{1} << i;
        if (c & 1) m.word |= bit;
        if (c & 2) m.digit |= bit;
        if (p[i] == '.' || p[i] == ',') m.point |= bit;
        if (p[i] == '\'') m.apostrophe |= bit;
    }
    return m;
}
#endif

// The same words as for_each_lower_ascii_word_bytewise(s, fn), in the same order.
template <class Fn>
void for_each_lower_ascii_word(std::string_view s, Fn fn) {
    const std::size_t n = s.size();
    auto cls = [&](std::size_t i) { return i < n ? kLowerAsciiClass[static_cast<unsigned char>(s[i])] : 0; };
    uint64_t prev_word = 0, prev_digit = 0, prev_joined = 0;  // bit 63 of the block before
    bool in_word = false;
    std::size_t begin = 0;
    char tail[64];
    for (std::size_t base = 0; base < n; base += 64) {
        const char* p = s.data() + base;
        if (n - base < 64) {  // the last block, padded with spaces
            std::memset(tail, ' ', sizeof tail);
            std::memcpy(tail, p, n - base);
            p = tail;
        }
        const AsciiBlockMasks m = ascii_block_masks(p);
        // A joiner is a '.' or ',' after a digit, or an apostrophe after a word character that is
        // not a digit; it joins when the byte after it is of the same kind (checked one by one:
        // joiners are rare). It never follows a joiner, so "after" means the byte before.
        const uint64_t before_word = m.word << 1 | prev_word >> 63;
        const uint64_t before_digit = m.digit << 1 | prev_digit >> 63;
        uint64_t candidates = (m.point & before_digit) | (m.apostrophe & before_word & ~before_digit);
        uint64_t joined = 0;
        while (candidates) {
            const int bit = __builtin_ctzll(candidates);
            candidates &= candidates - 1;
            const uint8_t next = cls(base + bit + 1);
            const bool point = (m.point >> bit) & 1;
            if (point ? (next & 2) : (next & 1) && !(next & 2)) joined |= uint64_t{1} << bit;
        }
        const uint64_t inside = m.word | joined;
        // Bits where a word begins or ends (the first byte after it): they alternate.
        uint64_t edges = inside ^ (inside << 1 | prev_joined >> 63);
        while (edges) {
            const std::size_t at = base + __builtin_ctzll(edges);
            edges &= edges - 1;
            if (in_word) fn(begin, at);
            begin = at;
            in_word = !in_word;
        }
        prev_word = m.word;
        prev_digit = m.digit;
        prev_joined = inside;
    }
    if (in_word) fn(begin, n);
}

}  // namespace doppel::impl
