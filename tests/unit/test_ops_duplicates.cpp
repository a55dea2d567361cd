// The near-duplicate operations (ops/duplicates.h) and the index operation (ops/indexer.h) on a
// small store built from files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "doppel/index/near_duplicate_index.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/duplicates.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"
#include "ops/band_run_dedup.h"
#include "support/test_support.h"

using namespace doppel;

namespace {

// n pseudo-words, 12 to a line.
std::vector<std::string> words(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> w;
    char buf[16];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "w%u", static_cast<unsigned>(rng() % 100000000));
        w.emplace_back(buf);
    }
    return w;
}
std::string text(const std::vector<std::string>& w, std::size_t n = SIZE_MAX) {
    std::string s;
    for (std::size_t i = 0; i < std::min(n, w.size()); ++i) s += w[i] + (i % 12 == 11 ? "\n" : " ");
    return s;
}
Document doc(const std::string& id, const std::string& t) {
    Document d;
    d.id = id;
    d.text = t;
    d.source = id + ".txt";
    return d;
}
IndexConfig duplicates_only() {
    IndexConfig c;
    c.embeddings = false;
    return c;
}
// Indexes the folder `dir` into `store` with the near-duplicate stage only.
IndexRun index_folder(Store& store, const std::string& dir) {
    LanguageIdentifier lid(test::lid_model());
    IndexStages stages = open_index_stages(duplicates_only());
    EXPECT_TRUE(stages.warnings.empty());
    IndexRunOptions options;
    options.now = 1000;
    return index_paths(store, lid, std::move(stages.stages), {dir}, options);
}

// Writes d0.txt ... d7.txt into `dir` and returns their texts: six pages (words of seeds seed ...
// seed + 5) ending in one shared footer line, the boilerplate; a page without it (seed + 10),
// between two copies of `twice` when given (a line repeated in one page, not boilerplate); and a
// near copy of that page without `twice` (one word edited).
std::vector<std::string> write_footer_pool(const std::string& dir, unsigned seed, const std::string& twice = "") {
    const std::string footer = "\nShared footer line of the site, the same in most of its pages\n";
    std::vector<std::string> texts;
    for (unsigned k = 0; k < 6; ++k) texts.push_back(text(words(200, seed + k)) + footer);
    const std::string plain = text(words(200, seed + 10));
    texts.push_back(twice.empty() ? plain : twice + plain + "\n" + twice);
    auto w = words(200, seed + 10);
    w[50] = "edited";
    texts.push_back(text(w));
    for (std::size_t k = 0; k < texts.size(); ++k) test::write_file(dir + "/d" + std::to_string(k) + ".txt", texts[k]);
    return texts;
}

// Whether two results are the same: documents, pairs, clusters and counts.
void expect_same_result(const NearDuplicateResult& x, const NearDuplicateResult& y) {
    ASSERT_EQ(x.docs.size(), y.docs.size());
    for (std::size_t i = 0; i < x.docs.size(); ++i) {
        EXPECT_EQ(x.docs[i].id, y.docs[i].id);
        EXPECT_EQ(x.docs[i].shingles, y.docs[i].shingles);
        EXPECT_EQ(x.docs[i].boilerplate_lines, y.docs[i].boilerplate_lines);
        EXPECT_EQ(x.docs[i].bytes, y.docs[i].bytes);
        ASSERT_EQ(x.docs[i].repeated_lines.size(), y.docs[i].repeated_lines.size()) << x.docs[i].id;
        for (std::size_t k = 0; k < x.docs[i].repeated_lines.size(); ++k) {
            EXPECT_EQ(x.docs[i].repeated_lines[k].text, y.docs[i].repeated_lines[k].text);
            EXPECT_EQ(x.docs[i].repeated_lines[k].count, y.docs[i].repeated_lines[k].count);
        }
    }
    ASSERT_EQ(x.pairs.size(), y.pairs.size());
    for (std::size_t i = 0; i < x.pairs.size(); ++i) {
        EXPECT_EQ(x.pairs[i].a, y.pairs[i].a);
        EXPECT_EQ(x.pairs[i].b, y.pairs[i].b);
        EXPECT_EQ(x.pairs[i].kind, y.pairs[i].kind);
        EXPECT_EQ(x.pairs[i].jaccard, y.pairs[i].jaccard);
        EXPECT_EQ(x.pairs[i].containment, y.pairs[i].containment);
    }
    ASSERT_EQ(x.clusters.size(), y.clusters.size());
    for (std::size_t i = 0; i < x.clusters.size(); ++i) {
        EXPECT_EQ(x.clusters[i].representative, y.clusters[i].representative);
        EXPECT_EQ(x.clusters[i].members, y.clusters[i].members);
    }
    EXPECT_EQ(x.candidates, y.candidates);
    EXPECT_EQ(x.bytes, y.bytes);
    EXPECT_EQ(x.boilerplate_lines, y.boilerplate_lines);
    EXPECT_EQ(x.spec, y.spec);
}

// Every stored document as one batch, as dedup --store's first pass reads it (keys and line
// summaries; with_set_keys, the stored set keys too), the finder's line counts taken.
void read_whole_store(const Store& store, NearDuplicateFinder& finder, bool with_set_keys, StoredDocuments& b) {
    store.scan_keys([&](const Store::DocumentKeys& k) {
        b.docs.push_back({});
        b.docs.back().id = k.id;
        b.docs.back().source = k.source;
        b.docs.back().url = k.url;
        b.seqs.push_back(k.seq);
        b.summaries.push_back(decode_lines(*store.artifact(k.seq, "lines")));
        if (with_set_keys) {
            b.set_keys.push_back(decode_set_key(*store.artifact(k.seq, "shingle_set")));
            b.has_set_key.push_back(1);
        }
        return true;
    });
    for (auto& summary : b.summaries) b.lines.push_back(&summary);
    finder.count_lines(b.docs.size(), b.docs.data(), b.lines.data());
}
}  // namespace

TEST(OpsIndexer, OpenStagesWarnsWhenTheBridgeIsMissing) {
    IndexConfig c;
    c.models_dir = "/nonexistent";
    IndexStages s = open_index_stages(c);
    ASSERT_EQ(s.stages.size(), 1u);  // near-duplicates only
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_NE(s.warnings[0].find("bridge.lex missing"), std::string::npos);
    c.near_duplicates = false;
    EXPECT_TRUE(open_index_stages(c).stages.empty());
}

