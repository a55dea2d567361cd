// `dedup --store --new` (ops/duplicates.h: find_new_stored_duplicates): on a store built in
// batches, the pairs and clusters of the new documents equal a full run's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <random>
#include <tuple>
#include <utility>

#include "doppel/langid/language_identifier.h"
#include "doppel/ops/duplicates.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/verify.h"
#include "doppel/store/store.h"
#include "ops/dedup_state.h"
#include "support/test_support.h"

using namespace doppel;

namespace {

// n pseudo-words of `seed`, 12 to a line, the words at `edits` replaced.
std::string page(unsigned seed, std::size_t n, std::initializer_list<std::size_t> edits) {
    std::mt19937 rng(seed);
    std::string s;
    char buf[16];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "w%u", static_cast<unsigned>(rng() % 100000000));
        const bool edited = std::find(edits.begin(), edits.end(), i) != edits.end();
        s += (edited ? "edited" + std::to_string(i) : std::string(buf)) + (i % 12 == 11 ? "\n" : " ");
    }
    return s;
}
std::string page(unsigned seed, std::size_t n = 200, int edit = -1) {
    return edit < 0 ? page(seed, n, {}) : page(seed, n, {static_cast<std::size_t>(edit)});
}

void index_folder(Store& store, const std::string& dir) {
    LanguageIdentifier lid(test::lid_model());
    IndexConfig c;
    c.embeddings = false;
    IndexRunOptions run;
    run.batch = 3;  // several band runs, merged as they come
    index_paths(store, lid, std::move(open_index_stages(c).stages), {dir}, run);
}

// A batch of pages in dir/name: its originals (seeds `base`...), copies of earlier ones (exact,
// one word edited, most of one), and pages with a shared footer (boilerplate of their folder).
void write_batch(const test::TempDir& dir, const std::string& name, unsigned base) {
    const std::string footer = "\nShared footer line of the site, the same in most of its pages\n";
    std::vector<std::string> texts;
    for (unsigned k = 0; k < 4; ++k) texts.push_back(page(base + k));
    texts.push_back(page(base));              // exact copy of this batch's first
    texts.push_back(page(base + 1, 200, 7));  // near copy
    texts.push_back(page(base + 2, 150));     // partial copy
    texts.push_back(page(100));               // copies of the first batch's, whatever the batch
    texts.push_back(page(101, 200, 40));
    texts.push_back(page(100, 200, 90));
    for (unsigned k = 0; k < 6; ++k) texts.push_back(page(base + 20 + k) + footer);
    texts.push_back(page(base + 20));  // a footer page without its footer
    texts.push_back(page(120));        // the first batch's (its footer boilerplate there)
    // Two pages not within the threshold of each other (Jaccard about 0.78: two representatives)
    // and one within it of both (about 0.89): it joins the earlier.
    texts.push_back(page(300));
    texts.push_back(page(300, 200, {10, 30, 50, 70, 90, 110, 130, 150}));
    texts.push_back(page(300, 200, {10, 30, 50, 70}));
    for (std::size_t k = 0; k < texts.size(); ++k)
        test::write_file(dir / (name + "/" + name + "_d" + std::to_string(k) + ".txt"), texts[k]);
}

using PairKey =
    std::tuple<std::string, std::string, DuplicateKind, double, double, uint32_t, uint32_t, uint32_t>;

// The pairs of r with a document numbered from first_new on, by ids, with their documents'
// shingle counts (the evidence a pair is printed with).
std::vector<PairKey> pairs_from(const NearDuplicateResult& r, std::size_t first_new) {
    std::vector<PairKey> out;
    for (const auto& p : r.pairs)
        if (p.b >= first_new)
            out.emplace_back(r.docs[p.a].id, r.docs[p.b].id, p.kind, p.jaccard, p.containment, p.common,
                             r.docs[p.a].shingles, r.docs[p.b].shingles);
    return out;
}

// new member id -> (representative id, similarity)
std::map<std::string, std::pair<std::string, double>> clusters_from(const NearDuplicateResult& r,
                                                                    std::size_t first_new) {
    std::map<std::string, std::pair<std::string, double>> out;
    for (const auto& c : r.clusters)
        for (std::size_t i = 0; i < c.members.size(); ++i)
            if (c.members[i] >= first_new)
                out[r.docs[c.members[i]].id] = {r.docs[c.representative].id, c.similarity[i]};
    return out;
}

