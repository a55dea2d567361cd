#include "doppel/align/pair_encoder.h"

#include "align/compound_splitter.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "doppel/error.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/stemmer.h"
#include "impl/spec.h"

namespace doppel {
namespace {

// The fields of a tab-separated line.
std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) return out;
        start = tab + 1;
    }
}

void add_id(std::vector<uint64_t>& ids, uint64_t id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

}  // namespace

PairEncoder::PairEncoder(const std::string& path, PairEncoderOptions options) : options_(options) {
    impl::check_compound_part("pairs", options_.min_part);
    std::ifstream in(path);
    if (!in) DOPPEL_THROW(kNotFound, "pair dictionary not found: " + path + " (scripts/build-pairs writes it)");
    std::string line;
    if (!std::getline(in, line) || line != kMagic)
        DOPPEL_THROW(kBadFormat, path + ": not a pair dictionary of format 1 (first line '" + kMagic + "')");
    std::getline(in, header_);
    // Each pair: both words as the text's tokens are (normalized, stemmed), one feature id.
    Normalizer normalizer;
    Stemmer stemmer;
    while (std::getline(in, line)) {
        const std::vector<std::string> f = split_tabs(line);
        if (f.size() != 4) DOPPEL_THROW(kBadFormat, path + ": bad pair line '" + line + "'");
        if (tables_.empty() || tables_.back().lang_a != f[0] || tables_.back().lang_b != f[1])
            tables_.push_back({f[0], f[1], {}, {}});
        Table& t = tables_.back();
        const std::string wa = stemmer.stem(f[0], normalizer.normalize_text(f[2]));
        const std::string wb = stemmer.stem(f[1], normalizer.normalize_text(f[3]));
        if (wa.empty() || wb.empty()) continue;
        const uint64_t id = feature_id("pair:" + f[0] + ":" + wa + "|" + f[1] + ":" + wb);
        add_id(t.a[wa], id);
        add_id(t.b[wb], id);
    }
}

std::unique_ptr<PairEncoder> PairEncoder::from_spec(const std::string& spec, const std::string& models_dir) {
    auto p = impl::parse_spec(spec);
    if (p.name != "pairs") DOPPEL_THROW(kBadSpec, "not a pairs encoder spec: '" + spec + "'");
    PairEncoderOptions o;
    impl::take_compound_keys(p, o.split, o.min_part);
    p.check_empty();
    const std::string dir = models_dir.empty() ? std::string("models") : models_dir;
    return std::make_unique<PairEncoder>((std::filesystem::path(dir) / "pairs.lex").string(), o);
}

std::string PairEncoder::describe() const {
    return "pairs:" + impl::describe_compound_keys(options_.split, options_.min_part);
}

const std::unordered_map<std::string, std::vector<uint64_t>>* PairEncoder::words_of(const EncodeContext& c) const {
    for (const Table& t : tables_) {
        if (c.lang == t.lang_a && c.other_lang == t.lang_b) return &t.a;
        if (c.lang == t.lang_b && c.other_lang == t.lang_a) return &t.b;
    }
    return nullptr;
}

void PairEncoder::encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                         FeatureVector* out) const {
    const auto* words = words_of(context);
    const bool split = options_.split && impl::writes_compounds(context.lang);
    const auto min_part = static_cast<std::size_t>(options_.min_part);
    Stemmer stemmer;
    const auto known = [&](std::string_view w) { return words->contains(stemmer.stem(context.lang, w)); };
    const auto add = [](const std::vector<uint64_t>& ids, FeatureVector& f) {
        const float w = 1.0f / std::sqrt(static_cast<float>(ids.size()));
        for (uint64_t id : ids) f.push_back({id, w});
    };
    for (std::size_t u = 0; u < n; ++u) {
        out[u].clear();
        if (words == nullptr) continue;
        for (const std::string& token : units[u].tokens) {
            const auto it = words->find(stemmer.stem(context.lang, token));
            if (it != words->end()) {
                add(it->second, out[u]);
                continue;
            }
            if (!split) continue;
            // A compound the dictionary lacks: the pairs of its parts.
            for (const std::string& part : impl::split_compound(token, known, min_part))
                add(words->at(stemmer.stem(context.lang, part)), out[u]);
        }
    }
}

}  // namespace doppel
