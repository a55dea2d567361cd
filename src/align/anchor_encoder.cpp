#include "doppel/align/anchor_encoder.h"

#include <cctype>

#include "impl/spec.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

bool has_digit(std::string_view s) {
    for (char c : s)
        if (c >= '0' && c <= '9') return true;
    return false;
}

bool has_alpha(std::string_view s) {
    for (char c : s)
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return false;
}

// "1.000" and "1,000" -> "1000"; "007" -> "7"; digits-and-letters tokens kept as they are.
std::string number_key(std::string_view token) {
    std::string out;
    for (char c : token) {
        if (c == '.' || c == ',') continue;
        out.push_back(c);
    }
    if (!has_alpha(out)) {
        std::size_t z = 0;
        while (z + 1 < out.size() && out[z] == '0') ++z;
        out.erase(0, z);
    }
    return out;
}

bool is_space_cp(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0; }

}  // namespace

std::string AnchorEncoder::skeleton(std::string_view latin) {
    std::string out;
    for (char c : latin) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c < 'a' || c > 'z') continue;
        switch (c) {
            case 'a': case 'e': case 'i': case 'o': case 'u': case 'h': case 'w': case 'y':
                continue;
            case 'c': case 'q': c = 'k'; break;
            case 'g': c = 'j'; break;
            case 'p': case 'f': case 'v': c = 'b'; break;  // Arabic has no p or v
            case 'z': case 'x': c = 's'; break;            // Vietnamese x sounds s
            case 'd': c = 't'; break;
            default: break;
        }
        if (!out.empty() && out.back() == c) continue;
        out.push_back(c);
    }
    return out;
}

std::unique_ptr<AnchorEncoder> AnchorEncoder::from_spec(const std::string& spec) {
    auto p = impl::parse_spec(spec);
    if (p.name != "anchors") DOPPEL_THROW(kBadSpec, "not an anchors spec: '" + spec + "'");
    AnchorEncoderOptions o;
    p.take_number("num", o.number_weight);
    p.take_number("url", o.url_weight);
    p.take_number("punct", o.punct_weight);
    p.take_number("token", o.token_weight);
    p.take_number("skeleton", o.skeleton_weight);
    p.check_empty();
    return std::make_unique<AnchorEncoder>(o);
}

std::string AnchorEncoder::describe() const {
    using impl::spec_number;
    return "anchors:num=" + spec_number(options_.number_weight) + ",url=" + spec_number(options_.url_weight) +
           ",punct=" + spec_number(options_.punct_weight) + ",token=" + spec_number(options_.token_weight) +
           ",skeleton=" + spec_number(options_.skeleton_weight);
}

void AnchorEncoder::encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                           FeatureVector* out) const {
    const auto& o = options_;
    for (std::size_t u = 0; u < n; ++u) {
        const UnitTokens& unit = units[u];
        FeatureVector& f = out[u];
        f.clear();
        auto add = [&f](std::string_view name, float w) {
            if (w > 0) f.push_back({feature_id(name), w});
        };
        // Tokens: numbers, identical tokens, consonant skeletons.
        for (std::size_t k = 0; k < unit.tokens.size(); ++k) {
            const std::string& tok = unit.tokens[k];
            if (has_digit(tok)) {
                add("num:" + number_key(tok), o.number_weight);
                continue;
            }
            const std::string& lat = unit.latin[k];
            if (lat.size() >= 2) add("tok:" + lat, o.token_weight);
            if (lat.size() >= 3) {
                const std::string sk = skeleton(lat);
                if (sk.size() >= 2) add("sk:" + sk, o.skeleton_weight);
            }
        }
        // URLs and e-mail addresses: whitespace-separated chunks.
        const std::string_view text = unit.text;
        std::size_t i = 0;
        while (i < text.size()) {
            while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
            std::size_t e = i;
            while (e < text.size() && !std::isspace(static_cast<unsigned char>(text[e]))) ++e;
            std::string_view chunk = text.substr(i, e - i);
            const bool url = chunk.starts_with("http://") || chunk.starts_with("https://") || chunk.starts_with("www.");
            const bool mail = chunk.find('@') != std::string_view::npos && chunk.find('.') != std::string_view::npos;
            if (url || mail) {
                while (!chunk.empty() && std::string_view(".,;:)]\"'").find(chunk.back()) != std::string_view::npos)
                    chunk.remove_suffix(1);
                std::string key(chunk);
                for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                add("url:" + key, o.url_weight);
            }
            i = e;
        }
        // Punctuation that translations keep.
        if (o.punct_weight > 0) {
            std::size_t j = 0;
            while (j < text.size()) {
                const char32_t c = impl::next_code_point(text, j);
                switch (c) {
                    case '(': add("p:(", o.punct_weight); break;
                    case '"': case 0xAB: case 0xBB: case 0x201C: case 0x201D: case 0x201E: case 0x2039:
                    case 0x203A:
                        add("p:q", o.punct_weight * 0.5f);
                        break;
                    case '?': case 0x061F: add("p:?", o.punct_weight); break;
                    case '!': add("p:!", o.punct_weight); break;
                    case '%': case 0x066A: add("p:%", o.punct_weight); break;
                    case ':': add("p::", o.punct_weight); break;
                    case 0x2026: add("p:...", o.punct_weight); break;
                    case '.':
                        if (j + 1 < text.size() && text[j] == '.' && text[j + 1] == '.') {
                            add("p:...", o.punct_weight);
                            j += 2;
                        }
                        break;
                    default: break;
                }
                (void)is_space_cp;
            }
        }
    }
}

}  // namespace doppel
