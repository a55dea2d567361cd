// EmbeddingStage: features per document in the store, and their recomputation when the
// bridge lexicon changed since the store was indexed; load_counts, which reads them again.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "doppel/embed/feature_artifacts.h"
#include "doppel/error.h"
#include "doppel/index/embedding_stage.h"
#include "doppel/index/vector_index_check.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/translations.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

namespace doppel {
namespace {

std::map<int64_t, std::string> features_of(const Store& store) {
    std::map<int64_t, std::string> out;
    store.scan_artifacts(EmbeddingStage::kFeaturesKind,
                         [&](int64_t seq, std::string_view blob) { out[seq] = std::string(blob); });
    return out;
}

// Stores n documents "d0".."d<n-1>" (text "text i", language lang_of(i)); their seqs.
std::vector<int64_t> put_documents(Store& store, std::size_t n,
                                   const std::function<std::string(std::size_t)>& lang_of) {
    std::vector<AnalyzedDocument> docs(n);
    for (std::size_t i = 0; i < n; ++i) {
        docs[i].doc.id = "d" + std::to_string(i);
        docs[i].doc.text = "text " + std::to_string(i);
        docs[i].lang = lang_of(i);
        docs[i].content_hash = content_hash(docs[i].doc.text);
    }
    std::vector<int64_t> seqs;
    store.put(docs.size(), docs.data(), 1, &seqs);
    return seqs;
}

// Indexes the Arabic and English seed articles (ids "ar", "en") with the embedding stage alone.
void index_seed_pair(Store& store, const LanguageIdentifier& langid, const std::string& models) {
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
    std::vector<Document> docs(2);
    docs[0].id = "ar";
    docs[0].text = test::read_file(test::seed_path("ar-2024-hanoi-working-group.txt"));
    docs[1].id = "en";
    docs[1].text = test::read_file(test::seed_path("en-2024-hanoi-working-group.txt"));
    indexer.add(docs.size(), docs.data(), 1);
    indexer.finish();
}

// load_counts reads the stored counts again in the order asked (doppel translations lets them
// go between weighing and learning): load_features' counts, and an error for a document whose
// features are gone.
TEST(FeatureArtifacts, LoadCountsReadsTheCountsOfTheDocumentsAskedInTheirOrder) {
    test::TempDir dir("load-counts");
    Store store(dir / "store");
    const std::vector<int64_t> seqs = put_documents(store, 3, [](std::size_t) { return std::string("en"); });
    ASSERT_EQ(seqs.size(), 3u);
    for (int64_t seq : seqs) {
        SparseVector v;
        v.ids = {uint64_t(seq), uint64_t(seq) + 100};
        v.weights = {1.0f, static_cast<float>(seq)};
        const std::string blob = v.serialize();
        store.put_artifacts(kBridgeFeaturesArtifact, 1, &seq, &blob);
    }
    const StoredFeatures all = load_features(store);
    const std::vector<int64_t> asked = {seqs[1], seqs[2], seqs[0]};
    const std::vector<SparseVector> counts = load_counts(store, asked);
    ASSERT_EQ(counts.size(), 3u);
    for (std::size_t i = 0; i < asked.size(); ++i) {
        const auto at = std::find(all.seqs.begin(), all.seqs.end(), asked[i]) - all.seqs.begin();
        EXPECT_EQ(counts[i].ids, all.counts[static_cast<std::size_t>(at)].ids) << asked[i];
        EXPECT_EQ(counts[i].weights, all.counts[static_cast<std::size_t>(at)].weights) << asked[i];
        EXPECT_EQ(counts[i].ids[0], uint64_t(asked[i]));
    }
    const std::vector<int64_t> gone = {seqs[1], seqs[2] + 100};
    try {
        load_counts(store, gone);
        FAIL() << "the second document has no features";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    }
}

// load_features(store, wanted): the frequencies over every stored document, as load_features
// gives them, with the counts and languages of the wanted documents only (in seq order; a
// wanted seq without features is left out).
TEST(FeatureArtifacts, LoadFeaturesOfSomeDocumentsCountsEveryDocument) {
    test::TempDir dir("load-some-features");
    Store store(dir / "store");
    const auto lang_of = [](std::size_t i) { return std::string(i % 2 ? "de" : "en"); };
    const std::vector<int64_t> seqs = put_documents(store, 6, lang_of);
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        SparseVector v;
        for (uint64_t id = 1; id <= 40 + i; ++id) v.ids.push_back(id * 7919 + (i % 3));  // shared and own ids
        v.weights.assign(v.ids.size(), 1.0f);
        const std::string blob = v.serialize();
        store.put_artifacts(kBridgeFeaturesArtifact, 1, &seqs[i], &blob);
        const std::string lang = lang_of(i);
        store.put_artifacts(kMatchingLanguageArtifact, 1, &seqs[i], &lang);
    }
    const StoredFeatures all = load_features(store);
    const std::vector<int64_t> wanted = {seqs[1], seqs[4], seqs[5] + 100};
    const StoredFeatures some = load_features(store, wanted);
    EXPECT_TRUE(some.frequencies == all.frequencies);
    EXPECT_EQ(some.frequencies.documents, 6u);
    ASSERT_EQ(some.seqs, (std::vector<int64_t>{seqs[1], seqs[4]}));
    EXPECT_EQ(some.langs, (std::vector<std::string>{"de", "en"}));
    EXPECT_EQ(some.counts[0].ids, all.counts[1].ids);
    EXPECT_EQ(some.counts[1].ids, all.counts[4].ids);
}

// Exact copies' features (a feed's syndicated items) are counted once with their number, among
// the wanted documents and the others alike: the frequencies are those of counting each
// document, and each wanted copy keeps its own counts. A vector that differs from another in a
// weight alone is no copy of it.
TEST(FeatureArtifacts, LoadFeaturesCountsCopiesAsEachDocument) {
    test::TempDir dir("load-copies");
    Store store(dir / "store");
    const std::vector<int64_t> seqs = put_documents(store, 7, [](std::size_t) { return std::string("en"); });
    ASSERT_EQ(seqs.size(), 7u);
    std::vector<SparseVector> vectors(3);
    for (std::size_t v = 0; v < vectors.size(); ++v)
        for (uint64_t id = 1; id <= 20 + v; ++id) {
            vectors[v].ids.push_back(id * 31 + v % 2);
            vectors[v].weights.push_back(1.0f);
        }
    vectors[2].ids = vectors[0].ids;
    vectors[2].weights.assign(vectors[0].ids.size(), 1.0f);
    vectors[2].weights.back() = 2.0f;                                  // not a copy of vectors[0]
    const std::vector<std::size_t> vector_of = {0, 1, 0, 0, 2, 1, 0};  // documents' vectors
    DocumentFrequencies each;
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        const SparseVector& v = vectors[vector_of[i]];
        const std::string blob = v.serialize();
        store.put_artifacts(kBridgeFeaturesArtifact, 1, &seqs[i], &blob);
        each.add(v);
    }
    const StoredFeatures all = load_features(store);
    EXPECT_EQ(all.frequencies.documents, 7u);
    EXPECT_TRUE(all.frequencies == each);
    EXPECT_EQ(all.first, (std::vector<std::size_t>{0, 1, 0, 0, 4, 1, 0}));
    ASSERT_EQ(all.counts.size(), 7u);
    for (std::size_t i = 0; i < seqs.size(); ++i)
        EXPECT_EQ(all.counts[i].weights, vectors[vector_of[i]].weights) << i;
    const std::vector<int64_t> wanted = {seqs[2], seqs[3], seqs[4]};
    const StoredFeatures some = load_features(store, wanted);
    EXPECT_TRUE(some.frequencies == each);
    EXPECT_EQ(some.seqs, wanted);
    EXPECT_EQ(some.first, (std::vector<std::size_t>{0, 0, 2}));
}

