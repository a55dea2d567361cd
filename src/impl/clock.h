// doppel (private): the CPU time of the process, for phase timings that stay meaningful on a
// busy machine (wall time there says what other programs left over, CPU time the work done).
#pragma once

#include <ctime>

namespace doppel::impl {

// CPU seconds used by all threads of this process so far (user + system).
inline double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace doppel::impl