// IndexRunOptions::count_stored off: the run skips the count of the store's documents.
TEST(OpsIndexer, StoredIsCountedOnlyWhenAsked) {
    test::TempDir dir("ops_count_stored");
    test::write_file(dir / "in/a.txt", text(words(300, 1)));
    test::write_file(dir / "in/b.txt", text(words(300, 2)));
    Store store(dir / "store");
    IndexRunOptions options;
    options.now = 1000;
    options.count_stored = false;
    IndexRun run = index_paths(store, nullptr, open_index_stages(duplicates_only()).stages, {dir / "in"}, options);
    EXPECT_EQ(run.summary.added, 2u);
    EXPECT_EQ(run.stored, 0u);
    test::write_file(dir / "in2/c.txt", text(words(300, 3)));
    options.count_stored = true;
    run = index_paths(store, nullptr, open_index_stages(duplicates_only()).stages, {dir / "in2"}, options);
    EXPECT_EQ(run.summary.added, 1u);
    EXPECT_EQ(run.stored, 3u);
}

TEST(OpsDuplicates, CheckStatusesOnASmallStore) {
    test::TempDir dir("ops_check");
    const auto a = words(300, 1), b = words(300, 2), c = words(300, 3);
    test::write_file(dir / "in/a.txt", text(a));
    test::write_file(dir / "in/b.txt", text(b));
    test::write_file(dir / "in/c.txt", text(c));
    test::write_file(dir / "in/bad.txt", std::string("caf\xc3 broken\n"));
    Store store(dir / "store");
    const IndexRun run = index_folder(store, dir / "in");
    EXPECT_EQ(run.read, 3u);
    EXPECT_EQ(run.summary.added, 3u);
    EXPECT_EQ(run.stored, 3u);
    ASSERT_EQ(run.errors.size(), 1u);  // bad.txt: invalid UTF-8
    EXPECT_EQ(run.summary.seconds.front().first, "read");

    auto b_edit = b;
    b_edit[150] = "changed";  // one word of 300: Jaccard about 0.98
    const std::vector<Document> docs = {doc("copy", text(a)), doc("edit", text(b_edit)),
                                        doc("other", text(words(300, 4))), doc("part", text(c, 230))};
    CheckOptions options;
    options.partial = true;
    DuplicateChecker checker(store, options);
    EXPECT_EQ(checker.size(), 3u);
    const std::vector<CheckResult> r = checker.check(docs.size(), docs.data());
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].id, "copy");
    EXPECT_EQ(r[0].status, CheckStatus::kExact);
    EXPECT_EQ(r[0].match_id, "a");
    EXPECT_DOUBLE_EQ(r[0].similarity, 1.0);
    EXPECT_EQ(r[1].status, CheckStatus::kNear);
    EXPECT_EQ(r[1].match_id, "b");
    EXPECT_GT(r[1].similarity, 0.9);
    EXPECT_LT(r[1].similarity, 1.0);
    EXPECT_EQ(r[2].status, CheckStatus::kNew);
    EXPECT_EQ(r[2].match_id, "");
    EXPECT_TRUE(r[2].partial.empty());
    EXPECT_EQ(r[3].status, CheckStatus::kNew);  // most of c, but under the threshold
    ASSERT_EQ(r[3].partial.size(), 1u);
    EXPECT_EQ(r[3].partial[0].id, "c");
    EXPECT_LT(r[3].partial[0].similarity, 0.8);
    EXPECT_DOUBLE_EQ(r[3].partial[0].containment, 1.0);
    EXPECT_STREQ(check_status_name(CheckStatus::kNear), "near");

    options.partial = false;  // no partial copies asked for: none reported
    DuplicateChecker plain(store, options);
    EXPECT_TRUE(plain.check(1, &docs[3])[0].partial.empty());
}

TEST(OpsDuplicates, StorelessEqualsStored) {
    test::TempDir dir("ops_dedup");
    // Ten documents of one source sharing a footer line (boilerplate), with copies and edits.
    const std::string footer = "\nCopyright the example news site, all rights reserved, 2024\n";
    std::vector<std::string> texts;
    for (unsigned k = 0; k < 6; ++k) texts.push_back(text(words(200, 10 + k)) + footer);
    texts.push_back(texts[0]);  // exact copy
    auto w = words(200, 11);
    w[20] = "edited";
    texts.push_back(text(w) + footer);                    // near copy of 1
    texts.push_back(text(words(200, 12), 150) + footer);  // most of 2
    texts.push_back(footer);                              // the footer alone
    for (std::size_t k = 0; k < texts.size(); ++k)
        test::write_file(dir / ("in/d" + std::to_string(k) + ".txt"), texts[k]);
    Store store(dir / "store");
    index_folder(store, dir / "in");

    const NearDuplicateOptions options;
    const NearDuplicateResult stored = find_stored_duplicates(store, options, 3);
    FileDedupOptions read;
    read.batch = 4;
    for (std::size_t cache_mb : {256u, 0u}) {
        read.cache_mb = cache_mb;
        const FileDedup files = find_file_duplicates({dir / "in"}, options, read);
        EXPECT_TRUE(files.errors.empty());
        const NearDuplicateResult& r = files.result;
        expect_same_result(r, stored);
    }
    EXPECT_GE(stored.boilerplate_lines, 1u);
    std::size_t exact = 0, near = 0, partial = 0;
    for (const auto& p : stored.pairs)
        ++(p.kind == DuplicateKind::kExact ? exact : p.kind == DuplicateKind::kNear ? near : partial);
    EXPECT_EQ(exact, 1u);
    EXPECT_EQ(near, 1u);
    EXPECT_EQ(partial, 1u);
    FileDedupOptions by_path;
    by_path.id_from_path = true;
    EXPECT_EQ(find_file_duplicates({dir / "in"}, options, by_path).result.docs[0].id, dir / "in/d0.txt");
}

