// doppel: the self-contained HTML report for people.
//
// render_html_report() turns plain report data (documents, duplicate clusters, translation pairs
// with their aligned units) into one HTML file that needs no external file and no network:
// styles are inline, the score-distribution plot is an inline SVG, and one small inline script
// builds an alignment when it is opened. It opens at corpus size (thousands of documents): what
// is long is either closed (<details>; an alignment's table is inert text until opened) or cut
// into chunks laid out only when scrolled into view (CSS content-visibility: auto). A store of a
// hundred thousand documents holds more rows than a browser opens (241,171 cross-language pairs
// made a 149 MB page), so each list shows at most HtmlReportOptions::max_rows rows, then says how
// many it left out and which command lists them all; the summary's counts and histograms always
// cover everything. In page order:
//
//  - Summary: counts, the specs and model versions that produced the store, and histograms of
//    the pair scores and duplicate similarities; then links to the sections.
//  - Duplicates: clusters with their kept representative and each member's similarity; the
//    pairs (similarity, containment) and lines repeated inside one document, closed.
//  - Cross-language versions, as groups (group_translations): documents linked as translations
//    or partial translations of each other, with their pairs (score, label, why, a link to the
//    alignment), then the same-story pairs of the group's documents (the matcher keeps a
//    document's best few: MatcherOptions::same_story_per_doc).
//  - Alignments, each closed until opened: the aligned units side by side, one row per bead,
//    coloured by the bead's score (green = sure, yellow = doubtful, red = weak); a unit with no
//    counterpart is marked "unaligned". Text in a right-to-left language (Arabic, Hebrew,
//    Persian, Urdu, ...) is shown right to left (dir="rtl"); other cells use dir="auto".
//  - Documents (closed): id, language, paragraphs, other languages, title.
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

// A group of versions: documents joined (transitively) by translation or partial pairs, or one
// document with same-story pairs only.
struct TranslationGroup {
    std::vector<std::pair<std::string, std::string>> members;  // (id, language), by language then id
    std::vector<std::size_t> versions;  // rows of ReportData::translations between members
    std::vector<std::size_t> related;   // same-story rows with a member on either side
};

// The groups of data.translations: largest first, then by best score; groups of one document
// (same-story pairs only) come after those with versions. Every document in a pair is in
// exactly one group; a same-story pair between two groups is listed in both.
std::vector<TranslationGroup> group_translations(const ReportData& data);

// True for languages written right to left (ISO 639-1/-3 codes as fastText names them).
bool is_rtl_language(const std::string& lang);

struct HtmlReportOptions {
    // Rows each list shows at most (the duplicate clusters' rows, duplicate pairs, repeated lines,
    // the pair rows of the groups of versions, documents); 0 = every row. A cluster or group is
    // shown whole or not at all: a list stops before the first one that would pass the limit
    // (its first one is always shown).
    std::size_t max_rows = 10000;
};

std::string render_html_report(const ReportData& data, const HtmlReportOptions& options = {});

}  // namespace doppel
