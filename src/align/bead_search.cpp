#include "align/bead_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "doppel/error.h"

namespace doppel::impl {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMinLengthRatio = 0.25, kMaxLengthRatio = 4.0;
constexpr double kMinLengthProbability = 1e-12;  // length_cost is at most -log of this
constexpr uint8_t kNoBead = 255;  // back pointer of an unreachable cell
constexpr std::size_t kNoCell = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kBaselineSamples = 32;  // rows of the other side a window's baseline reads

// norm[k][e] = |sum of rows [e - k, e)| for k = 1..max_side: the norms of every window of up
// to max_side consecutive rows, from the dot products of rows less than max_side apart.
using WindowNorms = std::vector<std::vector<float>>;

WindowNorms window_norms(const SparseRows& m, std::size_t max_side) {
    const auto n = static_cast<std::size_t>(m.rows());
    std::vector<std::vector<float>> self(max_side);  // self[d][p] = row p . row p + d
    for (std::size_t d = 0; d < max_side; ++d) {
        self[d].assign(n, 0.0f);
        for (std::size_t p = 0; p + d < n; ++p) self[d][p] = sparse_dot(m, p, m, p + d);
    }
    WindowNorms norm(max_side + 1, std::vector<float>(n + 1, 0.0f));
    for (std::size_t k = 1; k <= max_side; ++k) {
        for (std::size_t e = k; e <= n; ++e) {
            double s = 0;
            for (std::size_t p = e - k; p < e; ++p)
                for (std::size_t q = p; q < e; ++q) s += (q == p ? 1.0 : 2.0) * self[q - p][p];
            norm[k][e] = static_cast<float>(std::sqrt(std::max(s, 0.0)));
        }
    }
    return norm;
}

// base[k][e] = the mean cosine of the window of rows [e - k, e) of `m` with kBaselineSamples
// rows of `other` spread over it (aligner.h "Chance baseline"); `norm` are m's window norms,
// `other_norm[v + 1]` the norm of row v of `other`.
WindowNorms window_baseline(const SparseRows& m, const SparseRows& other, const WindowNorms& norm,
                            const std::vector<float>& other_norm) {
    const auto n = static_cast<std::size_t>(m.rows()), no = static_cast<std::size_t>(other.rows());
    const std::size_t max_side = norm.size() - 1, samples = std::min(kBaselineSamples, no);
    std::vector<std::size_t> pick;
    for (std::size_t s = 0; s < samples; ++s)
        if (other_norm[s * no / samples + 1] > 0) pick.push_back(s * no / samples);
    // dots[p][s] = row p of m . sampled row s of other
    std::vector<std::vector<float>> dots(n, std::vector<float>(pick.size(), 0.0f));
    for (std::size_t p = 0; p < n; ++p)
        for (std::size_t s = 0; s < pick.size(); ++s) dots[p][s] = sparse_dot(m, p, other, pick[s]);
    WindowNorms base(max_side + 1, std::vector<float>(n + 1, 0.0f));
    for (std::size_t k = 1; k <= max_side; ++k)
        for (std::size_t e = k; e <= n; ++e) {
            if (norm[k][e] <= 0 || pick.empty()) continue;
            double sum = 0;
            for (std::size_t s = 0; s < pick.size(); ++s) {
                double d = 0;
                for (std::size_t p = e - k; p < e; ++p) d += dots[p][s];
                sum += d / (norm[k][e] * other_norm[pick[s] + 1]);
            }
            base[k][e] = static_cast<float>(sum / static_cast<double>(pick.size()));
        }
    return base;
}

// Banded similarity matrix: the dot products of row u of A with the rows of B that a bead
// inside the band can pair it with, [lo[u], hi[u]).
class BandedDots {
public:
    BandedDots(const SearchLevel& level, const SearchBand& band, std::size_t max_side) {
        const std::size_t na = level.rows_a(), nb = level.rows_b();
        lo_.resize(na);
        hi_.resize(na);
        std::size_t width = 1;
        for (std::size_t u = 0; u < na; ++u) {
            const std::size_t lo = band.lo[u + 1];
            lo_[u] = lo >= max_side ? lo - max_side : 0;
            hi_[u] = std::min(nb, band.hi[std::min(u + max_side, na)]);
            if (hi_[u] > lo_[u]) width = std::max(width, hi_[u] - lo_[u]);
        }
        dots_ = Eigen::MatrixXf::Zero(row_index(width), row_index(std::max<std::size_t>(na, 1)));
        std::vector<float> scatter(static_cast<std::size_t>(level.a.cols()), 0.0f);
        for (std::size_t u = 0; u < na; ++u) {
            for (SparseRows::InnerIterator it(level.a, row_index(u)); it; ++it)
                scatter[column_of(it)] = it.value();
            for (std::size_t v = lo_[u]; v < hi_[u]; ++v) {
                float s = 0;
                for (SparseRows::InnerIterator it(level.b, row_index(v)); it; ++it)
                    s += it.value() * scatter[column_of(it)];
                dots_(row_index(v - lo_[u]), row_index(u)) = s;
            }
            for (SparseRows::InnerIterator it(level.a, row_index(u)); it; ++it) scatter[column_of(it)] = 0.0f;
        }
    }

