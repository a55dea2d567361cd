#include <gtest/gtest.h>

#include "doppel/report/html_report.h"

using doppel::ReportData;

namespace {
ReportData sample() {
    ReportData d;
    d.documents = {{"ar-doc", "ar", "عنوان", 3, {}, "", ""}, {"en-doc", "en", "Title", 4, {"vi"}, "", ""}};
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
    // Summary first, then duplicates, versions, alignments, documents.
    std::size_t last = 0;
    for (const char* id : {"id=\"summary\"", "id=\"duplicates\"", "id=\"translations\"", "id=\"alignments\"",
                           "id=\"documents\""}) {
        const std::size_t at = html.find(id);
        EXPECT_NE(at, std::string::npos) << id;
        EXPECT_GT(at, last) << id;
        last = at;
    }
    // No external resources: no src= or href= pointing outside the page, no <link>; scripts inline.
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("<script src"), std::string::npos);
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

namespace {
doppel::ReportTranslation pair(const std::string& a, const std::string& b, const std::string& label, double score) {
    doppel::ReportTranslation t;
    t.id_a = a, t.id_b = b, t.lang_a = a.substr(0, 2), t.lang_b = b.substr(0, 2), t.label = label, t.score = score;
    return t;
}
}  // namespace

// Versions joined transitively into groups, largest first; same-story pairs listed with the
// groups of both their documents; a document with same-story pairs only is a group of its own.
TEST(HtmlReport, GroupsVersionsAndRelatedDocuments) {
    ReportData d;
    d.translations = {pair("de/x", "en/x", "translation", 0.8), pair("en/x", "fr/x", "partial", 0.5),
                      pair("de/y", "en/y", "translation", 0.9), pair("en/x", "en/z", "same-story", 0.2),
                      pair("de/y", "fr/x", "same-story", 0.15)};
    d.translations[3].lang_b = "vi";  // en/z in another language
    const auto groups = doppel::group_translations(d);
    ASSERT_EQ(groups.size(), 3u);
    ASSERT_EQ(groups[0].members.size(), 3u);
    EXPECT_EQ(groups[0].members[0].first, "de/x");
    EXPECT_EQ(groups[0].members[2].first, "fr/x");
    EXPECT_EQ(groups[0].versions, (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(groups[0].related, (std::vector<std::size_t>{3, 4}));
    ASSERT_EQ(groups[1].members.size(), 2u);
    EXPECT_EQ(groups[1].versions, (std::vector<std::size_t>{2}));
    EXPECT_EQ(groups[1].related, (std::vector<std::size_t>{4}));
    ASSERT_EQ(groups[2].members.size(), 1u);
    EXPECT_EQ(groups[2].members[0], (std::pair<std::string, std::string>{"en/z", "vi"}));
    EXPECT_TRUE(groups[2].versions.empty());
    const std::string html = doppel::render_html_report(d);
    std::size_t n = 0;
    for (std::size_t pos = 0; (pos = html.find("<div class=\"group\">", pos)) != std::string::npos; ++pos) ++n;
    EXPECT_EQ(n, 3u);
    EXPECT_NE(html.find("id=\"n-groups\">2<"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"chunk\">"), std::string::npos);
}

// Alignments are closed until opened, and a group links to its pair's alignment.
TEST(HtmlReport, AlignmentsOnDemand) {
    const std::string html = doppel::render_html_report(sample());
    EXPECT_NE(html.find("<details class=\"lazy pair\" id=\"pair-ar-doc--en-doc\">"), std::string::npos);
    EXPECT_NE(html.find("<a href=\"#pair-ar-doc--en-doc\">aligned</a>"), std::string::npos);
    EXPECT_EQ(html.find("id=\"pair-ar-doc--en-doc\" open"), std::string::npos);
    // The table is inert text in the closed pair, built when opened.
    const std::size_t data = html.find("<script type=\"text/html\" class=\"lazy\"><p class=\"why\">");
    EXPECT_NE(data, std::string::npos);
    EXPECT_EQ(html.find("</script", data), html.find("</table></script></details>", data) + 8);
    EXPECT_NE(html.find("function doppelOpen(d)"), std::string::npos);
}

// Each list stops at the row limit with a note of what it left out and the command that lists
// it all; the summary still counts everything; a limit of 0 shows every row.
TEST(HtmlReport, ListsStopAtTheRowLimitAndSayWhatTheyLeftOut) {
    ReportData d;
    d.provenance = {{"store", "/data/feed"},
                    {"duplicates", "near-duplicate:threshold=0.5,recall=0.99;word:n=3"}};
    for (int i = 0; i < 5; ++i) {
        const std::string n = std::to_string(i);
        d.documents.push_back({"doc" + n, "en", "", 1, {}, "", ""});
        d.duplicates.push_back({"a" + n, "b" + n, 0.9, 0.9, "near"});
        d.clusters.push_back({"a" + n, {"b" + n, "c" + n}, {0.9, 0.85}});  // three rows each
        d.translations.push_back(pair("de/" + n, "en/" + n, "translation", 0.8));
    }
    const auto count = [](const std::string& html, const std::string& what) {
        std::size_t n = 0;
        for (std::size_t pos = 0; (pos = html.find(what, pos)) != std::string::npos; ++pos) ++n;
        return n;
    };
    const std::string cut = doppel::render_html_report(d, {4});
    EXPECT_EQ(count(cut, "<table class=\"cluster\">"), 1u);  // the first always, the second would pass 4 rows
    EXPECT_EQ(count(cut, "<div class=\"group\">"), 4u);
    EXPECT_NE(cut.find("4 more clusters not shown here (the first 1 of 5); all of them: <code>doppel dedup "
                       "--store /data/feed --threshold 0.5 --format jsonl</code>"),
              std::string::npos);
    EXPECT_NE(cut.find("1 more duplicate pairs not shown here (the first 4 of 5)"), std::string::npos);
    EXPECT_NE(
        cut.find("1 more groups not shown here (the first 4 of 5); all of them: <code>doppel translations "
                 "--store /data/feed --format jsonl</code>"),
        std::string::npos);
    EXPECT_NE(cut.find("1 more documents not shown here (the first 4 of 5); all of them: <code>doppel list"),
              std::string::npos);
    EXPECT_EQ(cut.find("<bdi>doc4</bdi>"), std::string::npos);
    EXPECT_NE(cut.find("id=\"n-duplicates\">5<"), std::string::npos);
    EXPECT_NE(cut.find("id=\"n-translations\">5 "), std::string::npos);

    const std::string all = doppel::render_html_report(d, {0});
    EXPECT_EQ(count(all, "<table class=\"cluster\">"), 5u);
    EXPECT_EQ(count(all, "<div class=\"group\">"), 5u);
    EXPECT_NE(all.find("<bdi>doc4</bdi>"), std::string::npos);
    EXPECT_EQ(all.find("not shown here"), std::string::npos);
}
