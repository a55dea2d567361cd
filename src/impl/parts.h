// doppel (private): a batch's work cut into parts for the cores. A batch's documents are shared
// among the threads one document at a time, but one long document (the copyright corpus's 2 MB
// licence bundle, copied in five packages) then keeps one core busy while the others wait: its
// paragraphs are cut into runs that different threads take, and the largest parts go first so
// that the small ones fill in at the end (the longest-processing-time rule).
//
// Thread safety: plain functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace doppel::impl {

// Runs [first, last) of consecutive items [0, n), each of about max_bytes: a run ends before the
// item that would take it from its first item's begin to past max_bytes (an item longer than
// that is a run alone). span_of(i) gives item i's byte range (.begin, .end), in order.
template <class SpanOf>
std::vector<std::pair<std::size_t, std::size_t>> runs_of(std::size_t n, std::size_t max_bytes, SpanOf&& span_of) {
    std::vector<std::pair<std::size_t, std::size_t>> runs;
    for (std::size_t first = 0; first < n;) {
        std::size_t last = first + 1;
        while (last < n && span_of(last).end - span_of(first).begin < max_bytes) ++last;
        runs.emplace_back(first, last);
        first = last;
    }
    return runs;
}

// Parts (each with a `bytes` member, about its work) ordered largest first; equal ones keep their
// order.
template <class Part>
void largest_first(std::vector<Part>& parts) {
    std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.bytes > b.bytes; });
}

}  // namespace doppel::impl
