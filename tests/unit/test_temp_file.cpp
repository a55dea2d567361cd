#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "doppel/error.h"
#include "impl/temp_file.h"

using doppel::impl::TempFile;

// Pieces appended small (through the buffer) and large (straight to the file) come back at the
// offsets append() gave, once flushed; a read of bytes not yet flushed is refused.
TEST(TempFile, GivesBackEachPieceAtItsOffset) {
    TempFile f("a test's temporary file");
    EXPECT_TRUE(f.empty());
    std::vector<std::vector<uint64_t>> pieces;
    std::vector<uint64_t> offsets;
    for (std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{200000}, std::size_t{5},
                          std::size_t{140000}, std::size_t{1}}) {
        std::vector<uint64_t> piece(n);
        std::iota(piece.begin(), piece.end(), pieces.size() * 1000000);
        offsets.push_back(f.append(piece.data(), n * sizeof(uint64_t)));
        pieces.push_back(std::move(piece));
    }
    EXPECT_EQ(f.size(), offsets.back() + sizeof(uint64_t));
    std::vector<uint64_t> last(1);
    EXPECT_THROW(f.read(offsets.back(), last.data(), sizeof(uint64_t)), doppel::Error);
    f.flush();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        std::vector<uint64_t> back(pieces[i].size());
        f.read(offsets[i], back.data(), back.size() * sizeof(uint64_t));
        EXPECT_EQ(back, pieces[i]) << i;
    }
    // After more appends, the earlier bytes read the same from several threads at once.
    const std::string tail(3000000, 'x');
    f.append(tail.data(), tail.size());
    f.flush();
    std::vector<std::thread> readers;
    std::vector<bool> same(4, false);
    for (std::size_t t = 0; t < same.size(); ++t)
        readers.emplace_back([&, t] {
            std::vector<uint64_t> back(pieces[2].size());
            f.read(offsets[2], back.data(), back.size() * sizeof(uint64_t));
            same[t] = back == pieces[2];
        });
    for (auto& r : readers) r.join();
    EXPECT_EQ(same, std::vector<bool>(4, true));
}
