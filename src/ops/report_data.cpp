#include "doppel/ops/report_data.h"

#include <algorithm>
#include <cstdio>

#include "doppel/ops/alignment.h"
#include "doppel/ops/duplicates.h"
#include "doppel/store/store.h"

namespace doppel {

namespace {

void add_provenance(ReportData& d, const Store& store, const NearDuplicateResult& duplicates,
                    const TranslationSearch& translations, const Aligner& aligner) {
    d.provenance.push_back({"store", store.dir()});
    if (auto specs = store.meta("specs")) d.provenance.push_back({"index specs", *specs});
    if (!duplicates.spec.empty()) d.provenance.push_back({"duplicates", duplicates.spec});
    for (const auto& [what, spec] : translations.specs) d.provenance.push_back({"translations " + what, spec});
    d.provenance.push_back({"aligner", aligner.describe()});
}

void add_duplicates(ReportData& d, const NearDuplicateResult& duplicates) {
    for (const auto& p : duplicates.pairs) {
        const ReportedPair order = reported_order(p, duplicates.docs);
        d.duplicates.push_back({order.a->id, order.b->id, p.jaccard, p.containment, duplicate_kind_name(p.kind)});
    }
    for (const auto& c : duplicates.clusters) {
        ReportCluster rc;
        rc.representative = duplicates.docs[c.representative].id;
        for (std::size_t k = 0; k < c.members.size(); ++k) {
            rc.members.push_back(duplicates.docs[c.members[k]].id);
            rc.similarities.push_back(c.similarity[k]);
        }
        d.clusters.push_back(std::move(rc));
    }
    for (const auto& doc : duplicates.docs)
        for (const auto& line : doc.repeated_lines) d.repeated_lines.push_back({doc.id, line.text, line.count});
}

// A pair's row without its alignment: ids, languages, score, label and the evidence.
ReportTranslation translation_row(const TranslationPair& t) {
    ReportTranslation rt;
    rt.id_a = t.id_a;
    rt.id_b = t.id_b;
    rt.lang_a = t.lang_a;
    rt.lang_b = t.lang_b;
    rt.score = t.link.score;
    rt.label = to_string(t.link.label);
    char why[160];
    std::snprintf(why, sizeof why, "similarity %.3f, margin %.2f", t.link.similarity, t.link.margin);
    rt.why = why;
    if (t.link.anchors >= 0) {
        std::snprintf(why, sizeof why, ", anchors %.2f", t.link.anchors);
        rt.why += why;
    }
    if (t.link.url_evidence) rt.why += ", same URL but for the language code";
    return rt;
}

// The aligned units of a pair into its row, side by side.
void add_alignment(ReportTranslation& rt, const AlignedPair& p) {
    for (std::size_t i = 0; i < p.a.units.size(); ++i) rt.units_a.emplace_back(p.a.unit(i));
    for (std::size_t i = 0; i < p.b.units.size(); ++i) rt.units_b.emplace_back(p.b.unit(i));
    for (const Bead& bead : p.alignment.beads) {
        ReportBead rb;
        for (uint32_t i = bead.a_begin; i < bead.a_end; ++i) rb.a.push_back(static_cast<int>(i));
        for (uint32_t j = bead.b_begin; j < bead.b_end; ++j) rb.b.push_back(static_cast<int>(j));
        rb.score = bead.score;
        rt.beads.push_back(std::move(rb));
    }
    char why[160];
    std::snprintf(why, sizeof why, "; aligned %s: coverage %.2f / %.2f, alignment %s", unit_kind_name(p.a.kind),
                  p.alignment.coverage_a, p.alignment.coverage_b, pair_label_name(p.alignment.label));
    rt.why += why;
}

// The best max_aligned_pairs rows (d.translations, best first) that may be shown get their
// alignment, aligned a batch at a time; a pair whose documents are gone is passed over.
void align_rows(ReportData& d, const Store& store, const std::vector<const TranslationPair*>& order,
                const Aligner& aligner, const ReportDataOptions& options) {
    UnitReader reader(options.units);
    std::size_t aligned = 0, next = 0;
    while (aligned < options.max_aligned_pairs && next < order.size()) {
        std::vector<std::size_t> rows;
        std::vector<PairToScore> batch;
        for (; next < order.size() && batch.size() < options.max_aligned_pairs - aligned; ++next)
            if (order[next]->link.label != LinkLabel::kSameStory || options.same_story_alignments) {
                rows.push_back(next);
                batch.push_back({order[next]->id_a, order[next]->id_b});
            }
        const std::vector<ScoredPair> scored = score_pairs(batch, aligner, reader, &store);
        for (std::size_t k = 0; k < scored.size(); ++k)
            if (scored[k].ok()) {
                add_alignment(d.translations[rows[k]], scored[k].pair);
                ++aligned;
            }
    }
}

}  // namespace

ReportData build_report_data(const Store& store, const NearDuplicateResult& duplicates,
                             const TranslationSearch& translations, const Aligner& aligner,
                             const ReportDataOptions& options) {
    ReportData d;
    add_provenance(d, store, duplicates, translations, aligner);
    store.scan([&](const StoredDocument& s) {
        d.documents.push_back({s.id, s.lang, s.title, s.paragraphs.size(), s.other_languages, s.url, s.date});
        return true;
    }, false);
    add_duplicates(d, duplicates);
    // Pairs, best first; the best max_aligned_pairs get a side-by-side alignment.
    std::vector<const TranslationPair*> order;
    for (const auto& t : translations.pairs) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(),
                     [](const TranslationPair* x, const TranslationPair* y) { return x->link.score > y->link.score; });
    for (const TranslationPair* t : order) d.translations.push_back(translation_row(*t));
    align_rows(d, store, order, aligner, options);
    return d;
}

ReportData build_store_report(const Store& store, const std::string& models_dir, double threshold,
                              const ReportDataOptions& options, std::vector<std::string>* warnings) {
    NearDuplicateOptions dopt;
    dopt.threshold = threshold;
    const NearDuplicateResult dups = find_stored_duplicates(store, dopt);
    TranslationSearch translations;
    try {
        translations = find_stored_translations(store, models_dir);
    } catch (const Error& e) {
        if (warnings) warnings->push_back(std::string("no translations: ") + e.what());
    }
    const auto aligner = make_aligner(models_dir);
    return build_report_data(store, dups, translations, *aligner, options);
}

}  // namespace doppel
