#include "cli/align_support.h"

#include <cstdio>
#include <ostream>
#include <sstream>

#include "cli/tsv.h"

namespace doppel::cli {

std::string bead_units(const Bead& b) {
    std::string s = "[";
    for (uint32_t i = b.a_begin; i < b.a_end; ++i) s += (i > b.a_begin ? ", " : "") + std::to_string(i);
    s += "]:[";
    for (uint32_t j = b.b_begin; j < b.b_end; ++j) s += (j > b.b_begin ? ", " : "") + std::to_string(j);
    return s + "]";
}

std::string translation_tsv(const TranslationPair& p) {
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", p.link.score);
    return tsv_field(p.id_a) + '\t' + tsv_field(p.id_b) + '\t' + score + '\t' + to_string(p.link.label);
}

nlohmann::json translation_json(const TranslationPair& p, const AlignedPair* aligned, DocumentMetadata* meta) {
    nlohmann::json j = json_records::translation_json(p, aligned);
    if (meta) meta->add(j, p.id_a, "_a"), meta->add(j, p.id_b, "_b");
    return j;
}

nlohmann::json specs_json(const TranslationSearch& found) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [what, spec] : found.specs) j[what] = spec;
    return j;
}

nlohmann::json summary_json(const TranslationSearch& found, const LabelCounts& counts, const nlohmann::json& specs) {
    return {{"type", "summary"},       {"documents", found.documents}, {"translation", counts[0]},
            {"partial", counts[1]},    {"same_story", counts[2]},      {"associations", found.associations},
            {"specs", specs}};
}

std::string summary_line(const TranslationSearch& found, const LabelCounts& counts, bool learn) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(2);
    s << found.documents << " documents, " << counts[0] << " translation, " << counts[1] << " partial, " << counts[2]
      << " same-story pairs (features " << found.features_seconds << " s, index load " << found.index_seconds
      << " s, match " << found.match_seconds << " s";
    if (learn) s << ", learned " << found.associations << " associations and matched again " << found.learn_seconds << " s";
    if (found.extended) s << ", incremental: " << found.added << " documents added since the saved state";
    s << ")";
    if (!found.phases.empty()) {
        s << "; phases:";
        for (std::size_t i = 0; i < found.phases.size(); ++i)
            s << (i ? ", " : " ") << found.phases[i].name << ' ' << found.phases[i].seconds << " s (CPU "
              << found.phases[i].cpu_seconds << " s)";
    }
    return s.str();
}

LabelCounts write_translations(std::ostream& out, const std::string& format, UnitKind units, const Store& store,
                               const TranslationSearch& found, const Aligner* aligner, nlohmann::json& specs) {
    LabelCounts counts{};
    UnitReader reader(units);
    DocumentMetadata meta(&store);
    constexpr std::size_t kBatch = 64;
    for (std::size_t from = 0; from < found.pairs.size(); from += kBatch) {
        const std::size_t to = std::min(found.pairs.size(), from + kBatch);
        std::vector<PairToScore> batch;
        for (std::size_t i = from; i < to; ++i)
            if (aligner && found.pairs[i].link.label != LinkLabel::kSameStory)
                batch.push_back({found.pairs[i].id_a, found.pairs[i].id_b});
        const auto scored = aligner ? score_pairs(batch, *aligner, reader, &store) : std::vector<ScoredPair>{};
        for (std::size_t i = from, k = 0; i < to; ++i) {
            const TranslationPair& p = found.pairs[i];
            ++counts[static_cast<std::size_t>(p.link.label)];
            const bool aligned = aligner && p.link.label != LinkLabel::kSameStory;
            const AlignedPair* pair = aligned && scored[k].ok() ? &scored[k].pair : nullptr;
            k += aligned;
            out << (format == "tsv" ? translation_tsv(p) : translation_json(p, pair, &meta).dump()) << '\n';
        }
    }
    if (aligner) specs["aligner"] = aligner->describe(), specs["units"] = unit_kind_name(units);
    return counts;
}

std::string scored_pair_tsv(const PairToScore& refs, const AlignedPair& p) {
    const Alignment& al = p.alignment;
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.4f\t%s\t%.4f\t%.4f", al.score, pair_label_name(al.label), al.coverage_a,
                  al.coverage_b);
    return tsv_field(refs.a) + '\t' + tsv_field(refs.b) + '\t' + buf;
}

nlohmann::json scored_pair_json(const PairToScore& refs, const AlignedPair& p, bool with_text) {
    nlohmann::json j = pair_json(p);
    j["a"] = {{"id", refs.a}, {"lang", p.a.lang}, {"units", p.a.units.size()}};
    j["b"] = {{"id", refs.b}, {"lang", p.b.lang}, {"units", p.b.units.size()}};
    j["aligned"] = beads_json(p, true, with_text);
    return j;
}

}  // namespace doppel::cli