TEST(EmbeddingStage, RecomputesFeaturesWhenTheLexiconChanged) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage");
    LanguageIdentifier langid(test::lid_model());
    std::map<int64_t, std::string> fresh;
    {
        Store store(dir / "store");
        index_seed_pair(store, langid, models);
        fresh = features_of(store);
        ASSERT_EQ(fresh.size(), 2u);
        // As if indexed with another lexicon: other metadata, emptied features.
        store.set_meta("bridge.lexicon", "bridge.lex:v1:an-older-build");
        const std::string empty = SparseVector{}.serialize();
        for (const auto& [seq, blob] : fresh) store.put_artifacts(EmbeddingStage::kFeaturesKind, 1, &seq, &empty);
    }
    Store store(dir / "store");
    Indexer indexer(store, langid);
    auto stage = std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models});
    const std::string lexicon = BridgeLexicon(models + "/bridge.lex").describe();
    indexer.add_stage(std::move(stage));
    indexer.finish();  // nothing added: the stale features alone make it work
    EXPECT_EQ(features_of(store), fresh);
    EXPECT_EQ(store.meta("bridge.lexicon").value_or(""), lexicon);
    EXPECT_EQ(store.meta("embedding.built_docs").value_or(""), "2");
}

// A vector index that was not written (a run stopped before the end) or was deleted is named as
// such, not as a store without embeddings: a reader builds one in memory (same links), and the
// next indexing run rebuilds and saves it, saying so.
TEST(EmbeddingStage, AMissingVectorIndexIsNamedAndRebuilt) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-missing-index");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir / "store");
    index_seed_pair(store, langid, models);
    EXPECT_TRUE(check_vector_index(store).in_step);
    const auto links = find_stored_translations(store, models).pairs;
    ASSERT_FALSE(links.empty());
    std::filesystem::remove(dir / "store/vectors.idx");
    EXPECT_FALSE(check_vector_index(store).in_step);
    const TranslationSearch in_memory = find_stored_translations(store, models);
    EXPECT_EQ(in_memory.pairs.size(), links.size());
    ASSERT_FALSE(in_memory.warnings.empty());
    EXPECT_NE(in_memory.warnings.back().find("vectors.idx is missing"), std::string::npos) << in_memory.warnings.back();
    EXPECT_NE(in_memory.warnings.back().find("built in memory"), std::string::npos) << in_memory.warnings.back();
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
    IndexSummary summary;
    indexer.finish(&summary);  // nothing added: the missing index alone makes it work
    ASSERT_EQ(summary.warnings.size(), 1u);
    EXPECT_NE(summary.warnings[0].find("rebuilding the vector index"), std::string::npos) << summary.warnings[0];
    EXPECT_TRUE(check_vector_index(store).in_step);
    EXPECT_EQ(find_stored_translations(store, models).pairs.size(), links.size());
}

