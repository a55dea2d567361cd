// doppel: the dense vectors of the documents being matched (row i: document i's dim floats),
// as the matcher reads them (match/matcher.h): queries copied out a batch at a time, and
// approximate search results re-ranked by their full dot product with the query.
//
// Two forms, read alike:
//  - a view of a row-major float array the caller owns (n * dim floats), as embed_documents()
//    writes it;
//  - compact: only each row's nonzero components (position, value), in one flat arena. The
//    bridge embedder's signed feature hashing (embed/bridge_embedder.h) sets at most one
//    component per feature, so a document of a few hundred features fills a few hundred of its
//    2,048 components: 6 bytes per nonzero instead of 4 * dim bytes per row. This is the form
//    `doppel translations` holds every document's vector in (a million documents at dim 2,048
//    would take 8 GB in full).
// Both give the same floats: copy() writes the row exactly as it was appended (zeros where
// nothing was kept), and dot() equals impl's dot_f32 of the full row bit for bit, so matching
// gives the same links whichever form holds the vectors.
//
// Thread safety: const methods may run from many threads at once; append() and append_rows()
// need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace doppel {

class DenseRows {
public:
    DenseRows() = default;
    // A view of full rows (not copied; `full` must outlive this).
    static DenseRows view(const float* full, std::size_t dim);
    // An empty compact set of rows of dim floats (dim at most 65,536; throws doppel::Error
    // kInvalidArgument above).
    static DenseRows compact(std::size_t dim);

    std::size_t dim() const { return dim_; }
    bool is_compact() const { return full_ == nullptr; }
    // Rows appended (compact form only; a view does not know its length).
    std::size_t size() const { return offsets_.size() - 1; }
    // Compact form: adds row[dim] as the next row, keeping its components whose bits are not 0.
    void append(const float* row);
    // Compact form: adds the rows of `other` (of the same dim) after these.
    void append_rows(const DenseRows& other);
    // The rows of `parts` (compact, of `dim`), in order, as one compact set. Its arrays are sized
    // once and each part is released as soon as it is copied, so the join holds the rows about
    // once over (appending part by part grew the arrays by doubling: up to twice the rows).
    static DenseRows join(std::vector<DenseRows> parts, std::size_t dim);

    // Row i into out[dim].
    void copy(std::size_t i, float* out) const;
    // dot_f32(q, row i, dim), bit for bit.
    float dot(const float* q, std::size_t i) const;
    // Bytes held (compact form; 0 for a view).
    std::size_t memory_bytes() const;

private:
    const float* full_ = nullptr;
    std::size_t dim_ = 0;
    std::vector<uint64_t> offsets_{0};  // row i: entries [offsets_[i], offsets_[i + 1])
    std::vector<uint16_t> positions_;   // ascending within a row
    std::vector<float> values_;
};

}  // namespace doppel
