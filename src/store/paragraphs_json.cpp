#include "store/paragraphs_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "impl/varint.h"

namespace doppel::store_detail {
namespace {

void append_uint(std::string& out, uint32_t v) {
    char buf[16];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// A language code as a JSON string: plain ASCII as it is, anything else through nlohmann (its
// escapes, and its error on invalid UTF-8).
void append_string(std::string& out, const std::string& s) {
    for (const char c : s)
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            out += nlohmann::json(s).dump();
            return;
        }
    out.push_back('"');
    out += s;
    out.push_back('"');
}

// As nlohmann's serializer writes a number_float (Grisu2, its own formatting), the last value's
// text kept: a document's paragraphs mostly repeat a confidence (1, or the document's, inherited).
class FloatText {
public:
    void append(std::string& out, float f) {
        if (std::memcmp(&f, &last_, sizeof f) != 0 || size_ == 0) {
            last_ = f;
            const double x = f;
            if (!std::isfinite(x)) {
                std::memcpy(text_, "null", 4);
                size_ = 4;
            } else {
                size_ = static_cast<std::size_t>(nlohmann::detail::to_chars(text_, text_ + sizeof text_, x) - text_);
            }
        }
        out.append(text_, size_);
    }

private:
    float last_ = 0;
    char text_[64];
    std::size_t size_ = 0;
};

// The blob format's parts (paragraphs_json.h).
constexpr unsigned kInherited = 1, kConfidenceGiven = 2, kLanguageShift = 2, kLanguageInVarint = 63;
constexpr uint32_t kOneBits = 0x3f800000u;  // 1.0f: the confidence "before the first paragraph"

uint32_t float_bits(float f) {
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
}

float bits_float(uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
}

// The languages of `ps` in order of first use, and each paragraph's number among them.
std::vector<std::string_view> number_languages(const std::vector<Paragraph>& ps, std::vector<uint32_t>* numbers) {
    std::vector<std::string_view> langs;  // a document names few: a linear search is the fastest
    numbers->reserve(ps.size());
    for (const Paragraph& p : ps) {
        auto it = std::find(langs.begin(), langs.end(), std::string_view(p.lang));
        if (it == langs.end()) it = langs.insert(langs.end(), p.lang);
        numbers->push_back(static_cast<uint32_t>(it - langs.begin()));
    }
    return langs;
}

// Reads a blob of kParagraphsBlobFormat after its first byte; false when it is cut short or
// has bytes past its end.
bool read_blob(const unsigned char* p, const unsigned char* end, std::vector<Paragraph>* out) {
    uint64_t nlangs = 0, n = 0, v = 0;
    if (!impl::get_varint(p, end, &nlangs) || nlangs > static_cast<uint64_t>(end - p)) return false;
    std::vector<std::string> langs;
    langs.reserve(nlangs);
    for (uint64_t k = 0; k < nlangs; ++k) {
        if (!impl::get_varint(p, end, &v) || v > static_cast<uint64_t>(end - p)) return false;
        langs.emplace_back(reinterpret_cast<const char*>(p), v);
        p += v;
    }
    if (!impl::get_varint(p, end, &n) || n > static_cast<uint64_t>(end - p)) return false;  // >= 3 bytes each
    out->resize(n);
    uint32_t confidence = kOneBits;
    int64_t previous_end = 0;
    for (Paragraph& para : *out) {
        if (p == end) return false;
        const unsigned flags = *p++;
        uint64_t lang = flags >> kLanguageShift, gap = 0, length = 0;
        if (lang == kLanguageInVarint && !impl::get_varint(p, end, &lang)) return false;
        if (lang >= langs.size() || !impl::get_varint(p, end, &gap) || !impl::get_varint(p, end, &length)) return false;
        int64_t begin = 0, stop = 0;
        if (!impl::add_zigzag(previous_end, gap, &begin) || !impl::add_zigzag(begin, length, &stop)) return false;
        if (begin < 0 || begin > UINT32_MAX || stop < 0 || stop > UINT32_MAX) return false;
        if (flags & kConfidenceGiven) {
            if (end - p < 4) return false;
            confidence = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
            p += 4;
        }
        para.span = {static_cast<uint32_t>(begin), static_cast<uint32_t>(stop)};
        para.lang = langs[lang];
        para.lang_confidence = bits_float(confidence);
        para.lang_inherited = flags & kInherited;
        previous_end = stop;
    }
    return p == end;
}

}  // namespace

std::string encode_paragraphs(const std::vector<Paragraph>& ps) {
    std::vector<uint32_t> numbers;
    const std::vector<std::string_view> langs = number_languages(ps, &numbers);
    std::string out;
    out.reserve(8 + 8 * langs.size() + 8 * ps.size());
    out.push_back(static_cast<char>(kParagraphsBlobFormat));
    impl::put_varint(langs.size(), &out);
    for (const std::string_view lang : langs) {
        impl::put_varint(lang.size(), &out);
        out.append(lang);
    }
    impl::put_varint(ps.size(), &out);
    uint32_t confidence = kOneBits;
    int64_t previous_end = 0;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const Paragraph& p = ps[i];
        const uint32_t bits = float_bits(p.lang_confidence);
        const bool given = bits != confidence;
        const unsigned lang = std::min<uint32_t>(numbers[i], kLanguageInVarint);
        out.push_back(static_cast<char>((p.lang_inherited ? kInherited : 0) | (given ? kConfidenceGiven : 0) |
                                        lang << kLanguageShift));
        if (lang == kLanguageInVarint) impl::put_varint(numbers[i], &out);
        impl::put_varint(impl::zigzag(int64_t{p.span.begin} - previous_end), &out);
        impl::put_varint(impl::zigzag(int64_t{p.span.end} - int64_t{p.span.begin}), &out);
        if (given) {
            const char le[4] = {static_cast<char>(bits), static_cast<char>(bits >> 8), static_cast<char>(bits >> 16),
                                static_cast<char>(bits >> 24)};
            out.append(le, 4);
            confidence = bits;
        }
        previous_end = p.span.end;
    }
    return out;
}

