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
//  - placed: compact rows of n documents set one at a time in any order (place()), the rows
//    not set reading as zeros: an incremental run (ops/translations.h) weighs only the documents
//    a step reads, as the matcher asks for them (Matcher::VectorsNeeded).
// All give the same floats: copy() writes the row exactly as it was appended (zeros where
// nothing was kept), and dot() equals impl's dot_f32 of the full row bit for bit, so matching
// gives the same links whichever form holds the vectors.
//
// Thread safety: const methods may run from many threads at once; append(), append_rows() and
// place() need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
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
    // n rows of dim floats, every one zero until place() sets it (dim as compact()).
    static DenseRows placed(std::size_t n, std::size_t dim);

    std::size_t dim() const { return dim_; }
    bool is_compact() const { return full_ == nullptr; }
    // Rows appended (compact form), or n (placed form); a view does not know its length.
    std::size_t size() const { return slots_.empty() ? offsets_.size() - 1 : slots_.size(); }
    // Placed form: row i becomes row[dim] (kept as append() keeps it). Throws doppel::Error
    // (kInvalidArgument) on another form, i out of range, or a row placed already.
    void place(std::size_t i, const float* row);
    // Placed form: whether row i was placed.
    bool placed_row(std::size_t i) const { return i < slots_.size() && slots_[i] != kNoSlot; }
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
    static constexpr uint32_t kNoSlot = static_cast<uint32_t>(-1);
    // row's components whose bits are not 0, as the next row of the arena.
    void append_entries(const float* row);
    // The entries [begin, end) of row i in positions_ / values_ (empty for a row not placed).
    std::pair<uint64_t, uint64_t> entries_of(std::size_t i) const {
        if (slots_.empty()) return {offsets_[i], offsets_[i + 1]};
        const uint32_t s = slots_[i];
        return s == kNoSlot ? std::pair<uint64_t, uint64_t>{0, 0} : std::pair{offsets_[s], offsets_[s + 1]};
    }
    const float* full_ = nullptr;
    std::size_t dim_ = 0;
    std::vector<uint64_t> offsets_{0};  // row i: entries [offsets_[i], offsets_[i + 1])
    std::vector<uint16_t> positions_;   // ascending within a row
    std::vector<float> values_;
    std::vector<uint32_t> slots_;  // placed form: row i is appended row slots_[i] (kNoSlot: zeros)
};

}  // namespace doppel
