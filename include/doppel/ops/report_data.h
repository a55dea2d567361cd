// doppel: gathering what a report shows from a store.
//
// build_report_data() reads the stored documents and turns the results of the matching
// operations into ReportData (report/html_report.h): the duplicate pairs and clusters, and for
// each cross-language pair its alignment, computed here with the given Aligner over the
// documents' units (non-blank lines by default: scraped news holds one paragraph a line) in
// batches (ops/alignment.h: score_pairs).
//
// The provenance records the specs that produced the report: the store and its index specs
// (store metadata "specs", "embedder", "vector_index"), the translation search's specs
// (TranslationSearch::specs: matcher, associations, embedder, vector index) and the aligner's.
//
// Thread safety: reads the store through the given object only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "doppel/align/aligner.h"
#include "doppel/align/units.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/translations.h"
#include "doppel/report/html_report.h"

namespace doppel {

class Store;

struct ReportDataOptions {
    UnitKind units = UnitKind::kLines;   // units shown side by side
    std::size_t max_aligned_pairs = 200; // pairs shown side by side (best scores first)
    bool same_story_alignments = false;  // also align pairs labelled same-story
};

ReportData build_report_data(const Store& store, const NearDuplicateResult& duplicates,
                             const TranslationSearch& translations, const Aligner& aligner,
                             const ReportDataOptions& options = {});

// Everything `doppel report` shows, from the store alone: the near-duplicates at `threshold`
// (find_stored_duplicates), the cross-language pairs (find_stored_translations with models_dir's
// bridge; none, with a line in *warnings, when the store has no embeddings) and their alignments
// with make_aligner(models_dir).
ReportData build_store_report(const Store& store, const std::string& models_dir, double threshold,
                              const ReportDataOptions& options = {},
                              std::vector<std::string>* warnings = nullptr);

}  // namespace doppel