std::optional<std::vector<Paragraph>> try_read_paragraphs(std::string_view column) {
    if (column.empty() || static_cast<unsigned char>(column[0]) != kParagraphsBlobFormat)
        return parse_paragraphs(std::string(column));
    std::vector<Paragraph> out;
    const auto* p = reinterpret_cast<const unsigned char*>(column.data());
    if (!read_blob(p + 1, p + column.size(), &out)) return std::nullopt;
    return out;
}

std::vector<Paragraph> read_paragraphs(std::string_view column) {
    return try_read_paragraphs(column).value_or(std::vector<Paragraph>{});
}

std::string paragraphs_json(const std::vector<Paragraph>& ps) {
    std::string out;
    out.reserve(2 + 40 * ps.size());
    out.push_back('[');
    FloatText confidence;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const Paragraph& p = ps[i];
        out += i == 0 ? "[" : ",[";
        append_uint(out, p.span.begin);
        out.push_back(',');
        append_uint(out, p.span.end);
        out.push_back(',');
        append_string(out, p.lang);
        out.push_back(',');
        confidence.append(out, p.lang_confidence);
        out += p.lang_inherited ? ",true]" : ",false]";
    }
    out.push_back(']');
    return out;
}

std::optional<std::vector<Paragraph>> parse_paragraphs(const std::string& s) {
    auto j = nlohmann::json::parse(s, nullptr, false);
    if (!j.is_array()) return std::nullopt;
    std::vector<Paragraph> out;
    try {
        for (const auto& e : j) {
            Paragraph p;
            p.span = {e.at(0).get<uint32_t>(), e.at(1).get<uint32_t>()};
            p.lang = e.at(2).get<std::string>();
            const auto& confidence = e.at(3);  // written "null" when not finite
            p.lang_confidence =
                confidence.is_null() ? std::numeric_limits<float>::quiet_NaN() : confidence.get<float>();
            p.lang_inherited = e.at(4).get<bool>();
            out.push_back(std::move(p));
        }
    } catch (const nlohmann::json::exception&) {  // an element that is not such an array
        return std::nullopt;
    }
    return out;
}

}  // namespace doppel::store_detail
