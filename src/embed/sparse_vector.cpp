#include "doppel/embed/sparse_vector.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "doppel/error.h"
#include "impl/hash_buckets.h"
#include "impl/simd.h"

namespace doppel {

namespace {
struct Entry {
    uint64_t id;
    float weight;
};

// Sorts entries by id, stably: in buckets of the ids' top bits (impl/hash_buckets.h: a stable
// counting pass, then insertion within each bucket), or by insertion alone when they are few.
// Equal ids keep the order they came in, so each sum runs in that order: a vector's weights are
// summed in the order its features were written (text order), whatever the ids' values.
void sort_entries(std::vector<Entry>& entries, std::vector<Entry>& spare) {
    const auto by_id = [](const Entry& a, const Entry& b) { return a.id < b.id; };
    if (entries.size() < 16) {
        impl::insertion_sort(entries.data(), entries.data() + entries.size(), by_id);
        return;
    }
    thread_local std::vector<uint32_t> ends;
    const int shift = 64 - impl::bucket_bits(entries.size(), 4, 20);
    impl::scatter_to_buckets(entries, 64 - shift, [shift](const Entry& e) { return e.id >> shift; }, &spare, &ends);
    impl::sort_buckets(spare, ends, by_id);
    entries.swap(spare);
}
}  // namespace

namespace {
// The per-thread buffers of canonicalize() and SparseSum::take() (neither calls the other).
struct EntryBuffers {
    std::vector<Entry> entries, spare;
};
EntryBuffers& entry_buffers() {
    thread_local EntryBuffers buffers;
    return buffers;
}

// The entries of (ids, weights) from `from` on, in order.
void read_entries(const SparseVector& v, std::size_t from, std::vector<Entry>& out) {
    out.resize(v.ids.size() - from);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = Entry{v.ids[from + i], v.weights[from + i]};
}

// Writes entries sorted by id into v from `from` on, the weights of equal ids summed in the
// order they come (a left fold), and cuts v after them.
void fold_sorted(const std::vector<Entry>& entries, std::size_t from, SparseVector& v) {
    v.ids.resize(std::max(v.ids.size(), from + entries.size()));
    v.weights.resize(v.ids.size());
    std::size_t k = from;
    for (const Entry& e : entries) {
        if (k > from && v.ids[k - 1] == e.id) {
            v.weights[k - 1] += e.weight;
        } else {
            v.ids[k] = e.id;
            v.weights[k] = e.weight;
            ++k;
        }
    }
    v.ids.resize(k);
    v.weights.resize(k);
}
}  // namespace

// The entries are sorted as (id, weight) pairs in a per-thread buffer, without the index array
// the ids were once compared through.
void SparseVector::canonicalize(std::size_t from) {
    EntryBuffers& b = entry_buffers();
    read_entries(*this, from, b.entries);
    sort_entries(b.entries, b.spare);
    fold_sorted(b.entries, from, *this);
}

void SparseSum::add(const SparseVector& part) {
    for (std::size_t i = 0; i < part.ids.size(); ++i) {
        if (2 * (count_ + 1) > ids_.size()) grow();
        const std::size_t k = slot_of(part.ids[i]);
        if (used_[k]) {
            weights_[k] += part.weights[i];
            continue;
        }
        used_[k] = 1;
        ids_[k] = part.ids[i];
        weights_[k] = part.weights[i];
        ++count_;
    }
}

// The slots' entries sorted by id (each id once: the order of equal ids does not arise).
SparseVector SparseSum::take() {
    EntryBuffers& b = entry_buffers();
    b.entries.clear();
    for (std::size_t k = 0; k < ids_.size(); ++k)
        if (used_[k]) b.entries.push_back(Entry{ids_[k], weights_[k]});
    sort_entries(b.entries, b.spare);
    SparseVector v;
    fold_sorted(b.entries, 0, v);
    *this = SparseSum{};
    return v;
}

std::size_t SparseSum::slot_of(uint64_t id) const {
    const std::size_t mask = ids_.size() - 1;
    std::size_t k = (id * 0x9E3779B97F4A7C15ull) >> shift_;
    while (used_[k] && ids_[k] != id) k = (k + 1) & mask;
    return k;
}

// Twice the slots (at first 4096), every entry placed again.
void SparseSum::grow() {
    const std::size_t slots = ids_.empty() ? 4096 : 2 * ids_.size();
    std::vector<uint64_t> ids(slots);
    std::vector<float> weights(slots);
    std::vector<uint8_t> used(slots);
    ids.swap(ids_);
    weights.swap(weights_);
    used.swap(used_);
    shift_ = 64 - std::countr_zero(slots);
    for (std::size_t k = 0; k < ids.size(); ++k)
        if (used[k]) {
            const std::size_t j = slot_of(ids[k]);
            used_[j] = 1;
            ids_[j] = ids[k];
            weights_[j] = weights[k];
        }
}

float SparseVector::norm() const {
    double s = 0;
    for (float w : weights) s += double(w) * w;
    return static_cast<float>(std::sqrt(s));
}

void SparseVector::normalize() {
    float n = norm();
    if (n > 0)
        for (float& w : weights) w /= n;
}

namespace {
constexpr char kMagic[4] = {'D', 'P', 'S', 'V'};
constexpr uint32_t kVersion = 1;
}  // namespace

std::string SparseVector::serialize() const {
    std::string s(kMagic, 4);
    uint32_t v = kVersion, n = static_cast<uint32_t>(ids.size());
    s.append(reinterpret_cast<const char*>(&v), 4);
    s.append(reinterpret_cast<const char*>(&n), 4);
    s.append(reinterpret_cast<const char*>(ids.data()), 8 * n);
    s.append(reinterpret_cast<const char*>(weights.data()), 4 * n);
    return s;
}

SparseVector SparseVector::deserialize(std::string_view b) {
    if (b.size() < 12 || std::memcmp(b.data(), kMagic, 4) != 0) DOPPEL_THROW(kBadFormat, "not a sparse vector (bad magic)");
    uint32_t v, n;
    std::memcpy(&v, b.data() + 4, 4);
    std::memcpy(&n, b.data() + 8, 4);
    if (v != kVersion) DOPPEL_THROW(kVersion, "sparse vector format version " + std::to_string(v) + " unsupported");
    if (b.size() != 12 + 12ull * n) DOPPEL_THROW(kBadFormat, "sparse vector of wrong size");
    SparseVector s;
    s.ids.resize(n);
    s.weights.resize(n);
    if (n == 0) return s;  // empty vectors have no data() to copy to (memcpy of null is undefined)
    std::memcpy(s.ids.data(), b.data() + 12, 8ull * n);
    std::memcpy(s.weights.data(), b.data() + 12 + 8ull * n, 4ull * n);
    return s;
}

float dot(const SparseVector& a, const SparseVector& b) {
    // The products summed in id order, as a plain merge does (impl::sparse_dot).
    return static_cast<float>(impl::sparse_dot(a.ids.data(), a.weights.data(), a.ids.size(), b.ids.data(),
                                               b.weights.data(), b.ids.size()));
}

bool same_entries(const SparseVector& a, const SparseVector& b) {
    return a.ids == b.ids && a.weights.size() == b.weights.size() &&
           (a.weights.empty() ||
            std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0);
}

uint64_t entries_hash(const SparseVector& v) {
    const uint64_t weights = XXH3_64bits(v.weights.data(), v.weights.size() * sizeof(float));
    return XXH3_64bits_withSeed(v.ids.data(), v.ids.size() * sizeof(uint64_t), weights);
}

}  // namespace doppel