// The --new run on `store` against a full run: the same pairs and clusters for the new documents.
NewStoredDuplicates expect_new_equals_full(Store& store, const NearDuplicateOptions& o) {
    NewStoredDuplicates got = find_new_stored_duplicates(store, o, 4);
    record_new_duplicates(store, got.mark);
    const NearDuplicateResult full = find_stored_duplicates(store, o, 4);
    const std::size_t first_new = full.docs.size() - got.new_docs;
    EXPECT_EQ(got.result.docs.size(), full.docs.size());
    EXPECT_EQ(pairs_from(got.result, first_new), pairs_from(full, first_new));
    EXPECT_EQ(pairs_from(got.result, 0), pairs_from(got.result, first_new));  // nothing else
    EXPECT_EQ(clusters_from(got.result, first_new), clusters_from(full, first_new));
    EXPECT_EQ(clusters_from(got.result, 0), clusters_from(got.result, first_new));
    return got;
}

// A first batch "b0" of 100 pages indexed into `store` and its --new run recorded: the state
// later batches are checked from.
void index_first_batch_and_record(Store& store, const test::TempDir& dir, const NearDuplicateOptions& o) {
    write_batch(dir, "b0", 100);
    index_folder(store, dir / "b0");
    record_new_duplicates(store, find_new_stored_duplicates(store, o, 4).mark);
}

// Rewrites the recorded state of `spec` as version 1 (ops/dedup_state.h) wrote it: without the
// boilerplate line count.
void rewrite_as_version_1(Store& store, const std::string& spec) {
    const std::string key = DedupState::meta_key(spec);
    std::string meta = *store.meta(key);
    const std::string v2 = "doppel-dedup-state 2 ";
    ASSERT_EQ(meta.substr(0, v2.size()), v2);
    const std::size_t eol = meta.find('\n');
    meta = "doppel-dedup-state 1 " + meta.substr(v2.size(), meta.rfind(' ', eol) - v2.size()) + meta.substr(eol);
    store.set_meta(key, meta);
}

}  // namespace

TEST(OpsNewDuplicates, NewDocumentsGetTheFullRunsPairsAndClusters) {
    test::TempDir dir("ops_new_duplicates");
    Store store(dir / "store");
    NearDuplicateOptions o;
    o.partial = o.repeated_lines = true;
    write_batch(dir, "b0", 100);
    index_folder(store, dir / "b0");
    // The first run compares everything and says why.
    NewStoredDuplicates first = expect_new_equals_full(store, o);
    EXPECT_EQ(first.since, 0);
    EXPECT_EQ(first.new_docs, 21u);
    EXPECT_NE(first.full_run, "");
    EXPECT_GE(first.result.pairs.size(), 6u);
    // Then each batch alone, its copies of earlier documents and of its own.
    for (unsigned b = 1; b <= 3; ++b) {
        write_batch(dir, "b" + std::to_string(b), 100 + 50 * b);
        index_folder(store, dir / ("b" + std::to_string(b)));
        const NewStoredDuplicates next = expect_new_equals_full(store, o);
        EXPECT_EQ(next.full_run, "") << b;
        EXPECT_EQ(next.new_docs, 21u);
        EXPECT_GT(next.since, 0);
        EXPECT_GE(clusters_from(next.result, 0).size(), 5u);  // joined earlier clusters and their own
    }
    // Nothing new: nothing to report.
    // A run not recorded (its output lost) leaves the next one the same documents.
    write_batch(dir, "b4", 400);
    index_folder(store, dir / "b4");
    EXPECT_EQ(find_new_stored_duplicates(store, o, 4).new_docs, 21u);
    expect_new_equals_full(store, o);
    const NewStoredDuplicates none = find_new_stored_duplicates(store, o, 4);
    EXPECT_EQ(none.new_docs, 0u);
    EXPECT_TRUE(none.result.pairs.empty());
    EXPECT_TRUE(none.result.clusters.empty());
    EXPECT_EQ(none.full_run, "");
}