TEST(OpsIndexer, ARepeatedIdInOneBatchKeepsTheLaterRecord) {
    test::TempDir dir("ops_repeat");
    Store store(dir / "store");
    LanguageIdentifier lid(test::lid_model());
    Indexer indexer(store, lid);
    indexer.add_stage(std::move(open_index_stages(duplicates_only()).stages[0]));
    const auto a = words(200, 4), b = words(200, 5), c = words(200, 6);
    std::vector<Document> docs = {doc("x", text(a)), doc("y", text(c)), doc("x", text(b))};
    docs[0].source = "feed.jsonl:1";
    docs[2].source = "feed.jsonl:3";
    IndexSummary summary;
    const auto status = indexer.add(docs.size(), docs.data(), 1000, &summary);
    ASSERT_EQ(status.size(), 3u);
    EXPECT_EQ(status[0], PutStatus::kSuperseded);
    EXPECT_EQ(status[1], PutStatus::kAdded);
    EXPECT_EQ(status[2], PutStatus::kAdded);
    EXPECT_EQ(summary.added, 2u);
    ASSERT_EQ(summary.superseded.size(), 1u);
    EXPECT_EQ(summary.superseded[0].to_string(),
              "feed.jsonl:1: id 'x' given again at feed.jsonl:3: the later record replaces this one");
    EXPECT_EQ(store.get("x")->text, text(b));
    EXPECT_EQ(store.size(), 2u);
}

TEST(OpsIndexer, IndexPathsReportsARepeatedIdAndStoresTheRest) {
    test::TempDir dir("ops_repeat_run");
    const auto a = words(200, 7), b = words(200, 8);
    std::string jsonl;
    for (const auto* t : {&a, &b, &a}) {
        std::string escaped;
        for (char ch : text(*t)) escaped += ch == '\n' ? std::string("\\n") : std::string(1, ch);
        jsonl += std::string("{\"id\": \"") + (t == &b ? "b" : "a") + "\", \"text\": \"" + escaped + "\"}\n";
    }
    jsonl.replace(jsonl.find("w"), 1, "v");  // the first "a" differs from the second
    test::write_file(dir / "in/feed.jsonl", jsonl);
    Store store(dir / "store");
    const IndexRun run = index_folder(store, dir / "in");
    EXPECT_EQ(run.read, 3u);
    EXPECT_EQ(run.summary.added, 2u);
    ASSERT_EQ(run.errors.size(), 1u);
    EXPECT_EQ(run.errors[0].to_string(), (dir / "in/feed.jsonl") + ":1: id 'a' given again at " +
                                             (dir / "in/feed.jsonl") + ":3: the later record replaces this one");
    EXPECT_EQ(store.get("a")->text, text(a));
    EXPECT_EQ(run.stored, 2u);
}

TEST(OpsIndexer, AStoreForDuplicatesOnlySkipsLanguageIdAndKeepsItsPurpose) {
    test::TempDir dir("ops_purpose");
    const auto a = words(300, 21), b = words(300, 22);
    test::write_file(dir / "in/a.txt", text(a));
    test::write_file(dir / "in/b.txt", text(b));
    test::write_file(dir / "in/copy.txt", text(a));
    Store store(dir / "store");
    EXPECT_EQ(store_purpose(store), "all");  // nothing recorded yet
    const IndexConfig config = config_for_purpose(IndexConfig{}, "duplicates");
    EXPECT_FALSE(config.embeddings);
    EXPECT_FALSE(config.language_id);
    IndexStages stages = open_index_stages(config);
    ASSERT_EQ(stages.stages.size(), 1u);
    const IndexRun run = index_paths(store, nullptr, std::move(stages.stages), {dir / "in"});
    EXPECT_EQ(run.summary.added, 3u);
    EXPECT_EQ(run.text_bytes, 2 * text(a).size() + text(b).size());
    EXPECT_EQ(store.meta(kPurposeMeta).value_or(""), "duplicates");
    EXPECT_EQ(store_purpose(store), "duplicates");
    const auto stored = store.get("a");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->lang, "");  // no language ID
    EXPECT_TRUE(stored->paragraphs.empty());
    EXPECT_EQ(stored->content_hash, content_hash(text(a)));
    EXPECT_TRUE(store.documents_missing("minhash").empty());
    const NearDuplicateResult r = find_stored_duplicates(store, NearDuplicateOptions{});
    ASSERT_EQ(r.pairs.size(), 1u);
    EXPECT_EQ(r.pairs[0].kind, DuplicateKind::kExact);

    // The other purpose is refused, by name and by indexing with a language identifier.
    EXPECT_THROW(store_purpose(store, "all"), Error);
    EXPECT_THROW(store_purpose(store, "everything"), Error);
    LanguageIdentifier lid(test::lid_model());
    EXPECT_THROW(index_paths(store, lid, {}, {dir / "in"}), Error);
    EXPECT_EQ(index_paths(store, nullptr, {}, {dir / "in"}).summary.unchanged, 3u);
}

// The purpose and the specs of a run are written in its first batch's transaction (no commit of
// their own), or by finish() when no batch is written.
TEST(OpsIndexer, ThePurposeAndSpecsAreRecordedWithTheFirstBatchOrAtFinish) {
    test::TempDir dir("ops_run_meta");
    {
        Store store(dir / "empty");
        std::filesystem::create_directories(dir / "none");
        index_paths(store, nullptr, std::move(open_index_stages(config_for_purpose({}, "duplicates")).stages),
                    {dir / "none"});
        EXPECT_EQ(store.meta(kPurposeMeta).value_or(""), "duplicates");
        EXPECT_NE(store.meta("specs").value_or("").find("no-language-id;"), std::string::npos);
    }
    Store store(dir / "store");
    const std::unique_ptr<Indexer> indexer = open_indexer(store, nullptr);
    EXPECT_FALSE(store.meta(kPurposeMeta));  // not yet: with the first batch
    for (auto& stage : open_index_stages(config_for_purpose({}, "duplicates")).stages)
        indexer->add_stage(std::move(stage));
    std::vector<Document> docs = {doc("a", text(words(100, 5)))};
    indexer->add(docs.size(), docs.data(), 1000);
    EXPECT_EQ(store.meta(kPurposeMeta).value_or(""), "duplicates");
    const std::string specs = store.meta("specs").value_or("");
    EXPECT_NE(specs.find("no-language-id;"), std::string::npos);
    indexer->finish();
    EXPECT_EQ(store.meta("specs").value_or(""), specs);
}

