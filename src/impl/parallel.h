// doppel (private): the threads doppel starts: a fork-join loop over [0, n) on a few threads, and
// one task run beside the caller (a pipeline of two stages).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <future>
#include <thread>
#include <vector>

namespace doppel::impl {

// Threads to use for n independent items: `threads` when given, else the hardware's, at most n.
inline std::size_t worker_count(std::size_t n, std::size_t threads = 0) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    return std::max<std::size_t>(1, std::min(n, threads));
}

// Calls f(i, w) for every i in [0, n), items taken in order by `workers` threads; w in
// [0, workers) names the calling thread, so f can use per-worker state (ICU objects are not
// thread-safe). The calling thread is worker 0. The first exception thrown by f is rethrown
// here after all threads stopped.
template <class F>
void parallel_for(std::size_t n, std::size_t workers, F&& f) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::atomic<bool> failed{false};
    auto work = [&](std::size_t w) {
        try {
            for (std::size_t i = next++; i < n && !failed; i = next++) f(i, w);
        } catch (...) {
            if (!failed.exchange(true)) error = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

// Calls f(begin, end, w) over [0, n) cut into ranges of `grain` items (the last may be shorter),
// ranges taken in order by up to `workers` threads, so items of very different cost still keep
// every thread busy while each call amortizes its setup over a few items. w as in parallel_for;
// exceptions are carried back the same way.
template <class F>
void parallel_for_ranges(std::size_t n, std::size_t workers, std::size_t grain, F&& f) {
    grain = std::max<std::size_t>(1, grain);
    const std::size_t ranges = (n + grain - 1) / grain;
    parallel_for(ranges, std::max<std::size_t>(1, std::min(workers, ranges)), [&](std::size_t r, std::size_t w) {
        f(r * grain, std::min(n, (r + 1) * grain), w);
    });
}

// Runs f() on a thread of its own while the caller goes on (the next batch read while this one
// is indexed); the future's get() gives f's result or rethrows what it threw. The caller must
// get() or drop the future before the state f uses goes away (a dropped future waits for f).
template <class F>
auto in_background(F&& f) {
    return std::async(std::launch::async, std::forward<F>(f));
}

}  // namespace doppel::impl