// A --new run counts the lines from the stored summaries, by the sources they name, where a full
// run of this small store reads the documents. A new folder's 5 pages share a line, boilerplate
// there (counted under another source, or in 4 pages, it would not be), and two of them are a
// near pair, scored without it. The run scores the pair as the full run does in a store whose
// summaries name their sources, one where a page has none (the run then counts from the
// documents: the summaries alone would count 4), and one whose summaries name no source (version
// 1, written before).
TEST(OpsNewDuplicates, LinesAreCountedByTheSourcesTheSummariesName) {
    const std::string line = "A line printed in every page of one new site\n";
    NearDuplicateOptions o;
    auto check = [&](const std::string& name, const std::string& damage) {
        test::TempDir dir("ops_new_duplicates_" + name);
        for (unsigned k = 0; k < 20; ++k)
            test::write_file(dir / ("a/a" + std::to_string(k) + ".txt"), page(500 + k, 60));
        Store store(dir / "store");
        index_folder(store, dir / "a");
        record_new_duplicates(store, find_new_stored_duplicates(store, o, 4).mark);
        test::write_file(dir / "c/c0.txt", page(700, 60) + line);
        test::write_file(dir / "c/c1.txt", page(700, 60, {5}) + line);  // a near copy of c0
        for (unsigned k = 2; k < 5; ++k)
            test::write_file(dir / ("c/c" + std::to_string(k) + ".txt"), page(700 + k, 60) + line);
        index_folder(store, dir / "c");
        if (!damage.empty()) test::exec_sql(dir / "store", damage);
        const NewStoredDuplicates got = expect_new_equals_full(store, o);
        EXPECT_EQ(got.full_run, "") << name;
        EXPECT_EQ(got.result.boilerplate_lines, 1u) << name;
        const std::vector<PairKey> pairs = pairs_from(got.result, 0);
        EXPECT_TRUE(std::any_of(pairs.begin(), pairs.end(), [&](const PairKey& p) {
            return std::get<0>(p) == "c0" && std::get<1>(p) == "c1" && std::get<3>(p) < 1.0;
        })) << name;
    };
    check("sources", "");
    check("without_one",
          "DELETE FROM line_summaries WHERE seq = (SELECT seq FROM documents WHERE id = 'c3')");
    check("version_1",  // every summary as version 1 wrote it: without its source
          "UPDATE line_summaries SET lines = CAST(substr(lines, 1, 4) || x'01000000' || "
          "substr(lines, 9, length(lines) - 16) AS BLOB) WHERE lines IS NOT NULL");
}

TEST(OpsNewDuplicates, DeletionsAndOtherOptionsGetAFullRun) {
    test::TempDir dir("ops_new_duplicates_full");
    Store store(dir / "store");
    NearDuplicateOptions o;
    index_first_batch_and_record(store, dir, o);
    // An earlier representative deleted: its members' clusters change, so a full run.
    ASSERT_TRUE(store.remove("b0_d0"));
    write_batch(dir, "b1", 150);
    index_folder(store, dir / "b1");
    const NewStoredDuplicates after_delete = expect_new_equals_full(store, o);
    EXPECT_NE(after_delete.full_run, "");
    EXPECT_EQ(after_delete.new_docs, 21u);
    // Another threshold has no recorded run: a full run of everything. Each has its own state.
    NearDuplicateOptions other = o;
    other.threshold = 0.7;
    const NewStoredDuplicates at_07 = find_new_stored_duplicates(store, other, 4);
    EXPECT_EQ(at_07.new_docs, store.size());
    record_new_duplicates(store, at_07.mark);
    for (unsigned b = 2; b <= 3; ++b) {
        write_batch(dir, "b" + std::to_string(b), 100 + 50 * b);
        index_folder(store, dir / ("b" + std::to_string(b)));
        const NewStoredDuplicates again = expect_new_equals_full(store, o);
        EXPECT_EQ(again.full_run, "");
        EXPECT_EQ(again.new_docs, 21u);
    }
}