    float at(std::size_t u, std::size_t v) const {
        return (v >= lo_[u] && v < hi_[u]) ? dots_(row_index(v - lo_[u]), row_index(u)) : 0.0f;
    }

private:
    std::vector<std::size_t> lo_, hi_;
    Eigen::MatrixXf dots_;  // column u: row u of A
};

std::vector<double> prefix_sums(const std::vector<double>& v) {
    std::vector<double> p(v.size() + 1, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) p[i + 1] = p[i] + v[i];
    return p;
}

// The cost of a bead (align/aligner.h: "The method").
class BeadCosts {
public:
    BeadCosts(const SearchLevel& level, const SearchBand& band, const AlignerOptions& options, double ratio)
        : o_(options),
          ratio_(ratio),
          norm_a_(window_norms(level.a, static_cast<std::size_t>(options.max_side))),
          norm_b_(window_norms(level.b, static_cast<std::size_t>(options.max_side))),
          dots_(level, band, static_cast<std::size_t>(options.max_side)),
          base_a_(options.baseline_weight > 0 ? window_baseline(level.a, level.b, norm_a_, norm_b_[1]) : WindowNorms{}),
          base_b_(options.baseline_weight > 0 ? window_baseline(level.b, level.a, norm_b_, norm_a_[1]) : WindowNorms{}),
          len_a_(prefix_sums(level.len_a)),
          len_b_(prefix_sums(level.len_b)),
          cnt_a_(prefix_sums(level.cnt_a)),
          cnt_b_(prefix_sums(level.cnt_b)),
          skip_a_(prefix_sums(level.skip_a)),
          skip_b_(prefix_sums(level.skip_b)),
          open_a_(level.open_a),
          open_b_(level.open_b) {}

