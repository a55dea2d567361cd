#include "align/bead_scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace doppel::impl {
namespace {

// Cosine of a bead's sides with the one-sided features counted in the norms.
class FullCosine {
public:
    explicit FullCosine(const UnitFeatures& f)
        : f_(f),
          scatter_a_(static_cast<std::size_t>(std::max<Eigen::Index>(f.vocabulary, 1)), 0.0f),
          scatter_b_(scatter_a_) {}

    double operator()(const PathStep& s) {
        const double extra_x = gather(f_.units.a, f_.extra_a, s.i0, s.i1, scatter_a_, touched_a_);
        const double extra_y = gather(f_.units.b, f_.extra_b, s.j0, s.j1, scatter_b_, touched_b_);
        double xx = extra_x, yy = extra_y, xy = 0;
        for (std::size_t c : touched_a_) xx += static_cast<double>(scatter_a_[c]) * scatter_a_[c];
        for (std::size_t c : touched_b_) {
            yy += static_cast<double>(scatter_b_[c]) * scatter_b_[c];
            xy += static_cast<double>(scatter_a_[c]) * scatter_b_[c];
        }
        for (std::size_t c : touched_a_) scatter_a_[c] = 0.0f;
        for (std::size_t c : touched_b_) scatter_b_[c] = 0.0f;
        return (xx > 0 && yy > 0) ? std::clamp(xy / std::sqrt(xx * yy), 0.0, 1.0) : 0.0;
    }

private:
    // Sums rows [begin, end) into `scatter` (columns listed in `touched`); returns the sum of
    // their extra squared norms.
    static double gather(const SparseRows& rows, const std::vector<double>& extra, std::size_t begin,
                         std::size_t end, std::vector<float>& scatter, std::vector<std::size_t>& touched) {
        touched.clear();
        double sum = 0;
        for (std::size_t u = begin; u < end; ++u) {
            sum += extra[u];
            for (SparseRows::InnerIterator it(rows, row_index(u)); it; ++it) {
                if (scatter[column_of(it)] == 0.0f) touched.push_back(column_of(it));
                scatter[column_of(it)] += it.value();
            }
        }
        return sum;
    }

    const UnitFeatures& f_;
    std::vector<float> scatter_a_, scatter_b_;
    std::vector<std::size_t> touched_a_, touched_b_;
};

double sum(const std::vector<double>& v, std::size_t begin, std::size_t end) {
    double s = 0;
    for (std::size_t i = begin; i < end; ++i) s += v[i];
    return s;
}

// The length ratio, first estimated from the whole documents (which may hold text the other
// lacks), estimated again from the aligned beads that stand above the null model.
double bead_length_ratio(const std::vector<PathStep>& path, const SearchLevel& units, FullCosine& cosine,
                         const NullModel& null, double score_sigmas, double ratio) {
    double len_a = 0, len_b = 0;
    for (const PathStep& s : path) {
        if (s.i1 == s.i0 || s.j1 == s.j0 || cosine(s) <= null.mean + score_sigmas * null.spread) continue;
        for (std::size_t u = s.i0; u < s.i1; ++u) len_a += units.len_a[u];
        for (std::size_t v = s.j0; v < s.j1; ++v) len_b += units.len_b[v];
    }
    return length_ratio(len_a, len_b, ratio);
}

// Evidence, not the search's preference: the bead's full similarity against the null model,
// lowered when the lengths disagree with the documents' length ratio.
float bead_score(double full_sim, double len_a, double len_b, double ratio, const NullModel& null,
                 bool same_language, const AlignerOptions& o) {
    const double len_p =
        std::exp(-o.score_length_weight * length_cost(len_a, len_b, ratio, o.length_variance));
    const double z = (full_sim - null.mean) / null.spread - o.score_sigmas;
    double score = len_p / (1.0 + std::exp(-z));
    // Two versions in one language share their very words: demand more of them.
    if (same_language && full_sim < o.same_language_similarity)
        score *= full_sim / o.same_language_similarity;
    return std::clamp(static_cast<float>(score), 0.0f, 1.0f);
}

PairLabel pair_label(const Alignment& al, const AlignerOptions& o) {
    if (al.coverage_a >= o.translation_coverage && al.coverage_b >= o.translation_coverage)
        return PairLabel::kTranslation;
    if (std::max(al.coverage_a, al.coverage_b) >= o.partial_coverage) return PairLabel::kPartial;
    if (al.document_similarity >= o.same_story_similarity) return PairLabel::kSameStory;
    return PairLabel::kNone;
}

// Whether the units of `x` and `y` (adjacent, at least one aligned) belong in one bead: one
// side of one of them shares with the other side of the other more than unrelated units do.
bool crossing(const PathStep& x, const PathStep& y, FullCosine& cosine, const NullModel& null, double sigmas) {
    const double least = null.mean + sigmas * null.spread;
    const PathStep xa_yb{x.i0, y.j0, x.i1, y.j1, 0, 0}, ya_xb{y.i0, x.j0, y.i1, x.j1, 0, 0};
    return (xa_yb.i0 < xa_yb.i1 && xa_yb.j0 < xa_yb.j1 && cosine(xa_yb) >= least) ||
           (ya_xb.i0 < ya_xb.i1 && ya_xb.j0 < ya_xb.j1 && cosine(ya_xb) >= least);
}

bool is_aligned(const PathStep& s) { return s.i1 > s.i0 && s.j1 > s.j0; }

// The lone unit `lone` joined to the aligned bead `bead` (`after`: the unit comes after the
// bead, else before it), and how far the cosine rises by it; rise is -infinity when the unit's
// own cosine with the bead's other side is under `floor` or a side would exceed `max_side` units.
struct Absorption {
    PathStep joined;
    double rise = -std::numeric_limits<double>::infinity();
};

Absorption try_absorb(const PathStep& lone, const PathStep& bead, bool after, FullCosine& cosine, double floor,
                      std::size_t max_side) {
    Absorption a;
    const PathStep own = lone.i1 > lone.i0 ? PathStep{lone.i0, bead.j0, lone.i1, bead.j1, 0, 0}
                                           : PathStep{bead.i0, lone.j0, bead.i1, lone.j1, 0, 0};
    a.joined = after ? PathStep{bead.i0, bead.j0, lone.i1, lone.j1, 0, 0} : PathStep{lone.i0, lone.j0, bead.i1, bead.j1, 0, 0};
    if (a.joined.i1 - a.joined.i0 > max_side || a.joined.j1 - a.joined.j0 > max_side) return a;
    if (cosine(own) < floor) return a;
    a.joined.sim = static_cast<float>(cosine(a.joined));
    a.joined.cost = bead.cost + lone.cost;
    a.rise = a.joined.sim - cosine(bead);
    return a;
}

}  // namespace