// A damaged FAISS file fails its checksum: the index is not intact, and the next run rebuilds it.
TEST(EmbeddingStage, ADamagedVectorIndexIsRebuilt) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-damaged-index");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir / "store");
    index_seed_pair(store, langid, models);
    const std::size_t links = find_stored_translations(store, models).pairs.size();
    for (const auto& e : std::filesystem::directory_iterator(dir / "store"))
        if (e.path().extension() == ".faiss") {
            std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(-4, std::ios::end);
            f.write("\x7f\x7f\x7f\x7f", 4);
        }
    const VectorIndexCheck damaged = check_vector_index(store);
    EXPECT_FALSE(damaged.intact);
    EXPECT_NE(damaged.problem.find("does not match its checksum"), std::string::npos) << damaged.problem;
    EXPECT_THROW(VectorIndex::load(dir / "store"), Error);
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
    indexer.finish();
    EXPECT_TRUE(check_vector_index(store).in_step);
    EXPECT_EQ(find_stored_translations(store, models).pairs.size(), links);
}

// A vector index that lacks documents committed by an interrupted run (their features are
// stored, the index was saved before them) gets them at the next run's flush.
TEST(EmbeddingStage, AnIndexMissingDocumentsIsCompleted) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-lagging-index");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir / "store");
    index_seed_pair(store, langid, models);
    const std::string state = store.meta("vector_index.state").value_or("");
    {  // a run that stored one more document and was killed before its flush
        Indexer indexer(store, langid);
        indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
        Document d;
        d.id = "late";
        d.text = "The committee met again on Tuesday to discuss the budget for next year.";
        indexer.add(1, &d, 0);
    }
    EXPECT_TRUE(check_vector_index(store).in_step == false);
    EXPECT_EQ(state, store.meta("vector_index.state").value_or(""));
    Indexer indexer(store, langid);
    EmbeddingStageOptions options;
    options.rebuild_growth = 10;  // 2 -> 3 documents would otherwise be a full rebuild
    indexer.add_stage(std::make_unique<EmbeddingStage>(options, EmbedderContext{models}));
    IndexSummary summary;
    indexer.finish(&summary);
    ASSERT_EQ(summary.warnings.size(), 1u);
    EXPECT_NE(summary.warnings[0].find("interrupted run"), std::string::npos) << summary.warnings[0];
    const VectorIndexCheck after = check_vector_index(store);
    EXPECT_TRUE(after.in_step) << after.problem;
    EXPECT_EQ(after.indexed, store.size());
}