// A run that finds nothing added or deleted answers from the recorded state, the answer a run
// through the documents gives (made here by rewriting the state as version 1, without the
// recorded boilerplate count), with the spec and banding of a full run with its options.
TEST(OpsNewDuplicates, NothingNewAnswersAsARunThroughTheDocuments) {
    test::TempDir dir("ops_new_duplicates_none");
    Store store(dir / "store");
    NearDuplicateOptions o;
    o.partial = o.repeated_lines = false;  // not the default spec (the TSV one)
    index_first_batch_and_record(store, dir, o);
    write_batch(dir, "b1", 150);
    index_folder(store, dir / "b1");
    const NewStoredDuplicates added = find_new_stored_duplicates(store, o, 4);
    record_new_duplicates(store, added.mark);
    ASSERT_GT(added.result.boilerplate_lines, 0u);  // the footers
    const NewStoredDuplicates none = find_new_stored_duplicates(store, o, 4);
    rewrite_as_version_1(store, NearDuplicateFinder(o).describe());
    const NewStoredDuplicates read = find_new_stored_duplicates(store, o, 4);
    const NearDuplicateResult full = find_stored_duplicates(store, o, 4);
    EXPECT_NE(full.spec, NearDuplicateFinder(NearDuplicateOptions{}).describe());
    for (const NewStoredDuplicates* r : {&none, &read}) {
        EXPECT_EQ(r->new_docs, 0u);
        EXPECT_EQ(r->full_run, "");
        EXPECT_EQ(r->since, added.mark.since);
        EXPECT_EQ(r->result.docs.size(), store.size());
        EXPECT_TRUE(r->result.pairs.empty());
        EXPECT_TRUE(r->result.clusters.empty());
        EXPECT_EQ(r->result.candidates, 0u);
        for (const auto& d : r->result.docs) EXPECT_TRUE(d.repeated_lines.empty());
        EXPECT_EQ(r->result.spec, full.spec);
        EXPECT_EQ(r->mark.spec, full.spec);
        EXPECT_EQ(r->result.lsh.bands, full.lsh.bands);
        EXPECT_EQ(r->result.lsh.rows, full.lsh.rows);
        EXPECT_EQ(r->result.boilerplate_lines, full.boilerplate_lines);
    }
    EXPECT_EQ(none.result.docs[0].bytes, 0u);  // from the state: the documents were not read
    EXPECT_GT(read.result.docs[0].bytes, 0u);
    EXPECT_EQ(none.result.boilerplate_lines, added.result.boilerplate_lines);
    const auto& m = none.mark;
    const auto& n = read.mark;
    EXPECT_EQ(std::tie(m.since, m.docs, m.boilerplate, m.members, m.spec, m.full, m.boilerplate_lines),
              std::tie(n.since, n.docs, n.boilerplate, n.members, n.spec, n.full, n.boilerplate_lines));
    // Once recorded again, a document added is new again.
    record_new_duplicates(store, read.mark);
    write_batch(dir, "b2", 200);
    index_folder(store, dir / "b2");
    EXPECT_EQ(expect_new_equals_full(store, o).new_docs, 21u);
}

TEST(OpsNewDuplicates, ARunOnAnOpenStoreRecordsItsPlaceWithItsResult) {
    test::TempDir dir("ops_new_duplicates_open");
    Store store(dir / "store");
    const NearDuplicateOptions o;
    write_batch(dir, "b0", 0);
    index_folder(store, dir / "b0");
    // A full run on the open store reports every document and records nothing.
    const NewStoredDuplicates all = run_stored_dedup(store, false, o, 4);
    EXPECT_EQ(all.new_docs, 21u);
    EXPECT_EQ(all.result.pairs.size(), find_stored_duplicates(store, o, 4).pairs.size());
    EXPECT_EQ(run_stored_dedup(store, true, o, 4).new_docs, 21u);
    // The new-only run recorded its place: the next one finds nothing new until a batch comes.
    EXPECT_EQ(run_stored_dedup(store, true, o, 4).new_docs, 0u);
    write_batch(dir, "b1", 150);
    index_folder(store, dir / "b1");
    EXPECT_EQ(run_stored_dedup(store, true, o, 4).new_docs, 21u);
}