TEST(OpsIndexer, BatchSizeFollowsThePurposeUnlessGiven) {
    IndexRunOptions options;
    EXPECT_EQ(index_batch_size(options, true), kLanguageBatch);
    EXPECT_EQ(index_batch_size(options, false), kDuplicatesBatch);
    // A run's first batch for duplicates is smaller, with language ID it is not.
    EXPECT_EQ(index_batch_size(options, false, true), kDuplicatesBatch / kFirstBatchShare);
    EXPECT_EQ(index_batch_size(options, true, true), kLanguageBatch);
    options.batch = 7;
    EXPECT_EQ(index_batch_size(options, true), 7u);
    EXPECT_EQ(index_batch_size(options, false), 7u);
    EXPECT_EQ(index_batch_size(options, false, true), 7u);  // a cap given is kept, first or not
}

TEST(OpsIndexer, BatchBytesFollowThePurposeUnlessGiven) {
    IndexRunOptions options;
    EXPECT_EQ(index_batch_bytes(options, true), kLanguageBatchBytes);
    EXPECT_EQ(index_batch_bytes(options, false), kDuplicatesBatchBytes);
    EXPECT_GE(kDuplicatesBatchBytes, kDuplicatesBatch * 1000);  // a feed's 1 KB items fill a batch by count
    EXPECT_EQ(index_batch_bytes(options, false, true), kDuplicatesBatchBytes / kFirstBatchShare);
    EXPECT_EQ(index_batch_bytes(options, true, true), kLanguageBatchBytes);
    options.batch_bytes = 100;
    EXPECT_EQ(index_batch_bytes(options, true), 100u);
    EXPECT_EQ(index_batch_bytes(options, false), 100u);
    EXPECT_EQ(index_batch_bytes(options, false, true), 100u);
    options.batch_bytes = 0;
    options.batch = 7;  // either cap given: neither is cut for the first batch
    EXPECT_EQ(index_batch_bytes(options, false, true), kDuplicatesBatchBytes);
}

// A store for duplicates indexed in batches of 2 documents, or of 20 bytes of text, holds the
// same documents, sketches and pairs as one indexed in one batch.
TEST(OpsIndexer, BatchesDoNotChangeAStoreForDuplicates) {
    test::TempDir dir("ops_batches");
    const auto a = words(300, 31), b = words(300, 32);
    auto c = a;
    c[100] = "edited";
    test::write_file(dir / "in/a.txt", text(a));
    test::write_file(dir / "in/b.txt", text(b));
    test::write_file(dir / "in/c.txt", text(c));
    test::write_file(dir / "in/d.txt", text(b, 250));
    test::write_file(dir / "in/e.txt", text(a));
    auto index_with = [&](const std::string& name, std::size_t batch, std::size_t bytes) {
        auto store = std::make_unique<Store>(dir / name);
        IndexRunOptions options;
        options.batch = batch;
        options.batch_bytes = bytes;
        options.now = 1000;
        IndexStages stages = open_index_stages(config_for_purpose(IndexConfig{}, "duplicates"));
        EXPECT_EQ(index_paths(*store, nullptr, std::move(stages.stages), {dir / "in"}, options).summary.added, 5u);
        return store;
    };
    const auto one = index_with("one", 0, SIZE_MAX), pairs = index_with("pairs", 2, SIZE_MAX),
               small = index_with("small", 0, 20);
    for (const Store* s : {pairs.get(), small.get()}) {
        for (const char* kind : {"shingles", "minhash", "lines", "shingle_set"}) {
            std::vector<std::pair<int64_t, std::string>> want, got;
            one->scan_artifacts(kind, [&](int64_t seq, std::string_view blob) { want.emplace_back(seq, blob); });
            s->scan_artifacts(kind, [&](int64_t seq, std::string_view blob) { got.emplace_back(seq, blob); });
            EXPECT_EQ(got, want) << kind;
        }
        NearDuplicateOptions options;
        options.partial = true;
        expect_same_result(find_stored_duplicates(*s, options), find_stored_duplicates(*one, options));
    }
}

// dedup --store takes the shingles and signatures the index stored for documents without
// boilerplate lines, shingles the others again, and gives what the storeless run gives.
TEST(OpsDuplicates, StoredSketchesAreTakenWhereNoLineIsBoilerplate) {
    test::TempDir dir("ops_dedup_sketches");
    write_footer_pool(dir / "in", 30);
    Store store(dir / "store");
    index_folder(store, dir / "in");
    const NearDuplicateOptions options;
    const NearDuplicateResult files = find_file_duplicates({dir / "in"}, options).result;
    auto same_pairs = [](const NearDuplicateResult& x, const NearDuplicateResult& y) {
        if (x.pairs.size() != y.pairs.size()) return false;
        for (std::size_t i = 0; i < x.pairs.size(); ++i)
            if (x.pairs[i].a != y.pairs[i].a || x.pairs[i].b != y.pairs[i].b || x.pairs[i].jaccard != y.pairs[i].jaccard)
                return false;
        return true;
    };
    const NearDuplicateResult stored = find_stored_duplicates(store, options, 3);
    EXPECT_TRUE(same_pairs(files, stored));
    ASSERT_EQ(stored.pairs.size(), 1u);
    EXPECT_GE(stored.boilerplate_lines, 1u);

    // The stored sketches are what is compared: d7's replaced by d6's makes the pair exact; d0's
    // replaced changes nothing (d0 has a boilerplate line: it is shingled again). The texts are
    // short, so their "shingles" are notes (made from each one's own text): d6's set is written
    // out as a stored set.
    const auto seq_of = [&](const std::string& id) { return store.get(id, false)->seq; };
    const int64_t d6 = seq_of("d6"), d7 = seq_of("d7"), d0 = seq_of("d0");
    const StoredShingleSet d6_set = read_shingle_sets(store, *Shingler::from_spec(kDefaultShingleSpec), {d6}, true)[0];
    EXPECT_TRUE(d6_set.in_text);
    for (const char* kind : {"shingles", "minhash", "shingle_set"}) {
        const std::string blob = std::string(kind) == "shingles" ? encode_shingles(d6_set.shingles, d6_set.counts)
                                                                 : *store.artifact(d6, kind);
        store.put_artifacts(kind, 1, &d7, &blob);
        store.put_artifacts(kind, 1, &d0, &blob);
    }
    const NearDuplicateResult taken = find_stored_duplicates(store, options);
    ASSERT_EQ(taken.pairs.size(), 1u);
    EXPECT_EQ(taken.pairs[0].jaccard, 1.0);

    // A blob that does not decode, or another shingle spec, and the text is shingled again; where
    // the set key stands for the blob (it is read only when compared), its document is named.
    const std::string bad = "not a sketch";
    store.put_artifacts("shingles", 1, &d7, &bad);
    try {
        find_stored_duplicates(store, options);
        ADD_FAILURE() << "a stored set that does not decode was compared";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kBadFormat);
        EXPECT_NE(std::string(e.what()).find("'d7'"), std::string::npos) << e.what();
    }
    store.put_artifacts("shingle_set", 1, &d7, std::vector<std::string>{"no key"}.data());
    EXPECT_TRUE(same_pairs(files, find_stored_duplicates(store, options)));
    NearDuplicateOptions chars;
    chars.shingle_spec = "char:n=5";
    EXPECT_TRUE(same_pairs(find_file_duplicates({dir / "in"}, chars).result, find_stored_duplicates(store, chars)));
}


