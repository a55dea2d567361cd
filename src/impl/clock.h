// doppel (private): the clocks of stage and phase timings. Wall time (a steady clock) and the
// CPU time of the process, which stays meaningful on a busy machine (wall time there says what
// other programs left over, CPU time the work done).
#pragma once

#include <chrono>
#include <ctime>

namespace doppel::impl {

using Clock = std::chrono::steady_clock;

// Seconds from a to b.
inline double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// CPU seconds used by all threads of this process so far (user + system).
inline double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// CPU seconds used by the calling thread so far (user + system).
inline double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace doppel::impl