std::vector<PathStep> absorb_lone_units(const std::vector<PathStep>& path, const UnitFeatures& f,
                                        const AlignerOptions& o) {
    if (o.absorb_floor <= 0) return path;
    FullCosine cosine(f);
    const auto max_side = static_cast<std::size_t>(o.cross_max_side);
    std::vector<PathStep> out;
    for (std::size_t k = 0; k < path.size(); ++k) {
        const PathStep& s = path[k];
        if (is_aligned(s)) {
            out.push_back(s);
            continue;
        }
        // The better of the two neighbours, each already joined to what came before.
        Absorption before, after;
        if (!out.empty() && is_aligned(out.back())) before = try_absorb(s, out.back(), true, cosine, o.absorb_floor, max_side);
        if (k + 1 < path.size() && is_aligned(path[k + 1]))
            after = try_absorb(s, path[k + 1], false, cosine, o.absorb_floor, max_side);
        const Absorption& best = after.rise > before.rise ? after : before;
        if (best.rise < -o.absorb_fall) {
            out.push_back(s);
        } else if (&best == &before) {
            out.back() = best.joined;
        } else {
            out.push_back(best.joined);
            ++k;  // the next bead is inside the joined one
        }
    }
    return out;
}

namespace {

// Whether `s` is a lone unit of side A (`side_a`) or of side B.
bool lone_on(const PathStep& s, bool side_a) {
    return side_a ? (s.i1 > s.i0 && s.j1 == s.j0) : (s.j1 > s.j0 && s.i1 == s.i0);
}

// Sheds the edge units of `bead` on one side (`side_a`), at its start (`front`) or its end,
// one by one while the bead keeps at least one unit on that side and the edge unit's own cosine
// with the other side is under `floor`; the shed units become lone steps of `shed`, in document
// order (`shed` holds only them when `front` is false).
void shed_side(PathStep& bead, bool side_a, bool front, FullCosine& cosine, double floor,
               std::vector<PathStep>& shed) {
    std::size_t& lo = side_a ? bead.i0 : bead.j0;
    std::size_t& hi = side_a ? bead.i1 : bead.j1;
    while (hi - lo > 1) {
        const std::size_t u = front ? lo : hi - 1;
        const PathStep own =
            side_a ? PathStep{u, bead.j0, u + 1, bead.j1, 0, 0} : PathStep{bead.i0, u, bead.i1, u + 1, 0, 0};
        if (cosine(own) >= floor) break;
        const std::size_t at_a = side_a ? u : (front ? bead.i0 : bead.i1);
        const std::size_t at_b = side_a ? (front ? bead.j0 : bead.j1) : u;
        shed.push_back(side_a ? PathStep{u, at_b, u + 1, at_b, 0, 0} : PathStep{at_a, u, at_a, u + 1, 0, 0});
        if (front) ++lo;
        else --hi;
    }
    if (!front) std::reverse(shed.begin(), shed.end());
}

}  // namespace