    // The cost of bead type t ending at lattice cell (i, j) (t.la <= i, t.lb <= j); sets `sim`
    // to its cosine when it is aligned.
    double operator()(std::size_t i, std::size_t j, const BeadType& t, float& sim) const {
        const std::size_t pi = i - t.la, pj = j - t.lb;
        if (t.la == 0 || t.lb == 0) {
            return o_.skip_cost * (t.la ? skip_a_[i] - skip_a_[pi] : skip_b_[j] - skip_b_[pj]);
        }
        float d = 0;
        for (std::size_t u = pi; u < i; ++u)
            for (std::size_t v = pj; v < j; ++v) d += dots_.at(u, v);
        const float nx = norm_a_[t.la][i], ny = norm_b_[t.lb][j];
        sim = (nx > 0 && ny > 0) ? std::clamp(d / (nx * ny), 0.0f, 1.0f) : 0.0f;
        // The cost reads the cosine above chance (aligner.h "Chance baseline"); `sim` stays the cosine.
        const double above = o_.baseline_weight > 0
                                 ? sim - o_.baseline_weight * (base_a_[t.la][i] + base_b_[t.lb][j]) / 2
                                 : sim;
        const double units = (cnt_a_[i] - cnt_a_[pi]) + (cnt_b_[j] - cnt_b_[pj]);
        const double len_a = len_a_[i] - len_a_[pi], len_b = len_b_[j] - len_b_[pj];
        const double len_w = o_.length_weight + (t.la + t.lb > 2 ? o_.merge_length_weight : 0.0);
        double c = (1.0 - above) * units / 2 + len_w * length_cost(len_a, len_b, ratio_, o_.length_variance) +
                   o_.merge_cost * static_cast<double>(t.la + t.lb - 2);
        // Boundaries (aligner.h): one side closes its sentence, the other leaves it open.
        if (o_.boundary_weight > 0 && open_a_[i - 1] != open_b_[j - 1]) c += o_.boundary_weight;
        if (o_.member_weight > 0 && (t.la > 1 || t.lb > 1) && nx > 0 && ny > 0)
            c += o_.member_weight * member_penalty(pi, i, pj, j, t, nx, ny);
        if (o_.margin_weight > 0 && nx > 0 && ny > 0)
            c += o_.margin_weight * std::max(0.0, neighbour_similarity(pi, i, pj, j, nx, ny) - o_.margin_floor) *
                 units / 2;
        return c;
    }

private:
    // Sum over the merged units of (floor - the unit's cosine with the other side) / floor, where
    // positive (floor: AlignerOptions::member_floor). In a merge, every unit with features must
    // bring its own evidence.
    double member_penalty(std::size_t pi, std::size_t i, std::size_t pj, std::size_t j, const BeadType& t,
                          float nx, float ny) const {
        const auto floor = static_cast<float>(o_.member_floor);
        if (floor <= 0) return 0;
        double pen = 0;
        if (t.la > 1)
            for (std::size_t u = pi; u < i; ++u) {
                float dm = 0;
                for (std::size_t v = pj; v < j; ++v) dm += dots_.at(u, v);
                const float nu = norm_a_[1][u + 1];
                if (nu <= 0) continue;  // no evidence either way
                pen += std::max(0.0f, floor - dm / (nu * ny)) / floor;
            }
        if (t.lb > 1)
            for (std::size_t v = pj; v < j; ++v) {
                float dm = 0;
                for (std::size_t u = pi; u < i; ++u) dm += dots_.at(u, v);
                const float nv = norm_b_[1][v + 1];
                if (nv <= 0) continue;  // no evidence either way
                pen += std::max(0.0f, floor - dm / (nv * nx)) / floor;
            }
        return pen;
    }

    // The highest cosine of one side of the bead with the unit just before or just after its
    // other side: a translator who moved a sentence boundary leaves a bead that a neighbour
    // shares (aligner.h: "Neighbour margin").
    double neighbour_similarity(std::size_t pi, std::size_t i, std::size_t pj, std::size_t j, float nx,
                                float ny) const {
        const std::size_t na = norm_a_[1].size() - 1, nb = norm_b_[1].size() - 1;
        double best = 0;
        for (std::size_t v : {pj - 1, j}) {  // side A with B's neighbours (pj - 1 wraps at 0)
            const float nv = v < nb ? norm_b_[1][v + 1] : 0.0f;
            if (nv <= 0) continue;
            double d = 0;
            for (std::size_t u = pi; u < i; ++u) d += dots_.at(u, v);
            best = std::max(best, d / (nx * nv));
        }
        for (std::size_t u : {pi - 1, i}) {  // side B with A's neighbours
            const float nu = u < na ? norm_a_[1][u + 1] : 0.0f;
            if (nu <= 0) continue;
            double d = 0;
            for (std::size_t v = pj; v < j; ++v) d += dots_.at(u, v);
            best = std::max(best, d / (nu * ny));
        }
        return std::min(best, 1.0);
    }

    const AlignerOptions& o_;
    double ratio_;
    WindowNorms norm_a_, norm_b_;
    BandedDots dots_;
    WindowNorms base_a_, base_b_;  // window_baseline of A's windows, of B's (when base > 0)
    std::vector<double> len_a_, len_b_, cnt_a_, cnt_b_, skip_a_, skip_b_;  // prefix sums of lengths,
                                                                           // counts and skip shares
    const std::vector<double>& open_a_;  // SearchLevel::open_a, open_b
    const std::vector<double>& open_b_;
};

// The lattice of one level, stored row by row inside the band: the least cost of reaching
// each cell, the bead type that reaches it so, and that bead's cosine.
class Lattice {
public:
    explicit Lattice(const SearchBand& band) : band_(band), row_offset_(band.lo.size() + 1, 0) {
        for (std::size_t i = 0; i < band.lo.size(); ++i)
            row_offset_[i + 1] =
                row_offset_[i] + (band.hi[i] >= band.lo[i] ? band.hi[i] - band.lo[i] + 1 : 0);
        cost.assign(row_offset_.back(), kInf);
        back.assign(row_offset_.back(), kNoBead);
        sim.assign(row_offset_.back(), 0.0f);
    }

