#include "doppel/align/anchor_encoder.h"

#include "doppel/normalize/text_keys.h"
#include "impl/spec.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

// The aligner's text keys (normalize/text_keys.h): unit-level anchors.
constexpr SkeletonRule kSkeletonRule = SkeletonRule::kSoundClasses;
constexpr NumberRule kNumberRule = NumberRule::kToken;
constexpr UrlRule kUrlRule = UrlRule::kChunk;
// Shortest Latin form that is a token feature, that gets a skeleton, and shortest skeleton kept.
constexpr std::size_t kMinToken = 2;
constexpr std::size_t kMinSkeletonSource = 3;
constexpr std::size_t kMinSkeleton = 2;
// Quotes of every kind count as one, at half the punctuation weight.
constexpr float kQuoteShare = 0.5f;

void add_feature(FeatureVector& f, std::string_view name, float weight) {
    if (weight > 0) f.push_back({feature_id(name), weight});
}

// Punctuation that translations keep.
void add_punctuation(std::string_view text, float weight, FeatureVector& f) {
    std::size_t j = 0;
    while (j < text.size()) {
        const char32_t c = impl::next_code_point(text, j);
        switch (c) {
            case '(': add_feature(f, "p:(", weight); break;
            case '"': case 0xAB: case 0xBB: case 0x201C: case 0x201D: case 0x201E: case 0x2039: case 0x203A:
                add_feature(f, "p:q", weight * kQuoteShare);
                break;
            case '?': case 0x061F: add_feature(f, "p:?", weight); break;
            case '!': add_feature(f, "p:!", weight); break;
            case '%': case 0x066A: add_feature(f, "p:%", weight); break;
            case ':': add_feature(f, "p::", weight); break;
            case 0x2026: add_feature(f, "p:...", weight); break;
            case '.':
                if (j + 1 < text.size() && text[j] == '.' && text[j + 1] == '.') {
                    add_feature(f, "p:...", weight);
                    j += 2;
                }
                break;
            default: break;
        }
    }
}

}  // namespace

std::string AnchorEncoder::skeleton(std::string_view latin) { return name_skeleton(latin, kSkeletonRule); }

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
        auto add = [&f](std::string_view name, float w) { add_feature(f, name, w); };
        // Tokens: numbers, identical tokens, consonant skeletons.
        for (std::size_t k = 0; k < unit.tokens.size(); ++k) {
            if (const auto number = number_key(unit.tokens[k], kNumberRule)) {
                add("num:" + *number, o.number_weight);
                continue;
            }
            const std::string& lat = unit.latin[k];
            if (lat.size() >= kMinToken) add("tok:" + lat, o.token_weight);
            if (lat.size() >= kMinSkeletonSource) {
                const std::string sk = skeleton(lat);
                if (sk.size() >= kMinSkeleton) add("sk:" + sk, o.skeleton_weight);
            }
        }
        // URLs and e-mail addresses.
        for (const std::string& url : url_keys(unit.text, kUrlRule)) add("url:" + url, o.url_weight);
        if (o.punct_weight > 0) add_punctuation(unit.text, o.punct_weight, f);
    }
}

}  // namespace doppel