std::vector<PathStep> shed_stray_edges(const std::vector<PathStep>& path, const UnitFeatures& f,
                                       const AlignerOptions& o) {
    if (o.shed_floor <= 0) return path;
    FullCosine cosine(f);
    std::vector<PathStep> out;
    for (std::size_t k = 0; k < path.size(); ++k) {
        PathStep bead = path[k];
        if (!is_aligned(bead)) {
            out.push_back(bead);
            continue;
        }
        const std::size_t before = bead.i1 - bead.i0 + bead.j1 - bead.j0;
        std::vector<PathStep> lead, trail_a, trail_b;
        // At most one side sheds at each end: a lone neighbour belongs to one side.
        for (const bool side_a : {true, false})
            if (!out.empty() && lone_on(out.back(), side_a))
                shed_side(bead, side_a, true, cosine, o.shed_floor, lead);
        const bool last = k + 1 == path.size();
        if (!last && lone_on(path[k + 1], true)) shed_side(bead, true, false, cosine, o.shed_floor, trail_a);
        if (!last && lone_on(path[k + 1], false)) shed_side(bead, false, false, cosine, o.shed_floor, trail_b);
        out.insert(out.end(), lead.begin(), lead.end());
        if (bead.i1 - bead.i0 + bead.j1 - bead.j0 != before) bead.sim = static_cast<float>(cosine(bead));
        out.push_back(bead);
        out.insert(out.end(), trail_b.begin(), trail_b.end());  // B's at the bead's new end, then A's
        out.insert(out.end(), trail_a.begin(), trail_a.end());
    }
    return out;
}

std::vector<PathStep> merge_crossing_beads(const std::vector<PathStep>& path, const UnitFeatures& f,
                                           const NullModel& null, const AlignerOptions& o) {
    if (o.cross_sigmas <= 0) return path;
    FullCosine cosine(f);
    const auto max_side = static_cast<std::size_t>(o.cross_max_side);
    std::vector<PathStep> out;
    for (const PathStep& s : path) {
        if (!out.empty()) {
            PathStep& last = out.back();
            const bool one_aligned = (last.i1 > last.i0 && last.j1 > last.j0) || (s.i1 > s.i0 && s.j1 > s.j0);
            if (one_aligned && s.i1 - last.i0 <= max_side && s.j1 - last.j0 <= max_side &&
                crossing(last, s, cosine, null, o.cross_sigmas)) {
                last.i1 = s.i1;
                last.j1 = s.j1;
                last.cost += s.cost;
                last.sim = static_cast<float>(cosine(last));
                continue;
            }
        }
        out.push_back(s);
    }
    return out;
}

void score_alignment(const std::vector<PathStep>& path, const UnitFeatures& f, const NullModel& null,
                     double ratio, bool same_language, const AlignerOptions& o, Alignment& out) {
    const SearchLevel& units = f.units;
    FullCosine cosine(f);
    const double bead_ratio = bead_length_ratio(path, units, cosine, null, o.score_sigmas, ratio);
    double cov_a = 0, cov_b = 0, qual = 0, qual_w = 0;
    for (const PathStep& s : path) {
        Bead b;
        b.a_begin = static_cast<uint32_t>(s.i0);
        b.a_end = static_cast<uint32_t>(s.i1);
        b.b_begin = static_cast<uint32_t>(s.j0);
        b.b_end = static_cast<uint32_t>(s.j1);
        b.similarity = s.sim;
        out.cost += s.cost;
        if (b.aligned()) {
            const double ca = sum(units.len_a, s.i0, s.i1), cb = sum(units.len_b, s.j0, s.j1);
            b.score = bead_score(cosine(s), ca, cb, bead_ratio, null, same_language, o);
            if (b.score >= o.aligned_score) {
                cov_a += ca;
                cov_b += cb;
                qual += b.score * (ca + cb);
                qual_w += ca + cb;
            }
        }
        out.beads.push_back(b);
    }
    out.coverage_a = f.total_a > 0 ? static_cast<float>(cov_a / f.total_a) : 0.0f;
    out.coverage_b = f.total_b > 0 ? static_cast<float>(cov_b / f.total_b) : 0.0f;
    out.quality = qual_w > 0 ? static_cast<float>(qual / qual_w) : 0.0f;
    out.score = std::clamp(out.quality * (out.coverage_a + out.coverage_b) / 2.0f, 0.0f, 1.0f);
    out.label = pair_label(out, o);
}

}  // namespace doppel::impl
