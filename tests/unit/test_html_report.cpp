#include <gtest/gtest.h>

#include "doppel/report/html_report.h"

using doppel::ReportData;

namespace {
ReportData sample() {
    ReportData d;
    d.documents = {{"ar-doc", "ar", "عنوان", 3, {}}, {"en-doc", "en", "Title", 4, {"vi"}}};
    d.duplicates = {{"a", "b", 0.91, 0.95, "near"}};
    d.clusters = {{"a", {"b"}, {0.91}}};
    doppel::ReportTranslation t;
    t.id_a = "ar-doc";
    t.id_b = "en-doc";
    t.lang_a = "ar";
    t.lang_b = "en";
    t.score = 0.87;
    t.label = "translation";
    t.why = "coverage 0.95/0.70";
    t.units_a = {"في هانوي <b>", "[إعلان رقم 2]", "٢٠٢٤"};
    t.units_b = {"In Hanoi", "2024", "Same tag"};
    t.beads = {{{0}, {0}, 0.9}, {{1}, {}, 0.0}, {{2}, {1}, 0.6}, {{}, {2}, 0.0}};
    d.translations = {t};
    return d;
}
}  // namespace

TEST(HtmlReport, SelfContainedWithSectionsAndEscaping) {
    const std::string html = doppel::render_html_report(sample());
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    for (const char* id : {"id=\"summary\"", "id=\"documents\"", "id=\"duplicates\"", "id=\"translations\""})
        EXPECT_NE(html.find(id), std::string::npos) << id;
    // No external resources: no src= or href= pointing outside the page, no <link>, no <script>.
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("src=\""), std::string::npos);
    EXPECT_EQ(html.find("href=\"http"), std::string::npos);
    // Unit text is escaped.
    EXPECT_NE(html.find("في هانوي &lt;b&gt;"), std::string::npos);
    EXPECT_EQ(html.find("هانوي <b>"), std::string::npos);
    // An inline SVG histogram.
    EXPECT_NE(html.find("<svg class=\"histogram\""), std::string::npos);
}

TEST(HtmlReport, ArabicCellsAreRightToLeftAndUnalignedUnitsMarked) {
    const std::string html = doppel::render_html_report(sample());
    // Every Arabic unit cell says dir="rtl"; English ones do not.
    std::size_t pos = 0, rtl = 0, a_cells = 0;
    while ((pos = html.find("data-side=\"a\"", pos)) != std::string::npos) {
        const auto end = html.find('>', pos);
        const std::string tag = html.substr(pos, end - pos);
        ++a_cells;
        rtl += tag.find("dir=\"rtl\"") != std::string::npos;
        pos = end;
    }
    EXPECT_EQ(a_cells, 4u);
    EXPECT_EQ(rtl, 4u);
    EXPECT_EQ(html.find("data-side=\"b\" dir=\"rtl\""), std::string::npos);
    // The advertisement marker bead and the English chrome are one-sided.
    std::size_t one_sided = 0;
    pos = 0;
    while ((pos = html.find("class=\"bead one-sided\"", pos)) != std::string::npos) ++one_sided, ++pos;
    EXPECT_EQ(one_sided, 2u);
    EXPECT_TRUE(doppel::is_rtl_language("ar"));
    EXPECT_TRUE(doppel::is_rtl_language("fa"));
    EXPECT_FALSE(doppel::is_rtl_language("vi"));
}

// Right-to-left overrides in ids and texts (issue 11, item 9) stay inside their element: every id
// is a <bdi>, every text a unicode-bidi: isolate span, so nothing after them is reordered.
TEST(HtmlReport, IdsAndTextsAreBidiIsolated) {
    const std::string rlo = "\u202E";  // RIGHT-TO-LEFT OVERRIDE, never closed
    ReportData d = sample();
    d.documents[1].id = rlo + "en-doc";
    d.documents[1].title = rlo + "Title";
    d.duplicates[0].id_a = rlo + "a";
    d.clusters[0].members[0] = rlo + "b";
    d.repeated_lines = {{rlo + "en-doc", rlo + "repeated", 2}};
    d.translations[0].id_b = rlo + "en-doc";
    d.translations[0].why = rlo + "why";
    d.translations[0].units_b[0] = rlo + "In Hanoi";
    const std::string html = doppel::render_html_report(d);
    std::size_t n = 0, isolated = 0;
    for (std::size_t pos = 0; (pos = html.find(rlo, pos)) != std::string::npos; pos += rlo.size()) {
        ++n;
        const bool in_bdi = html.compare(pos - 5, 5, "<bdi>") == 0;
        const bool in_span = pos >= 16 && html.compare(pos - 16, 16, "<span class=\"t\">") == 0;
        isolated += in_bdi || in_span;
        EXPECT_TRUE(in_bdi || in_span) << html.substr(pos - 30, 60);
    }
    EXPECT_GE(n, 10u);
    EXPECT_EQ(isolated, n);
    EXPECT_NE(html.find(".t,bdi{unicode-bidi:isolate}"), std::string::npos);
}
