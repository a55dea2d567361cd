#include "doppel/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "doppel/error.h"
#include "doppel/match/near_duplicate_finder.h"
#include "impl/spec.h"

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

// Bead colours as classes (a bead cell is one of tens of thousands): sK for a score in the K-th
// twentieth, its rule written once in the page's style (score_classes).
constexpr int kScoreClasses = 20;
std::string score_class(double s) {
    return "s" + std::to_string(static_cast<int>(std::lround(std::clamp(s, 0.0, 1.0) * kScoreClasses)));
}
std::string score_classes() {
    std::string css;
    for (int k = 0; k <= kScoreClasses; ++k)
        css += ".s" + std::to_string(k) + "{background:" + score_colour(static_cast<double>(k) / kScoreClasses) + "}";
    return css + "\n";
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
.chunk{content-visibility:auto;contain-intrinsic-size:auto 3000px}
nav.contents{margin:1em 0}.group{margin:1em 0;border-left:3px solid #ccc;padding-left:.6em}
.members{margin:.2em 0}.lang{color:#666;font-size:.85em}th.related{font-weight:normal;color:#555;background:#fafafa}
details.pair>summary{font-weight:bold}
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
    h += "<td class=\"unit" + std::string(is_rtl_language(lang) ? " rtl" : "") +
         (one_sided ? " unaligned" : " " + score_class(score)) + "\" data-side=\"" + side + "\" dir=\"" +
         (is_rtl_language(lang) ? "rtl" : "auto") + "\" lang=\"" + esc(lang) + "\">";
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const int i = ids[k];
        if (k) h += " ";
        h += "<span class=\"unitno\">" + std::to_string(i) + "</span>";
        if (i >= 0 && static_cast<std::size_t>(i) < units.size()) h += text_html(units[static_cast<std::size_t>(i)]);
    }
    h += "</td>";
}

// What is long is inert until asked for: a closed <details class="lazy"> holds its content as
// text in a <script type="text/html" class="lazy"> (tokenized, never built into the page), and
// the page's one inline script (kScript) builds it when the details is opened. The content is
// escaped HTML (esc() turns every '<' of the input into &lt;), so it holds no "</script".
void lazy_begin(std::string& h, const std::string& cls, const std::string& id, const std::string& summary) {
    h += "<details class=\"lazy " + cls + "\"" + (id.empty() ? std::string() : " id=\"" + id + "\"") + "><summary>" +
         summary + "</summary><script type=\"text/html\" class=\"lazy\">";
}
void lazy_end(std::string& h) { h += "</script></details>"; }

// Long lists come in pages of `page` items: the first is part of the page, the others are lazy.
constexpr std::size_t kClusterPage = 100, kGroupPage = 25;

void open_chunk(std::string& h, std::size_t i, std::size_t total, std::size_t page, const char* what) {
    if (i % page != 0) return;
    if (i == 0) {
        h += "<div class=\"chunk\">";
        return;
    }
    h += i == page ? "</div>" : "</script></details>";
    lazy_begin(h, "page", "", std::string(what) + " " + std::to_string(i + 1) + "–" +
                                  std::to_string(std::min(total, i + page)) + " of " + std::to_string(total));
}
void close_chunks(std::string& h, std::size_t n, std::size_t page) {
    if (n) h += n <= page ? "</div>" : "</script></details>";
}

// How many of a list's first n items fit in max_rows rows (rows(i): item i's), the first always;
// every item where max_rows is 0 (HtmlReportOptions::max_rows).
template <class Rows>
std::size_t items_shown(std::size_t n, std::size_t max_rows, Rows rows) {
    if (max_rows == 0) return n;
    std::size_t used = 0, i = 0;
    for (; i < n; ++i) {
        used += rows(i);
        if (i > 0 && used > max_rows) break;
    }
    return i;
}

// A provenance entry's value (empty if there is none).
std::string provenance_of(const ReportData& d, const std::string& key) {
    for (const auto& [k, v] : d.provenance)
        if (k == key) return v;
    return "";
}

// The store the report was made of, for the commands that list everything.
std::string store_of(const ReportData& d) {
    const std::string dir = provenance_of(d, "store");
    return dir.empty() ? "STORE" : dir;
}

// After a list cut at the row limit: how many items it left out, and the command that lists them all.
void left_out_note(std::string& h, std::size_t shown, std::size_t total, const char* what,
                   const std::string& command) {
    if (shown == total) return;
    h += "<p class=\"left-out\">" + std::to_string(total - shown) + " more " + what +
         " not shown here (the first " + std::to_string(shown) + " of " + std::to_string(total) +
         "); all of them: <code>" + esc(command) + "</code></p>";
}

void contents_nav(std::string& h) {
    h += "<nav class=\"contents\"><a href=\"#summary\">Summary</a> · <a href=\"#duplicates\">Duplicates</a> · "
         "<a href=\"#translations\">Cross-language versions</a> · <a href=\"#alignments\">Alignments</a> · "
         "<a href=\"#documents\">Documents</a></nav>\n";
}

void summary_section(std::string& h, const ReportData& d, const std::vector<TranslationGroup>& groups) {
    std::size_t n_translation = 0, n_same = 0, n_aligned = 0, n_versions = 0;
    for (const auto& t : d.translations) {
        n_translation += t.label == "translation";
        n_same += t.label == "same-story";
        n_aligned += !t.beads.empty();
    }
    for (const auto& g : groups) n_versions += g.members.size() > 1;
    auto row = [&](const char* what, const char* id, const std::string& value) {
        h += "<tr><th>" + std::string(what) + "</th><td class=\"num\" id=\"" + id + "\">" + value + "</td></tr>";
    };
    h += "<section id=\"summary\"><h2>Summary</h2><table class=\"summary\">";
    row("documents", "n-documents", std::to_string(d.documents.size()));
    row("duplicate pairs", "n-duplicates", std::to_string(d.duplicates.size()));
    row("duplicate clusters", "n-clusters", std::to_string(d.clusters.size()));
    row("cross-language pairs", "n-translations", std::to_string(d.translations.size()) + " (" +
        std::to_string(n_translation) + " translations, " + std::to_string(n_same) + " same-story)");
    row("groups of versions", "n-groups", std::to_string(n_versions));
    row("pairs aligned side by side", "n-aligned", std::to_string(n_aligned));
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

void documents_section(std::string& h, const ReportData& d, std::size_t max_rows) {
    const std::size_t shown = items_shown(d.documents.size(), max_rows, [](std::size_t) { return 1; });
    h += "<section id=\"documents\"><h2>Documents</h2>";
    lazy_begin(h, "documents", "", std::to_string(d.documents.size()) + " documents");
    h += "<table class=\"documents\"><tr><th>id</th><th>language</th><th>paragraphs</th><th>other languages</th>"
         "<th>title</th><th>date</th><th>url</th></tr>";
    for (std::size_t i = 0; i < shown; ++i) {
        const ReportDocument& doc = d.documents[i];
        std::string others;
        for (const auto& o : doc.other_languages) others += (others.empty() ? "" : ", ") + o;
        h += "<tr><td>" + id_html(doc.id) + "</td><td>" + esc(doc.lang) + "</td><td class=\"num\">" +
             std::to_string(doc.paragraphs) + "</td><td>" + esc(others) + "</td><td" + dir_attr(doc.lang) + ">" +
             text_html(doc.title) + "</td><td>" + esc(doc.date) + "</td><td class=\"url\">" +
             (doc.url.starts_with("http://") || doc.url.starts_with("https://")
                  ? "<a href=\"" + esc(doc.url) + "\" rel=\"noreferrer\">" + esc(doc.url) + "</a>" : esc(doc.url)) +
             "</td></tr>";
    }
    h += "</table>";
    left_out_note(h, shown, d.documents.size(), "documents", "doppel list --store " + store_of(d));
    lazy_end(h);
    h += "</section>\n";
}

// The command that lists every duplicate pair, cluster and repeated line, at the threshold of
// the duplicates' spec (NearDuplicateOptions::describe(), in the provenance) when there is one.
std::string dedup_command(const ReportData& d) {
    std::string threshold;
    if (const std::string spec = provenance_of(d, "duplicates"); !spec.empty()) try {
            threshold = " --threshold " + impl::spec_number(NearDuplicateOptions::parse_spec(spec).threshold);
        } catch (const Error&) {  // not a spec of ours: the command without it
        }
    return "doppel dedup --store " + store_of(d) + threshold + " --format jsonl";
}

void clusters_html(std::string& h, const ReportData& d, std::size_t max_rows) {
    const std::size_t n = items_shown(d.clusters.size(), max_rows,
                                      [&](std::size_t i) { return 1 + d.clusters[i].members.size(); });
    for (std::size_t i = 0; i < n; ++i) {
        const auto& c = d.clusters[i];
        open_chunk(h, i, n, kClusterPage, "clusters");
        h += "<table class=\"cluster\"><tr><th>kept</th><td colspan=\"2\">" + id_html(c.representative) + "</td></tr>";
        for (std::size_t m = 0; m < c.members.size(); ++m)
            h += "<tr><td>copy</td><td>" + id_html(c.members[m]) + "</td><td class=\"num\">" +
                 fmt(m < c.similarities.size() ? c.similarities[m] : 0) + "</td></tr>";
        h += "</table>";
    }
    close_chunks(h, n, kClusterPage);
    left_out_note(h, n, d.clusters.size(), "clusters", dedup_command(d));
}

void duplicates_section(std::string& h, const ReportData& d, std::map<std::string, std::string>& lang_of,
                        std::size_t max_rows) {
    h += "<section id=\"duplicates\"><h2>Duplicates</h2>";
    if (d.clusters.empty() && d.duplicates.empty()) h += "<p class=\"empty\">No near-duplicates at the threshold.</p>";
    clusters_html(h, d, max_rows);
    const auto one = [](std::size_t) { return 1; };
    if (!d.duplicates.empty()) {
        lazy_begin(h, "duplicate-pairs", "", std::to_string(d.duplicates.size()) + " duplicate pairs");
        h += "<table class=\"duplicate-pairs\"><tr><th>a</th><th>b</th><th>status</th><th>similarity</th>"
             "<th>containment</th></tr>";
        const std::size_t shown = items_shown(d.duplicates.size(), max_rows, one);
        for (std::size_t i = 0; i < shown; ++i) {
            const ReportDuplicate& p = d.duplicates[i];
            h += "<tr><td>" + id_html(p.id_a) + "</td><td>" + id_html(p.id_b) + "</td><td>" + esc(p.status) +
                 "</td><td class=\"num\">" + fmt(p.similarity) + "</td><td class=\"num\">" + fmt(p.containment) +
                 "</td></tr>";
        }
        h += "</table>";
        left_out_note(h, shown, d.duplicates.size(), "duplicate pairs", dedup_command(d));
        lazy_end(h);
    }
    if (!d.repeated_lines.empty()) {
        lazy_begin(h, "repeated-lines", "", std::to_string(d.repeated_lines.size()) + " lines repeated inside one document");
        h += "<table class=\"repeated-lines\"><tr><th>document</th><th>times</th><th>line</th></tr>";
        const std::size_t shown = items_shown(d.repeated_lines.size(), max_rows, one);
        for (std::size_t i = 0; i < shown; ++i) {
            const ReportRepeatedLine& r = d.repeated_lines[i];
            h += "<tr><td>" + id_html(r.id) + "</td><td class=\"num\">" + std::to_string(r.count) + "</td><td" +
                 dir_attr(lang_of.count(r.id) ? lang_of[r.id] : "") + ">" + text_html(r.text) + "</td></tr>";
        }
        h += "</table>";
        left_out_note(h, shown, d.repeated_lines.size(), "repeated lines", dedup_command(d));
        lazy_end(h);
    }
    h += "</section>\n";
}

// One pair as a row of a group: the other side, its label and score, the evidence, and a link
// to its alignment when it has one.
void pair_row(std::string& h, const ReportTranslation& t) {
    h += "<tr><td>" + id_html(t.id_a) + " (" + esc(t.lang_a) + ")</td><td>" + id_html(t.id_b) + " (" + esc(t.lang_b) +
         ")</td><td class=\"label-" + esc(t.label) + "\">" + esc(t.label) + "</td><td class=\"num\">" + fmt(t.score) +
         "</td><td class=\"why\">" + text_html(t.why) + "</td><td>" +
         (t.beads.empty() ? std::string() : "<a href=\"#" + anchor(t.id_a, t.id_b) + "\">aligned</a>") + "</td></tr>";
}

void group_html(std::string& h, const ReportData& d, const TranslationGroup& g) {
    h += "<div class=\"group\"><p class=\"members\">";
    for (std::size_t i = 0; i < g.members.size(); ++i)
        h += (i ? " · " : "") + id_html(g.members[i].first) + " <span class=\"lang\">" + esc(g.members[i].second) +
             "</span>";
    h += "</p><table class=\"group-pairs\">";
    for (std::size_t r : g.versions) pair_row(h, d.translations[r]);
    if (!g.related.empty())
        h += "<tr><th colspan=\"6\" class=\"related\">related: same story (each document's best few)</th></tr>";
    for (std::size_t r : g.related) pair_row(h, d.translations[r]);
    h += "</table></div>";
}

void translations_section(std::string& h, const ReportData& d, const std::vector<TranslationGroup>& groups,
                          std::size_t max_rows) {
    h += "<section id=\"translations\"><h2>Cross-language versions</h2>";
    if (d.translations.empty()) {
        h += "<p class=\"empty\">No cross-language pairs.</p></section>\n";
        return;
    }
    h += "<p>Each group holds documents linked as translations (or partial translations) of each other, largest "
         "groups first; below its pairs, the same-story pairs of its documents. Documents with same-story pairs "
         "only come last.</p>";
    const std::size_t n = items_shown(groups.size(), max_rows, [&](std::size_t i) {
        return groups[i].versions.size() + groups[i].related.size();
    });
    for (std::size_t i = 0; i < n; ++i) {
        open_chunk(h, i, n, kGroupPage, "groups");
        group_html(h, d, groups[i]);
    }
    close_chunks(h, n, kGroupPage);
    left_out_note(h, n, groups.size(), "groups",
                  "doppel translations --store " + store_of(d) + " --format jsonl");
    h += "</section>\n";
}

// A pair's alignment, side by side, lazy (closed until opened).
void pair_article(std::string& h, const ReportTranslation& t) {
    lazy_begin(h, "pair", anchor(t.id_a, t.id_b), id_html(t.id_a) + " ↔ " + id_html(t.id_b) + " <span class=\"label-" +
                                                     esc(t.label) + "\">" + esc(t.label) + " " + fmt(t.score) + "</span>");
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
    h += "</table>";
    lazy_end(h);
    h += "\n";
}

// Builds an opened lazy details' content (doppelOpen(details), also callable by hand); a link to
// a pair opens it (the browser opens a closed <details> that holds the target).
const char* kScript = R"js(
function doppelOpen(d){const s=d.querySelector(':scope>script.lazy');if(s){s.insertAdjacentHTML('afterend',s.textContent);s.remove();}}
document.addEventListener('toggle',e=>{const d=e.target;if(d.open&&d.classList&&d.classList.contains('lazy'))doppelOpen(d);},true);
)js";

void alignments_section(std::string& h, const ReportData& d) {
    std::size_t n = 0;
    for (const auto& t : d.translations) n += !t.beads.empty();
    h += "<section id=\"alignments\"><h2>Alignments</h2>";
    if (n == 0) h += "<p class=\"empty\">No pair aligned.</p>";
    else
        h += "<p>" + std::to_string(n) + (n == 1 ? " pair" : " pairs") +
             ", best scores first; open one to see it side by side (the page builds it then, with its own inline "
             "script).</p>";
    h += "<p class=\"legend\">Bead colours: <span style=\"background:" + score_colour(1) +
         "\">sure</span><span style=\"background:" + score_colour(0.5) + "\">doubtful</span><span style=\"background:" +
         score_colour(0) + "\">weak</span><span class=\"unaligned\" style=\"border:1px solid #ddd\">no counterpart</span></p>";
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

namespace {

// Union-find over document ids, joined by translation and partial pairs.
struct Components {
    std::map<std::string, std::string> parent;
    std::string find(const std::string& x) {
        auto it = parent.try_emplace(x, x).first;
        if (it->second == x) return x;
        return it->second = find(it->second);
    }
    void join(const std::string& a, const std::string& b) { parent[find(a)] = find(b); }
};

bool is_version(const ReportTranslation& t) { return t.label != "same-story"; }

// Largest groups first, then best score; groups of one document (same-story pairs only) last.
void sort_groups(std::vector<TranslationGroup>& groups, const ReportData& d) {
    auto best = [&](const TranslationGroup& g) {
        double b = 0;
        for (std::size_t r : g.versions.empty() ? g.related : g.versions) b = std::max(b, d.translations[r].score);
        return b;
    };
    std::vector<std::pair<double, std::size_t>> key(groups.size());
    for (std::size_t i = 0; i < groups.size(); ++i) key[i] = {best(groups[i]), i};
    std::vector<std::size_t> order(groups.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        if (groups[x].members.size() != groups[y].members.size())
            return groups[x].members.size() > groups[y].members.size();
        return key[x].first > key[y].first;
    });
    std::vector<TranslationGroup> sorted;
    for (std::size_t i : order) sorted.push_back(std::move(groups[i]));
    groups = std::move(sorted);
}

}  // namespace

std::vector<TranslationGroup> group_translations(const ReportData& d) {
    Components c;
    std::map<std::string, std::string> lang;
    for (const auto& t : d.translations) {
        lang[t.id_a] = t.lang_a, lang[t.id_b] = t.lang_b;
        c.find(t.id_a), c.find(t.id_b);
        if (is_version(t)) c.join(t.id_a, t.id_b);
    }
    std::map<std::string, std::size_t> group_of;  // root -> group
    std::vector<TranslationGroup> groups;
    for (const auto& [id, l] : lang) {
        auto [it, added] = group_of.try_emplace(c.find(id), groups.size());
        if (added) groups.emplace_back();
        groups[it->second].members.push_back({id, l});
    }
    for (std::size_t r = 0; r < d.translations.size(); ++r) {
        const auto& t = d.translations[r];
        const std::size_t ga = group_of[c.find(t.id_a)], gb = group_of[c.find(t.id_b)];
        if (is_version(t)) groups[ga].versions.push_back(r);
        else {
            groups[ga].related.push_back(r);
            if (gb != ga) groups[gb].related.push_back(r);
        }
    }
    for (auto& g : groups)
        std::stable_sort(g.members.begin(), g.members.end(),
                         [](const auto& x, const auto& y) { return std::tie(x.second, x.first) < std::tie(y.second, y.first); });
    sort_groups(groups, d);
    return groups;
}

std::string render_html_report(const ReportData& d, const HtmlReportOptions& options) {
    std::string h;
    h.reserve(1 << 16);
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
    h += "<meta name=\"generator\" content=\"doppel\"><title>" + esc(d.title) + "</title><style>";
    h += kStyle;
    h += score_classes();
    h += "</style><script>";
    h += kScript;
    h += "</script></head><body>\n<h1>" + esc(d.title) + "</h1>\n";
    contents_nav(h);
    const std::vector<TranslationGroup> groups = group_translations(d);
    summary_section(h, d, groups);
    std::map<std::string, std::string> lang_of;
    for (const auto& doc : d.documents) lang_of[doc.id] = doc.lang;
    duplicates_section(h, d, lang_of, options.max_rows);
    translations_section(h, d, groups, options.max_rows);
    alignments_section(h, d);
    documents_section(h, d, options.max_rows);
    h += "</body></html>\n";
    return h;
}

}  // namespace doppel
