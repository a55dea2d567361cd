// The HTML report of the seeds, rendered in a real browser (Debian's chromium, headless): the
// page's structure is checked through the DOM after rendering, including the computed direction
// of the Arabic column, and a screenshot is written to build/test-output/report-seeds.png.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "doppel/report/html_report.h"
#include "support/chromium.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using doppel::test::run_doppel;
using doppel::test::TempDir;

using doppel::test::chromium;
using doppel::test::run_chromium;

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
  for (let i = 0; i < 3; ++i)  // opened content may hold more
    document.querySelectorAll('details').forEach(d => { d.open = true; doppelOpen(d); });
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
    EXPECT_EQ(std::stoi(m[5]), 5) << "summary, duplicates, translations, alignments, documents";
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

namespace {

// A report of `n` documents in 8 languages: stories of 8 versions (translations of the English
// one), each document in up to 4 same-story pairs, and 200 pairs aligned (150 beads each).
doppel::ReportData corpus_sized(std::size_t n) {
    const char* langs[] = {"en", "de", "fr", "ar", "ja", "vi", "ru", "zh"};
    doppel::ReportData d;
    for (std::size_t i = 0; i < n; ++i)
        d.documents.push_back({std::string(langs[i % 8]) + "/page" + std::to_string(i / 8), langs[i % 8],
                               "Title of page " + std::to_string(i / 8), 40, {}, "", ""});
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t story = i / 8, lang = i % 8;
        auto add = [&](std::size_t j, const char* label, double score) {
            if (j >= n) return;
            doppel::ReportTranslation t;
            t.id_a = d.documents[i].id, t.id_b = d.documents[j].id;
            t.lang_a = d.documents[i].lang, t.lang_b = d.documents[j].lang;
            t.label = label, t.score = score, t.why = "similarity 0.400, margin 2.10";
            d.translations.push_back(std::move(t));
        };
        if (lang != 0) add(story * 8, "translation", 0.5 + 0.001 * static_cast<double>(story % 100));
        for (std::size_t k = 1; k <= 2; ++k) add(i + 8 * k + 1, "same-story", 0.1);
    }
    for (std::size_t p = 0; p < 200 && p < d.translations.size(); ++p) {
        auto& t = d.translations[p];
        for (int u = 0; u < 150; ++u) {
            t.units_a.push_back("A line of the first version, number " + std::to_string(u) + ", with some words.");
            t.units_b.push_back("Une ligne de la seconde version, numéro " + std::to_string(u) + ", avec des mots.");
            t.beads.push_back({{u}, {u}, 0.8});
        }
    }
    return d;
}

}  // namespace

// The report of a few thousand documents opens within seconds (issue 13, item 8): parsed, styled
// and laid out in headless chromium in under 5 s (performance.now() at the load event).
TEST(ReportInChromium, CorpusSizedReportRendersInSeconds) {
    if (chromium().empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
    TempDir dir("e2e-report-size");
    const doppel::ReportData data = corpus_sized(4000);
    const std::string html = dir / "report.html";
    doppel::test::write_file(html, doppel::render_html_report(data));
    const std::string dump = doppel::test::probe_page(html, doppel::test::kRenderTimingProbe, dir.path());
    const std::string dom = dump.substr(std::min(dump.size(), dump.rfind("render_ms=")));  // the probe's line
    std::smatch m;
    ASSERT_TRUE(std::regex_search(dom, m, std::regex("render_ms=(\\d+) height=(\\d+) external=(\\d+)")))
        << dom.substr(0, 2000);
    std::cout << "4000 documents, " << data.translations.size() << " pairs, "
              << std::filesystem::file_size(html) / 1024 << " KiB: rendered in " << m[1] << " ms\n";
    EXPECT_LT(std::stoi(m[1]), 5000);
    EXPECT_GT(std::stoi(m[2]), 2000) << "the page has its content";
    EXPECT_EQ(std::stoi(m[3]), 0) << "self-contained";
}
