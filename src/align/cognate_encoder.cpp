#include "doppel/align/cognate_encoder.h"

#include "impl/spec.h"

namespace doppel {

std::unique_ptr<CognateEncoder> CognateEncoder::from_spec(const std::string& spec) {
    auto p = impl::parse_spec(spec);
    if (p.name != "cognates") DOPPEL_THROW(kBadSpec, "not a cognates spec: '" + spec + "'");
    CognateEncoderOptions o;
    p.take_number("prefix", o.prefix);
    p.take_number("n", o.n);
    p.take_number("min", o.min_length);
    p.take_number("prefix_weight", o.prefix_weight);
    p.take_number("ngram_weight", o.ngram_weight);
    p.check_empty();
    if (o.prefix < 0 || o.n < 0 || o.min_length < 1) DOPPEL_THROW(kBadSpec, "spec '" + spec + "': bad value");
    return std::make_unique<CognateEncoder>(o);
}

std::string CognateEncoder::describe() const {
    using impl::spec_number;
    return "cognates:prefix=" + std::to_string(options_.prefix) + ",n=" + std::to_string(options_.n) +
           ",min=" + std::to_string(options_.min_length) + ",prefix_weight=" + spec_number(options_.prefix_weight) +
           ",ngram_weight=" + spec_number(options_.ngram_weight);
}

void CognateEncoder::encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                            FeatureVector* out) const {
    const auto& o = options_;
    const std::size_t prefix = static_cast<std::size_t>(o.prefix), gram = static_cast<std::size_t>(o.n);
    std::string padded, name;
    for (std::size_t u = 0; u < n; ++u) {
        FeatureVector& f = out[u];
        f.clear();
        for (const std::string& lat : units[u].latin) {
            if (lat.size() < static_cast<std::size_t>(o.min_length)) continue;
            if (lat[0] >= '0' && lat[0] <= '9') continue;  // numbers are anchors
            if (prefix > 0 && o.prefix_weight > 0) {
                name = "pre:" + lat.substr(0, prefix);
                f.push_back({feature_id(name), o.prefix_weight});
            }
            if (gram > 0 && o.ngram_weight > 0) {
                padded = "^" + lat + "$";
                if (padded.size() < gram) continue;
                const std::size_t count = padded.size() - gram + 1;
                const float w = o.ngram_weight / static_cast<float>(count);
                for (std::size_t k = 0; k < count; ++k) {
                    name = "ng:" + padded.substr(k, gram);
                    f.push_back({feature_id(name), w});
                }
            }
        }
    }
}

}  // namespace doppel
