// doppel: the self-contained HTML report for people.
//
// render_html_report() turns plain report data (documents, duplicate clusters, translation pairs
// with their aligned units) into one HTML file that needs no external file and no network:
// styles are inline, the score-distribution plot is an inline SVG, and there is no script.
//
//  - Summary: counts, and the specs and model versions that produced the store.
//  - Duplicates: clusters with their kept representative, each member's similarity and
//    containment, the pairs, and lines repeated inside one document.
//  - Translations: each linked pair with its score, label and why; then a side-by-side view of
//    the aligned units, one row per bead, coloured by the bead's score (green = sure, yellow =
//    doubtful, red = weak); a unit with no counterpart is marked "unaligned". Text in a
//    right-to-left language (Arabic, Hebrew, Persian, Urdu, ...) is shown right to left
//    (dir="rtl"); other cells use dir="auto".
//  - A histogram of the pair scores.
//
// Thread safety: a pure function of its input.
#pragma once

#include <string>
#include <vector>

namespace doppel {

struct ReportDocument {
    std::string id;
    std::string lang;
    std::string title;
    std::size_t paragraphs = 0;
    std::vector<std::string> other_languages;
    std::string url;   // where it came from (shown as a link when http or https), may be empty
    std::string date;  // its own date (published or fetched), may be empty
};

struct ReportDuplicate {
    std::string id_a, id_b;
    double similarity = 0;   // exact Jaccard of the shingle sets
    double containment = 0;  // share of the smaller document found in the other
    std::string status;      // "exact", "near" or "partial"
};

struct ReportCluster {
    std::string representative;
    std::vector<std::string> members;      // without the representative
    std::vector<double> similarities;      // members[i]'s similarity to the representative
};

// A line printed more than once inside one document (a headline list repeated by the page).
struct ReportRepeatedLine {
    std::string id;
    std::string text;
    std::size_t count = 0;
};

struct ReportBead {
    std::vector<int> a, b;  // unit numbers on each side (either may be empty)
    double score = 0;       // in [0, 1]
};

struct ReportTranslation {
    std::string id_a, id_b;
    std::string lang_a, lang_b;
    double score = 0;
    std::string label;      // "translation", "partial" or "same-story"
    std::string why;        // short evidence, e.g. "coverage 0.92/0.61, 19 numbers shared"
    std::vector<std::string> units_a, units_b;  // the aligned units' text
    std::vector<ReportBead> beads;              // in document order
};

struct ReportData {
    std::string title = "doppel report";
    std::vector<std::pair<std::string, std::string>> provenance;  // (key, value): store, specs, ...
    std::vector<ReportDocument> documents;
    std::vector<ReportCluster> clusters;
    std::vector<ReportDuplicate> duplicates;
    std::vector<ReportRepeatedLine> repeated_lines;
    std::vector<ReportTranslation> translations;
    std::vector<std::string> notes;  // anything worth a line in the summary
};

// True for languages written right to left (ISO 639-1/-3 codes as fastText names them).
bool is_rtl_language(const std::string& lang);

std::string render_html_report(const ReportData& data);

}  // namespace doppel
