#include "align/coarse_to_fine.h"

#include <algorithm>
#include <limits>
#include <memory>

namespace doppel::impl {
namespace {

// Sum of consecutive row pairs: the next coarser level. Each block keeps its `keep` heaviest
// features, so that comparing blocks costs the same at every level.
SparseRows merge_rows(const SparseRows& m, std::size_t keep) {
    const auto n = static_cast<std::size_t>(m.rows());
    SparseRows pairs(row_index((n + 1) / 2), row_index(n));
    std::vector<Eigen::Triplet<float, int32_t>> t;
    t.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        t.emplace_back(static_cast<int32_t>(i / 2), static_cast<int32_t>(i), 1.0f);
    pairs.setFromTriplets(t.begin(), t.end());
    SparseRows sum = pairs * m;
    sum.makeCompressed();
    std::vector<Eigen::Triplet<float, int32_t>> kept;
    std::vector<std::pair<float, int32_t>> row;
    for (Eigen::Index r = 0; r < sum.rows(); ++r) {
        row.clear();
        for (SparseRows::InnerIterator it(sum, r); it; ++it)
            row.emplace_back(it.value(), static_cast<int32_t>(it.index()));
        if (row.size() > keep) {
            std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(keep), row.end(),
                             [](const auto& x, const auto& y) { return x.first > y.first; });
            row.resize(keep);
        }
        for (const auto& [w, c] : row) kept.emplace_back(static_cast<int32_t>(r), c, w);
    }
    SparseRows out(sum.rows(), sum.cols());
    out.setFromTriplets(kept.begin(), kept.end());
    out.makeCompressed();
    return out;
}

std::vector<double> merge_values(const std::vector<double>& v) {
    std::vector<double> out((v.size() + 1) / 2, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) out[i / 2] += v[i];
    return out;
}

// The value of the last row of each pair of consecutive rows (a block ends where its last row does).
std::vector<double> last_values(const std::vector<double>& v) {
    std::vector<double> out((v.size() + 1) / 2, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) out[i / 2] = v[i];
    return out;
}

SearchLevel coarser_level(const SearchLevel& fine, std::size_t keep) {
    SearchLevel c;
    c.a = merge_rows(fine.a, keep);
    c.b = merge_rows(fine.b, keep);
    c.len_a = merge_values(fine.len_a);
    c.len_b = merge_values(fine.len_b);
    c.cnt_a = merge_values(fine.cnt_a);
    c.cnt_b = merge_values(fine.cnt_b);
    c.skip_a = merge_values(fine.skip_a);
    c.skip_b = merge_values(fine.skip_b);
    c.open_a = last_values(fine.open_a);
    c.open_b = last_values(fine.open_b);
    return c;
}

bool too_large(const SearchLevel& level, std::size_t max_full_cells) {
    return static_cast<double>(level.rows_a() + 1) * static_cast<double>(level.rows_b() + 1) >
               static_cast<double>(max_full_cells) &&
           level.rows_a() > 1 && level.rows_b() > 1;
}

SearchBand full_band(std::size_t na, std::size_t nb) {
    SearchBand band;
    band.lo.assign(na + 1, 0);
    band.hi.assign(na + 1, nb);
    return band;
}

// The lattice cells of a finer level (na x nb) under the path found at the coarser one.
SearchBand cells_under(const std::vector<PathStep>& coarse, std::size_t na, std::size_t nb) {
    SearchBand band;
    band.lo.assign(na + 1, std::numeric_limits<std::size_t>::max());
    band.hi.assign(na + 1, 0);
    for (const PathStep& s : coarse) {
        const std::size_t j0 = std::min(2 * s.j0, nb), j1 = std::min(2 * s.j1, nb);
        for (std::size_t i = 2 * s.i0; i <= std::min(2 * s.i1, na); ++i) {
            band.lo[i] = std::min(band.lo[i], j0);
            band.hi[i] = std::max(band.hi[i], j1);
        }
    }
    return band;
}

// The band of a finer level (na x nb) around the path found at the coarser one: the cells under
// it widened by `width` in both directions, kept monotonic, from (0, 0) to (na, nb). Every row
// lies under the coarse path, which runs from (0, 0) to the coarser level's end.
SearchBand band_around(const std::vector<PathStep>& coarse, std::size_t na, std::size_t nb,
                       std::size_t width) {
    const SearchBand under = cells_under(coarse, na, nb);
    SearchBand band;
    band.lo.resize(na + 1);
    band.hi.resize(na + 1);
    for (std::size_t i = 0; i <= na; ++i) {
        const std::size_t from = i > width ? i - width : 0, to = std::min(na, i + width);
        std::size_t l = std::numeric_limits<std::size_t>::max(), h = 0;
        for (std::size_t k = from; k <= to; ++k) {
            l = std::min(l, under.lo[k]);
            h = std::max(h, under.hi[k]);
        }
        band.lo[i] = l > width ? l - width : 0;
        band.hi[i] = std::min(nb, h + width);
    }
    for (std::size_t i = 1; i <= na; ++i) band.lo[i] = std::max(band.lo[i], band.lo[i - 1]);
    for (std::size_t i = na; i-- > 0;) band.hi[i] = std::min(band.hi[i], band.hi[i + 1]);
    band.lo[0] = 0;
    band.hi[na] = nb;
    return band;
}

}  // namespace

CoarseToFinePath search_coarse_to_fine(const SearchLevel& units, const AlignerOptions& o, double ratio,
                                       const std::vector<BeadType>& types) {
    // coarser[l - 1] is level l; level 0 is `units`. A level is never copied.
    std::vector<std::unique_ptr<SearchLevel>> coarser;
    const SearchLevel* finest_coarse = &units;
    while (too_large(*finest_coarse, o.max_full_cells)) {
        coarser.push_back(std::make_unique<SearchLevel>(
            coarser_level(*finest_coarse, static_cast<std::size_t>(o.coarse_features))));
        finest_coarse = coarser.back().get();
    }
    CoarseToFinePath out;
    out.levels = coarser.size() + 1;
    for (std::size_t l = coarser.size() + 1; l-- > 0;) {
        const SearchLevel& level = l == 0 ? units : *coarser[l - 1];
        const SearchBand band = l == coarser.size() ? full_band(level.rows_a(), level.rows_b())
                                                    : band_around(out.path, level.rows_a(), level.rows_b(),
                                                                  static_cast<std::size_t>(o.band));
        out.path = search_band(level, band, o, ratio, types);
        if (l > 0) coarser.resize(l - 1);  // coarser levels no longer needed
    }
    return out;
}

}  // namespace doppel::impl
