#include "ops/record_json.h"

#include <cstdio>

namespace doppel::json_records {

nlohmann::json bead_json(const Bead& b, const UnitDocument& a, const UnitDocument& bdoc, bool with_text) {
    nlohmann::json ja = nlohmann::json::array(), jb = nlohmann::json::array();
    for (uint32_t i = b.a_begin; i < b.a_end; ++i) ja.push_back(i);
    for (uint32_t j = b.b_begin; j < b.b_end; ++j) jb.push_back(j);
    nlohmann::json j = {{"a", ja}, {"b", jb}, {"score", b.score}, {"similarity", b.similarity}};
    if (with_text) {
        j["a_text"] = a.unit_text(b.a_begin, b.a_end);
        j["b_text"] = bdoc.unit_text(b.b_begin, b.b_end);
    }
    return j;
}

nlohmann::json pair_json(const AlignedPair& p) {
    const Alignment& al = p.alignment;
    return {{"score", al.score},
            {"label", pair_label_name(al.label)},
            {"coverage_a", al.coverage_a},
            {"coverage_b", al.coverage_b},
            {"quality", al.quality},
            {"document_similarity", al.document_similarity},
            {"beads", al.beads.size()},
            {"aligned_beads", p.aligned_beads()}};
}

nlohmann::json beads_json(const AlignedPair& p, bool aligned_only, bool with_text) {
    nlohmann::json beads = nlohmann::json::array();
    for (const Bead& bead : p.alignment.beads)
        if (!aligned_only || bead.aligned()) beads.push_back(bead_json(bead, p.a, p.b, with_text));
    return beads;
}

nlohmann::json translation_json(const TranslationPair& p, const AlignedPair* aligned) {
    const TranslationLink& l = p.link;
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", l.score);
    nlohmann::json j = {{"id_a", p.id_a}, {"id_b", p.id_b}, {"lang_a", p.lang_a}, {"lang_b", p.lang_b},
                        {"score", std::stod(score)}, {"label", to_string(l.label)},
                        {"similarity", l.similarity}, {"margin", l.margin}};
    if (l.anchors >= 0) j["anchors"] = l.anchors;
    if (l.url_evidence) j["url_evidence"] = true;
    if (aligned) {
        j["alignment"] = pair_json(*aligned);
        j["alignment"]["units"] = unit_kind_name(aligned->a.kind);
        j["aligned_units"] = beads_json(*aligned, false, true);
    }
    return j;
}

void add_metadata(nlohmann::json& j, const std::string& suffix, const std::string& url, const std::string& title,
                  const std::string& date) {
    if (!url.empty()) j["url" + suffix] = url;
    if (!title.empty()) j["title" + suffix] = title;
    if (!date.empty()) j["date" + suffix] = date;
}

namespace {

void dedup_pair_records(std::ostream& out, const NearDuplicateResult& r, const MetadataFn& meta,
                        std::size_t* n_near, std::size_t* n_partial) {
    for (const auto& p : r.pairs) {
        const ReportedPair order = reported_order(p, r.docs);
        const FinderDocument& a = *order.a;
        const FinderDocument& b = *order.b;
        ++*(p.kind == DuplicateKind::kPartial ? n_partial : n_near);
        nlohmann::json j{{"type", "pair"},
                         {"id_a", a.id},
                         {"id_b", b.id},
                         {"similarity", p.jaccard},
                         {"containment", p.containment},
                         {"status", duplicate_kind_name(p.kind)},
                         {"common_shingles", p.common},
                         {"shingles_a", a.shingles},
                         {"shingles_b", b.shingles}};
        if (meta) {
            meta(j, a.id, "_a");
            meta(j, b.id, "_b");
        }
        out << j.dump() << '\n';
    }
}

void dedup_cluster_records(std::ostream& out, const NearDuplicateResult& r, const MetadataFn& meta) {
    for (const auto& c : r.clusters) {
        nlohmann::json members = nlohmann::json::array();
        for (std::size_t k = 0; k < c.members.size(); ++k) {
            members.push_back({{"id", r.docs[c.members[k]].id}, {"similarity", c.similarity[k]}});
            if (meta) meta(members.back(), r.docs[c.members[k]].id, "");
        }
        out << nlohmann::json{{"type", "cluster"}, {"representative", r.docs[c.representative].id}, {"members", members}}
                   .dump()
            << '\n';
    }
}

}  // namespace

std::pair<std::size_t, std::size_t> write_dedup_records(std::ostream& out, const NearDuplicateResult& r,
                                                        const MetadataFn& meta) {
    std::size_t n_near = 0, n_partial = 0;
    dedup_pair_records(out, r, meta, &n_near, &n_partial);
    dedup_cluster_records(out, r, meta);
    for (const auto& d : r.docs) {
        if (d.repeated_lines.empty()) continue;
        nlohmann::json lines = nlohmann::json::array();
        for (const auto& l : d.repeated_lines) lines.push_back({{"text", l.text}, {"count", l.count}});
        out << nlohmann::json{{"type", "repeated_lines"}, {"id", d.id}, {"lines", lines}}.dump() << '\n';
    }
    out << nlohmann::json{{"type", "summary"},
                          {"documents", r.docs.size()},
                          {"pairs", n_near},
                          {"partial", n_partial},
                          {"clusters", r.clusters.size()},
                          {"candidates", r.candidates},
                          {"boilerplate_lines", r.boilerplate_lines},
                          {"spec", r.spec}}
               .dump()
        << '\n';
    return {n_near, n_partial};
}

}  // namespace doppel::json_records
