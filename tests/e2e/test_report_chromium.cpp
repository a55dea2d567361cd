// The HTML report of the seeds, rendered in a real browser (Debian's chromium, headless): the
// page's structure is checked through the DOM after rendering, including the computed direction
// of the Arabic column, and a screenshot is written to build/test-output/report-seeds.png.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "support/test_support.h"

namespace fs = std::filesystem;
using doppel::test::run_doppel;
using doppel::test::TempDir;

namespace {

std::string chromium() {
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
        if (fs::exists(p)) return p;
    return "";
}

// Runs headless chromium on a local file; returns what it printed on stdout.
std::string run_chromium(const std::string& args, const std::string& profile) {
    const std::string out = profile + ".out";
    const std::string cmd = "timeout 120 '" + chromium() +
                            "' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                            "--disable-background-networking --disable-component-update --disable-sync "
                            "--user-data-dir='" + profile + "' " + args + " >'" + out + "' 2>/dev/null";
    std::system(cmd.c_str());
    return doppel::test::read_file(out);
}

}  // namespace

TEST(ReportInChromium, SeedsReportRendersWithArabicRightToLeft) {
    if (chromium().empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
    TempDir dir("e2e-report");
    const std::string store = dir / "store";
    ASSERT_EQ(run_doppel("index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    const std::string html = dir / "report.html";
    auto r = run_doppel("report --store '" + store + "' --html '" + html + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // A copy of the report with a probe that records, after layout, what the browser computed.
    std::string page = doppel::test::read_file(html);
    const std::string probe = R"(<script>
window.addEventListener('load', () => {
  const cells = [...document.querySelectorAll('table.alignment td[data-side="a"]')].filter(c => c.textContent.trim());
  const rtl = cells.filter(c => getComputedStyle(c).direction === 'rtl');
  const right = rtl.filter(c => { const r = c.getBoundingClientRect(), s = document.createRange();
    s.selectNodeContents(c); const t = s.getBoundingClientRect(); return r.right - t.right <= t.left - r.left + 1; });
  const p = document.createElement('pre'); p.id = 'probe';
  p.textContent = 'cells=' + cells.length + ' rtl=' + rtl.length + ' right=' + right.length +
    ' tables=' + document.querySelectorAll('table.alignment').length +
    ' sections=' + document.querySelectorAll('section').length +
    ' external=' + [...document.querySelectorAll('[src],link[href]')].length;
  document.body.appendChild(p);
});
</script></body>)";
    page = std::regex_replace(page, std::regex("</body>"), probe);
    const std::string probed = dir / "probed.html";
    doppel::test::write_file(probed, page);
    const std::string dom = run_chromium("--dump-dom 'file://" + probed + "'", dir / "profile1");
    ASSERT_FALSE(dom.empty()) << "chromium printed no DOM";
    std::smatch m;
    ASSERT_TRUE(std::regex_search(dom, m, std::regex(
        "cells=(\\d+) rtl=(\\d+) right=(\\d+) tables=(\\d+) sections=(\\d+) external=(\\d+)"))) << dom.substr(0, 2000);
    const int cells = std::stoi(m[1]), rtl = std::stoi(m[2]), right = std::stoi(m[3]);
    EXPECT_GT(cells, 5) << "the Arabic column holds the Arabic lines";
    EXPECT_EQ(rtl, cells) << "every Arabic cell is laid out right to left";
    EXPECT_EQ(right, cells) << "Arabic text sits at the right edge of its cell";
    EXPECT_GE(std::stoi(m[4]), 1) << "a side-by-side alignment table";
    EXPECT_EQ(std::stoi(m[5]), 4) << "summary, documents, duplicates, translations";
    EXPECT_EQ(std::stoi(m[6]), 0) << "self-contained: no external resources";

    // The screenshot, kept as the test's output.
    const fs::path shots = fs::path(doppel::test::test_tmp_dir()).parent_path().parent_path() / "test-output";
    fs::create_directories(shots);
    const std::string png = (shots / "report-seeds.png").string();
    fs::remove(png);
    run_chromium("--screenshot='" + png + "' --window-size=1400,2400 'file://" + html + "'", dir / "profile2");
    ASSERT_TRUE(fs::exists(png));
    EXPECT_GT(fs::file_size(png), 20000u);
    const std::string bytes = doppel::test::read_file(png);
    EXPECT_EQ(bytes.substr(1, 3), "PNG");
    std::cout << "screenshot: " << png << '\n';
}
