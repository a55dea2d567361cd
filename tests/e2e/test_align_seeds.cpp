// End to end: `doppel align` on the Arabic and English seeds (seeds/README.md) links every
// Arabic line to its English counterpart, leaves the advertisement marker unaligned, and labels
// the pair a translation. Also checks the output formats of INTERFACE.md.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include <filesystem>

#include "support/test_support.h"

namespace doppel {
namespace {

const std::string kArabic = "ar-2024-hanoi-working-group.txt";
const std::string kEnglish = "en-2024-hanoi-working-group.txt";

// The ground truth of seeds/README.md, as non-blank line numbers (0-based) of each file: the
// English counterpart of each Arabic line; Arabic line 17 is the advertisement marker.
const std::map<int, int> kCounterpart = {{0, 5},   {1, 6},   {2, 7},   {3, 8},   {4, 9},   {5, 10},  {6, 11},
                                         {7, 13},  {8, 14},  {9, 15},  {10, 16}, {11, 18}, {12, 19}, {13, 20},
                                         {14, 21}, {15, 22}, {16, 23}, {18, 24}, {19, 25}};
constexpr int kAdvertisement = 17;

struct ParsedBead {
    std::vector<int> a, b;
    double score;
};

std::vector<ParsedBead> parse_beads(const std::string& out) {
    std::vector<ParsedBead> beads;
    const std::regex line_re(R"(^\[([0-9, ]*)\]:\[([0-9, ]*)\]\t([0-9.]+)$)");
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        EXPECT_TRUE(std::regex_match(line, m, line_re)) << "bad bead line: " << line;
        if (m.empty()) continue;
        auto nums = [](const std::string& s) {
            std::vector<int> v;
            std::istringstream ss(s);
            std::string t;
            while (std::getline(ss, t, ','))
                if (t.find_first_of("0123456789") != std::string::npos) v.push_back(std::stoi(t));
            return v;
        };
        beads.push_back({nums(m[1]), nums(m[2]), std::stod(m[3])});
    }
    return beads;
}

// Arabic-English needs dictionary evidence: the bridge lexicon that scripts/setup.sh builds.
bool have_lexicon() { return std::filesystem::exists(test::source_dir() + "/models/bridge.lex"); }

TEST(AlignSeeds, ArabicEnglishLinesFindTheirCounterparts) {
    if (!have_lexicon()) GTEST_SKIP() << "models/bridge.lex missing: run scripts/setup.sh";
    const auto r = test::run_doppel("align '" + test::seed_path(kArabic) + "' '" + test::seed_path(kEnglish) +
                                    "' --units lines");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto beads = parse_beads(r.out);
    // Beads in document order, covering every line once.
    int next_a = 0, next_b = 0;
    std::map<int, const ParsedBead*> bead_of_a;
    for (const auto& b : beads) {
        for (int i : b.a) {
            EXPECT_EQ(i, next_a++);
            bead_of_a[i] = &b;
        }
        for (int j : b.b) EXPECT_EQ(j, next_b++);
        EXPECT_GE(b.score, 0.0);
        EXPECT_LE(b.score, 1.0);
    }
    EXPECT_EQ(next_a, 20);
    EXPECT_EQ(next_b, 43);
    for (const auto& [ar, en] : kCounterpart) {
        const ParsedBead* b = bead_of_a[ar];
        ASSERT_NE(b, nullptr);
        EXPECT_NE(std::find(b->b.begin(), b->b.end(), en), b->b.end())
            << "Arabic line " << ar << " is not linked to English line " << en;
        EXPECT_EQ(b->a.size(), 1u) << "Arabic line " << ar << " merged with another Arabic line";
    }
    ASSERT_NE(bead_of_a[kAdvertisement], nullptr);
    EXPECT_TRUE(bead_of_a[kAdvertisement]->b.empty()) << "the advertisement marker was aligned";
}

TEST(AlignSeeds, PairIsLabelledTranslation) {
    if (!have_lexicon()) GTEST_SKIP() << "models/bridge.lex missing: run scripts/setup.sh";
    const auto r = test::run_doppel("align '" + test::seed_path(kArabic) + "' '" + test::seed_path(kEnglish) +
                                    "' --units lines --format jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(r.out);
    std::string line, last;
    int beads = 0;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line);
        if (j["type"] == "bead") {
            ++beads;
            EXPECT_TRUE(j.contains("a_text"));
        }
        last = line;
    }
    const auto pair = nlohmann::json::parse(last);
    EXPECT_EQ(pair["type"], "pair");
    EXPECT_EQ(pair["label"], "translation");
    EXPECT_EQ(pair["a"]["lang"], "ar");
    EXPECT_EQ(pair["b"]["lang"], "en");
    EXPECT_GT(beads, 20);
}

TEST(AlignSeeds, SentencesAndParagraphsRun) {
    for (const char* units : {"sentences", "paragraphs"}) {
        const auto r = test::run_doppel("align '" + test::seed_path(kArabic) + "' '" + test::seed_path(kEnglish) +
                                        "' --units " + units);
        ASSERT_EQ(r.exit_code, 0) << units << ": " << r.err;
        EXPECT_FALSE(parse_beads(r.out).empty());
    }
    const auto bad = test::run_doppel("align '" + test::seed_path(kArabic) + "' /nonexistent/file.txt --units lines");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("/nonexistent/file.txt"), std::string::npos);
}

TEST(ScoreSeeds, BatchOfPairsFromFiles) {
    if (!have_lexicon()) GTEST_SKIP() << "models/bridge.lex missing: run scripts/setup.sh";
    test::TempDir dir("score-seeds");
    const std::string pairs = dir / "pairs.tsv";
    test::write_file(pairs, test::seed_path(kArabic) + "\t" + test::seed_path(kEnglish) + "\n" +
                                test::seed_path("vi-2024-nz-interview-ben-quinn.txt") + "\t" +
                                test::seed_path(kEnglish) + "\nnot a pair\n");
    const auto r = test::run_doppel("score '" + pairs + "' --units lines --format tsv");
    EXPECT_EQ(r.exit_code, 1) << r.err;  // the bad line is skipped and reported
    EXPECT_NE(r.err.find(pairs + ":3: "), std::string::npos) << r.err;
    std::istringstream in(r.out);
    std::string line;
    std::vector<std::vector<std::string>> rows;
    while (std::getline(in, line)) {
        std::vector<std::string> cols;
        std::istringstream ls(line);
        std::string c;
        while (std::getline(ls, c, '\t')) cols.push_back(c);
        rows.push_back(cols);
    }
    ASSERT_EQ(rows.size(), 2u);
    ASSERT_EQ(rows[0].size(), 6u);
    EXPECT_EQ(rows[0][3], "translation");
    EXPECT_NE(rows[1][3], "translation");  // same story, another article
    EXPECT_GT(std::stod(rows[0][2]), std::stod(rows[1][2]));
}

}  // namespace
}  // namespace doppel