// A text a document of an earlier batch of the run holds is not read or embedded again: its copy
// takes that document's stored analysis and features (Indexer::find_stored_copies,
// EmbeddingStage::take_written), and gets what analyzing and embedding it would give, as a copy
// within one batch does. A holder replaced meanwhile by another text is not taken ("x": its seq
// now names other paragraphs and features).
TEST(EmbeddingStage, ACopyOfAnEarlierBatchGetsWhatItsOwnAnalysisAndFeaturesWouldBe) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-earlier-copies");
    LanguageIdentifier langid(test::lid_model());
    const std::string ar = test::read_file(test::seed_path("ar-2024-hanoi-working-group.txt"));
    const std::string en = test::read_file(test::seed_path("en-2024-hanoi-working-group.txt"));
    const std::string vi = test::read_file(test::seed_path("vi-2019-gcm-central-region.txt"));
    const std::vector<std::vector<std::pair<std::string, std::string>>> batches = {
        {{"ar", ar}, {"en", en}, {"x", vi}},
        {{"x", en + "\nOne more line."}, {"en-copy", en}},
        {{"vi-copy", vi}, {"ar-copy", ar}},
    };
    auto index = [&](Store& store, bool stream) {
        Indexer indexer(store, langid);
        indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
        std::vector<Document> all;
        for (const auto& batch : batches)
            for (const auto& [id, text] : batch) {
                Document d;
                d.id = id;
                d.text = text;
                all.push_back(std::move(d));
            }
        std::size_t next = 0, at = 0;
        if (stream)
            indexer.add_stream(
                [&](std::vector<Document>& docs) {
                    if (next == batches.size()) return false;
                    for (std::size_t k = 0; k < batches[next].size(); ++k) docs.push_back(all[at++]);
                    ++next;
                    return true;
                },
                1, nullptr, [](const std::vector<PutStatus>&) {});
        else  // one batch: the first "x" superseded, the copies found within the batch
            indexer.add(all.size(), all.data(), 1);
        indexer.finish();
    };
    Store batched(dir / "batched"), together(dir / "together");
    index(batched, true);
    index(together, false);
    for (const char* id : {"ar", "en", "x", "en-copy", "vi-copy", "ar-copy"}) {
        SCOPED_TRACE(id);
        const auto a = batched.get(id, true), b = together.get(id, true);
        ASSERT_TRUE(a && b);
        EXPECT_EQ(a->text, b->text);
        EXPECT_EQ(a->lang, b->lang);
        EXPECT_EQ(a->lang_confidence, b->lang_confidence);
        EXPECT_EQ(a->lang_top, b->lang_top);
        EXPECT_EQ(a->lang_scores, b->lang_scores);
        EXPECT_EQ(a->other_languages, b->other_languages);
        ASSERT_EQ(a->paragraphs.size(), b->paragraphs.size());
        for (std::size_t p = 0; p < a->paragraphs.size(); ++p) {
            EXPECT_EQ(a->paragraphs[p].span, b->paragraphs[p].span);
            EXPECT_EQ(a->paragraphs[p].lang, b->paragraphs[p].lang);
            EXPECT_EQ(a->paragraphs[p].lang_confidence, b->paragraphs[p].lang_confidence);
            EXPECT_EQ(a->paragraphs[p].lang_inherited, b->paragraphs[p].lang_inherited);
        }
        for (const char* kind : {EmbeddingStage::kFeaturesKind, EmbeddingStage::kLanguageKind})
            EXPECT_EQ(batched.artifact(a->seq, kind), together.artifact(b->seq, kind)) << kind;
    }
    EXPECT_NE(batched.get("x")->lang, batched.get("vi-copy")->lang);
}

