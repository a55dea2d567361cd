#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.h"

using namespace doppel::test;

namespace {
std::vector<nlohmann::json> jsonl(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(nlohmann::json::parse(line));
    return v;
}
}  // namespace

TEST(DedupE2E, SeedsAreNotNearDuplicatesAndRepeatedLinesAreReported) {
    TempDir dir("e2e_dedup_seeds");
    auto r = run_doppel("index --store " + dir / "store" + " " + doppel::test::seed_args());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_doppel("dedup --store " + dir / "store" + " --threshold 0.8");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");  // no two seeds are near-duplicates
    r = run_doppel("dedup --store " + dir / "store" + " --format jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    bool title = false;
    int related = 0;
    for (const auto& j : jsonl(r.out)) {
        EXPECT_NE(j["type"], "pair");
        if (j["type"] != "repeated_lines") continue;
        EXPECT_EQ(j["id"], "vi-2024-nz-interview-ben-quinn");
        for (const auto& l : j["lines"]) {
            const std::string text = l["text"];
            if (text.rfind("Việt Nam-New Zealand: Hợp tác vì tương lai chung", 0) == 0) {
                EXPECT_EQ(l["count"], 3);
                title = true;
            } else {
                ++related;
            }
        }
    }
    EXPECT_TRUE(title);
    EXPECT_GE(related, 10);  // the related headlines, each printed twice or more
}

TEST(DedupE2E, CheckDeleteExpireAndStorelessMode) {
    TempDir dir("e2e_dedup_check");
    const std::string en = read_file(seed_path("en-2024-hanoi-working-group.txt"));
    write_file(dir / "in/reprint.txt", "Reprinted from the Hanoi news service.\n" + en);
    write_file(dir / "in/en.txt", en);
    write_file(dir / "new/fresh.txt", read_file(seed_path("vi-2019-gcm-central-region.txt")));
    write_file(dir / "new/copy.txt", en);
    auto r = run_doppel("index --store " + dir / "store" + " --time 1000 " + dir / "in");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_doppel("dedup --store " + dir / "store");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out.substr(0, r.out.rfind('\t')), "en\treprint");
    const double sim = std::stod(r.out.substr(r.out.rfind('\t') + 1));
    EXPECT_GT(sim, 0.98);
    EXPECT_LT(sim, 1.0);
    r = run_doppel("check --store " + dir / "store" + " " + dir / "new");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "copy\texact\ten\t1.000000\nfresh\tnew\t\t\n");
    r = run_doppel("delete --store " + dir / "store" + " en");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_doppel("check --store " + dir / "store" + " " + dir / "new/copy.txt");
    EXPECT_EQ(r.out.substr(0, r.out.rfind('\t')), "copy\tnear\treprint");
    r = run_doppel("expire --store " + dir / "store" + " --older-than 10 --time 2000");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_doppel("check --store " + dir / "store" + " " + dir / "new/copy.txt");
    EXPECT_EQ(r.out, "copy\tnew\t\t\n");
    // Storeless batch mode reads the files directly.
    r = run_doppel("dedup " + dir / "in" + " " + dir / "new");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("copy\ten\t1.000000\n"), std::string::npos) << r.out;
    // JSONL on standard input (read once: kept in memory between the two passes).
    write_file(dir / "feed.jsonl",
               nlohmann::json{{"id", "x1"}, {"text", en}, {"url", "https://a.example/1"}}.dump() + "\n" +
                   nlohmann::json{{"id", "x2"}, {"text", en}, {"url", "https://b.example/2"}}.dump() + "\n");
    r = run_doppel("dedup -", dir / "feed.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "x1\tx2\t1.000000\n");
    // Misuse: exit code 2.
    EXPECT_EQ(run_doppel("dedup").exit_code, 2);
    EXPECT_EQ(run_doppel("dedup --store " + dir / "store" + " --format xml").exit_code, 2);
}