// A --new run reads no row of an earlier document of a source without boilerplate (a row holds
// its text): it lists them from their line summaries, and names (reads the id of) only those its
// pairs and clusters refer to. Folder "a" has no boilerplate, folder "f" a line in each of its
// pages; the new folder "n" holds an exact copy and a near copy of two of a's pages and a near
// copy of one of f's. The result's pairs and clusters are the full run's, by id; of the earlier
// documents it names the three its pairs refer to, and no other: f's pages, with a boilerplate
// line, are kept by the band keys the first run recorded, not read.
TEST(OpsNewDuplicates, OnlyTheEarlierDocumentsTheResultNamesAreRead) {
    test::TempDir dir("ops_new_duplicates_named");
    const std::string footer = "\nThe footer line of site f, in every one of its pages\n";
    for (unsigned k = 0; k < 20; ++k)
        test::write_file(dir / ("a/a" + std::to_string(k) + ".txt"), page(500 + k, 60));
    for (unsigned k = 0; k < 6; ++k)
        test::write_file(dir / ("f/f" + std::to_string(k) + ".txt"), page(800 + k, 60) + footer);
    Store store(dir / "store");
    index_folder(store, dir / "a");
    index_folder(store, dir / "f");
    NearDuplicateOptions o;
    record_new_duplicates(store, find_new_stored_duplicates(store, o, 4).mark);
    test::write_file(dir / "n/n0.txt", page(503, 60));       // a3, exactly
    test::write_file(dir / "n/n1.txt", page(507, 60, {5}));  // a7, but one word
    test::write_file(dir / "n/n2.txt", page(802, 60, {9}));  // f2 without its footer, but one word
    test::write_file(dir / "n/n3.txt", page(900, 60));
    index_folder(store, dir / "n");
    const NewStoredDuplicates got = expect_new_equals_full(store, o);
    EXPECT_EQ(got.full_run, "");
    ASSERT_EQ(got.new_docs, 4u);
    EXPECT_EQ(pairs_from(got.result, 0).size(), 3u);
    std::vector<std::string> named;
    for (std::size_t k = 0; k + got.new_docs < got.result.docs.size(); ++k)
        if (!got.result.docs[k].id.empty()) named.push_back(got.result.docs[k].id);
    std::sort(named.begin(), named.end());
    EXPECT_EQ(named, (std::vector<std::string>{"a3", "a7", "f2"}));
}

// A --new run reads one state of the store: a document deleted by another connection while the
// run counts lines (after it began) is still the one its pass 2 lists, verifies and names. The
// new page n0 is an exact copy of a3; a3 goes as soon as the run reports progress.
TEST(OpsNewDuplicates, ARunReadsTheStoreAsItWasWhenItBegan) {
    test::TempDir dir("ops_new_duplicates_snapshot");
    for (unsigned k = 0; k < 20; ++k)
        test::write_file(dir / ("a/a" + std::to_string(k) + ".txt"), page(500 + k, 60));
    {
        Store store(dir / "store");
        index_folder(store, dir / "a");
        record_new_duplicates(store, find_new_stored_duplicates(store, NearDuplicateOptions{}, 4).mark);
        test::write_file(dir / "n/n0.txt", page(503, 60));
        index_folder(store, dir / "n");
    }
    Store store(dir / "store");
    bool deleted = false;
    const auto progress = [&](std::size_t, std::size_t) {
        if (std::exchange(deleted, true)) return;
        Store other(dir / "store");
        EXPECT_TRUE(other.remove("a3"));
    };
    const NewStoredDuplicates got = find_new_stored_duplicates(store, NearDuplicateOptions{}, 4, progress);
    EXPECT_TRUE(deleted);
    EXPECT_EQ(got.full_run, "");
    ASSERT_EQ(got.result.pairs.size(), 1u);
    const NearDuplicatePair& p = got.result.pairs[0];
    EXPECT_EQ(got.result.docs[p.a].id, "a3");
    EXPECT_EQ(got.result.docs[p.b].id, "n0");
    EXPECT_FALSE(store.get("a3"));  // gone once the run is over
}

