#include "align/unit_features.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/normalize/text_keys.h"

namespace doppel::impl {
namespace {

// Mixed into the feature ids of the e-th encoder (times e + 1), so that two encoders never
// share a feature (the 64-bit golden ratio).
constexpr uint64_t kEncoderSalt = 0x9E3779B97F4A7C15ull;

// A unit's features as (column, weight), sorted by column, one entry per column.
using WeightedRow = std::vector<std::pair<int32_t, float>>;

// Units as the encoders see them: normalized word tokens and their ASCII Latin forms.
class Tokenizer {
public:
    std::vector<UnitTokens> prepare(const AlignSide& side) {
        std::vector<UnitTokens> out(side.units.size());
        for (std::size_t u = 0; u < out.size(); ++u) prepare(side.units[u], out[u]);
        return out;
    }

private:
    void prepare(std::string_view text, UnitTokens& out) {
        out.text = text;
        const std::string norm = normalizer_.normalize_text(text);
        for (const Span& w : segmenter_.words(norm)) {
            out.tokens.emplace_back(norm.substr(w.begin, w.size()));
            out.latin.push_back(keys_.ascii_token(out.tokens.back()));
        }
    }

    Normalizer normalizer_;
    Segmenter segmenter_;
    TextKeys keys_;
};

// Characters of a unit (code points), spaces not counted.
std::size_t visible_length(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 && c != ' ';
    return n;
}

// Feature ids mapped to matrix columns, and the number of units holding each column.
struct Vocabulary {
    std::unordered_map<uint64_t, int32_t> column;
    std::vector<int32_t> df;

