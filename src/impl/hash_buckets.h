// doppel (private): sorting uniformly random 64-bit hashes (shingles, line hashes, line keys,
// LSH band keys) in buckets of their top bits: a stable counting pass puts each value in its
// bucket (one or a few values a bucket), then each bucket is sorted on its own. On arrays of a few
// hundred to a few million hashes this beats std::sort 3-4x. And the same counting pass for values
// whose key is already a small dense number (group_by_key). Pure functions of their arguments:
// call them from any thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace doppel::impl {

// Bits of a bucket number for n values, about per_bucket values a bucket, at most max_bits.
inline int bucket_bits(std::size_t n, std::size_t per_bucket, int max_bits) {
    int bits = 1;
    while ((std::size_t{1} << bits) < n / per_bucket && bits < max_bits) ++bits;
    return bits;
}

// Copies `in` into *out bucket by bucket (bucket(x) < 2^bits), keeping the order of `in` inside
// each bucket; *ends[k] is then where bucket k ends (it begins where bucket k - 1 ends, or at 0).
template <class T, class Bucket>
void scatter_to_buckets(const std::vector<T>& in, int bits, Bucket bucket, std::vector<T>* out,
                        std::vector<uint32_t>* ends) {
    std::vector<uint32_t>& at = *ends;
    at.assign((std::size_t{1} << bits) + 1, 0);
    for (const T& x : in) ++at[bucket(x) + 1];
    for (std::size_t k = 1; k < at.size(); ++k) at[k] += at[k - 1];
    out->resize(in.size());
    for (const T& x : in) (*out)[at[bucket(x)]++] = x;  // at[k] moves to the end of bucket k
}

// Values grouped by a dense key in [0, keys), stably (a counting pass, then a placing pass):
// for_each(emit) calls emit(key, value) for every value, in the same order both times it is
// called. Returns the values key after key; *starts gets keys + 1 offsets into them (key k's
// values are [starts[k], starts[k + 1])). Flat arrays for millions of small groups, where a
// vector a key would cost an allocation each.
template <class T, class ForEach>
std::vector<T> group_by_key(std::size_t keys, ForEach for_each, std::vector<uint32_t>* starts) {
    std::vector<uint32_t>& s = *starts;
    s.assign(keys + 1, 0);
    for_each([&](std::size_t k, const T&) { ++s[k + 1]; });
    for (std::size_t k = 0; k < keys; ++k) s[k + 1] += s[k];
    std::vector<T> out(s[keys]);
    std::vector<uint32_t> at(s.begin(), s.end() - 1);  // each key's next place
    for_each([&](std::size_t k, const T& v) { out[at[k]++] = v; });
    return out;
}

// Sorts [b, e) by insertion, stably: fast for the few values of a bucket. A range of fewer than
// two values is left as it is (an empty vector's data() may be null: nothing is stepped from it).
template <class T, class Less>
void insertion_sort(T* b, T* e, Less less) {
    if (e - b < 2) return;
    for (T* i = b + 1; i < e; ++i) {
        const T x = *i;
        T* j = i;
        for (; j > b && less(x, *(j - 1)); --j) *j = *(j - 1);
        *j = x;
    }
}

// Sorts each bucket of v (ends from scatter_to_buckets) by insertion, stably.
template <class T, class Less>
void sort_buckets(std::vector<T>& v, const std::vector<uint32_t>& ends, Less less) {
    for (std::size_t k = 0; k + 1 < ends.size(); ++k)
        insertion_sort(v.data() + (k ? ends[k - 1] : 0), v.data() + ends[k], less);
}

// sort_buckets(v, ends, less) where the buckets are ranges of the order (every value of a bucket
// is less than every value of a later one: buckets of top bits, compared by the whole value). A
// value then never moves below its bucket's start, so past the first bucket that holds a value the
// insertion needs no bound (one comparison a step instead of two). Same result, stable too.
template <class T, class Less>
void sort_ordered_buckets(std::vector<T>& v, const std::vector<uint32_t>& ends, Less less) {
    std::size_t k = 0;
    while (k + 1 < ends.size() && ends[k] == 0) ++k;
    if (k + 1 >= ends.size()) return;
    T* const first = v.data();
    T* const guarded_end = first + ends[k];  // the first bucket with a value: bounded
    T* const end = v.data() + v.size();
    for (T* i = first + 1; i < end; ++i) {
        const T x = *i;
        T* j = i;
        if (i < guarded_end) {
            while (j > first && less(x, *(j - 1))) {
                *j = *(j - 1);
                --j;
            }
        } else {
            while (less(x, *(j - 1))) {
                *j = *(j - 1);
                --j;
            }
        }
        *j = x;
    }
}

// Sorts each bucket of v (ends from scatter_to_buckets; buckets ranges of the order): by insertion
// when small, by std::sort when copies of one hash make it large (insertion would then be
// quadratic).
template <class T, class Less>
void sort_scattered(std::vector<T>& v, const std::vector<uint32_t>& ends, Less less) {
    constexpr std::ptrdiff_t kLargeBucket = 32;
    std::size_t begin = 0;
    for (const uint32_t end : ends) {
        T* b = v.data() + begin;
        T* e = v.data() + end;
        begin = end;
        if (e - b > kLargeBucket) std::sort(b, e, less);
        else insertion_sort(b, e, less);
    }
}

// Buffers of sort_by_buckets, kept by the caller between calls (they keep their memory).
template <class T>
struct BucketScratch {
    std::vector<T> in, out;
    std::vector<uint32_t> ends;
};

// Sorts [first, last) as std::sort(first, last, less) would when no two values are equivalent,
// where the order's leading part is a uniformly random hash: scattered stably by `bits` bits of it
// (bucket(x) < 2^bits, each bucket a range of the order), then each bucket on its own, by
// insertion when small, by std::sort when copies of one hash make it large (insertion would then
// be quadratic).
template <class T, class Bucket, class Less>
void sort_by_buckets(T* first, T* last, int bits, Bucket bucket, Less less, BucketScratch<T>* scratch) {
    scratch->in.assign(first, last);
    scatter_to_buckets(scratch->in, bits, bucket, &scratch->out, &scratch->ends);
    sort_scattered(scratch->out, scratch->ends, less);
    std::copy(scratch->out.begin(), scratch->out.end(), first);
}

// Sorts `v` as std::sort(v, less) would when no two values are equivalent, with the same buckets
// as sort_by_buckets, the values moved out of `v` and back (twice the array at most: the caller's
// vector is the scatter's input, freed before the buckets are sorted).
template <class T, class Bucket, class Less>
void sort_by_buckets(std::vector<T>& v, int bits, Bucket bucket, Less less) {
    std::vector<T> out;
    std::vector<uint32_t> ends;
    scatter_to_buckets(v, bits, bucket, &out, &ends);
    std::vector<T>().swap(v);
    sort_scattered(out, ends, less);
    v = std::move(out);
}

}  // namespace doppel::impl
