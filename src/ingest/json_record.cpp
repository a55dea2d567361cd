#include "ingest/json_record.h"

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace doppel::ingest {
namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxIntegerDigits = 18;  // below any overflow of nlohmann's integer types

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
        out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Whether one of the 8 bytes of x is '"', '\\' or a control character (below 0x20), in a few
// word operations ("has less than" of Bit Twiddling Hacks: exact about whether, not where).
bool has_special_byte(uint64_t x) {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    const uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
    const uint64_t zero = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash);
    const uint64_t control = (x - kOnes * 0x20) & ~x;
    return ((zero | control) & kHigh) != 0;
}

#if defined(__SSE2__)
// Where the first of the 16 bytes at p is '"', '\\' or a control character (below 0x20): its
// index, or 16 when none is. SSE2 is in every x86-64 CPU; elsewhere the word loop alone runs.
int first_special_of_16(const char* p) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);  // v <= 0x1F
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
    return mask ? __builtin_ctz(static_cast<unsigned>(mask)) : 16;
}
#endif

// A cursor over the line; every method returns false where the scan is unsure.
class Scanner {
public:
    explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    bool record(RecordFields* out);

private:
    void skip_space() {
        while (p_ < end_ && is_space(*p_)) ++p_;
    }
    bool take(char c) {
        if (p_ >= end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    void plain_run() {
#if defined(__SSE2__)
        // 16 bytes a step, stopping at the special byte itself (a text's lines are runs of about
        // 60 bytes between "\n" escapes: on the copyright corpus 1.6-1.8x fewer samples in string()).
        while (end_ - p_ >= 16) {
            const int k = first_special_of_16(p_);
            p_ += k;
            if (k < 16) return;
        }
#endif
        for (uint64_t w; end_ - p_ >= 8; p_ += 8) {
            std::memcpy(&w, p_, 8);
            if (has_special_byte(w)) break;
        }
        while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
    }
    bool string(std::string* out);
    bool escape(std::string* out);
    bool unicode_escape(uint32_t* cp);
    bool plain_key(std::string_view* key);
    bool value(int depth);
    bool object(int depth);
    bool array(int depth);
    bool number();
    bool literal(const char* word);

    const char* p_;
    const char* end_;
};

// A string after its opening quote, unescaped into *out (null: checked only).
bool Scanner::string(std::string* out) {
    for (;;) {
        const char* run = p_;
        plain_run();
        if (out) out->append(run, static_cast<std::size_t>(p_ - run));
        if (p_ >= end_ || static_cast<unsigned char>(*p_) < 0x20) return false;  // unterminated, control
        if (*p_++ == '"') return true;
        if (!escape(out)) return false;
    }
}

// The escape after a backslash.
bool Scanner::escape(std::string* out) {
    if (p_ >= end_) return false;
    const char c = *p_++;
    char plain = 0;
    switch (c) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
            uint32_t cp = 0;
            if (!unicode_escape(&cp)) return false;
            if (out) append_utf8(cp, out);
            return true;
        }
        default: return false;
    }
    if (out) out->push_back(plain);
    return true;
}

// The code point of \uXXXX (after the 'u'), a surrogate pair joined; a lone surrogate is unsure.
bool Scanner::unicode_escape(uint32_t* cp) {
    auto four_hex = [&](uint32_t* v) {
        if (end_ - p_ < 4) return false;
        *v = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hex_value(p_[i]);
            if (h < 0) return false;
            *v = *v << 4 | static_cast<uint32_t>(h);
        }
        p_ += 4;
        return true;
    };
    if (!four_hex(cp)) return false;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return false;
    if (*cp < 0xD800 || *cp > 0xDBFF) return true;
    uint32_t low = 0;
    if (!take('\\') || !take('u') || !four_hex(&low) || low < 0xDC00 || low > 0xDFFF) return false;
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
    return true;
}

// A key of the record: a string without escapes.
bool Scanner::plain_key(std::string_view* key) {
    if (!take('"')) return false;
    const char* b = p_;
    plain_run();
    if (p_ >= end_ || *p_ != '"') return false;
    *key = std::string_view(b, static_cast<std::size_t>(p_ - b));
    ++p_;
    return true;
}

bool Scanner::literal(const char* word) {
    const std::size_t n = std::strlen(word);
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
}

// -?(0|[1-9][0-9]*)(.[0-9]+)?, at most kMaxIntegerDigits before the point; no exponent.
bool Scanner::number() {
    take('-');
    const char* digits = p_;
    if (take('0')) {
        if (p_ < end_ && is_digit(*p_)) return false;
    } else {
        while (p_ < end_ && is_digit(*p_)) ++p_;
        if (p_ == digits || p_ - digits > kMaxIntegerDigits) return false;
    }
    if (take('.')) {
        const char* frac = p_;
        while (p_ < end_ && is_digit(*p_)) ++p_;
        if (p_ == frac) return false;
    }
    return p_ >= end_ || (*p_ != 'e' && *p_ != 'E');
}

bool Scanner::value(int depth) {
    if (p_ >= end_) return false;
    switch (*p_) {
        case '"': ++p_; return string(nullptr);
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return (*p_ == '-' || is_digit(*p_)) && number();
    }
}

// A nested object, checked only.
bool Scanner::object(int depth) {
    if (depth > kMaxDepth || !take('{')) return false;
    skip_space();
    if (take('}')) return true;
    for (;;) {
        skip_space();
        if (!take('"') || !string(nullptr)) return false;
        skip_space();
        if (!take(':')) return false;
        skip_space();
        if (!value(depth)) return false;
        skip_space();
        if (take('}')) return true;
        if (!take(',')) return false;
    }
}

bool Scanner::array(int depth) {
    if (depth > kMaxDepth || !take('[')) return false;
    skip_space();
    if (take(']')) return true;
    for (;;) {
        skip_space();
        if (!value(depth)) return false;
        skip_space();
        if (take(']')) return true;
        if (!take(',')) return false;
    }
}

// The top-level object: the taken keys' values are kept, the others checked.
bool Scanner::record(RecordFields* out) {
    skip_space();
    if (!take('{')) return false;
    skip_space();
    for (bool first = true; !take('}'); first = false) {
        if (!first && !take(',')) return false;
        skip_space();
        std::string_view key;
        if (!plain_key(&key)) return false;
        skip_space();
        if (!take(':')) return false;
        skip_space();
        std::size_t k = 0;
        while (k < kRecordKeys.size() && kRecordKeys[k] != key) ++k;
        if (k == kRecordKeys.size()) {
            if (!value(1)) return false;
        } else {
            RecordField& f = out->fields[k];
            if (f.type != RecordField::Type::kAbsent) return false;  // given twice: the last one wins there
            f.type = p_ < end_ && *p_ == '"' ? RecordField::Type::kString : RecordField::Type::kOther;
            if (f.type == RecordField::Type::kString && (k == kKeyText || k == kKeyHtml))
                f.value.reserve(static_cast<std::size_t>(end_ - p_));  // the body: unescaped, no longer
            if (f.type == RecordField::Type::kString ? !(take('"') && string(&f.value)) : !value(1)) return false;
            if (k == kKeyId && f.type != RecordField::Type::kString) return false;  // a number id: nlohmann's form
        }
        skip_space();
    }
    skip_space();
    return p_ == end_;
}

}  // namespace

ScanResult scan_json_record(std::string_view line, RecordFields* out) {
    *out = RecordFields{};
    return Scanner(line).record(out) ? ScanResult::kRead : ScanResult::kUnsure;
}

}  // namespace doppel::ingest
