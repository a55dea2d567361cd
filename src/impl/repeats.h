// doppel (private): the repeats among a batch's items, so that a pure function of an item (a
// document's language evidence, its bridge features) is computed once per distinct item. Feeds
// copy whole documents: the copyright corpus's 1,034 texts hold 492 distinct ones (6.4 of its
// 28.1 MB), and the per-worker memos of whole texts (impl::TextMemo) cannot tell two workers
// that reach a copy at once to compute it once.
//
// Thread safety: a plain function.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

namespace doppel::impl {

// For each item i: the first item j <= i equal to it. keys[i] is a hash of item i (equal items
// have equal keys; Key is ordered); equal(j, i) decides among items of the same key, so a
// collision costs a comparison, never a wrong answer. The items are grouped by key through a
// sort of their positions, not a hash table of vectors: a store's million documents cost two
// arrays of positions, not a million nodes.
template <class Key, class Equal>
std::vector<std::size_t> first_of_repeats(const std::vector<Key>& keys, Equal&& equal) {
    std::vector<std::size_t> first(keys.size()), order(keys.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    std::vector<std::size_t> firsts;  // the distinct items of one key found so far, in order
    for (std::size_t r = 0, end = 0; r < order.size(); r = end) {
        for (end = r + 1; end < order.size() && keys[order[end]] == keys[order[r]];) ++end;
        firsts.clear();
        for (std::size_t k = r; k < end; ++k) {  // in the order of the items (the sort is stable)
            const std::size_t i = order[k];
            first[i] = i;
            for (const std::size_t j : firsts)
                if (equal(j, i)) {
                    first[i] = j;
                    break;
                }
            if (first[i] == i) firsts.push_back(i);
        }
    }
    return first;
}

// The items that are their own first in first_of_repeats' result (the distinct ones, in order):
// the items to compute, before their repeats take the first's result.
inline std::vector<std::size_t> distinct_items(const std::vector<std::size_t>& first) {
    std::vector<std::size_t> distinct;
    for (std::size_t i = 0; i < first.size(); ++i)
        if (first[i] == i) distinct.push_back(i);
    return distinct;
}

// The others: the repeats, in order, each to take its first's result once that is computed.
inline std::vector<std::size_t> repeated_items(const std::vector<std::size_t>& first) {
    std::vector<std::size_t> repeated;
    for (std::size_t i = 0; i < first.size(); ++i)
        if (first[i] != i) repeated.push_back(i);
    return repeated;
}

}  // namespace doppel::impl
