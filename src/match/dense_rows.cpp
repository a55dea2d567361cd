#include "doppel/match/dense_rows.h"

#include <algorithm>
#include <cstring>

#include "doppel/error.h"
#include "impl/simd.h"

namespace doppel {

DenseRows DenseRows::view(const float* full, std::size_t dim) {
    DOPPEL_CHECK(kInvalidArgument, full != nullptr || dim == 0, "dense rows: a view of no array");
    DenseRows r;
    r.full_ = full;
    r.dim_ = dim;
    return r;
}

DenseRows DenseRows::compact(std::size_t dim) {
    DOPPEL_CHECK(kInvalidArgument, dim <= 65536, "dense rows: compact rows of " + std::to_string(dim) +
                                                     " dimensions (at most 65,536)");
    DenseRows r;
    r.dim_ = dim;
    return r;
}

DenseRows DenseRows::placed(std::size_t n, std::size_t dim) {
    DOPPEL_CHECK(kInvalidArgument, n < kNoSlot, "dense rows: too many rows to place");
    DenseRows r = compact(dim);
    r.slots_.assign(n, kNoSlot);
    return r;
}

void DenseRows::place(std::size_t i, const float* row) {
    DOPPEL_CHECK(kInvalidArgument, i < slots_.size() && slots_[i] == kNoSlot,
                 "dense rows: place() of a row out of range, placed already, or not of placed rows");
    slots_[i] = static_cast<uint32_t>(offsets_.size() - 1);
    append_entries(row);
}

void DenseRows::append(const float* row) {
    DOPPEL_CHECK(kInvalidArgument, is_compact() && slots_.empty(), "dense rows: append to a view or to placed rows");
    append_entries(row);
}

void DenseRows::append_entries(const float* row) {
    for (std::size_t p = 0; p < dim_; ++p) {
        uint32_t bits;
        std::memcpy(&bits, row + p, 4);
        if (bits == 0) continue;  // +0 only: a -0 is kept, so copy() gives back the same bits
        positions_.push_back(static_cast<uint16_t>(p));
        values_.push_back(row[p]);
    }
    offsets_.push_back(positions_.size());
}

void DenseRows::append_rows(const DenseRows& other) {
    DOPPEL_CHECK(kInvalidArgument, is_compact() && other.is_compact() && other.dim_ == dim_ && slots_.empty() && other.slots_.empty(),
                 "dense rows: append_rows needs compact rows of the same dim");
    const uint64_t base = positions_.size();
    positions_.insert(positions_.end(), other.positions_.begin(), other.positions_.end());
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    for (std::size_t i = 1; i < other.offsets_.size(); ++i) offsets_.push_back(base + other.offsets_[i]);
}

DenseRows DenseRows::join(std::vector<DenseRows> parts, std::size_t dim) {
    DenseRows out = compact(dim);
    std::size_t rows = 0, entries = 0;
    for (const DenseRows& p : parts) {  // phase 1: the sizes, so the arrays are allocated once
        rows += p.is_compact() ? p.size() : 0;
        entries += p.values_.size();
    }
    out.offsets_.reserve(rows + 1);
    out.positions_.reserve(entries);
    out.values_.reserve(entries);
    for (DenseRows& p : parts) {  // phase 2: copy each part, then let it go
        out.append_rows(p);
        p = DenseRows();
    }
    return out;
}

void DenseRows::copy(std::size_t i, float* out) const {
    if (!is_compact()) {
        std::copy(full_ + i * dim_, full_ + (i + 1) * dim_, out);
        return;
    }
    std::fill(out, out + dim_, 0.0f);
    const auto [b, e] = entries_of(i);
    for (uint64_t j = b; j < e; ++j) out[positions_[j]] = values_[j];
}

float DenseRows::dot(const float* q, std::size_t i) const {
    if (!is_compact()) return impl::dot_f32(q, full_ + i * dim_, dim_);
    const auto [b, e] = entries_of(i);
    return impl::dot_f32_nonzeros(q, positions_.data() + b, values_.data() + b, e - b, dim_);
}

std::size_t DenseRows::memory_bytes() const {
    return offsets_.capacity() * sizeof(uint64_t) + positions_.capacity() * sizeof(uint16_t) +
           values_.capacity() * sizeof(float) + slots_.capacity() * sizeof(uint32_t);
}

}  // namespace doppel
