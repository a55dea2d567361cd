#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "impl/parallel.h"

using namespace doppel;

TEST(ParallelForRanges, CoversEveryItemOnceInRanges) {
    for (std::size_t n : {0u, 1u, 5u, 16u, 17u, 1000u}) {
        std::vector<std::atomic<int>> seen(n);
        impl::parallel_for_ranges(n, 4, 16, [&](std::size_t b, std::size_t e, std::size_t w) {
            EXPECT_LT(b, e);
            EXPECT_LE(e - b, 16u);
            EXPECT_LT(w, 4u);
            for (std::size_t i = b; i < e; ++i) ++seen[i];
        });
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << n << " " << i;
    }
}

TEST(ParallelForRanges, CarriesAnExceptionBack) {
    EXPECT_THROW(impl::parallel_for_ranges(1000, 4, 8,
                                           [&](std::size_t b, std::size_t, std::size_t) {
                                               if (b == 512) throw std::runtime_error("worker failed");
                                           }),
                 std::runtime_error);
}