// Relabeling (the Indexer's settling) updates a row's languages before its stage recomputes the
// artifacts, so relabeled() must not take features stored under the new analysis: a document
// relabeled back to the analysis it was first written with would find itself, with the features of
// the analysis in between. Each relabeling gives the features of the document as it now reads.
TEST(EmbeddingStage, ARelabeledDocumentGetsTheFeaturesOfItsNewAnalysis) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-relabel-back");
    Store store(dir / "store");
    EmbeddingStage stage(EmbeddingStageOptions{}, EmbedderContext{models});
    auto analyzed = [](const std::string& lang) {
        AnalyzedDocument d;
        d.doc.id = "d";
        d.doc.text = "The committee met on Tuesday to discuss the budget for the coming year.";
        d.lang = lang;
        d.lang_confidence = 0.5f;
        d.paragraphs.push_back(Paragraph{Span{0, static_cast<uint32_t>(d.doc.text.size())}, lang, 0.5f, false});
        d.content_hash = content_hash(d.doc.text);
        return d;
    };
    const AnalyzedDocument en = analyzed("en"), de = analyzed("de");
    std::vector<int64_t> seqs;
    store.put(1, &en, 1, &seqs);
    stage.add_prepared(store, 1, seqs.data(), &en, stage.prepare(1, &en));
    const auto as_en = store.artifact(seqs[0], EmbeddingStage::kFeaturesKind);
    for (const AnalyzedDocument* now : {&de, &en}) {
        store.transaction([&] {
            store.update_languages(1, seqs.data(), now);
            stage.relabeled(store, 1, seqs.data(), now);
        });
    }
    Store fresh(dir / "fresh");
    EmbeddingStage other(EmbeddingStageOptions{}, EmbedderContext{models});
    std::vector<int64_t> de_seqs;
    fresh.put(1, &de, 1, &de_seqs);
    other.add(fresh, 1, de_seqs.data(), &de);
    ASSERT_NE(as_en, fresh.artifact(de_seqs[0], EmbeddingStage::kFeaturesKind));  // the premise
    EXPECT_EQ(store.artifact(seqs[0], EmbeddingStage::kFeaturesKind), as_en);
}

