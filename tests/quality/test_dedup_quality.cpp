// Near-duplicate recall and precision on a real corpus found on the machine (the texts of
// /usr/share/doc/*/copyright), against the exact join over the same shingle sets. The targets
// (recall >= 0.995 overall and >= 0.98 for Jaccard in [0.80, 0.85), precision 1.0) live in
// scripts/eval-dedup, which says BELOW TARGET and exits 1 with --check when one is missed.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "support/test_support.h"

TEST(DedupQuality, CopyrightCorpusMeetsTargets) {
    const std::string cmd = "python3 " + doppel::test::source_dir() +
                            "/scripts/eval-dedup --corpus small --check --doppel " + DOPPEL_CLI + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int rc = pclose(p);
    std::printf("%s", out.c_str());
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("precision 1.00000"), std::string::npos) << out;
}