    // Index of cell (i, j), or kNoCell outside the band.
    std::size_t cell(std::size_t i, std::size_t j) const {
        if (j < band_.lo[i] || j > band_.hi[i]) return kNoCell;
        return row_offset_[i] + (j - band_.lo[i]);
    }

    std::vector<double> cost;
    std::vector<uint8_t> back;  // index into the bead types
    std::vector<float> sim;

private:
    const SearchBand& band_;
    std::vector<std::size_t> row_offset_;
};

// Forward pass: every cell of the band from the cells one bead before it.
void fill(Lattice& lattice, const SearchBand& band, const BeadCosts& costs,
          const std::vector<BeadType>& types) {
    for (std::size_t i = 0; i < band.lo.size(); ++i) {
        for (std::size_t j = band.lo[i]; j <= band.hi[i]; ++j) {
            const std::size_t here = lattice.cell(i, j);
            if (i == 0 && j == 0) {
                lattice.cost[here] = 0;
                continue;
            }
            double best = kInf;
            uint8_t best_t = kNoBead;
            float best_sim = 0;
            for (std::size_t t = 0; t < types.size(); ++t) {
                if (types[t].la > i || types[t].lb > j) continue;
                const std::size_t prev = lattice.cell(i - types[t].la, j - types[t].lb);
                if (prev == kNoCell || lattice.cost[prev] == kInf) continue;
                float sim = 0;
                double c = costs(i, j, types[t], sim);
                c += lattice.cost[prev];
                if (c < best) {
                    best = c;
                    best_t = static_cast<uint8_t>(t);
                    best_sim = sim;
                }
            }
            lattice.cost[here] = best;
            lattice.back[here] = best_t;
            lattice.sim[here] = best_sim;
        }
    }
}

// The least-cost path, from the end cell (na, nb) back to (0, 0), in document order.
std::vector<PathStep> backtrack(const Lattice& lattice, const std::vector<BeadType>& types, std::size_t na,
                                std::size_t nb) {
    const std::size_t end = lattice.cell(na, nb);
    if (end == kNoCell || lattice.cost[end] == kInf)
        DOPPEL_THROW(kInternal, "aligner: no path through the search band");
    std::vector<PathStep> path;
    std::size_t i = na, j = nb;
    while (i > 0 || j > 0) {
        const std::size_t c = lattice.cell(i, j);
        const BeadType t = types[lattice.back[c]];
        const std::size_t p = lattice.cell(i - t.la, j - t.lb);
        path.push_back({i - t.la, j - t.lb, i, j, lattice.cost[c] - lattice.cost[p], lattice.sim[c]});
        i -= t.la;
        j -= t.lb;
    }
    std::reverse(path.begin(), path.end());
    return path;
}

}  // namespace

std::vector<BeadType> bead_types(const AlignerOptions& o) {
    std::vector<BeadType> types = {{1, 0}, {0, 1}};
    const auto max_side = static_cast<std::size_t>(o.max_side),
               max_units = static_cast<std::size_t>(o.max_units);
    for (std::size_t la = 1; la <= max_side; ++la)
        for (std::size_t lb = 1; lb <= max_side; ++lb)
            if (la + lb <= max_units) types.push_back({la, lb});
    return types;
}

double length_cost(double la, double lb, double ratio, double variance) {
    if (la <= 0 && lb <= 0) return 0;
    const double mean = (ratio * la + lb) / 2;
    const double delta = (lb - ratio * la) / std::sqrt(variance * std::max(mean, 1.0));
    const double p = std::erfc(std::abs(delta) / std::sqrt(2.0));
    return -std::log(std::max(p, kMinLengthProbability));
}

double length_ratio(double len_a, double len_b, double fallback) {
    return (len_a > 0 && len_b > 0) ? std::clamp(len_b / len_a, kMinLengthRatio, kMaxLengthRatio) : fallback;
}

std::vector<PathStep> search_band(const SearchLevel& level, const SearchBand& band,
                                  const AlignerOptions& options, double ratio,
                                  const std::vector<BeadType>& types) {
    const BeadCosts costs(level, band, options, ratio);
    Lattice lattice(band);
    fill(lattice, band, costs, types);
    return backtrack(lattice, types, level.rows_a(), level.rows_b());
}

}  // namespace doppel::impl
