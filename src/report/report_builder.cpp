#include "doppel/report/report_builder.h"

#include <algorithm>
#include <cstdio>

#include "doppel/store/store.h"

namespace doppel {

ReportData build_report_data(const Store& store, const NearDuplicateResult& duplicates,
                             const std::vector<TranslationPair>& translations, const Aligner& aligner,
                             const ReportBuilderOptions& options) {
    ReportData d;
    d.provenance.push_back({"store", store.dir()});
    if (auto specs = store.meta("specs")) d.provenance.push_back({"index specs", *specs});
    d.provenance.push_back({"aligner", aligner.describe()});
    store.scan([&](const StoredDocument& s) {
        d.documents.push_back({s.id, s.lang, s.title, s.paragraphs.size(), s.other_languages});
        return true;
    }, false);

    for (const auto& p : duplicates.pairs) {
        std::string a = duplicates.docs[p.a].id, b = duplicates.docs[p.b].id;
        if (b < a) std::swap(a, b);
        d.duplicates.push_back({a, b, p.jaccard, p.containment, duplicate_kind_name(p.kind)});
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

    // Pairs, best first; the best max_aligned_pairs get a side-by-side alignment.
    std::vector<const TranslationPair*> order;
    for (const auto& t : translations) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(),
                     [](const TranslationPair* x, const TranslationPair* y) { return x->link.score > y->link.score; });
    Segmenter segmenter;
    std::size_t aligned_pairs = 0;
    for (const TranslationPair* t : order) {
        ReportTranslation rt;
        rt.id_a = t->id_a;
        rt.id_b = t->id_b;
        rt.lang_a = t->lang_a;
        rt.lang_b = t->lang_b;
        rt.score = t->link.score;
        rt.label = to_string(t->link.label);
        char why[160];
        std::snprintf(why, sizeof why, "similarity %.3f, margin %.2f", t->link.similarity, t->link.margin);
        rt.why = why;
        if (t->link.anchors >= 0) {
            std::snprintf(why, sizeof why, ", anchors %.2f", t->link.anchors);
            rt.why += why;
        }
        const bool show = aligned_pairs < options.max_aligned_pairs &&
                          (t->link.label != LinkLabel::kSameStory || options.same_story_alignments);
        if (show) {
            auto a = store.get(t->id_a), b = store.get(t->id_b);
            if (a && b) {
                const auto ua = split_units(a->text, options.units, a->lang, segmenter);
                const auto ub = split_units(b->text, options.units, b->lang, segmenter);
                AlignSide sa{{}, a->lang}, sb{{}, b->lang};
                for (const Span& s : ua) {
                    sa.units.push_back(std::string_view(a->text).substr(s.begin, s.size()));
                    rt.units_a.emplace_back(sa.units.back());
                }
                for (const Span& s : ub) {
                    sb.units.push_back(std::string_view(b->text).substr(s.begin, s.size()));
                    rt.units_b.emplace_back(sb.units.back());
                }
                const Alignment al = aligner.align(sa, sb);
                for (const Bead& bead : al.beads) {
                    ReportBead rb;
                    for (uint32_t i = bead.a_begin; i < bead.a_end; ++i) rb.a.push_back(static_cast<int>(i));
                    for (uint32_t j = bead.b_begin; j < bead.b_end; ++j) rb.b.push_back(static_cast<int>(j));
                    rb.score = bead.score;
                    rt.beads.push_back(std::move(rb));
                }
                std::snprintf(why, sizeof why, "; aligned %s: coverage %.2f / %.2f, alignment %s",
                              unit_kind_name(options.units), al.coverage_a, al.coverage_b, pair_label_name(al.label));
                rt.why += why;
                ++aligned_pairs;
            }
        }
        d.translations.push_back(std::move(rt));
    }
    return d;
}

}  // namespace doppel