// `index --dedup-thresholds` alone (no paths) adds band runs for a lower threshold to a store;
// without paths or thresholds index is a usage error.
TEST(DedupE2E, DedupThresholdsAloneAddBandRunsForThem) {
    TempDir dir("e2e_dedup_thresholds");
    const std::string en = read_file(seed_path("en-2024-hanoi-working-group.txt"));
    write_file(dir / "in/en.txt", en);
    write_file(dir / "in/half.txt", en.substr(0, en.size() * 6 / 10));  // a partial copy, Jaccard ~0.6
    auto r = run_doppel("index --store " + dir / "store" + " --for duplicates " + dir / "in");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto before = run_doppel("dedup --store " + dir / "store" + " --threshold 0.5 --format jsonl");
    ASSERT_EQ(before.exit_code, 0) << before.err;
    r = run_doppel("index --store " + dir / "store" + " --dedup-thresholds 0.5,0.6");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto after = run_doppel("dedup --store " + dir / "store" + " --threshold 0.5 --format jsonl");
    ASSERT_EQ(after.exit_code, 0) << after.err;
    EXPECT_EQ(after.out, before.out);  // the same pairs, now from band runs on disk
    EXPECT_NE(after.out.find("\"id_b\":\"half\""), std::string::npos) << after.out;
    auto verified = run_doppel("verify --store " + dir / "store");
    EXPECT_NE(verified.out.find("band runs     ok (16x6, "), std::string::npos) << verified.out;
    // --drop-dedup-thresholds alone drops them again: the pairs are the same, found in memory.
    r = run_doppel("index --store " + dir / "store" + " --drop-dedup-thresholds 0.5,0.6,0.9");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: dedup threshold 0.9 is served by the default LSH bands"), std::string::npos) << r.err;
    verified = run_doppel("verify --store " + dir / "store");
    EXPECT_NE(verified.out.find("band runs     ok (16x6 read whole)"), std::string::npos) << verified.out;
    EXPECT_EQ(run_doppel("dedup --store " + dir / "store" + " --threshold 0.5 --format jsonl").out, before.out);
    EXPECT_EQ(run_doppel("index --store " + dir / "store").exit_code, 2);
    EXPECT_EQ(run_doppel("index --store " + dir / "store" + " --dedup-thresholds 1.5").exit_code, 2);
    EXPECT_EQ(run_doppel("index --store " + dir / "store" + " --dedup-thresholds 0.5 --drop-dedup-thresholds 0.5")
                  .exit_code,
              2);  // both kept and dropped: refused
}

TEST(DedupE2E, TheSummarySpecReproducesTheRun) {
    const std::string first = "dedup --format jsonl --threshold 0.3 --no-boilerplate --shingles word:n=2 " + doppel::test::seed_args();
    auto r = run_doppel(first);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = jsonl(r.out);
    ASSERT_FALSE(lines.empty());
    const std::string spec = lines.back()["spec"];
    EXPECT_NE(spec.find("threshold=0.3"), std::string::npos);
    EXPECT_NE(spec.find("boilerplate=0"), std::string::npos);
    EXPECT_NE(spec.find("word:n=2"), std::string::npos);
    auto again = run_doppel("dedup --format jsonl --spec '" + spec + "' " + doppel::test::seed_args());
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out, r.out);
}

// dedup --store --new: the first run reports every pair, the next only those of the documents
// indexed since; a plain dedup --store still reports them all; --new needs a store.
TEST(DedupE2E, NewReportsOnlyTheDocumentsIndexedSince) {
    TempDir dir("e2e_dedup_new");
    const std::string en = read_file(seed_path("en-2024-hanoi-working-group.txt"));
    write_file(dir / "day1/reprint.txt", "Reprinted from the Hanoi news service.\n" + en);
    write_file(dir / "day1/en.txt", en);
    write_file(dir / "day2/copy.txt", en);
    write_file(dir / "day2/fresh.txt", read_file(seed_path("vi-2019-gcm-central-region.txt")));
    const std::string store = " --store " + dir / "store";
    ASSERT_EQ(run_doppel("index" + store + " " + dir / "day1").exit_code, 0);
    auto r = run_doppel("dedup --new" + store);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, r.out.find('\t', 3)), "en\treprint");
    EXPECT_NE(r.err.find("2 new after seq 0 (a full run"), std::string::npos) << r.err;
    ASSERT_EQ(run_doppel("index" + store + " " + dir / "day2").exit_code, 0);
    r = run_doppel("dedup --new" + store);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    std::vector<std::string> pairs;
    for (std::string line; std::getline(lines, line);) pairs.push_back(line.substr(0, line.rfind('\t')));
    std::sort(pairs.begin(), pairs.end());
    EXPECT_EQ(pairs, (std::vector<std::string>{"copy\ten", "copy\treprint"}));
    EXPECT_NE(r.err.find("2 new after seq"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("full run"), std::string::npos) << r.err;
    r = run_doppel("dedup --new" + store);  // nothing new
    EXPECT_EQ(r.out, "");
    r = run_doppel("dedup" + store);
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3);
    EXPECT_EQ(run_doppel("dedup --new " + dir / "day1").exit_code, 2);
}