// Copies of documents (the same stored counts) take the row computed for their first copy at
// flush: each document's row in the index is its own counts weighed and densified, so a query
// with that vector finds the document and its copy at the same inner product, that of the
// vector with itself.
TEST(EmbeddingStage, CopiesGetTheRowsOfTheirOwnCounts) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-copies");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir / "store");
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
    std::vector<Document> docs;
    for (const char* name : {"en-2024-hanoi-working-group.txt", "vi-2019-gcm-central-region.txt"})
        for (int copy = 0; copy < 3; ++copy) {
            Document d;
            d.id = std::string(name) + "#" + std::to_string(copy);
            d.text = test::read_file(test::seed_path(name));
            if (copy == 2) d.text += "\nOne more line, so that this one is not a copy.";
            docs.push_back(std::move(d));
        }
    indexer.add(docs.size(), docs.data(), 1);
    indexer.finish();
    StoredFeatures all = load_features(store);
    BridgeEmbedder embedder(BridgeEmbedder::parse_spec(EmbeddingStageOptions{}.embedder), EmbedderContext{models});
    embedder.set_frequencies(std::make_shared<DocumentFrequencies>(all.frequencies));
    const VectorIndex index = VectorIndex::load(store.dir());
    std::size_t checked = 0;
    for (std::size_t i = 0; i < all.seqs.size(); ++i) {
        std::vector<float> x(embedder.dim());
        embedder.densify(embedder.weigh(all.counts[i]), x.data());
        float self = 0;
        for (float v : x) self += v * v;
        std::vector<float> distances(3);
        std::vector<int64_t> labels(3);
        index.search(all.langs[i], 1, x.data(), 3, distances.data(), labels.data());
        const auto hit = std::find(labels.begin(), labels.end(), all.seqs[i]);
        ASSERT_NE(hit, labels.end()) << all.seqs[i];
        EXPECT_NEAR(distances[static_cast<std::size_t>(hit - labels.begin())], self, 1e-5) << all.seqs[i];
        EXPECT_NEAR(distances[0], self, 1e-5);  // nothing nearer than the document itself
        ++checked;
    }
    EXPECT_EQ(checked, docs.size());
    EXPECT_EQ(index.languages().size(), 2u);
}

// The seed pair analyzed, and their features and matching languages as add() writes them into a
// store of their own.
struct AddedSeedPair {
    std::vector<AnalyzedDocument> docs;
    std::map<int64_t, std::string> features;
};

AddedSeedPair add_seed_pair(const test::TempDir& dir, const std::string& name, const LanguageIdentifier& langid,
                            const std::string& models, std::vector<AnalyzedDocument> docs) {
    Store store(dir / name);
    std::vector<int64_t> seqs;
    store.put(docs.size(), docs.data(), 1, &seqs);
    EmbeddingStage stage(EmbeddingStageOptions{}, EmbedderContext{models});
    stage.add(store, docs.size(), seqs.data(), docs.data());
    return {std::move(docs), features_of(store)};
}

// prepare() computes a batch's features ahead (the Indexer's pipeline); add_prepared() writes
// them when they were made of the same documents and analysis, and computes its own when the
// analysis differs (here: every paragraph relabeled), so the store is add()'s either way.
TEST(EmbeddingStage, PreparedFeaturesAreTakenOnlyForTheSameAnalysis) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-prepared");
    LanguageIdentifier langid(test::lid_model());
    std::vector<AnalyzedDocument> docs;
    for (const char* f : {"ar-2024-hanoi-working-group.txt", "en-2024-hanoi-working-group.txt"}) {
        Document d;
        d.id = f;
        d.text = test::read_file(test::seed_path(f));
        docs.push_back(analyze_document(std::move(d), langid));
    }
    std::vector<AnalyzedDocument> relabeled = docs;
    for (auto& p : relabeled[1].paragraphs) p.lang = "de";
    const AddedSeedPair same = add_seed_pair(dir, "same", langid, models, docs);
    const AddedSeedPair other = add_seed_pair(dir, "other", langid, models, relabeled);
    ASSERT_NE(same.features, other.features);
    for (const AddedSeedPair* given : {&same, &other}) {
        test::TempDir sub("embedding-stage-prepared-store");
        Store store(sub / "store");
        std::vector<int64_t> seqs;
        store.put(given->docs.size(), given->docs.data(), 1, &seqs);
        EmbeddingStage stage(EmbeddingStageOptions{}, EmbedderContext{models});
        auto prepared = stage.prepare(docs.size(), docs.data());  // made of `docs`' analysis
        ASSERT_NE(prepared, nullptr);
        stage.add_prepared(store, seqs.size(), seqs.data(), given->docs.data(), std::move(prepared));
        EXPECT_EQ(features_of(store), given->features);
    }
}

