// doppel report --store DIR --html OUT.html
#include <iostream>

#include "cli/common.h"
#include "cli/output.h"
#include "doppel/ops/report_data.h"
#include "doppel/report/html_report.h"
#include "doppel/store/store.h"

namespace doppel::cli {

Command add_report_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand("report", "Write a self-contained HTML report of duplicates and translations");
    struct Args {
        std::string store, html;
        double threshold = NearDuplicateOptions{}.threshold;
        std::string units = "lines";
        std::size_t max_pairs = ReportDataOptions{}.max_aligned_pairs;
        std::size_t max_rows = HtmlReportOptions{}.max_rows;
        std::string title = "doppel report";
        bool same_story = false;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_option("--html", args->html, "Output HTML file")->required();
    cmd->add_option("--threshold", args->threshold, "Near-duplicate Jaccard threshold")
        ->check(kFiniteNumber)
        ->capture_default_str();
    cmd->add_option("--units", args->units, "Units shown side by side: lines, sentences or paragraphs")
        ->check(CLI::IsMember({"lines", "sentences", "paragraphs"}))
        ->capture_default_str();
    cmd->add_option("--max-pairs", args->max_pairs, "Pairs shown side by side")->capture_default_str();
    cmd->add_option(
           "--max-rows", args->max_rows,
           "Rows each list shows at most (duplicate pairs, groups' pairs, documents, ...); 0: all. The "
           "summary counts everything")
        ->capture_default_str();
    cmd->add_option("--title", args->title, "Title of the report")->capture_default_str();
    cmd->add_flag("--align-same-story", args->same_story, "Also show same-story pairs side by side");
    return {cmd, [args, &g]() -> int {
        Progress progress("report", g.quiet);
        Store store(args->store, StoreOptions{false, true});
        ReportDataOptions ropt;
        ropt.units = parse_unit_kind(args->units);
        ropt.max_aligned_pairs = args->max_pairs;
        ropt.same_story_alignments = args->same_story;
        std::vector<std::string> warnings;
        ReportData data = build_store_report(store, find_models_dir(g), args->threshold, ropt, &warnings);
        if (!g.quiet)
            for (const auto& w : warnings) std::cerr << "doppel report: warning: " << w << '\n';
        data.title = args->title;
        OutputFile out(args->html);
        out.stream() << render_html_report(data, HtmlReportOptions{args->max_rows});
        out.commit();
        progress.finish(std::to_string(data.documents.size()) + " documents, " + std::to_string(data.duplicates.size()) +
                        " duplicate pairs, " + std::to_string(data.translations.size()) + " cross-language pairs -> " +
                        args->html);
        return kExitOk;
    }};
}

}  // namespace doppel::cli
