#include "doppel/align/aligner.h"

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "doppel/align/anchor_encoder.h"
#include "doppel/align/bridge_encoder.h"
#include "doppel/align/cognate_encoder.h"
#include "doppel/error.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/normalize/text_keys.h"
#include "impl/spec.h"
#include "impl/utf8.h"

namespace doppel {

const char* pair_label_name(PairLabel label) {
    switch (label) {
        case PairLabel::kNone: return "none";
        case PairLabel::kSameStory: return "same-story";
        case PairLabel::kPartial: return "partial";
        case PairLabel::kTranslation: return "translation";
    }
    return "?";
}

namespace {

using SpMat = Eigen::SparseMatrix<float, Eigen::RowMajor, int32_t>;

// ---- unit preparation: normalized tokens and their Latin forms ----------------------------

class Tokenizer {
public:
    void prepare(std::string_view text, UnitTokens& out) {
        out.text = text;
        out.tokens.clear();
        out.latin.clear();
        const std::string norm = normalizer_.normalize_text(text);
        for (const Span& w : segmenter_.words(norm)) {
            out.tokens.emplace_back(norm.substr(w.begin, w.size()));
            out.latin.push_back(keys_.ascii_token(out.tokens.back()));
        }
    }

private:
    Normalizer normalizer_;
    Segmenter segmenter_;
    TextKeys keys_;
};

std::size_t char_length(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 && c != ' ';
    return n;
}

// ---- one resolution of the search --------------------------------------------------------

struct Level {
    SpMat a, b;                  // one row per unit (or block)
    std::vector<double> len_a, len_b;  // characters
    std::vector<double> cnt_a, cnt_b;  // base units per block
};

// Sum of consecutive row pairs: the next coarser level. Each block keeps its `keep` heaviest
// features, so that comparing blocks costs the same at every level.
SpMat merge_rows(const SpMat& m, int keep) {
    const Eigen::Index n = m.rows(), k = (n + 1) / 2;
    SpMat p(k, n);
    std::vector<Eigen::Triplet<float, int32_t>> t;
    t.reserve(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) t.emplace_back(static_cast<int32_t>(i / 2), static_cast<int32_t>(i), 1.0f);
    p.setFromTriplets(t.begin(), t.end());
    SpMat sum = p * m;
    sum.makeCompressed();
    std::vector<Eigen::Triplet<float, int32_t>> kept;
    std::vector<std::pair<float, int32_t>> row;
    for (Eigen::Index r = 0; r < sum.rows(); ++r) {
        row.clear();
        for (SpMat::InnerIterator it(sum, r); it; ++it) row.emplace_back(it.value(), static_cast<int32_t>(it.index()));
        if (static_cast<int>(row.size()) > keep) {
            std::nth_element(row.begin(), row.begin() + keep, row.end(),
                             [](const auto& x, const auto& y) { return x.first > y.first; });
            row.resize(static_cast<std::size_t>(keep));
        }
        for (const auto& [w, c] : row) kept.emplace_back(static_cast<int32_t>(r), c, w);
    }
    SpMat out(sum.rows(), sum.cols());
    out.setFromTriplets(kept.begin(), kept.end());
    out.makeCompressed();
    return out;
}

std::vector<double> merge_values(const std::vector<double>& v) {
    std::vector<double> out((v.size() + 1) / 2, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) out[i / 2] += v[i];
    return out;
}

float sparse_dot(const SpMat& x, Eigen::Index i, const SpMat& y, Eigen::Index j) {
    SpMat::InnerIterator p(x, i), q(y, j);
    float s = 0;
    while (p && q) {
        if (p.index() < q.index()) ++p;
        else if (q.index() < p.index()) ++q;
        else {
            s += p.value() * q.value();
            ++p;
            ++q;
        }
    }
    return s;
}

// The search band: lattice row i (0..na) may hold columns [lo[i], hi[i]].
struct Band {
    std::vector<int> lo, hi;
};

struct BeadType {
    int la, lb;
};

struct Step {
    int i0, j0, i1, j1;
    double cost;
    float sim;
};

double length_cost(double la, double lb, double ratio, double variance) {
    if (la <= 0 && lb <= 0) return 0;
    const double mean = (ratio * la + lb) / 2;
    const double delta = (lb - ratio * la) / std::sqrt(variance * std::max(mean, 1.0));
    const double p = std::erfc(std::abs(delta) / std::sqrt(2.0));
    return -std::log(std::max(p, 1e-12));
}

// Least-cost monotonic path through the band of one level.
std::vector<Step> search(const Level& lv, const Band& band, const AlignerOptions& o, double ratio,
                         const std::vector<BeadType>& types) {
    const int na = static_cast<int>(lv.a.rows()), nb = static_cast<int>(lv.b.rows());
    const int K = o.max_side;

    // Norms of sums of up to K consecutive rows: from the dots of rows at distance < K.
    auto window_norms = [K](const SpMat& m) {
        const int n = static_cast<int>(m.rows());
        std::vector<std::vector<float>> self(static_cast<std::size_t>(K));  // self[d][p] = row p . row p+d
        for (int d = 0; d < K; ++d) {
            self[static_cast<std::size_t>(d)].assign(static_cast<std::size_t>(n), 0.0f);
            for (int p = 0; p + d < n; ++p) self[static_cast<std::size_t>(d)][static_cast<std::size_t>(p)] = sparse_dot(m, p, m, p + d);
        }
        // norm[k][e] = |sum rows [e-k, e)|, k = 1..K
        std::vector<std::vector<float>> norm(static_cast<std::size_t>(K + 1), std::vector<float>(static_cast<std::size_t>(n + 1), 0.0f));
        for (int k = 1; k <= K; ++k) {
            for (int e = k; e <= n; ++e) {
                double s = 0;
                for (int p = e - k; p < e; ++p)
                    for (int q = p; q < e; ++q) s += (q == p ? 1.0 : 2.0) * self[static_cast<std::size_t>(q - p)][static_cast<std::size_t>(p)];
                norm[static_cast<std::size_t>(k)][static_cast<std::size_t>(e)] = static_cast<float>(std::sqrt(std::max(s, 0.0)));
            }
        }
        return norm;
    };
    const auto norm_a = window_norms(lv.a);
    const auto norm_b = window_norms(lv.b);

    // Banded similarity matrix: unit u of A against units [dlo[u], dlo[u] + width) of B.
    std::vector<int> dlo(static_cast<std::size_t>(na)), dhi(static_cast<std::size_t>(na));
    int width = 1;
    for (int u = 0; u < na; ++u) {
        dlo[static_cast<std::size_t>(u)] = std::max(0, band.lo[static_cast<std::size_t>(u + 1)] - K);
        dhi[static_cast<std::size_t>(u)] = std::min(nb, band.hi[static_cast<std::size_t>(std::min(u + K, na))]);
        width = std::max(width, dhi[static_cast<std::size_t>(u)] - dlo[static_cast<std::size_t>(u)]);
    }
    Eigen::MatrixXf dots = Eigen::MatrixXf::Zero(width, std::max(na, 1));  // column u: unit u of A
    {
        std::vector<float> scatter(static_cast<std::size_t>(lv.a.cols()), 0.0f);
        for (int u = 0; u < na; ++u) {
            for (SpMat::InnerIterator it(lv.a, u); it; ++it) scatter[static_cast<std::size_t>(it.index())] = it.value();
            for (int v = dlo[static_cast<std::size_t>(u)]; v < dhi[static_cast<std::size_t>(u)]; ++v) {
                float s = 0;
                for (SpMat::InnerIterator it(lv.b, v); it; ++it) s += it.value() * scatter[static_cast<std::size_t>(it.index())];
                dots(v - dlo[static_cast<std::size_t>(u)], u) = s;
            }
            for (SpMat::InnerIterator it(lv.a, u); it; ++it) scatter[static_cast<std::size_t>(it.index())] = 0.0f;
        }
    }
    auto dot_at = [&](int u, int v) -> float {
        const int off = v - dlo[static_cast<std::size_t>(u)];
        return (off >= 0 && v < dhi[static_cast<std::size_t>(u)]) ? dots(off, u) : 0.0f;
    };

    // Prefix sums of lengths and counts, for the sums over a bead.
    auto prefix = [](const std::vector<double>& v) {
        std::vector<double> p(v.size() + 1, 0.0);
        for (std::size_t i = 0; i < v.size(); ++i) p[i + 1] = p[i] + v[i];
        return p;
    };
    const auto pla = prefix(lv.len_a), plb = prefix(lv.len_b), pca = prefix(lv.cnt_a), pcb = prefix(lv.cnt_b);

    // The lattice: row i holds columns [lo[i], hi[i]].
    std::vector<std::size_t> row_off(static_cast<std::size_t>(na + 2), 0);
    for (int i = 0; i <= na; ++i)
        row_off[static_cast<std::size_t>(i + 1)] = row_off[static_cast<std::size_t>(i)] +
            static_cast<std::size_t>(std::max(0, band.hi[static_cast<std::size_t>(i)] - band.lo[static_cast<std::size_t>(i)] + 1));
    constexpr double kInf = std::numeric_limits<double>::infinity();
    std::vector<double> cost(row_off.back(), kInf);
    std::vector<uint8_t> back(row_off.back(), 255);
    std::vector<float> bsim(row_off.back(), 0.0f);
    auto cell = [&](int i, int j) -> std::ptrdiff_t {
        if (i < 0 || j < band.lo[static_cast<std::size_t>(i)] || j > band.hi[static_cast<std::size_t>(i)]) return -1;
        return static_cast<std::ptrdiff_t>(row_off[static_cast<std::size_t>(i)] + static_cast<std::size_t>(j - band.lo[static_cast<std::size_t>(i)]));
    };

    for (int i = 0; i <= na; ++i) {
        for (int j = band.lo[static_cast<std::size_t>(i)]; j <= band.hi[static_cast<std::size_t>(i)]; ++j) {
            const auto here = static_cast<std::size_t>(cell(i, j));
            if (i == 0 && j == 0) {
                cost[here] = 0;
                continue;
            }
            double best = kInf;
            int best_t = 255;
            float best_sim = 0;
            for (std::size_t t = 0; t < types.size(); ++t) {
                const int la = types[t].la, lb = types[t].lb;
                const int pi = i - la, pj = j - lb;
                if (pi < 0 || pj < 0) continue;
                const std::ptrdiff_t prev = cell(pi, pj);
                if (prev < 0 || cost[static_cast<std::size_t>(prev)] == kInf) continue;
                double c;
                float sim = 0;
                if (la == 0 || lb == 0) {
                    const double units = la ? pca[static_cast<std::size_t>(i)] - pca[static_cast<std::size_t>(pi)]
                                            : pcb[static_cast<std::size_t>(j)] - pcb[static_cast<std::size_t>(pj)];
                    c = o.skip_cost * units;
                } else {
                    float d = 0;
                    for (int u = pi; u < i; ++u)
                        for (int v = pj; v < j; ++v) d += dot_at(u, v);
                    const float nx = norm_a[static_cast<std::size_t>(la)][static_cast<std::size_t>(i)];
                    const float ny = norm_b[static_cast<std::size_t>(lb)][static_cast<std::size_t>(j)];
                    sim = (nx > 0 && ny > 0) ? std::clamp(d / (nx * ny), 0.0f, 1.0f) : 0.0f;
                    const double units = (pca[static_cast<std::size_t>(i)] - pca[static_cast<std::size_t>(pi)]) +
                                         (pcb[static_cast<std::size_t>(j)] - pcb[static_cast<std::size_t>(pj)]);
                    const double len_a = pla[static_cast<std::size_t>(i)] - pla[static_cast<std::size_t>(pi)];
                    const double len_b = plb[static_cast<std::size_t>(j)] - plb[static_cast<std::size_t>(pj)];
                    c = (1.0 - sim) * units / 2 + o.length_weight * length_cost(len_a, len_b, ratio, o.length_variance) +
                        o.merge_cost * (la + lb - 2);
                    // In a merge, every unit must bring its own evidence: a unit whose cosine
                    // with the other side is under kMemberFloor adds up to member_weight.
                    if (o.member_weight > 0 && (la > 1 || lb > 1) && nx > 0 && ny > 0) {
                        constexpr float kMemberFloor = 0.2f;
                        double pen = 0;
                        if (la > 1)
                            for (int u = pi; u < i; ++u) {
                                float dm = 0;
                                for (int v = pj; v < j; ++v) dm += dot_at(u, v);
                                const float nu = norm_a[1][static_cast<std::size_t>(u + 1)];
                                const float cm = nu > 0 ? dm / (nu * ny) : 0.0f;
                                pen += std::max(0.0f, kMemberFloor - cm) / kMemberFloor;
                            }
                        if (lb > 1)
                            for (int v = pj; v < j; ++v) {
                                float dm = 0;
                                for (int u = pi; u < i; ++u) dm += dot_at(u, v);
                                const float nv = norm_b[1][static_cast<std::size_t>(v + 1)];
                                const float cm = nv > 0 ? dm / (nv * nx) : 0.0f;
                                pen += std::max(0.0f, kMemberFloor - cm) / kMemberFloor;
                            }
                        c += o.member_weight * pen;
                    }
                }
                c += cost[static_cast<std::size_t>(prev)];
                if (c < best) {
                    best = c;
                    best_t = static_cast<int>(t);
                    best_sim = sim;
                }
            }
            cost[here] = best;
            back[here] = static_cast<uint8_t>(best_t);
            bsim[here] = best_sim;
        }
    }
    const std::ptrdiff_t end = cell(na, nb);
    if (end < 0 || cost[static_cast<std::size_t>(end)] == kInf) DOPPEL_THROW(kInternal, "aligner: no path through the search band");
    std::vector<Step> path;
    int i = na, j = nb;
    while (i > 0 || j > 0) {
        const auto c = static_cast<std::size_t>(cell(i, j));
        const BeadType bt = types[back[c]];
        const auto p = static_cast<std::size_t>(cell(i - bt.la, j - bt.lb));
        path.push_back({i - bt.la, j - bt.lb, i, j, cost[c] - cost[p], bsim[c]});
        i -= bt.la;
        j -= bt.lb;
    }
    std::reverse(path.begin(), path.end());
    return path;
}

// The band of a finer level (sizes na x nb) around the path found at the coarser one.
Band band_around(const std::vector<Step>& coarse, int na, int nb, int width) {
    Band band;
    band.lo.assign(static_cast<std::size_t>(na + 1), std::numeric_limits<int>::max());
    band.hi.assign(static_cast<std::size_t>(na + 1), -1);
    auto mark = [&](int i, int jlo, int jhi) {
        i = std::min(i, na);
        band.lo[static_cast<std::size_t>(i)] = std::min(band.lo[static_cast<std::size_t>(i)], std::min(jlo, nb));
        band.hi[static_cast<std::size_t>(i)] = std::max(band.hi[static_cast<std::size_t>(i)], std::min(jhi, nb));
    };
    for (const Step& s : coarse) {
        const int i0 = 2 * s.i0, i1 = 2 * s.i1, j0 = 2 * s.j0, j1 = 2 * s.j1;
        for (int i = i0; i <= std::min(i1, na); ++i) mark(i, j0, j1);
    }
    // Widen by `width` in both directions; keep it monotonic.
    std::vector<int> lo(band.lo), hi(band.hi);
    for (int i = 0; i <= na; ++i) {
        const int from = std::max(0, i - width), to = std::min(na, i + width);
        int l = std::numeric_limits<int>::max(), h = -1;
        for (int k = from; k <= to; ++k) {
            l = std::min(l, band.lo[static_cast<std::size_t>(k)]);
            h = std::max(h, band.hi[static_cast<std::size_t>(k)]);
        }
        lo[static_cast<std::size_t>(i)] = std::max(0, l - width);
        hi[static_cast<std::size_t>(i)] = std::min(nb, h + width);
    }
    for (int i = 1; i <= na; ++i) lo[static_cast<std::size_t>(i)] = std::max(lo[static_cast<std::size_t>(i)], lo[static_cast<std::size_t>(i - 1)]);
    for (int i = na - 1; i >= 0; --i) hi[static_cast<std::size_t>(i)] = std::min(hi[static_cast<std::size_t>(i)], hi[static_cast<std::size_t>(i + 1)]);
    lo[0] = 0;
    hi[static_cast<std::size_t>(na)] = nb;
    band.lo = std::move(lo);
    band.hi = std::move(hi);
    return band;
}

}  // namespace

Aligner::Aligner(AlignerOptions options) : options_(options) {
    if (options_.max_side < 1 || options_.max_side > 4) DOPPEL_THROW(kInvalidArgument, "aligner: max_side must be 1..4");
    if (options_.max_units < 2) DOPPEL_THROW(kInvalidArgument, "aligner: max_units must be at least 2");
    if (options_.band < 1) DOPPEL_THROW(kInvalidArgument, "aligner: band must be at least 1");
}
Aligner::~Aligner() = default;

void Aligner::add_encoder(float weight, std::unique_ptr<UnitEncoder> encoder) {
    DOPPEL_CHECK(kInvalidArgument, encoder != nullptr, "aligner: null encoder");
    DOPPEL_CHECK(kInvalidArgument, weight > 0, "aligner: encoder weight must be positive");
    encoders_.emplace_back(weight, std::move(encoder));
}

std::unique_ptr<Aligner> Aligner::from_spec(const std::string& spec, const std::string& models_dir) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= spec.size()) {
        auto semi = spec.find(';', start);
        if (semi == std::string::npos) semi = spec.size();
        parts.push_back(spec.substr(start, semi - start));
        start = semi + 1;
    }
    auto p = impl::parse_spec(parts[0]);
    if (p.name != "dp") DOPPEL_THROW(kBadSpec, "aligner spec must start with 'dp': '" + spec + "'");
    AlignerOptions o;
    p.take_number("max_side", o.max_side);
    p.take_number("max_units", o.max_units);
    p.take_number("skip", o.skip_cost);
    p.take_number("len", o.length_weight);
    p.take_number("var", o.length_variance);
    p.take_number("merge", o.merge_cost);
    p.take_number("member", o.member_weight);
    p.take_number("unshared", o.unshared_weight);
    p.take_number("band", o.band);
    p.take_number("full", o.max_full_cells);
    p.take_number("coarse", o.coarse_features);
    p.take_number("score_len", o.score_length_weight);
    p.take_number("sigmas", o.score_sigmas);
    p.take_number("same_lang", o.same_language_similarity);
    p.take_number("aligned", o.aligned_score);
    p.take_number("translation", o.translation_coverage);
    p.take_number("partial", o.partial_coverage);
    p.take_number("story", o.same_story_similarity);
    p.check_empty();
    auto aligner = std::make_unique<Aligner>(o);
    for (std::size_t k = 1; k < parts.size(); ++k) {
        std::string part = parts[k];
        if (part.empty()) continue;
        float weight = 1.0f;
        const auto star = part.find('*');
        if (star != std::string::npos) {
            try {
                weight = std::stof(part.substr(0, star));
            } catch (const std::exception&) {
                DOPPEL_THROW(kBadSpec, "aligner spec: bad weight in '" + part + "'");
            }
            part = part.substr(star + 1);
        }
        const std::string name = part.substr(0, part.find(':'));
        if (name == "anchors") aligner->add_encoder(weight, AnchorEncoder::from_spec(part));
        else if (name == "cognates") aligner->add_encoder(weight, CognateEncoder::from_spec(part));
        else if (name == "bridge") aligner->add_encoder(weight, BridgeEncoder::from_spec(part, models_dir));
        else DOPPEL_THROW(kBadSpec, "aligner spec: unknown encoder '" + name + "' (built in: anchors, cognates, bridge)");
    }
    return aligner;
}