    // The rows of `features`, duplicates merged; counts their columns.
    std::vector<WeightedRow> add(const std::vector<FeatureVector>& features) {
        std::vector<WeightedRow> rows(features.size());
        for (std::size_t u = 0; u < features.size(); ++u) {
            WeightedRow& row = rows[u];
            for (const Feature& f : features[u]) {
                auto [it, added] = column.try_emplace(f.id, static_cast<int32_t>(column.size()));
                if (added) df.push_back(0);
                row.emplace_back(it->second, f.weight);
            }
            std::sort(row.begin(), row.end());
            std::size_t w = 0;
            for (std::size_t r = 0; r < row.size(); ++r) {
                if (w > 0 && row[w - 1].first == row[r].first) {
                    row[w - 1].second += row[r].second;
                } else {
                    row[w++] = row[r];
                    ++df[static_cast<std::size_t>(row[r].first)];
                }
            }
            row.resize(w);
        }
        return rows;
    }
};

// The idf-weighted sparse matrix of `rows`. A feature found on one side only (df_a 0 or all
// of df) can add nothing to a dot product, only to norms: scaled by unshared_weight so that
// words with no counterpart in the other language do not dilute the evidence, and kept whole
// in extra[u] (the squared norm the matrix leaves out) for the scores.
SparseRows idf_matrix(const std::vector<WeightedRow>& rows, const std::vector<int32_t>& df_a,
                      const Vocabulary& voc, double n_units, double unshared_weight,
                      std::vector<double>& extra) {
    extra.assign(rows.size(), 0.0);
    SparseRows m(row_index(rows.size()), std::max<Eigen::Index>(row_index(voc.column.size()), 1));
    std::size_t nnz = 0;
    for (const auto& r : rows) nnz += r.size();
    std::vector<Eigen::Triplet<float, int32_t>> t;
    t.reserve(nnz);
    for (std::size_t u = 0; u < rows.size(); ++u)
        for (const auto& [col, w] : rows[u]) {
            const auto c = static_cast<std::size_t>(col);
            const bool one_side = df_a[c] == 0 || df_a[c] == voc.df[c];
            const double idf = std::log(1.0 + n_units / voc.df[c]);
            if (one_side) {
                const double full = w * idf, kept = full * unshared_weight;
                extra[u] += full * full - kept * kept;
                if (unshared_weight <= 0) continue;
            }
            t.emplace_back(static_cast<int32_t>(u), col,
                           static_cast<float>(w * idf * (one_side ? unshared_weight : 1.0)));
        }
    m.setFromTriplets(t.begin(), t.end());
    m.makeCompressed();
    return m;
}

std::vector<double> unit_lengths(const AlignSide& side, double& total) {
    std::vector<double> out;
    out.reserve(side.units.size());
    for (std::string_view unit : side.units) out.push_back(static_cast<double>(visible_length(unit)));
    total = 0;
    for (double l : out) total += l;
    return out;
}

// The cost of leaving each unit alone, in skip_costs (aligner.h: "The method"): a short unit
// (a page number, a caption's scrap) is cheaper to leave alone than a long sentence.
// A unit that shares no feature with the other document (an empty row) pays skip_bare.
std::vector<double> skip_shares(const std::vector<double>& lengths, const SparseRows& rows,
                                const AlignerOptions& o) {
    std::vector<double> out(lengths.size(), 1.0);
    for (std::size_t u = 0; u < lengths.size(); ++u) {
        if (o.skip_length > 0) out[u] = std::clamp(lengths[u] / o.skip_length, o.skip_short, o.skip_long);
        if (rows.outerIndexPtr()[u + 1] == rows.outerIndexPtr()[u]) out[u] *= o.skip_bare;
    }
    return out;
}

// Whether `text` ends with `suffix`; if so, drops it from `text`.
bool drop_suffix(std::string_view& text, std::string_view suffix) {
    if (!text.ends_with(suffix)) return false;
    text.remove_suffix(suffix.size());
    return true;
}

// Whether a unit ends without closing a sentence (aligner.h "Boundaries"): after its closing
// quotes and brackets, its last character is not a full stop, ! ? or an ellipsis (in Latin,
// Arabic, Devanagari or CJK script). Colons, semicolons, commas, hyphens and words are open.
bool open_end(std::string_view text) {
    static constexpr std::string_view kClosers[] = {" ", "\t", ")", "]", "}", "\"", "'", ">", "\u00bb", "\u00ab",
                                                    "\u201d", "\u201c", "\u2019", "\u2018", "\u203a", "\u2039"};
    static constexpr std::string_view kStops[] = {".", "!", "?", "\u2026", "\u3002", "\uff01", "\uff1f", "\u061f", "\u0964"};
    for (bool dropped = true; dropped;) {
        dropped = false;
        for (std::string_view c : kClosers) dropped = dropped || drop_suffix(text, c);
    }
    if (text.empty()) return false;
    for (std::string_view stop : kStops)
        if (text.ends_with(stop)) return false;
    return true;
}

// Whether a unit starts with a lower-case Latin letter (ASCII or Latin-1: a-z, ß, à-ÿ), after
// opening quotes, brackets and dashes.
bool lower_start(std::string_view text) {
    std::size_t k = 0;
    while (k < text.size() && std::string_view(" \t(<[\"'-").find(text[k]) != std::string_view::npos) ++k;
    if (k >= text.size()) return false;
    const auto c = static_cast<unsigned char>(text[k]);
    if (c >= 'a' && c <= 'z') return true;
    const auto d = k + 1 < text.size() ? static_cast<unsigned char>(text[k + 1]) : 0;
    return c == 0xC3 && d >= 0x9F && d != 0xB7;  // ß, à-ÿ; not ÷
}

// Per unit: 1 when it leaves its sentence open (open_end, or the next unit starts in lower case:
// the sentence goes on), else 0 (aligner.h "Boundaries").
std::vector<double> open_ends(const AlignSide& side) {
    const std::size_t n = side.units.size();
    std::vector<double> out(n, 0.0);
    for (std::size_t u = 0; u < n; ++u)
        out[u] = open_end(side.units[u]) || (u + 1 < n && lower_start(side.units[u + 1])) ? 1.0 : 0.0;
    return out;
}

}  // namespace

// Every encoder on both sides: ids salted per encoder, weights times the encoder's weight.
EncodedUnits run_encoders(const AlignSide& side_a, const AlignSide& side_b, const WeightedEncoders& encoders) {
    Tokenizer tokenizer;
    EncodedUnits out;
    out.tokens_a = tokenizer.prepare(side_a);
    out.tokens_b = tokenizer.prepare(side_b);
    const std::vector<UnitTokens>& ta = out.tokens_a;
    const std::vector<UnitTokens>& tb = out.tokens_b;
    out.a.assign(ta.size(), {});
    out.b.assign(tb.size(), {});
    std::vector<FeatureVector> tmp_a(ta.size()), tmp_b(tb.size());
    const EncodeContext ca{side_a.lang, side_b.lang}, cb{side_b.lang, side_a.lang};
    auto append = [](std::vector<FeatureVector>& from, std::vector<FeatureVector>& to, uint64_t salt,
                     float weight) {
        for (std::size_t u = 0; u < to.size(); ++u) {
            for (const Feature& f : from[u]) to[u].push_back({f.id ^ salt, f.weight * weight});
            FeatureVector().swap(from[u]);
        }
    };
    for (std::size_t e = 0; e < encoders.size(); ++e) {
        const auto& [weight, encoder] = encoders[e];
        const uint64_t salt = kEncoderSalt * (e + 1);
        encoder->encode(ta.size(), ta.data(), ca, tmp_a.data());
        encoder->encode(tb.size(), tb.data(), cb, tmp_b.data());
        append(tmp_a, out.a, salt, weight);
        append(tmp_b, out.b, salt, weight);
    }
    return out;
}

UnitFeatures encode_units(const AlignSide& side_a, const AlignSide& side_b, const WeightedEncoders& encoders,
                          const AlignerOptions& options) {
    return build_unit_features(run_encoders(side_a, side_b, encoders), side_a, side_b, options);
}

UnitFeatures build_unit_features(const EncodedUnits& encoded, const AlignSide& side_a, const AlignSide& side_b,
                                 const AlignerOptions& options) {
    Vocabulary voc;
    const std::vector<WeightedRow> ra = voc.add(encoded.a);
    std::vector<int32_t> df_a = voc.df;  // units of A only
    const std::vector<WeightedRow> rb = voc.add(encoded.b);
    df_a.resize(voc.df.size(), 0);

    UnitFeatures out;
    const double n_units = static_cast<double>(std::max<std::size_t>(1, ra.size() + rb.size()));
    SearchLevel& units = out.units;
    units.a = idf_matrix(ra, df_a, voc, n_units, options.unshared_weight, out.extra_a);
    units.b = idf_matrix(rb, df_a, voc, n_units, options.unshared_weight, out.extra_b);
    units.len_a = unit_lengths(side_a, out.total_a);
    units.len_b = unit_lengths(side_b, out.total_b);
    units.cnt_a.assign(ra.size(), 1.0);
    units.cnt_b.assign(rb.size(), 1.0);
    units.skip_a = skip_shares(units.len_a, units.a, options);
    units.skip_b = skip_shares(units.len_b, units.b, options);
    units.open_a = open_ends(side_a);
    units.open_b = open_ends(side_b);
    out.vocabulary = row_index(voc.column.size());
    return out;
}

}  // namespace doppel::impl
