// Numeric options (issue 11, item 9): nan, inf and a batch of 0 are refused when the command
// line is parsed (exit 2, the option named), by every command that takes them.
#include <gtest/gtest.h>

#include "support/test_support.h"

using doppel::test::run_doppel;

TEST(CliOptions, NanInfAndZeroBatchesAreRefusedAtParseTime) {
    const std::string s = " --store /nonexistent/store";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"dedup" + s + " --threshold nan", "--threshold"},
        {"dedup" + s + " --threshold inf", "--threshold"},
        {"dedup" + s + " --recall nan", "--recall"},
        {"dedup" + s + " --boilerplate-min-share -inf", "--boilerplate-min-share"},
        {"dedup" + s + " --batch 0", "--batch"},
        {"check" + s + " --threshold nan x.txt", "--threshold"},
        {"check" + s + " --recall NaN x.txt", "--recall"},
        {"report" + s + " --html x.html --threshold nan", "--threshold"},
        {"translations" + s + " --min-margin nan", "--min-margin"},
        {"translations" + s + " --min-similarity inf", "--min-similarity"},
        {"translations" + s + " --learn-dice nan", "--learn-dice"},
        {"index" + s + " --batch 0 x.txt", "--batch"},
        {"--vectors-weight nan index" + s + " x.txt", "--vectors-weight"},
    };
    for (const auto& [args, option] : cases) {
        auto r = run_doppel(args);
        EXPECT_EQ(r.exit_code, 2) << args;
        EXPECT_NE(r.err.find(option), std::string::npos) << args << ": " << r.err;
        EXPECT_TRUE(r.err.find("finite number") != std::string::npos ||
                    r.err.find("at least 1") != std::string::npos)
            << args << ": " << r.err;
    }
    // Ordinary values still parse (and the run fails later, on the missing store).
    auto ok = run_doppel("dedup" + s + " --threshold 0.5 --batch 10");
    EXPECT_EQ(ok.exit_code, 2);
    EXPECT_EQ(ok.err.find("finite number"), std::string::npos) << ok.err;
    EXPECT_NE(ok.err.find("/nonexistent/store"), std::string::npos) << ok.err;
}
