// The report of xling-dev (2,528 documents in 28 languages, ../shared/data/xling-dev), rendered in
// headless chromium (issue 13, items 7 and 8): it opens in under 5 s (parsed, styled and laid
// out: performance.now() at the load event), and no document is in more than 5 same-story pairs
// (MatcherOptions::same_story_per_doc, the default). Slow: indexing and matching take minutes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "support/chromium.h"
#include "support/test_support.h"

using doppel::test::run_doppel;
using doppel::test::TempDir;

TEST(ReportXling, OpensInSecondsWithFewSameStoryPairsPerDocument) {
    if (doppel::test::chromium().empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
    const std::string archive = doppel::test::shared_dir() + "/data/xling-dev/docs.tar.zst";
    if (!std::filesystem::exists(archive)) GTEST_SKIP() << archive << " is missing";
    TempDir dir("slow-report-xling");
    ASSERT_EQ(std::system(("tar --zstd -xf '" + archive + "' -C '" + dir.path() + "'").c_str()), 0);
    const std::string store = dir / "store";
    ASSERT_EQ(run_doppel("-q index --store '" + store + "' '" + (dir / "docs") + "'").exit_code, 0);
    const std::string html = dir / "report.html";
    const auto r = run_doppel("-q report --store '" + store + "' --html '" + html + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // Same-story pairs, as the groups list them (a pair between two groups is listed in both).
    const std::string page = doppel::test::read_file(html);
    const std::string label = "<td class=\"label-same-story\">";
    const std::regex cells_re("<tr><td><bdi>([^<]*)</bdi> \\([^)]*\\)</td><td><bdi>([^<]*)</bdi> \\([^)]*\\)</td>");
    std::set<std::pair<std::string, std::string>> pairs;
    for (std::size_t at = page.find(label); at != std::string::npos; at = page.find(label, at + 1)) {
        const std::size_t row = page.rfind("<tr><td><bdi>", at);
        ASSERT_NE(row, std::string::npos);
        std::smatch m;
        const std::string cells = page.substr(row, at - row);
        ASSERT_TRUE(std::regex_match(cells, m, cells_re)) << cells;
        pairs.insert({m[1], m[2]});
    }
    std::map<std::string, std::size_t> per_doc;
    for (const auto& [a, b] : pairs) ++per_doc[a], ++per_doc[b];
    std::size_t most = 0;
    for (const auto& [doc, n] : per_doc) most = std::max(most, n);
    std::cout << pairs.size() << " same-story pairs, at most " << most << " per document\n";
    EXPECT_GT(pairs.size(), 100u) << "xling-dev has same-story pairs";
    EXPECT_LE(most, 5u);

    const std::string dump = doppel::test::probe_page(html, doppel::test::kRenderTimingProbe, dir.path());
    const std::string dom = dump.substr(std::min(dump.size(), dump.rfind("render_ms=")));  // the probe's line
    std::smatch m;
    ASSERT_TRUE(std::regex_search(dom, m, std::regex("render_ms=(\\d+) height=(\\d+) external=(\\d+)")))
        << dom.substr(0, 2000);
    std::cout << "xling-dev report, " << std::filesystem::file_size(html) / 1024 << " KiB: rendered in " << m[1]
              << " ms\n";
    EXPECT_LT(std::stoi(m[1]), 5000);
    EXPECT_EQ(std::stoi(m[3]), 0) << "self-contained";
}