namespace {

// Folder "a" without boilerplate and folder "f" whose six pages share a footer line, indexed
// into dir/store and recorded by a first --new run (a full one); then folder "n": n2 is f2 without
// its footer but for one word (a pair only through f2's set without the footer), n3 unlike any.
// Returns the state the first run recorded (its metadata), to run the second one again from.
std::string index_footer_pages_then_new(Store& store, const test::TempDir& dir,
                                        const NearDuplicateOptions& o) {
    const std::string footer = "\nThe footer line of site f, in every one of its pages\n";
    for (unsigned k = 0; k < 20; ++k)
        test::write_file(dir / ("a/a" + std::to_string(k) + ".txt"), page(500 + k, 60));
    for (unsigned k = 0; k < 6; ++k)
        test::write_file(dir / ("f/f" + std::to_string(k) + ".txt"), page(800 + k, 60) + footer);
    index_folder(store, dir / "a");
    index_folder(store, dir / "f");
    record_new_duplicates(store, find_new_stored_duplicates(store, o, 4).mark);
    test::write_file(dir / "n/n2.txt", page(802, 60, {9}));
    test::write_file(dir / "n/n3.txt", page(900, 60));
    index_folder(store, dir / "n");
    return *store.meta(DedupState::meta_key(NearDuplicateFinder(o).describe()));
}

// Rewrites the boilerplate band keys stored for document `id` with `change`.
template <class Change>
void change_stored_bands(Store& store, const std::string& id, Change change) {
    const int64_t seq = store.get(id, false)->seq;
    std::optional<BoilerplateBands> b =
        decode_boilerplate_bands(*store.artifact(seq, kBoilerplateBandsArtifact));
    ASSERT_TRUE(b);
    change(*b);
    const std::string blob = encode_boilerplate_bands(*b);
    store.put_artifacts(kBoilerplateBandsArtifact, 1, &seq, &blob);
}

// The seqs of the band keys a run made for its record.
std::vector<int64_t> made_bands(const NewStoredDuplicates::Mark& m) {
    std::vector<int64_t> seqs;
    if (m.boilerplate_bands)
        m.boilerplate_bands->for_each([&](int64_t seq, std::string_view) { seqs.push_back(seq); });
    return seqs;
}

std::vector<std::string> pair_ids(const NearDuplicateResult& r) {
    std::vector<std::string> out;
    for (const auto& p : r.pairs) out.push_back(r.docs[p.a].id + "-" + r.docs[p.b].id);
    return out;
}

}  // namespace

// An earlier page whose set leaves its site's footer out is kept by the band keys the run that
// derived it recorded, not derived again each run: the first run records those of f's six pages,
// the second finds the full run's pairs with them. With f2's stored keys changed the pair n2-f2
// is lost (they were used); with the lines they were made for changed too, they are not used and
// the pair is found again (f2's set derived anew, its keys recorded again). Runs with other
// output options share the keys.
TEST(OpsNewDuplicates, EarlierBoilerplatePagesAreKeptByTheirRecordedBandKeys) {
    test::TempDir dir("ops_new_duplicates_bands");
    Store store(dir / "store");
    const NearDuplicateOptions o;
    const std::string state = index_footer_pages_then_new(store, dir, o);
    EXPECT_EQ(store.artifact_count(kBoilerplateBandsArtifact), 6u);
    const NewStoredDuplicates got = expect_new_equals_full(store, o);
    EXPECT_EQ(got.full_run, "");
    EXPECT_EQ(pair_ids(got.result), std::vector<std::string>{"f2-n2"});
    EXPECT_EQ(store.artifact_count(kBoilerplateBandsArtifact), 6u);  // n's pages have no boilerplate
    const std::string key = DedupState::meta_key(NearDuplicateFinder(o).describe());
    change_stored_bands(store, "f2", [](BoilerplateBands& b) {
        for (uint64_t& k : b.keys) k ^= 0x5555;
    });
    store.set_meta(key, state);
    EXPECT_EQ(pair_ids(find_new_stored_duplicates(store, o, 4).result), std::vector<std::string>{});
    change_stored_bands(store, "f2", [](BoilerplateBands& b) { b.lines ^= 2; });
    store.set_meta(key, state);
    const NewStoredDuplicates again = find_new_stored_duplicates(store, o, 4);
    EXPECT_EQ(again.full_run, "");
    EXPECT_EQ(pair_ids(again.result), std::vector<std::string>{"f2-n2"});
    EXPECT_EQ(made_bands(again.mark), std::vector<int64_t>{store.get("f2", false)->seq});
    record_new_duplicates(store, again.mark);
    // Other output options (TSV's: no partial copies, no repeated lines), the same keys: a first
    // run with them, a full one, makes none, every one being stored.
    NearDuplicateOptions tsv = o;
    tsv.partial = tsv.repeated_lines = false;
    const NewStoredDuplicates other = find_new_stored_duplicates(store, tsv, 4);
    EXPECT_NE(other.full_run, "");
    EXPECT_EQ(made_bands(other.mark), std::vector<int64_t>{});
}

// Recorded keys that do not match the set a candidate's document turns out to have (here its
// size) are not trusted: the run is a full one, with the full run's result.
TEST(OpsNewDuplicates, RecordedBandKeysThatDisagreeWithTheSetGetAFullRun) {
    test::TempDir dir("ops_new_duplicates_bands_disagree");
    Store store(dir / "store");
    const NearDuplicateOptions o;
    index_footer_pages_then_new(store, dir, o);
    change_stored_bands(store, "f2", [](BoilerplateBands& b) { ++b.shingles; });
    const NewStoredDuplicates got = expect_new_equals_full(store, o);
    EXPECT_EQ(got.full_run, "stored boilerplate band keys disagree with a document's set");
    EXPECT_EQ(pair_ids(got.result), std::vector<std::string>{"f2-n2"});
}

