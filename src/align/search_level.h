// doppel (private): the aligner's units as sparse feature rows, at one resolution of the search.
#pragma once

#include <Eigen/SparseCore>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace doppel::impl {

// Sparse feature vectors, one row per unit (or block of units); columns are features.
using SparseRows = Eigen::SparseMatrix<float, Eigen::RowMajor, int32_t>;

inline Eigen::Index row_index(std::size_t i) { return static_cast<Eigen::Index>(i); }
// The column of the entry a row iterator is at, as an index.
inline std::size_t column_of(const SparseRows::InnerIterator& it) {
    return static_cast<std::size_t>(it.index());
}

// Dot product of row i of x with row j of y (both with sorted column indices).
inline float sparse_dot(const SparseRows& x, std::size_t i, const SparseRows& y, std::size_t j) {
    SparseRows::InnerIterator p(x, row_index(i)), q(y, row_index(j));
    float s = 0;
    while (p && q) {
        if (p.index() < q.index())
            ++p;
        else if (q.index() < p.index())
            ++q;
        else {
            s += p.value() * q.value();
            ++p;
            ++q;
        }
    }
    return s;
}

// One resolution of the coarse-to-fine search: at level 0 a row is a unit; at each coarser
// level a row is the sum of two consecutive rows of the level below (a block).
struct SearchLevel {
    SparseRows a, b;                   // one row per unit (or block) of A, of B
    std::vector<double> len_a, len_b;  // characters per row
    std::vector<double> cnt_a, cnt_b;  // units per row
    std::vector<double> skip_a, skip_b;  // per row: the cost of leaving it alone, in skip_costs
    std::vector<double> open_a, open_b;  // per row: 1 when its last unit ends without closing a
                                         // sentence (a colon, a semicolon, no final stop), else 0
    std::size_t rows_a() const { return static_cast<std::size_t>(a.rows()); }
    std::size_t rows_b() const { return static_cast<std::size_t>(b.rows()); }
};

}  // namespace doppel::impl
