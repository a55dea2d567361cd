#include "doppel/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace doppel {
namespace {

std::string esc(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 16);
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

// An id in running text: <bdi> keeps right-to-left marks or overrides inside it from reordering
// what follows (an id is given by the input, so it may hold any character).
std::string id_html(const std::string& id) { return "<bdi>" + esc(id) + "</bdi>"; }

// A text of the input (title, line, unit) in an isolate that keeps the cell's direction: its
// bidirectional controls end with it (.t has unicode-bidi: isolate).
std::string text_html(const std::string& text) { return "<span class=\"t\">" + esc(text) + "</span>"; }

std::string fmt(double v, int digits = 3) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// Background colour of a bead: red (0) through yellow (0.5) to green (1), light.
std::string score_colour(double s) {
    s = std::clamp(s, 0.0, 1.0);
    const int hue = static_cast<int>(std::lround(s * 120.0));
    return "hsl(" + std::to_string(hue) + ",70%,88%)";
}

std::string dir_attr(const std::string& lang) {
    return is_rtl_language(lang) ? " dir=\"rtl\" class=\"rtl\"" : " dir=\"auto\"";
}

std::string anchor(const std::string& a, const std::string& b) {
    std::string s = "pair-" + a + "--" + b;
    for (auto& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return s;
}

const char* kStyle = R"css(
body{font-family:system-ui,"Noto Sans","Noto Sans Arabic","DejaVu Sans",sans-serif;margin:2em;color:#222;max-width:1400px}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.3em .6em;vertical-align:top;text-align:start;unicode-bidi:isolate}
.t,bdi{unicode-bidi:isolate}
th{background:#f4f4f4}
.num{text-align:right;font-variant-numeric:tabular-nums}
.label-translation{color:#0a6b0a;font-weight:bold}.label-partial{color:#8a6d00;font-weight:bold}
.label-same-story{color:#555}
table.alignment{width:100%;table-layout:fixed}
table.alignment td.unit{width:45%}
table.alignment td.score{width:10%;text-align:center;font-variant-numeric:tabular-nums}
td.unaligned{background:repeating-linear-gradient(45deg,#fff,#fff 6px,#f1f1f1 6px,#f1f1f1 12px);color:#777}
td.rtl{text-align:right;font-family:"Noto Naskh Arabic","Noto Sans Arabic","DejaVu Sans",sans-serif}
.unitno{color:#999;font-size:.8em;margin:0 .3em}
.why{color:#555;font-size:.9em}
.legend span{display:inline-block;padding:.1em .6em;margin-right:.3em}
code{background:#f4f4f4;padding:0 .2em;word-break:break-all}
table.summary{max-width:100%}table.summary td{max-width:900px}
details{margin:.5em 0}summary{cursor:pointer;color:#333}
)css";

void histogram_svg(std::string& h, const std::vector<double>& scores, const std::string& caption) {
    const int bins = 20;
    std::vector<int> count(bins, 0);
    for (double s : scores) count[std::clamp(static_cast<int>(s * bins), 0, bins - 1)]++;
    const int max_count = std::max(1, *std::max_element(count.begin(), count.end()));
    const int w = 420, hgt = 160, left = 30, bottom = 20;
    const double bw = static_cast<double>(w - left) / bins;
    h += "<figure><svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) +
         "\" height=\"" + std::to_string(hgt + bottom) + "\" role=\"img\" aria-label=\"" + esc(caption) + "\">";
    h += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(hgt) + "\" x2=\"" + std::to_string(w) +
         "\" y2=\"" + std::to_string(hgt) + "\" stroke=\"#888\"/>";
    for (int i = 0; i < bins; ++i) {
        const double bh = (hgt - 10) * static_cast<double>(count[i]) / max_count;
        h += "<rect x=\"" + fmt(left + i * bw + 1, 1) + "\" y=\"" + fmt(hgt - bh, 1) + "\" width=\"" +
             fmt(bw - 2, 1) + "\" height=\"" + fmt(bh, 1) + "\" fill=\"" + score_colour((i + 0.5) / bins) +
             "\" stroke=\"#999\"><title>" + fmt(static_cast<double>(i) / bins, 2) + "-" +
             fmt(static_cast<double>(i + 1) / bins, 2) + ": " + std::to_string(count[i]) + "</title></rect>";
    }
    for (int t = 0; t <= 4; ++t) {
        const double x = left + t * (w - left) / 4.0;
        h += "<text x=\"" + fmt(x, 1) + "\" y=\"" + std::to_string(hgt + 15) +
             "\" font-size=\"10\" text-anchor=\"middle\">" + fmt(t / 4.0, 2) + "</text>";
    }
    h += "<text x=\"2\" y=\"12\" font-size=\"10\">" + std::to_string(max_count) + "</text></svg>";
    h += "<figcaption>" + esc(caption) + " (" + std::to_string(scores.size()) + ")</figcaption></figure>\n";
}

void unit_cell(std::string& h, const std::vector<int>& ids, const std::vector<std::string>& units,
               const std::string& lang, double score, const char* side, bool one_sided) {
    if (ids.empty()) {
        h += "<td class=\"unit unaligned\" data-side=\"" + std::string(side) + "\"" + dir_attr(lang) + "></td>";
        return;
    }
    // A unit with no counterpart is hatched, not coloured.
    h += "<td class=\"unit" + std::string(is_rtl_language(lang) ? " rtl" : "") + (one_sided ? " unaligned" : "") +
         "\" data-side=\"" + side + "\" dir=\"" + (is_rtl_language(lang) ? "rtl" : "auto") + "\" lang=\"" +
         esc(lang) + "\"" + (one_sided ? std::string() : " style=\"background:" + score_colour(score) + "\"") + ">";
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const int i = ids[k];
        if (k) h += " ";
        h += "<span class=\"unitno\">" + std::to_string(i) + "</span>";
        if (i >= 0 && static_cast<std::size_t>(i) < units.size()) h += text_html(units[static_cast<std::size_t>(i)]);
    }
    h += "</td>";
}

void summary_section(std::string& h, const ReportData& d) {
    std::size_t n_translation = 0;
    for (const auto& t : d.translations) n_translation += t.label == "translation";
    h += "<section id=\"summary\"><h2>Summary</h2><table class=\"summary\">";
    h += "<tr><th>documents</th><td class=\"num\" id=\"n-documents\">" + std::to_string(d.documents.size()) + "</td></tr>";
    h += "<tr><th>duplicate pairs</th><td class=\"num\" id=\"n-duplicates\">" + std::to_string(d.duplicates.size()) + "</td></tr>";
    h += "<tr><th>duplicate clusters</th><td class=\"num\" id=\"n-clusters\">" + std::to_string(d.clusters.size()) + "</td></tr>";
    h += "<tr><th>cross-language pairs</th><td class=\"num\" id=\"n-translations\">" + std::to_string(d.translations.size()) +
         " (" + std::to_string(n_translation) + " translations)</td></tr>";
    for (const auto& [k, v] : d.provenance) h += "<tr><th>" + esc(k) + "</th><td><code>" + esc(v) + "</code></td></tr>";
    h += "</table>";
    for (const auto& n : d.notes) h += "<p>" + esc(n) + "</p>";
    std::vector<double> tscores, dscores;
    for (const auto& t : d.translations) tscores.push_back(t.score);
    for (const auto& p : d.duplicates) dscores.push_back(p.similarity);
    histogram_svg(h, tscores, "cross-language pair scores");
    if (!dscores.empty()) histogram_svg(h, dscores, "duplicate similarities");
    h += "</section>\n";
}

void documents_section(std::string& h, const ReportData& d) {
    h += "<section id=\"documents\"><h2>Documents</h2><table class=\"documents\"><tr><th>id</th><th>language</th>"
         "<th>paragraphs</th><th>other languages</th><th>title</th><th>date</th><th>url</th></tr>";
    for (const auto& doc : d.documents) {
        std::string others;
        for (const auto& o : doc.other_languages) others += (others.empty() ? "" : ", ") + o;
        h += "<tr><td>" + id_html(doc.id) + "</td><td>" + esc(doc.lang) + "</td><td class=\"num\">" +
             std::to_string(doc.paragraphs) + "</td><td>" + esc(others) + "</td><td" + dir_attr(doc.lang) + ">" +
             text_html(doc.title) + "</td><td>" + esc(doc.date) + "</td><td class=\"url\">" +
             (doc.url.starts_with("http://") || doc.url.starts_with("https://")
                  ? "<a href=\"" + esc(doc.url) + "\" rel=\"noreferrer\">" + esc(doc.url) + "</a>" : esc(doc.url)) +
             "</td></tr>";
    }
    h += "</table></section>\n";
}

void duplicates_section(std::string& h, const ReportData& d, std::map<std::string, std::string>& lang_of) {
    h += "<section id=\"duplicates\"><h2>Duplicates</h2>";
    if (d.clusters.empty() && d.duplicates.empty()) h += "<p class=\"empty\">No near-duplicates at the threshold.</p>";
    for (const auto& c : d.clusters) {
        h += "<table class=\"cluster\"><tr><th>kept</th><td colspan=\"2\">" + id_html(c.representative) + "</td></tr>";
        for (std::size_t i = 0; i < c.members.size(); ++i)
            h += "<tr><td>copy</td><td>" + id_html(c.members[i]) + "</td><td class=\"num\">" +
                 fmt(i < c.similarities.size() ? c.similarities[i] : 0) + "</td></tr>";
        h += "</table>";
    }
    if (!d.duplicates.empty()) {
        h += "<table class=\"duplicate-pairs\"><tr><th>a</th><th>b</th><th>status</th><th>similarity</th>"
             "<th>containment</th></tr>";
        for (const auto& p : d.duplicates)
            h += "<tr><td>" + id_html(p.id_a) + "</td><td>" + id_html(p.id_b) + "</td><td>" + esc(p.status) +
                 "</td><td class=\"num\">" + fmt(p.similarity) + "</td><td class=\"num\">" + fmt(p.containment) +
                 "</td></tr>";
        h += "</table>";
    }
    if (!d.repeated_lines.empty()) {
        h += "<details class=\"repeated-lines\"><summary>" + std::to_string(d.repeated_lines.size()) +
             " lines repeated inside one document</summary><table class=\"repeated-lines\"><tr><th>document</th>"
             "<th>times</th><th>line</th></tr>";
        for (const auto& r : d.repeated_lines)
            h += "<tr><td>" + id_html(r.id) + "</td><td class=\"num\">" + std::to_string(r.count) + "</td><td" +
                 dir_attr(lang_of.count(r.id) ? lang_of[r.id] : "") + ">" + text_html(r.text) + "</td></tr>";
        h += "</table></details>";
    }
    h += "</section>\n";
}

void translation_table(std::string& h, const ReportData& d) {
    h += "<table class=\"translation-pairs\"><tr><th>a</th><th>b</th><th>label</th><th>score</th><th>why</th></tr>";
    for (const auto& t : d.translations)
        h += "<tr><td>" +
             (t.beads.empty() ? id_html(t.id_a) : "<a href=\"#" + anchor(t.id_a, t.id_b) + "\">" + id_html(t.id_a) + "</a>") +
             " (" + esc(t.lang_a) + ")</td><td>" + id_html(t.id_b) + " (" + esc(t.lang_b) + ")</td><td class=\"label-" + esc(t.label) +
             "\">" + esc(t.label) + "</td><td class=\"num\">" + fmt(t.score) + "</td><td class=\"why\">" +
             text_html(t.why) + "</td></tr>";
    h += "</table><p class=\"legend\">Bead colours: <span style=\"background:" + score_colour(1) +
         "\">sure</span><span style=\"background:" + score_colour(0.5) + "\">doubtful</span><span style=\"background:" +
         score_colour(0) + "\">weak</span><span class=\"unaligned\" style=\"border:1px solid #ddd\">no counterpart</span></p>";
}

void pair_article(std::string& h, const ReportTranslation& t) {
    h += "<article class=\"pair\" id=\"" + anchor(t.id_a, t.id_b) + "\"><h3>" + id_html(t.id_a) + " ↔ " + id_html(t.id_b) +
         " <span class=\"label-" + esc(t.label) + "\">" + esc(t.label) + " " + fmt(t.score) + "</span></h3>";
    if (!t.why.empty()) h += "<p class=\"why\">" + text_html(t.why) + "</p>";
    h += "<table class=\"alignment\"><tr><th" + dir_attr(t.lang_a) + ">" + id_html(t.id_a) + " (" + esc(t.lang_a) +
         ")</th><th>score</th><th" + dir_attr(t.lang_b) + ">" + id_html(t.id_b) + " (" + esc(t.lang_b) + ")</th></tr>";
    for (const auto& b : t.beads) {
        const bool one_sided = b.a.empty() || b.b.empty();
        h += "<tr class=\"bead" + std::string(one_sided ? " one-sided" : "") + "\">";
        unit_cell(h, b.a, t.units_a, t.lang_a, b.score, "a", one_sided);
        h += "<td class=\"score\">" + (one_sided ? std::string("–") : fmt(b.score, 2)) + "</td>";
        unit_cell(h, b.b, t.units_b, t.lang_b, b.score, "b", one_sided);
        h += "</tr>";
    }
    h += "</table></article>\n";
}

void translations_section(std::string& h, const ReportData& d) {
    h += "<section id=\"translations\"><h2>Cross-language versions</h2>";
    if (d.translations.empty())
        h += "<p class=\"empty\">No cross-language pairs.</p>";
    else
        translation_table(h, d);
    for (const auto& t : d.translations)
        if (!t.beads.empty()) pair_article(h, t);
    h += "</section>\n";
}

}  // namespace

bool is_rtl_language(const std::string& lang) {
    static const char* const kRtl[] = {"ar", "arz", "he", "fa", "ur", "ps", "yi", "ckb", "dv", "sd", "ug",
                                       "azb", "mzn", "pnb", "glk"};
    for (const char* r : kRtl)
        if (lang == r) return true;
    return false;
}

std::string render_html_report(const ReportData& d) {
    std::string h;
    h.reserve(1 << 16);
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
    h += "<meta name=\"generator\" content=\"doppel\"><title>" + esc(d.title) + "</title><style>";
    h += kStyle;
    h += "</style></head><body>\n<h1>" + esc(d.title) + "</h1>\n";
    summary_section(h, d);
    std::map<std::string, std::string> lang_of;
    for (const auto& doc : d.documents) lang_of[doc.id] = doc.lang;
    documents_section(h, d);
    duplicates_section(h, d, lang_of);
    translations_section(h, d);
    h += "</body></html>\n";
    return h;
}

}  // namespace doppel