// Repeats in a batch are computed once, but only a repeat of the text and the analysis: a copy
// of the English article gets its features, the same text with its paragraphs relabeled its own.
TEST(EmbeddingStage, ARepeatInABatchSharesFeaturesOnlyWithTheSameAnalysis) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-repeats");
    LanguageIdentifier langid(test::lid_model());
    Document d;
    d.id = "en";
    d.text = test::read_file(test::seed_path("en-2024-hanoi-working-group.txt"));
    std::vector<AnalyzedDocument> docs(3, analyze_document(d, langid));
    docs[1].doc.id = "copy";
    docs[2].doc.id = "relabeled";
    for (auto& p : docs[2].paragraphs) p.lang = "de";
    const AddedSeedPair alone = add_seed_pair(dir, "alone", langid, models, {docs[0]});
    const AddedSeedPair relabeled = add_seed_pair(dir, "relabeled", langid, models, {docs[2]});
    const AddedSeedPair all = add_seed_pair(dir, "all", langid, models, docs);
    ASSERT_EQ(all.features.size(), 3u);
    const std::string& en = alone.features.begin()->second;
    const std::string& de = relabeled.features.begin()->second;
    ASSERT_NE(en, de);
    auto it = all.features.begin();
    EXPECT_EQ((it++)->second, en);
    EXPECT_EQ((it++)->second, en);
    EXPECT_EQ(it->second, de);
}

// A document longer than kEmbeddingPartBytes is computed in runs of paragraphs by several
// embedders, joined and summed: its stored features are document_features()' bit for bit (its
// paragraphs in three languages, their fractional concept weights summed across runs), beside a
// short document computed whole, with prepare() and with add().
TEST(EmbeddingStage, ALongDocumentComputedInPartsHasItsWholeFeatures) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-parts");
    LanguageIdentifier langid(test::lid_model());
    Document d;
    d.id = "long";
    for (const char* f : {"en-2024-hanoi-working-group.txt", "ar-2024-hanoi-working-group.txt",
                          "vi-2024-nz-interview-ben-quinn.txt"}) {
        const std::string text = test::read_file(test::seed_path(f));
        while (d.text.size() < 3 * kEmbeddingPartBytes) d.text += text + "\n";
        d.text += "\n";
    }
    Document short_doc;
    short_doc.id = "short";
    short_doc.text = test::read_file(test::seed_path("en-2024-hanoi-working-group.txt"));
    std::vector<AnalyzedDocument> docs{analyze_document(d, langid), analyze_document(short_doc, langid)};
    ASSERT_GT(docs[0].doc.text.size(), 3 * kEmbeddingPartBytes);
    BridgeEmbedder whole(BridgeEmbedderOptions{}, EmbedderContext{models});
    const std::string expected_long = whole.document_features(docs[0]).serialize();
    const std::string expected_short = whole.document_features(docs[1]).serialize();
    for (const bool prepared : {true, false}) {
        test::TempDir sub("embedding-stage-parts-store");
        Store store(sub / "store");
        std::vector<int64_t> seqs;
        store.put(docs.size(), docs.data(), 1, &seqs);
        EmbeddingStage stage(EmbeddingStageOptions{}, EmbedderContext{models});
        if (prepared)
            stage.add_prepared(store, seqs.size(), seqs.data(), docs.data(), stage.prepare(docs.size(), docs.data()));
        else
            stage.add(store, seqs.size(), seqs.data(), docs.data());
        const std::map<int64_t, std::string> stored = features_of(store);
        ASSERT_EQ(stored.size(), 2u);
        EXPECT_TRUE(stored.at(seqs[0]) == expected_long);
        EXPECT_TRUE(stored.at(seqs[1]) == expected_short);
    }
}

}  // namespace
}  // namespace doppel
