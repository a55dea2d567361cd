#include "store/paragraphs_json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

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

}  // namespace

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

std::vector<Paragraph> parse_paragraphs(const std::string& s) {
    std::vector<Paragraph> out;
    auto j = nlohmann::json::parse(s, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& e : j) {
        Paragraph p;
        p.span = {e.at(0).get<uint32_t>(), e.at(1).get<uint32_t>()};
        p.lang = e.at(2).get<std::string>();
        p.lang_confidence = e.at(3).get<float>();
        p.lang_inherited = e.at(4).get<bool>();
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace doppel::store_detail
