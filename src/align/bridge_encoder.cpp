#include "doppel/align/bridge_encoder.h"

#include "align/compound_splitter.h"
#include "doppel/normalize/stemmer.h"

#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "impl/spec.h"

namespace doppel {

BridgeEncoder::BridgeEncoder(std::shared_ptr<const BridgeLexicon> lexicon, BridgeEncoderOptions options)
    : lexicon_(std::move(lexicon)), options_(options) {
    DOPPEL_CHECK(kInvalidArgument, lexicon_ != nullptr, "bridge encoder: no lexicon");
    impl::check_compound_part("bridge", options_.min_part);
}

std::unique_ptr<BridgeEncoder> BridgeEncoder::from_spec(const std::string& spec, const std::string& models_dir) {
    auto p = impl::parse_spec(spec);
    if (p.name != "bridge") DOPPEL_THROW(kBadSpec, "not a bridge encoder spec: '" + spec + "'");
    BridgeEncoderOptions o;
    int anchors = o.anchors ? 1 : 0;
    p.take_number("anchors", anchors);
    impl::take_compound_keys(p, o.split, o.min_part);
    o.anchors = anchors != 0;
    p.check_empty();
    const std::string path = (models_dir.empty() ? std::string("models") : models_dir) + "/bridge.lex";
    return std::make_unique<BridgeEncoder>(std::make_shared<const BridgeLexicon>(path), o);
}

std::string BridgeEncoder::describe() const {
    return std::string("bridge:anchors=") + (options_.anchors ? "1" : "0") + "," +
           impl::describe_compound_keys(options_.split, options_.min_part);
}

namespace {

// The unit's words, space-separated, with each compound the lexicon lacks replaced by its known
// parts; empty when no word was split (the unit's own text is then read as it is).
std::string with_compounds_split(const UnitTokens& unit, const std::string& lang, const BridgeLexicon& lexicon,
                                 std::size_t min_part, Stemmer& stemmer) {
    const auto known = [&](std::string_view w) { return !lexicon.lookup_word(lang, w, stemmer).empty(); };
    std::string out;
    bool split = false;
    for (const std::string& token : unit.tokens) {
        if (!out.empty()) out += ' ';
        if (!known(token))
            if (const auto parts = impl::split_compound(token, known, min_part); !parts.empty()) {
                for (std::size_t k = 0; k < parts.size(); ++k) out.append(k ? " " : "").append(parts[k]);
                split = true;
                continue;
            }
        out += token;
    }
    return split ? out : std::string();
}

}  // namespace

void BridgeEncoder::encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                           FeatureVector* out) const {
    BridgeEmbedder embedder(BridgeEmbedderOptions{}, lexicon_);
    Stemmer stemmer;
    const bool split = options_.split && impl::writes_compounds(context.lang) && lexicon_->has_language(context.lang);
    for (std::size_t u = 0; u < n; ++u) {
        out[u].clear();
        const std::string parts =
            split ? with_compounds_split(units[u], context.lang, *lexicon_, static_cast<std::size_t>(options_.min_part), stemmer)
                  : std::string();
        const SparseVector f = embedder.features(parts.empty() ? units[u].text : std::string_view(parts), context.lang);
        for (std::size_t k = 0; k < f.ids.size(); ++k) {
            const auto kind = BridgeEmbedder::kind_of(f.ids[k]);
            if (!options_.anchors && kind != BridgeEmbedder::FeatureKind::kConcept) continue;
            out[u].push_back({f.ids[k], f.weights[k]});
        }
    }
}

}  // namespace doppel