// The keys are recorded with the run's place, for the documents still stored (one deleted since
// the run is left out), a full run does not make them again where they are stored, and store
// verification does not ask them of every document (a0 and a1 have none).
TEST(OpsNewDuplicates, BandKeysAreRecordedForTheDocumentsStillStored) {
    test::TempDir dir("ops_new_duplicates_bands_record");
    NewStoredDuplicates::Mark mark;
    {
        Store store(dir / "store");
        const std::string footer = "\nThe footer line of site f, in every one of its pages\n";
        for (unsigned k = 0; k < 6; ++k)
            test::write_file(dir / ("f/f" + std::to_string(k) + ".txt"), page(800 + k, 60) + footer);
        test::write_file(dir / "a/a0.txt", page(500, 60));  // no footer: no keys
        index_folder(store, dir / "f");
        index_folder(store, dir / "a");
        mark = find_new_stored_duplicates(store, NearDuplicateOptions{}, 4).mark;
        EXPECT_EQ(made_bands(mark).size(), 6u);
        EXPECT_TRUE(store.remove("f1"));
        record_new_duplicates(store, mark);
        EXPECT_EQ(store.artifact_count(kBoilerplateBandsArtifact), 5u);
        // A full run (a deletion since) makes no keys where they are stored: f1's alone, indexed
        // again.
        index_folder(store, dir / "f");
        EXPECT_TRUE(store.remove("a0"));
        const NewStoredDuplicates full = find_new_stored_duplicates(store, NearDuplicateOptions{}, 4);
        EXPECT_NE(full.full_run, "");
        EXPECT_EQ(made_bands(full.mark), std::vector<int64_t>{store.get("f1", false)->seq});
        test::write_file(dir / "a/a1.txt", page(501, 60));
        index_folder(store, dir / "a");
    }
    const StoreVerification v = verify_store(dir / "store");
    EXPECT_TRUE(v.healthy);
    for (const auto& f : v.findings) EXPECT_TRUE(f.ok) << f.check << ": " << f.detail;
}

// The keys a run makes are kept in memory up to a bound, then in a temporary file, and given
// back whole and in order either way (here 20 bytes in memory: every record past the first goes
// to the file, and a 1 MiB chunk of it ends within a record).
TEST(OpsNewDuplicates, MadeBandKeysPastTheirBoundAreKeptInAFile) {
    for (uint64_t in_memory : {uint64_t{20}, BoilerplateBandsMade::kInMemory}) {
        BoilerplateBandsMade made(in_memory);
        std::vector<std::pair<int64_t, std::string>> want, got;
        for (int64_t seq = 1; seq <= 9000; ++seq) {
            BoilerplateBands b{7, static_cast<uint64_t>(seq) * 3, 2, 40, {}};
            for (int k = 0; k < 16; ++k) b.keys.push_back(static_cast<uint64_t>(seq * 100 + k));
            made.add(seq, b);
            want.emplace_back(seq, encode_boilerplate_bands(b));
        }
        EXPECT_EQ(made.size(), want.size());
        for (int pass = 0; pass < 2; ++pass) {  // read twice: the file is read from its start again
            got.clear();
            made.for_each(
                [&](int64_t seq, std::string_view blob) { got.emplace_back(seq, std::string(blob)); });
            EXPECT_EQ(got, want) << in_memory;
        }
        const std::optional<BoilerplateBands> back = decode_boilerplate_bands(want[5].second);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->lines, 18u);
        EXPECT_EQ(back->keys.size(), 16u);
        EXPECT_FALSE(decode_boilerplate_bands(want[5].second.substr(1)));
        const std::optional<BoilerplateBands> head = decode_boilerplate_bands(want[5].second, false);
        ASSERT_TRUE(head);
        EXPECT_EQ(std::tie(head->spec, head->lines, head->boilerplate_lines, head->shingles),
                  std::tie(back->spec, back->lines, back->boilerplate_lines, back->shingles));
        EXPECT_TRUE(head->keys.empty());
        EXPECT_FALSE(decode_boilerplate_bands(want[5].second.substr(0, want[5].second.size() - 8), false));
    }
}