// dedup --store over a store with band runs for its banding reads candidates from the runs and
// shingles by seq (ops/band_run_dedup.h) and gives what the finder gives over the same files:
// with boilerplate (shingled again), exact and near copies, partial copies, several index runs
// (several band runs), and after deleting documents (whose band entries stay in the runs).
// A threshold under 0.8 asked for at index time (IndexConfig::dedup_thresholds) is served by band
// runs of its banding: dedup --store reads them (memory bounded) and finds what the finder does.
TEST(OpsDuplicates, ALowerThresholdAskedForAtIndexTimeReadsItsBandRuns) {
    test::TempDir tmp("ops_dedup_lower");
    const std::string dir = tmp.path();
    for (unsigned k = 0; k < 12; ++k) {
        auto w = words(200, 70 + k % 6);
        for (unsigned e = 0; e < 12 * (k / 6); ++e) w[e * 12] = "edit" + std::to_string(e);  // a copy at about 0.7
        test::write_file(dir + "/in/d" + std::to_string(k) + ".txt", text(w));
    }
    IndexConfig config = duplicates_only();
    config.dedup_thresholds = {0.5};
    Store store(dir + "/store");
    {
        LanguageIdentifier lid(test::lid_model());
        IndexRunOptions run;
        run.batch = 5;
        index_paths(store, lid, std::move(open_index_stages(config).stages), {dir + "/in"}, run);
    }
    NearDuplicateOptions options;
    options.threshold = 0.5;
    NearDuplicateFinder finder(options);
    EXPECT_NE(BandRunDedup::open(store, finder), nullptr);
    const NearDuplicateResult r = find_stored_duplicates(store, options, 4);
    EXPECT_EQ(r.lsh, choose_lsh_params(0.5, 128, 0.99));
    EXPECT_GE(r.pairs.size(), 6u);
    expect_same_result(r, find_file_duplicates({dir + "/in"}, options).result);
}

TEST(OpsDuplicates, StoredDedupFromTheBandRunsEqualsTheFinder) {
    test::TempDir dir("ops_dedup_band_runs");
    const std::string footer = "\nShared footer line of the site, the same in most of its pages\n";
    for (unsigned part = 0; part < 3; ++part) {
        std::vector<std::string> texts;
        for (unsigned k = 0; k < 6; ++k) texts.push_back(text(words(200, 50 + k + 10 * part)) + (part == 0 ? footer : ""));
        texts.push_back(text(words(200, 50)) + footer);  // a copy of part 0's first (exact in part 0)
        auto w = words(200, 51);
        w[30] = "edited";
        texts.push_back(text(w));                        // near copy of 51 (without the footer)
        texts.push_back(text(words(200, 52), 120));      // most of 52
        texts.push_back("A line printed twice in the page\n" + text(words(100, 53 + part)) +
                        "A line printed twice in the page\nshort\nshort\n");  // repeated lines
        for (std::size_t k = 0; k < texts.size(); ++k)
            test::write_file(dir / ("in/p" + std::to_string(part) + "/d" + std::to_string(k) + ".txt"), texts[k]);
    }
    Store store(dir / "store");
    {
        LanguageIdentifier lid(test::lid_model());
        IndexRunOptions run;
        run.batch = 4;  // a band run per batch of 4, merged as they come
        index_paths(store, lid, std::move(open_index_stages(duplicates_only()).stages), {dir / "in"}, run);
    }
    NearDuplicateOptions options;
    options.partial = options.repeated_lines = true;
    {
        NearDuplicateFinder finder(options);
        EXPECT_NE(BandRunDedup::open(store, finder), nullptr);
        NearDuplicateOptions other = options;
        other.threshold = 0.7;  // another banding: the sketches in memory
        NearDuplicateFinder other_finder(other);
        EXPECT_EQ(BandRunDedup::open(store, other_finder), nullptr);
    }
    const std::vector<std::string> in = {dir / "in"};
    const NearDuplicateResult stored = find_stored_duplicates(store, options, 4);
    EXPECT_GE(stored.pairs.size(), 6u);
    EXPECT_GE(stored.clusters.size(), 2u);
    expect_same_result(stored, find_file_duplicates(in, options).result);

    // A higher threshold takes the stored banding (it reaches the recall there): the band runs
    // serve it, the result names that banding and is the finder's with it.
    {
        NearDuplicateOptions high = options;
        high.threshold = 0.9;
        const NearDuplicateResult r = find_stored_duplicates(store, high, 4);
        EXPECT_EQ(r.lsh, default_band_params(128));
        EXPECT_NE(r.spec.find(",bands=16,rows=6;"), std::string::npos) << r.spec;
        high.banding = default_band_params(128);
        NearDuplicateFinder finder(high);
        EXPECT_NE(BandRunDedup::open(store, finder), nullptr);
        expect_same_result(r, find_file_duplicates(in, high).result);
        EXPECT_GE(r.pairs.size(), 3u);
        EXPECT_EQ(NearDuplicateOptions::parse_spec(r.spec.substr(0, r.spec.find(';'))).banding, high.banding);
    }

    // With no memory for the sets that are not the stored ones, they all go to the temporary
    // file: the same result.
    {
        NearDuplicateFinder finder(options);
        auto spilled = BandRunDedup::open(store, finder, 0);
        ASSERT_NE(spilled, nullptr);
        StoredDocuments b;
        store.scan([&](StoredDocument& s) {
            b.docs.push_back({});
            b.docs.back().id = s.id;
            b.docs.back().text = s.text;
            b.docs.back().source = s.source;
            b.seqs.push_back(s.seq);
            return true;
        }, true, false);
        b.lines.assign(b.docs.size(), nullptr);
        finder.count_lines(b.docs.size(), b.docs.data());
        spilled->add(b);
        expect_same_result(stored, spilled->finish());
    }

    // A batch whose texts are held one document at a time (sketched in parts, each ending at a
    // document whose text is read, the line summaries standing for the others): the same result.
    {
        NearDuplicateFinder finder(options);
        auto in_parts = BandRunDedup::open(store, finder, BandRunDedup::kOwnSetsInMemory, nullptr, 1);
        ASSERT_NE(in_parts, nullptr);
        StoredDocuments b;
        read_whole_store(store, finder, false, b);
        const std::vector<uint8_t> need = finder.needs_text(b.docs.size(), b.docs.data(), b.lines.data());
        EXPECT_GE(std::count(need.begin(), need.end(), 1), 3);  // three parts at least
        in_parts->add(b);
        expect_same_result(stored, in_parts->finish());
    }

    // Deleted documents are not reported, though their band keys are still in the runs.
    ASSERT_TRUE(store.remove("p1/d6"));
    ASSERT_TRUE(store.remove("p0/d0"));
    std::filesystem::remove(dir / "in/p1/d6.txt");
    std::filesystem::remove(dir / "in/p0/d0.txt");
    const NearDuplicateResult after = find_stored_duplicates(store, options, 4);
    for (const auto& d : after.docs) EXPECT_TRUE(d.id != "p1/d6" && d.id != "p0/d0") << d.id;
    expect_same_result(after, find_file_duplicates(in, options).result);
}

