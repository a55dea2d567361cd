#include "doppel/ops/verify.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "doppel/embed/feature_artifacts.h"
#include "doppel/error.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/index/vector_index_check.h"
#include "doppel/store/sketch_artifacts.h"
#include "doppel/store/store.h"
#include "doppel/store/store_write_lock.h"
#include "ops/dedup_state.h"

namespace doppel {
namespace {

// The artifact kinds every document of the store should have: those recorded by the stages that
// indexed into it and those present.
std::vector<std::string> expected_kinds(const Store& store) {
    std::set<std::string> kinds;
    for (auto& k : split_kinds(store.meta(kArtifactKindsMeta).value_or(""))) kinds.insert(k);
    for (auto& k : store.artifact_kinds()) kinds.insert(k);
    kinds.erase(kBoilerplateBandsArtifact);  // of some documents only (ops/dedup_state.h)
    return {kinds.begin(), kinds.end()};
}

// "3 documents (a, b, c)", naming at most five.
std::string name_documents(const Store& store, const std::vector<int64_t>& seqs) {
    std::string s = std::to_string(seqs.size()) + (seqs.size() == 1 ? " document (" : " documents (");
    for (std::size_t i = 0; i < std::min<std::size_t>(seqs.size(), 5); ++i) {
        const auto d = store.get_by_seq(seqs[i], false);
        s += (i ? ", " : "") + (d ? d->id : "seq " + std::to_string(seqs[i]));
    }
    return s + (seqs.size() > 5 ? ", ...)" : ")");
}

VerifyFinding check_integrity(const Store& store) {
    const std::vector<std::string> problems = store.integrity_problems();
    if (problems.empty()) return {"integrity", true, "ok"};
    std::string detail = "SQLite reports " + std::to_string(problems.size()) + " problems in " +
                         (std::filesystem::path(store.dir()) / Store::kDatabaseFile).string() + ": " + problems[0];
    return {"integrity", false, detail};
}

VerifyFinding check_schema(const Store& store) {
    const int v = store.schema_version();
    if (v == Store::kSchemaVersion) return {"schema", true, "ok (version " + std::to_string(v) + ")"};
    return {"schema", false, "version " + std::to_string(v) + ", this build writes " + std::to_string(Store::kSchemaVersion)};
}

VerifyFinding check_artifacts(const Store& store) {
    std::string detail;
    for (const auto& kind : expected_kinds(store)) {
        const std::vector<int64_t> missing = store.documents_missing(kind);
        if (!missing.empty())
            detail += (detail.empty() ? "" : "; ") + name_documents(store, missing) + " without \"" + kind + "\"";
    }
    if (detail.empty()) return {"artifacts", true, "ok (" + std::to_string(store.size()) + " documents complete)"};
    return {"artifacts", false, detail};
}

VerifyFinding check_index(const Store& store) {
    const VectorIndexCheck c = check_vector_index(store);
    if (c.in_step)
        return {"vector index", true,
                c.present ? "ok (" + std::to_string(c.indexed) + " documents)" : "ok (no features, no index)"};
    return {"vector index", false, c.problem};
}

VerifyFinding check_paragraphs(const Store& store) {
    const std::vector<int64_t> bad = store.unreadable_paragraphs();
    if (bad.empty()) return {"paragraphs", true, "ok"};
    return {"paragraphs", false,
            name_documents(store, bad) + " with stored paragraphs that cannot be read or lie outside the text "
                                         "(read as none; delete them with `doppel delete` and index them again to restore them)"};
}

VerifyFinding check_copies(const Store& store) {
    const std::vector<int64_t> bad = store.broken_copies();
    if (bad.empty()) return {"copies", true, "ok (" + std::to_string(store.copy_count()) + " exact copies stored once)"};
    return {"copies", false,
            name_documents(store, bad) + " stored as copies of a text the store does not hold as theirs (a missing "
                                         "holder, or one with another content hash; delete them with `doppel delete` "
                                         "and index them again to restore them)"};
}

VerifyFinding check_ids(const Store& store, Store::IdKeyProblems* problems) {
    *problems = store.id_key_problems();
    const Store::IdKeyProblems& p = *problems;
    if (p.empty())
        return {"ids", true,
                p.keys.large + p.keys.middle + p.keys.fresh == 0
                    ? "ok"
                    : "ok (keys: " + std::to_string(p.keys.large) + " merged, " +
                          std::to_string(p.keys.middle) + " in the middle table, " +
                          std::to_string(p.keys.fresh) + " new)"};
    std::string detail;
    auto add = [&](const std::string& s) { detail += (detail.empty() ? "" : "; ") + s; };
    if (!p.unfindable.empty())
        add(name_documents(store, p.unfindable) + " not found by their ids (the id keys lack them)");
    if (p.stray) add(std::to_string(p.stray) + " id keys naming no document");
    if (p.no_filter) add("the filter of the id keys is missing or damaged (lookups are slower)");
    if (p.unfindable.size() || p.stray || p.no_filter) add("verify --repair computes the keys again");
    if (!p.duplicated.empty())
        add(name_documents(store, p.duplicated) +
            " with an id an earlier document also has (not repaired: delete the id with `doppel delete` and index "
            "it again)");
    return {"ids", false, detail};
}

VerifyFinding check_band_runs(const Store& store, BandRunCheck* check) {
    *check = doppel::check_band_runs(store);
    const BandRunCheck& c = *check;
    if (c.perms == 0) return {"band runs", true, "ok (no near-duplicate sketches)"};
    std::string names;
    for (const LshParams& p : c.bandings) names += (names.empty() ? "" : ", ") + banding_name(p);
    if (c.problems.empty()) return {"band runs", true, "ok (" + names + " read whole)"};
    std::string detail;
    for (std::size_t i = 0; i < std::min<std::size_t>(c.problems.size(), 5); ++i)
        detail += (i ? "; " : "") + c.problems[i];
    if (c.problems.size() > 5) detail += "; and " + std::to_string(c.problems.size() - 5) + " more";
    return {"band runs", false, detail + " (check and dedup --store read them; verify --repair builds them again)"};
}

// What the checks found that repair() mends.
struct Found {
    BandRunCheck bands;
    Store::IdKeyProblems ids;
};

std::vector<VerifyFinding> run_checks(const Store& store, Found* found) {
    std::vector<VerifyFinding> out{check_integrity(store), check_schema(store)};
    if (!out[0].ok) return out;  // a damaged file: the other checks would read garbage
    out.push_back(check_artifacts(store));
    out.push_back(check_index(store));
    out.push_back(check_paragraphs(store));
    out.push_back(check_copies(store));
    out.push_back(check_ids(store, &found->ids));
    out.push_back(check_band_runs(store, &found->bands));
    return out;
}

bool all_ok(const std::vector<VerifyFinding>& findings) {
    return std::all_of(findings.begin(), findings.end(), [](const VerifyFinding& f) { return f.ok; });
}

// The stages that write the store's artifact kinds, as configured for it (vectors and vector
// index factory from its metadata).
IndexStages repair_stages(const Store& store, IndexConfig config) {
    const std::vector<std::string> kinds = expected_kinds(store);
    auto has = [&](const std::string& k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
    config.near_duplicates = has(kMinHashArtifact) || has(kShinglesArtifact);
    config.embeddings = has(kBridgeFeaturesArtifact) || VectorIndex::exists(store.dir());
    if (auto v = store.meta("embedding.vectors")) config.vectors = *v;
    if (auto w = store.meta("embedding.vectors_weight")) config.vectors_weight = std::stof(*w);
    if (auto m = store.meta("vector_index"); m && !VectorIndex::factory_of(*m).empty())
        config.vector_index = VectorIndex::factory_of(*m);
    return open_index_stages(config);
}

// Recomputes missing artifacts and wrong id keys, builds damaged band runs again and brings the
// vector index in step; returns what it did.
std::vector<std::string> repair(Store& store, const VerifyOptions& options, const Found& found) {
    const BandRunCheck& bands = found.bands;
    IndexStages stages = repair_stages(store, options.index);
    std::vector<std::string> done = stages.warnings;
    Indexer indexer(store);  // takes the write lock; stored documents only: no language model loaded
    if (!found.ids.unfindable.empty() || found.ids.stray || found.ids.no_filter) {
        store.rebuild_id_keys();
        done.push_back("computed the id keys of the stored documents again");
    }
    for (auto& s : stages.stages) indexer.add_stage(std::move(s));
    if (!bands.damaged.empty()) {  // the near-duplicate stage's flush (indexer.finish) builds them again
        store.transaction([&] {
            for (const LshParams& p : bands.damaged) LshBandStore::drop(store, bands.perms, p);
        });
        for (const LshParams& p : bands.damaged)
            done.push_back("built the band runs of " + banding_name(p) + " again from the stored signatures");
    }
    IndexSummary summary;
    const std::size_t completed = indexer.complete_stored(&summary);
    if (completed) done.push_back("computed the missing artifacts of " + std::to_string(completed) + " documents");
    indexer.finish(&summary);
    for (auto& w : summary.warnings) done.push_back(std::move(w));
    return done;
}

}  // namespace

StoreVerification verify_store(const std::string& dir, const VerifyOptions& options) {
    StoreVerification v;
    Store store(dir, StoreOptions{false, !options.repair});
    try {
        v.writer_running = StoreWriteLock::held_by_another(dir);
    } catch (const Error&) {  // a read-only folder: no writer can hold it either
    }
    Found found;
    v.findings = run_checks(store, &found);
    v.healthy = all_ok(v.findings);
    if (v.healthy || !options.repair) return v;
    if (!v.findings[0].ok) {
        v.repairs.push_back("not repaired: the database file itself is damaged (restore a copy, or index the "
                            "inputs into a new store)");
        v.after = v.findings;
        return v;
    }
    v.repairs = repair(store, options, found);
    v.after = run_checks(store, &found);
    v.repaired = all_ok(v.after);
    return v;
}

}  // namespace doppel