std::string Aligner::describe() const {
    using impl::spec_number;
    const auto& o = options_;
    std::string s = "dp:max_side=" + std::to_string(o.max_side) + ",max_units=" + std::to_string(o.max_units) +
                    ",skip=" + spec_number(o.skip_cost) + ",len=" + spec_number(o.length_weight) +
                    ",var=" + spec_number(o.length_variance) + ",merge=" + spec_number(o.merge_cost) + ",member=" + spec_number(o.member_weight) +
                    ",unshared=" + spec_number(o.unshared_weight) +
                    ",band=" + std::to_string(o.band) + ",full=" + std::to_string(o.max_full_cells) + ",coarse=" + std::to_string(o.coarse_features) +
                    ",score_len=" + spec_number(o.score_length_weight) + ",sigmas=" + spec_number(o.score_sigmas) +
                    ",same_lang=" + spec_number(o.same_language_similarity) + ",aligned=" + spec_number(o.aligned_score) +
                    ",translation=" + spec_number(o.translation_coverage) +
                    ",partial=" + spec_number(o.partial_coverage) + ",story=" + spec_number(o.same_story_similarity);
    for (const auto& [w, e] : encoders_) s.append(";").append(spec_number(w)).append("*").append(e->describe());
    return s;
}

Alignment Aligner::align(const AlignSide& side_a, const AlignSide& side_b) const {
    const AlignerOptions& o = options_;
    const int na = static_cast<int>(side_a.units.size()), nb = static_cast<int>(side_b.units.size());
    Alignment out;

    // 1. Features: every encoder on both sides, ids mapped to columns, weighted by idf.
    Tokenizer tokenizer;
    std::vector<UnitTokens> ta(static_cast<std::size_t>(na)), tb(static_cast<std::size_t>(nb));
    for (int u = 0; u < na; ++u) tokenizer.prepare(side_a.units[static_cast<std::size_t>(u)], ta[static_cast<std::size_t>(u)]);
    for (int v = 0; v < nb; ++v) tokenizer.prepare(side_b.units[static_cast<std::size_t>(v)], tb[static_cast<std::size_t>(v)]);
    std::vector<FeatureVector> fa(static_cast<std::size_t>(na)), fb(static_cast<std::size_t>(nb));
    {
        std::vector<FeatureVector> tmp_a(static_cast<std::size_t>(na)), tmp_b(static_cast<std::size_t>(nb));
        const EncodeContext ca{side_a.lang, side_b.lang}, cb{side_b.lang, side_a.lang};
        for (std::size_t e = 0; e < encoders_.size(); ++e) {
            const auto& [weight, enc] = encoders_[e];
            const uint64_t salt = 0x9E3779B97F4A7C15ull * (e + 1);
            enc->encode(ta.size(), ta.data(), ca, tmp_a.data());
            enc->encode(tb.size(), tb.data(), cb, tmp_b.data());
            for (std::size_t u = 0; u < fa.size(); ++u) {
                for (const Feature& f : tmp_a[u]) fa[u].push_back({f.id ^ salt, f.weight * weight});
                FeatureVector().swap(tmp_a[u]);
            }
            for (std::size_t v = 0; v < fb.size(); ++v) {
                for (const Feature& f : tmp_b[v]) fb[v].push_back({f.id ^ salt, f.weight * weight});
                FeatureVector().swap(tmp_b[v]);
            }
        }
    }
    decltype(ta)().swap(ta);
    decltype(tb)().swap(tb);
    std::unordered_map<uint64_t, int32_t> column;
    std::vector<int32_t> df;
    auto build = [&](std::vector<FeatureVector>& fv, std::vector<std::vector<std::pair<int32_t, float>>>& rows) {
        rows.resize(fv.size());
        std::vector<int32_t> seen;
        for (std::size_t u = 0; u < fv.size(); ++u) {
            for (const Feature& f : fv[u]) {
                auto [it, added] = column.try_emplace(f.id, static_cast<int32_t>(column.size()));
                if (added) df.push_back(0);
                rows[u].emplace_back(it->second, f.weight);
            }
            std::sort(rows[u].begin(), rows[u].end());
            // Merge duplicates and count document frequency.
            std::size_t w = 0;
            for (std::size_t r = 0; r < rows[u].size(); ++r) {
                if (w > 0 && rows[u][w - 1].first == rows[u][r].first) {
                    rows[u][w - 1].second += rows[u][r].second;
                } else {
                    rows[u][w++] = rows[u][r];
                    ++df[static_cast<std::size_t>(rows[u][r].first)];
                }
            }
            rows[u].resize(w);
            FeatureVector().swap(fv[u]);
        }
    };
    std::vector<std::vector<std::pair<int32_t, float>>> ra, rb;
    build(fa, ra);
    std::vector<int32_t> df_a = df;  // so far: units of A only
    build(fb, rb);
    df_a.resize(df.size(), 0);
    const auto vocab = static_cast<Eigen::Index>(column.size());
    const double n_units = std::max(1, na + nb);
    // extra[u]: squared norm of the one-sided features of unit u that the matrix leaves out.
    auto to_matrix = [&](const std::vector<std::vector<std::pair<int32_t, float>>>& rows, std::vector<double>& extra) {
        extra.assign(rows.size(), 0.0);
        SpMat m(static_cast<Eigen::Index>(rows.size()), std::max<Eigen::Index>(vocab, 1));
        std::size_t nnz = 0;
        for (const auto& r : rows) nnz += r.size();
        m.reserve(Eigen::VectorXi::Constant(static_cast<Eigen::Index>(rows.size()), 0));
        std::vector<Eigen::Triplet<float, int32_t>> t;
        t.reserve(nnz);
        for (std::size_t u = 0; u < rows.size(); ++u)
            for (const auto& [col, w] : rows[u]) {
                // A feature found on one side only can add nothing to a dot product, only to
                // norms: scaled by unshared_weight so that words with no counterpart in the
                // other language do not dilute the evidence.
                const int32_t in_a = df_a[static_cast<std::size_t>(col)];
                const bool one_side = in_a == 0 || in_a == df[static_cast<std::size_t>(col)];
                const double idf = std::log(1.0 + n_units / df[static_cast<std::size_t>(col)]);
                if (one_side) {
                    // Kept in the unit's full norm (for scores) with its whole weight.
                    const double full = w * idf, kept = full * o.unshared_weight;
                    extra[u] += full * full - kept * kept;
                    if (o.unshared_weight <= 0) continue;
                }
                t.emplace_back(static_cast<int32_t>(u), col, static_cast<float>(w * idf * (one_side ? o.unshared_weight : 1.0)));
            }
        m.setFromTriplets(t.begin(), t.end());
        m.makeCompressed();
        return m;
    };
    Level base;
    std::vector<double> extra_a, extra_b;
    base.a = to_matrix(ra, extra_a);
    base.b = to_matrix(rb, extra_b);
    decltype(ra)().swap(ra);
    decltype(rb)().swap(rb);
    for (int u = 0; u < na; ++u) base.len_a.push_back(static_cast<double>(char_length(side_a.units[static_cast<std::size_t>(u)])));
    for (int v = 0; v < nb; ++v) base.len_b.push_back(static_cast<double>(char_length(side_b.units[static_cast<std::size_t>(v)])));
    base.cnt_a.assign(static_cast<std::size_t>(na), 1.0);
    base.cnt_b.assign(static_cast<std::size_t>(nb), 1.0);
    double total_a = 0, total_b = 0;
    for (double l : base.len_a) total_a += l;
    for (double l : base.len_b) total_b += l;
    const double ratio = (total_a > 0 && total_b > 0) ? std::clamp(total_b / total_a, 0.25, 4.0) : 1.0;

    // What unrelated units score: the cosines of pseudo-random 1-1 pairs (mean and spread), the
    // null model against which bead similarities become scores.
    double null_mean = 0, null_sd = 0;
    if (na > 0 && nb > 0) {
        constexpr int kSamples = 256;
        std::vector<float> na_norm(static_cast<std::size_t>(na)), nb_norm(static_cast<std::size_t>(nb));
        // Full norms (one-sided features included): a score needs the share of each unit that
        // the other side explains, not only how well the shared part matches.
        for (int u = 0; u < na; ++u)
            na_norm[static_cast<std::size_t>(u)] = static_cast<float>(std::sqrt(base.a.row(u).squaredNorm() + extra_a[static_cast<std::size_t>(u)]));
        for (int v = 0; v < nb; ++v)
            nb_norm[static_cast<std::size_t>(v)] = static_cast<float>(std::sqrt(base.b.row(v).squaredNorm() + extra_b[static_cast<std::size_t>(v)]));
        std::vector<double> c(kSamples);
        for (int k = 0; k < kSamples; ++k) {
            const int u = static_cast<int>((static_cast<uint64_t>(k) * 7919u + 13u) % static_cast<uint64_t>(na));
            const int v = static_cast<int>((static_cast<uint64_t>(k) * 104729u + 7u) % static_cast<uint64_t>(nb));
            const float d = na_norm[static_cast<std::size_t>(u)] * nb_norm[static_cast<std::size_t>(v)];
            c[static_cast<std::size_t>(k)] = d > 0 ? sparse_dot(base.a, u, base.b, v) / d : 0.0;
        }
        // Robust (median, scaled median absolute deviation): some samples are true pairs.
        std::nth_element(c.begin(), c.begin() + kSamples / 2, c.end());
        null_mean = c[kSamples / 2];
        for (double& x : c) x = std::abs(x - null_mean);
        std::nth_element(c.begin(), c.begin() + kSamples / 2, c.end());
        null_sd = 1.4826 * c[kSamples / 2];
    }
    null_sd = std::max(null_sd, 0.02);

    // Whole-document similarity, for the same-story label.
    {
        Eigen::VectorXf da = Eigen::VectorXf::Zero(std::max<Eigen::Index>(vocab, 1)), db = da;
        for (int u = 0; u < na; ++u)
            for (SpMat::InnerIterator it(base.a, u); it; ++it) da[it.index()] += it.value();
        for (int v = 0; v < nb; ++v)
            for (SpMat::InnerIterator it(base.b, v); it; ++it) db[it.index()] += it.value();
        const float nx = da.norm(), ny = db.norm();
        out.document_similarity = (nx > 0 && ny > 0) ? std::clamp(da.dot(db) / (nx * ny), 0.0f, 1.0f) : 0.0f;
    }

    // 2. Bead types.
    std::vector<BeadType> types = {{1, 0}, {0, 1}};
    for (int la = 1; la <= o.max_side; ++la)
        for (int lb = 1; lb <= o.max_side; ++lb)
            if (la + lb <= o.max_units) types.push_back({la, lb});

    // 3. Coarse-to-fine search.
    std::vector<Level> levels;
    levels.reserve(48);  // never reallocated: a level is never copied
    levels.push_back(std::move(base));
    while (static_cast<double>(levels.back().a.rows() + 1) * static_cast<double>(levels.back().b.rows() + 1) >
               static_cast<double>(o.max_full_cells) &&
           levels.back().a.rows() > 1 && levels.back().b.rows() > 1) {
        const Level& f = levels.back();
        Level c;
        c.a = merge_rows(f.a, o.coarse_features);
        c.b = merge_rows(f.b, o.coarse_features);
        c.len_a = merge_values(f.len_a);
        c.len_b = merge_values(f.len_b);
        c.cnt_a = merge_values(f.cnt_a);
        c.cnt_b = merge_values(f.cnt_b);
        levels.push_back(std::move(c));
    }
    out.levels = static_cast<int>(levels.size());
    std::vector<Step> path;
    const int top = static_cast<int>(levels.size()) - 1;
    for (int l = top; l >= 0; --l) {
        const Level& lv = levels[static_cast<std::size_t>(l)];
        const int la = static_cast<int>(lv.a.rows()), lb = static_cast<int>(lv.b.rows());
        Band band;
        if (l == top) {
            band.lo.assign(static_cast<std::size_t>(la + 1), 0);
            band.hi.assign(static_cast<std::size_t>(la + 1), lb);
        } else {
            band = band_around(path, la, lb, o.band);
        }
        path = search(lv, band, o, ratio, types);
        if (l > 0) levels.resize(static_cast<std::size_t>(l));  // coarser levels no longer needed
    }

    // 4. Beads and scores. The length ratio, first estimated from the whole documents (which
    // may hold text the other lacks), is estimated again from the aligned beads.
    const Level& lv = levels[0];
    std::vector<float> scatter_a(static_cast<std::size_t>(std::max<Eigen::Index>(vocab, 1)), 0.0f), scatter_b = scatter_a;
    std::vector<int32_t> touched_a, touched_b;
    // Cosine of a bead's sides with the one-sided features counted in the norms.
    auto full_cosine = [&](const Step& s) {
        touched_a.clear();
        touched_b.clear();
        double extra_x = 0, extra_y = 0;
        for (int u = s.i0; u < s.i1; ++u) {
            extra_x += extra_a[static_cast<std::size_t>(u)];
            for (SpMat::InnerIterator it(lv.a, u); it; ++it) {
                if (scatter_a[static_cast<std::size_t>(it.index())] == 0.0f) touched_a.push_back(static_cast<int32_t>(it.index()));
                scatter_a[static_cast<std::size_t>(it.index())] += it.value();
            }
        }
        for (int v = s.j0; v < s.j1; ++v) {
            extra_y += extra_b[static_cast<std::size_t>(v)];
            for (SpMat::InnerIterator it(lv.b, v); it; ++it) {
                if (scatter_b[static_cast<std::size_t>(it.index())] == 0.0f) touched_b.push_back(static_cast<int32_t>(it.index()));
                scatter_b[static_cast<std::size_t>(it.index())] += it.value();
            }
        }
        double xx = extra_x, yy = extra_y, xy = 0;
        for (int32_t c : touched_a) xx += static_cast<double>(scatter_a[static_cast<std::size_t>(c)]) * scatter_a[static_cast<std::size_t>(c)];
        for (int32_t c : touched_b) {
            yy += static_cast<double>(scatter_b[static_cast<std::size_t>(c)]) * scatter_b[static_cast<std::size_t>(c)];
            xy += static_cast<double>(scatter_a[static_cast<std::size_t>(c)]) * scatter_b[static_cast<std::size_t>(c)];
        }
        for (int32_t c : touched_a) scatter_a[static_cast<std::size_t>(c)] = 0.0f;
        for (int32_t c : touched_b) scatter_b[static_cast<std::size_t>(c)] = 0.0f;
        return (xx > 0 && yy > 0) ? std::clamp(xy / std::sqrt(xx * yy), 0.0, 1.0) : 0.0;
    };
    const bool same_language = !side_a.lang.empty() && side_a.lang == side_b.lang;
    double ratio_a = 0, ratio_b = 0;
    for (const Step& s : path) {
        if (s.i1 == s.i0 || s.j1 == s.j0 || full_cosine(s) <= null_mean + o.score_sigmas * null_sd) continue;
        for (int u = s.i0; u < s.i1; ++u) ratio_a += lv.len_a[static_cast<std::size_t>(u)];
        for (int v = s.j0; v < s.j1; ++v) ratio_b += lv.len_b[static_cast<std::size_t>(v)];
    }
    const double bead_ratio = (ratio_a > 0 && ratio_b > 0) ? std::clamp(ratio_b / ratio_a, 0.25, 4.0) : ratio;
    double cov_a = 0, cov_b = 0, qual = 0, qual_w = 0;
    for (const Step& s : path) {
        Bead b;
        b.a_begin = static_cast<uint32_t>(s.i0);
        b.a_end = static_cast<uint32_t>(s.i1);
        b.b_begin = static_cast<uint32_t>(s.j0);
        b.b_end = static_cast<uint32_t>(s.j1);
        b.similarity = s.sim;
        out.cost += s.cost;
        if (b.aligned()) {
            double ca = 0, cb = 0;
            for (int u = s.i0; u < s.i1; ++u) ca += lv.len_a[static_cast<std::size_t>(u)];
            for (int v = s.j0; v < s.j1; ++v) cb += lv.len_b[static_cast<std::size_t>(v)];
            // Evidence, not the search's preference: the similarity, lowered when the lengths
            // disagree with the documents' length ratio.
            const double len_p = std::exp(-o.score_length_weight * length_cost(ca, cb, bead_ratio, o.length_variance));
            const double full_sim = full_cosine(s);
            const double z = (full_sim - null_mean) / null_sd - o.score_sigmas;
            double score = len_p / (1.0 + std::exp(-z));
            // Two versions in one language share their very words: demand more of them.
            if (same_language && full_sim < o.same_language_similarity)
                score *= full_sim / o.same_language_similarity;
            b.score = std::clamp(static_cast<float>(score), 0.0f, 1.0f);
            if (b.score >= o.aligned_score) {
                cov_a += ca;
                cov_b += cb;
                qual += b.score * (ca + cb);
                qual_w += ca + cb;
            }
        }
        out.beads.push_back(b);
    }
    out.coverage_a = total_a > 0 ? static_cast<float>(cov_a / total_a) : 0.0f;
    out.coverage_b = total_b > 0 ? static_cast<float>(cov_b / total_b) : 0.0f;
    out.quality = qual_w > 0 ? static_cast<float>(qual / qual_w) : 0.0f;
    out.score = std::clamp(out.quality * (out.coverage_a + out.coverage_b) / 2.0f, 0.0f, 1.0f);
    if (out.coverage_a >= o.translation_coverage && out.coverage_b >= o.translation_coverage)
        out.label = PairLabel::kTranslation;
    else if (std::max(out.coverage_a, out.coverage_b) >= o.partial_coverage)
        out.label = PairLabel::kPartial;
    else if (out.document_similarity >= o.same_story_similarity)
        out.label = PairLabel::kSameStory;
    else
        out.label = PairLabel::kNone;
    return out;
}

void Aligner::align_batch(std::size_t n, const AlignSide* a, const AlignSide* b, Alignment* out) const {
    // Pairs are independent and align() is const: one pair per OpenMP thread.
    std::vector<std::string> errors(n);
#pragma omp parallel for schedule(dynamic)
    for (std::ptrdiff_t k = 0; k < static_cast<std::ptrdiff_t>(n); ++k) {
        try {
            out[k] = align(a[k], b[k]);
        } catch (const std::exception& e) {
            errors[static_cast<std::size_t>(k)] = e.what();
        }
    }
    for (const auto& e : errors)
        if (!e.empty()) DOPPEL_THROW(kInternal, "aligner: " + e);
}

}  // namespace doppel