// With no memory for the sets that are not the stored ones, they go to the temporary file from
// the first set with a shingle on: the empty sets before it (pages that are only their site's
// footer) write nothing there, and must not leave the later sets out of place. The
// site's fifth page, with a text, is the only other one of its own, and its near copy (without
// the footer) is verified against it: the same result as the finder's.
TEST(OpsDuplicates, EmptyOwnSetsBeforeTheSpillKeepTheLaterSetsInPlace) {
    test::TempDir dir("ops_dedup_empty_own_sets");
    const std::string footer = "Shared footer line of the site, the same in most of its pages\n";
    for (unsigned k = 0; k < 5; ++k) test::write_file(dir / ("in/a" + std::to_string(k) + ".txt"), footer);
    test::write_file(dir / "in/a5.txt", footer + text(words(200, 90)));
    auto w = words(200, 90);
    w[40] = "edited";
    test::write_file(dir / "in/b0.txt", text(w));
    Store store(dir / "store");
    {
        LanguageIdentifier lid(test::lid_model());
        IndexRunOptions run;
        run.batch = 4;
        index_paths(store, lid, std::move(open_index_stages(duplicates_only()).stages), {dir / "in"}, run);
    }
    const NearDuplicateOptions options;
    const NearDuplicateResult want = find_file_duplicates({dir / "in"}, options).result;
    ASSERT_EQ(want.pairs.size(), 1u);
    ASSERT_GT(want.boilerplate_lines, 0u);
    NearDuplicateFinder finder(options);
    auto spilled = BandRunDedup::open(store, finder, 0);
    ASSERT_NE(spilled, nullptr);
    StoredDocuments b;
    read_whole_store(store, finder, false, b);
    spilled->add(b);
    expect_same_result(want, spilled->finish());
}

// dedup --store read the band runs' catalogue when it opened; a writer then added the kFanIn-th run
// of one tier, which merges them all and drops those it had named ("LSH band segment ... is
// missing", seen from dedup --store during index): the pass over the runs reads the catalogue
// again and gives what it gave before the merge (a merge keeps every entry; the new document's
// are not among the run's documents).
TEST(OpsDuplicates, StoredDedupAfterAWritersMergeReadsTheMergedRuns) {
    test::TempDir dir("ops_dedup_merged_runs");
    auto add = [&](Store& store, int k, const std::string& t) {
        const std::string in = dir / ("in" + std::to_string(k));
        test::write_file(in + "/d" + std::to_string(k) + ".txt", t);
        index_folder(store, in);  // one batch: one band run
    };
    auto near_copy = [](unsigned seed) {
        auto w = words(200, seed);
        w[40] = "edited";
        return text(w);
    };
    Store writer(dir / "store");
    const int fan_in = static_cast<int>(LshBandStore::kFanIn);
    for (int k = 0; k < fan_in - 3; ++k) add(writer, k, text(words(200, 80 + k)));
    add(writer, fan_in - 3, near_copy(81));
    add(writer, fan_in - 2, text(words(200, 82)));
    const Store reader(dir / "store", StoreOptions{false, true});
    NearDuplicateOptions options;
    const NearDuplicateResult before = find_stored_duplicates(reader, options, 4);
    EXPECT_GE(before.pairs.size(), 2u);
    NearDuplicateFinder finder(options);
    auto dedup = BandRunDedup::open(reader, finder);
    ASSERT_NE(dedup, nullptr);
    StoredDocuments b;
    read_whole_store(reader, finder, true, b);
    dedup->add(b);
    const std::string catalogue = reader.meta(LshBandStore::kMetaKey).value_or("");
    add(writer, fan_in - 1, near_copy(83));
    ASSERT_NE(reader.meta(LshBandStore::kMetaKey).value_or(""), catalogue);
    ASSERT_EQ(
        LshBandStore::open(reader, MinHash::from_spec(options.minhash_spec)->perms(), finder.lsh_params(), 0)
            ->runs()
            .size(),
        1u);  // the kFanIn merged into one
    expect_same_result(before, dedup->finish());
}

