// Golden test: every tests/golden/normalize/input/X.txt normalizes to expected/X.txt (the
// normalized text and a final newline, as `doppel normalize` prints it). To accept a deliberate
// change: build, then for each input run `build/doppel normalize input/X.txt > expected/X.txt`
// and review the diff.
#include <gtest/gtest.h>

#include <filesystem>

#include "doppel/normalize/normalizer.h"
#include "support/test_support.h"

namespace fs = std::filesystem;

TEST(GoldenNormalize, InputsMatchExpected) {
    const fs::path dir = fs::path(doppel::test::source_dir()) / "tests/golden/normalize";
    doppel::Normalizer normalizer;
    int cases = 0;
    for (const auto& entry : fs::directory_iterator(dir / "input")) {
        const std::string input = doppel::test::read_file(entry.path().string());
        const std::string expected = doppel::test::read_file((dir / "expected" / entry.path().filename()).string());
        EXPECT_EQ(normalizer.normalize_text(input) + "\n", expected) << entry.path().filename();
        ++cases;
    }
    EXPECT_GE(cases, 4);
}