// The batches dedup --store keeps between its passes are counted against their budget with what
// they hold: the Document objects (seven strings each) and the summaries' arrays, not only the
// strings' bytes (short ids and texts held in the objects themselves cost their size too).
TEST(OpsDuplicates, AStoredBatchCountsTheObjectsItHolds) {
    StoredDocuments b;
    const std::size_t n = 1000;
    std::size_t text_bytes = 0;
    for (std::size_t i = 0; i < n; ++i) {
        Document& d = b.docs.emplace_back();
        d.id = "d" + std::to_string(i);
        d.text = i % 2 ? std::string(300, 'x') : "short";
        d.source = "f:1";
        b.seqs.push_back(static_cast<int64_t>(i + 1));
        text_bytes += b.docs.back().text.size();
    }
    b.summaries.resize(n);
    for (auto& s : b.summaries) s.lines.assign(4, 7);
    const std::size_t objects =
        n * (sizeof(Document) + sizeof(int64_t) + sizeof(LineSummary) + 4 * sizeof(uint64_t));
    EXPECT_GE(b.memory(), objects + text_bytes);
    EXPECT_LT(b.memory(), 2 * (objects + text_bytes));  // capacities, not a guess per document
}

// Documents without a boilerplate line are kept by their stored set keys, their sketches not
// read: the finder's result, with the keys and without them (a store written before them); the
// set size reported is the key's.
TEST(OpsDuplicates, StoredSetKeysStandForTheSketches) {
    test::TempDir dir("ops_dedup_set_keys");
    std::vector<std::string> texts;
    for (unsigned k = 0; k < 4; ++k) texts.push_back(text(words(200, 70 + k)));
    texts.push_back(texts[0]);  // identical sets: one group
    texts.push_back(texts[0]);
    auto w = words(200, 71);
    w[40] = "edited";
    texts.push_back(text(w));                    // near copy of 71
    texts.push_back(text(words(200, 72), 130));  // most of 72
    for (std::size_t k = 0; k < texts.size(); ++k) test::write_file(dir / ("in/d" + std::to_string(k) + ".txt"), texts[k]);
    Store store(dir / "store");
    index_folder(store, dir / "in");
    EXPECT_EQ(store.artifact_count("shingle_set"), texts.size());
    NearDuplicateOptions options;
    options.partial = true;
    const std::vector<std::string> in = {dir / "in"};
    const NearDuplicateResult stored = find_stored_duplicates(store, options, 3);
    EXPECT_GE(stored.pairs.size(), 4u);
    expect_same_result(stored, find_file_duplicates(in, options).result);

    test::exec_sql(dir / "store", "UPDATE line_summaries SET shingle_set = NULL");
    expect_same_result(find_stored_duplicates(store, options, 3), stored);

    const int64_t seq = store.get("d3", false)->seq;
    const std::vector<uint64_t> sh = read_shingle_sets(store, *Shingler::from_spec(kDefaultShingleSpec), {seq})[0].shingles;
    const std::string wrong = encode_set_key({shingle_set_hash(sh.data(), sh.size()), static_cast<uint32_t>(sh.size() + 1)});
    store.put_artifacts("shingle_set", 1, &seq, &wrong);
    const NearDuplicateResult keyed = find_stored_duplicates(store, options, 3);
    ASSERT_EQ(keyed.docs[3].id, "d3");
    EXPECT_EQ(keyed.docs[3].shingles, sh.size() + 1);
}

// Exact copies (the same text, from the same source) of documents with a boilerplate line are
// kept as copies of the first (ops/band_run_dedup.h): neither their texts nor their stored
// sketches are read. The finder's result all the same: copies in one batch and across batches,
// in parts of a batch, with the own sets in memory or in the temporary file, a copy in another
// source (not a copy: other boilerplate), and a copy whose stored sketches were changed (the
// first's are what counts: the same text makes the same sketches).
TEST(OpsDuplicates, ExactCopiesTakeTheFirstCopysSketches) {
    test::TempDir dir("ops_dedup_copies");
    const std::string footer = "\nShared footer line of the site, the same in most of its pages\n";
    std::vector<std::string> texts;
    for (unsigned k = 0; k < 6; ++k) texts.push_back(text(words(200, 90 + k)) + footer);
    texts.push_back(texts[0]);  // exact copies of boilerplate pages
    texts.push_back(texts[1]);
    texts.push_back(texts[0]);
    auto w = words(200, 90);
    w[20] = "edited";
    texts.push_back(text(w) + footer);  // a near copy of them
    texts.push_back(texts[3]);
    for (std::size_t k = 0; k < texts.size(); ++k)
        test::write_file(dir / ("in/a/d" + std::to_string(k) + ".txt"), texts[k]);
    for (unsigned k = 0; k < 5; ++k)
        test::write_file(dir / ("in/b/e" + std::to_string(k) + ".txt"), texts[k]);
    Store store(dir / "store");
    index_folder(store, dir / "in");
    NearDuplicateOptions options;
    options.partial = options.repeated_lines = true;
    const std::vector<std::string> in = {dir / "in"};
    const NearDuplicateResult files = find_file_duplicates(in, options).result;
    EXPECT_GE(files.boilerplate_lines, 2u);
    std::size_t exact = 0;
    for (const auto& p : files.pairs) exact += p.kind == DuplicateKind::kExact;
    EXPECT_GE(exact, 8u);
    for (std::size_t batch : {std::size_t{3}, std::size_t{7}, kStoredDedupBatch})
        expect_same_result(find_stored_duplicates(store, options, batch), files);

    // One batch held a document's text at a time (in parts), the own sets in memory or spilled
    // (at once, or after a few sets: a copy's set shared in memory, then written out).
    for (uint64_t own_in_memory : {uint64_t{0}, uint64_t{6000}, uint64_t{12000}, BandRunDedup::kOwnSetsInMemory})
        for (uint64_t held : {uint64_t{1}, BandRunDedup::kHeldTextBytes}) {
            NearDuplicateFinder finder(options);
            auto on_disk = BandRunDedup::open(store, finder, own_in_memory, nullptr, held);
            ASSERT_NE(on_disk, nullptr);
            StoredDocuments b;
            read_whole_store(store, finder, true, b);
            on_disk->add(b);
            expect_same_result(on_disk->finish(), files);
        }

    // The own band keys in temporary files by band: from the first, after a few, none.
    for (uint64_t keys_in_memory : {uint64_t{0}, uint64_t{2000}, BandRunDedup::kOwnBandKeysInMemory}) {
        NearDuplicateFinder finder(options);
        auto on_disk = BandRunDedup::open(store, finder, BandRunDedup::kOwnSetsInMemory, nullptr,
                                          BandRunDedup::kHeldTextBytes, BandRunDedup::kSharedSetsInMemory,
                                          keys_in_memory);
        ASSERT_NE(on_disk, nullptr);
        StoredDocuments b;
        read_whole_store(store, finder, true, b);
        on_disk->add(b);
        expect_same_result(on_disk->finish(), files);
    }

    // The sets sharing a set hash read a window at a time: one set, a few, all at once.
    for (uint64_t shared_in_memory : {uint64_t{0}, uint64_t{3000}, BandRunDedup::kSharedSetsInMemory}) {
        NearDuplicateFinder finder(options);
        auto on_disk = BandRunDedup::open(store, finder, BandRunDedup::kOwnSetsInMemory, nullptr,
                                          BandRunDedup::kHeldTextBytes, shared_in_memory);
        ASSERT_NE(on_disk, nullptr);
        StoredDocuments b;
        read_whole_store(store, finder, true, b);
        on_disk->add(b);
        expect_same_result(on_disk->finish(), files);
    }

    // A copy's stored sketches are not read: changed ones (but its set key) change nothing.
    const int64_t d8 = store.get("a/d8", false)->seq, d2 = store.get("a/d2", false)->seq;
    for (const char* kind : {"shingles", "minhash"}) {
        const std::string blob = *store.artifact(d2, kind);
        store.put_artifacts(kind, 1, &d8, &blob);
    }
    expect_same_result(find_stored_duplicates(store, options), files);
}

// The band runs' bands and the candidates' verification run on one thread or on several (each
// worker reading the store through a Store of its own, the candidates in chunks): the same
// result, the file run's. 48 near copies of one text: 1,128 candidate pairs, several chunks a
// worker.
TEST(OpsDuplicates, StoredDedupOnSeveralThreadsIsTheSame) {
    test::TempDir dir("ops_dedup_threads");
    const auto w = words(120, 71);
    for (unsigned k = 0; k < 48; ++k) {
        auto v = w;
        v[k + 10] = "edit" + std::to_string(k);
        test::write_file(dir / ("in/d" + std::to_string(k) + ".txt"), text(v));
    }
    for (unsigned k = 0; k < 20; ++k)
        test::write_file(dir / ("in/other" + std::to_string(k) + ".txt"), text(words(120, 200 + k)));
    Store store(dir / "store");
    index_folder(store, dir / "in");
    NearDuplicateOptions options;
    options.boilerplate = false;  // the copies' common lines stay in their sets
    const NearDuplicateResult files = find_file_duplicates({dir / "in"}, options).result;
    EXPECT_EQ(files.pairs.size(), 48u * 47 / 2);
    for (int threads : {1, 2, 5}) {
        options.threads = threads;
        NearDuplicateFinder finder(options);
        ASSERT_NE(BandRunDedup::open(store, finder), nullptr);
        const NearDuplicateResult stored = find_stored_duplicates(store, options);
        EXPECT_EQ(stored.candidates, files.candidates) << threads;
        expect_same_result(stored, files);
    }
}

// check does not report a deleted document, though its band keys are still in the runs.
TEST(OpsDuplicates, CheckDoesNotReportADeletedDocument) {
    test::TempDir dir("ops_check_deleted");
    const auto a = words(300, 61);
    test::write_file(dir / "in/a.txt", text(a));
    test::write_file(dir / "in/b.txt", text(words(300, 62)));
    Store store(dir / "store");
    index_folder(store, dir / "in");
    const Document copy = doc("copy", text(a));
    EXPECT_EQ(DuplicateChecker(store).check(1, &copy)[0].match_id, "a");
    ASSERT_TRUE(store.remove("a"));
    DuplicateChecker checker(store);
    EXPECT_EQ(checker.check(1, &copy)[0].status, CheckStatus::kNew);
}

// A store whose documents have line summaries ("lines" artifacts) is deduplicated from them: the
// texts of the documents without a boilerplate line are not read (a summary changed in the store
// shows in the result), and documents without a summary (a store written before them, or a blob
// that does not decode) are read from their texts, with the same result.
TEST(OpsDuplicates, LineSummariesStandForTheTexts) {
    test::TempDir dir("ops_dedup_lines");
    const std::vector<std::string> texts = write_footer_pool(dir / "in", 70, "A line printed twice in the page\n");
    Store store(dir / "store");
    index_folder(store, dir / "in");
    ASSERT_EQ(store.artifact_count("lines"), texts.size());
    NearDuplicateOptions options;
    const std::vector<std::string> in = {dir / "in"};
    const NearDuplicateResult files = find_file_duplicates(in, options).result;
    for (std::size_t batch : {std::size_t{3}, std::size_t{256}, kStoredDedupBatch})
        expect_same_result(find_stored_duplicates(store, options, batch), files);
    NearDuplicateOptions in_memory = options;
    in_memory.threshold = 0.7;  // no band runs of this banding: the sketches in memory
    expect_same_result(find_stored_duplicates(store, in_memory), find_file_duplicates(in, in_memory).result);

    // d6's summary replaced by one with another repeated line: the stored one is what is reported.
    const int64_t d6 = store.get("d6", false)->seq;
    LineSummary changed = summarize_lines(texts[6]);
    ASSERT_EQ(changed.repeated.size(), 1u);
    changed.repeated[0].text = "A line from the summary, not from the text";
    const std::string blob = encode_lines(changed);
    store.put_artifacts("lines", 1, &d6, &blob);
    const NearDuplicateResult taken = find_stored_duplicates(store, options);
    EXPECT_EQ(taken.docs[6].repeated_lines[0].text, changed.repeated[0].text);

    // Summaries that do not decode: the texts are read, and the result is the files' again.
    const std::string bad = "not a summary";
    for (const auto& id : {"d0", "d6", "d7"}) {
        const int64_t seq = store.get(id, false)->seq;
        store.put_artifacts("lines", 1, &seq, &bad);
    }
    expect_same_result(find_stored_duplicates(store, options, 3), files);
}
