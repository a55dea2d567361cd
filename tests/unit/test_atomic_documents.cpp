// Atomic documents: a batch and every stage's artifacts are stored in one transaction (a failure
// leaves nothing of the batch), re-runs complete documents stored without some artifact, and
// doppel verify (ops/verify.h) finds and repairs what is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "doppel/error.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/index/vector_index_check.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/verify.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

namespace doppel {
namespace {

// A stage that writes an artifact, then fails on the batch holding a document with id "boom".
class FailingStage : public IndexStage {
public:
    void add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) override {
        std::vector<std::string> blobs(n, "x");
        store.put_artifacts("failing", n, seqs, blobs.data());
        for (std::size_t i = 0; i < n; ++i)
            if (docs[i].doc.id == "boom") throw std::runtime_error("disk full");
    }
    std::vector<std::string> artifact_kinds() const override { return {"failing"}; }
    std::string describe() const override { return "failing"; }
};

std::vector<Document> make_docs(const std::string& prefix, std::size_t n) {
    std::vector<Document> docs;
    for (std::size_t i = 0; i < n; ++i) {
        Document d;
        d.id = prefix + std::to_string(i);
        d.text = "Document number " + std::to_string(i) + " of the " + prefix +
                 " batch tells of the harbour, the market and the rain that fell all week.";
        d.source = prefix + ".txt";
        docs.push_back(std::move(d));
    }
    return docs;
}

TEST(AtomicDocuments, AFailingStageLeavesNothingOfItsBatch) {
    test::TempDir dir("atomic-failing-stage");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir.path());
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    indexer.add_stage(std::make_unique<FailingStage>());
    auto first = make_docs("a", 5);
    indexer.add(first.size(), first.data(), 1);
    auto second = make_docs("b", 5);
    second[3].id = "boom";
    EXPECT_THROW(indexer.add(second.size(), second.data(), 1), std::runtime_error);
    EXPECT_EQ(store.size(), 5u);
    for (const char* kind : {"shingles", "minhash", "failing"}) {
        EXPECT_EQ(store.artifact_count(kind), 5u) << kind;
        EXPECT_TRUE(store.documents_missing(kind).empty()) << kind;
    }
    EXPECT_FALSE(store.get("b0", false));
}

TEST(AtomicDocuments, ReRunsCompleteDocumentsWithoutSomeArtifact) {
    test::TempDir dir("atomic-complete");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir.path());
    {
        Indexer indexer(store, langid);
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        auto docs = make_docs("a", 6);
        indexer.add(docs.size(), docs.data(), 1);
    }
    const std::string minhash = *store.artifact(2, "minhash");
    test::exec_sql(dir.path(), "UPDATE sketches SET minhash = NULL WHERE seq IN (2, 4)");
    EXPECT_EQ(store.documents_missing("minhash"), (std::vector<int64_t>{2, 4}));
    // Of given documents only: none given reads none (a batch of new documents scans nothing).
    EXPECT_EQ(store.documents_missing("minhash", {1, 2, 3}), (std::vector<int64_t>{2}));
    EXPECT_TRUE(store.documents_missing("minhash", std::vector<int64_t>{}).empty());
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    auto docs = make_docs("a", 6);
    IndexSummary summary;
    indexer.add(docs.size(), docs.data(), 2, &summary);
    EXPECT_EQ(summary.unchanged, 6u);
    EXPECT_EQ(summary.completed, 2u);
    EXPECT_TRUE(store.documents_missing("minhash").empty());
    EXPECT_EQ(*store.artifact(2, "minhash"), minhash);
}

TEST(AtomicDocuments, AnIndexerWithoutALanguageModelCompletesStoredDocumentsAndKeepsTheSpecs) {
    test::TempDir dir("atomic-no-langid");
    Store store(dir.path());
    {
        LanguageIdentifier langid(test::lid_model());
        Indexer indexer(store, langid);
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        auto docs = make_docs("a", 6);
        indexer.add(docs.size(), docs.data(), 1);
        indexer.finish();
    }
    const std::string specs = store.meta("specs").value_or("");
    ASSERT_EQ(specs.rfind("fasttext:", 0), 0u) << specs;
    test::exec_sql(dir.path(), "UPDATE sketches SET minhash = NULL WHERE seq IN (2, 4)");
    Indexer indexer(store);
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    EXPECT_EQ(indexer.complete_stored(), 2u);
    indexer.finish();
    EXPECT_TRUE(store.documents_missing("minhash").empty());
    EXPECT_EQ(store.meta("specs").value_or(""), specs);
    auto more = make_docs("b", 1);
    try {
        indexer.add(more.size(), more.data(), 2);
        FAIL() << "add() needs a language identifier";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
}

TEST(AtomicDocuments, VerifyFindsAndRepairsMissingArtifacts) {
    test::TempDir dir("atomic-verify");
    {
        LanguageIdentifier langid(test::lid_model());
        Store store(dir.path());
        Indexer indexer(store, langid);
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        auto docs = make_docs("a", 8);
        indexer.add(docs.size(), docs.data(), 1);
        indexer.finish();
    }
    const StoreVerification clean = verify_store(dir.path());
    EXPECT_TRUE(clean.healthy);
    ASSERT_EQ(clean.findings.size(), 8u);
    test::exec_sql(dir.path(), "UPDATE sketches SET shingles = NULL WHERE seq = 3");
    const StoreVerification broken = verify_store(dir.path());
    EXPECT_FALSE(broken.healthy);
    EXPECT_FALSE(broken.findings[2].ok);
    EXPECT_NE(broken.findings[2].detail.find("1 document (a2) without \"shingles\""), std::string::npos)
        << broken.findings[2].detail;
    VerifyOptions options;
    options.repair = true;
    options.index.models_dir = test::source_dir() + "/models";
    const StoreVerification repaired = verify_store(dir.path(), options);
    EXPECT_FALSE(repaired.healthy);
    EXPECT_TRUE(repaired.repaired) << (repaired.after.size() > 2 ? repaired.after[2].detail : "");
    EXPECT_TRUE(verify_store(dir.path()).healthy);
}

// A damaged paragraphs row (or one naming bytes past its text) reads as none, and verify names
// the document instead of passing it by.
TEST(AtomicDocuments, VerifyNamesADocumentWhoseParagraphsCannotBeRead) {
    test::TempDir dir("atomic-verify-paragraphs");
    {
        LanguageIdentifier langid(test::lid_model());
        Store store(dir.path());
        Indexer indexer(store, langid);
        auto docs = make_docs("a", 4);
        indexer.add(docs.size(), docs.data(), 1);
        indexer.finish();
    }
    EXPECT_TRUE(verify_store(dir.path()).healthy);
    test::exec_sql(
        dir.path(),
        "UPDATE documents SET paragraphs = substr(paragraphs, 1, length(paragraphs) - 1) WHERE id = 'a1'");
    test::exec_sql(dir.path(),
                   "UPDATE documents SET paragraphs = '[[0,9999,\"en\",1.0,false]]' WHERE id = 'a3'");
    const StoreVerification broken = verify_store(dir.path());
    EXPECT_FALSE(broken.healthy);
    ASSERT_EQ(broken.findings.size(), 8u);
    EXPECT_EQ(broken.findings[4].check, "paragraphs");
    EXPECT_FALSE(broken.findings[4].ok);
    EXPECT_NE(broken.findings[4].detail.find("2 documents (a1, a3)"), std::string::npos) << broken.findings[4].detail;
    Store store(dir.path(), StoreOptions{false, true});
    EXPECT_TRUE(store.get("a1")->paragraphs.empty());
    EXPECT_FALSE(store.get("a0")->paragraphs.empty());
}

// Every (key, seq) entry of a banding's runs, in order.
std::vector<LshBandStore::Entry> band_entries(const std::string& dir, LshParams p) {
    Store store(dir, StoreOptions{false, true});
    std::vector<LshBandStore::Entry> out;
    const auto runs = LshBandStore::open(store, 128, p, 0);
    if (runs) runs->for_each_entry(store, [&](const LshBandStore::Entry& e) { out.push_back(e); });
    return out;
}

// A band run's segment lost and another banding's catalogue lost: verify names both, and repair
// builds them again from the stored signatures, with the same entries.
TEST(AtomicDocuments, VerifyFindsAndRebuildsDamagedBandRuns) {
    test::TempDir dir("atomic-verify-bands");
    std::vector<LshParams> bandings;
    {
        Store store(dir.path());
        Indexer indexer(store, Indexer::WithoutLanguages{});
        NearDuplicateIndexOptions options;
        options.extra_band_thresholds = {0.5};
        indexer.add_stage(std::make_unique<NearDuplicateStage>(options));
        for (const char* batch : {"a", "b", "c"}) {
            auto docs = make_docs(batch, 400);
            indexer.add(docs.size(), docs.data(), 1);
        }
        indexer.finish();
        bandings = stored_bandings(store, 128);
    }
    ASSERT_EQ(bandings.size(), 2u);
    const std::string other = banding_name(bandings[1]);
    std::vector<std::vector<LshBandStore::Entry>> before;
    for (const LshParams& p : bandings) before.push_back(band_entries(dir.path(), p));
    ASSERT_EQ(before[0].size(), 1200u * static_cast<std::size_t>(bandings[0].bands));
    const StoreVerification clean = verify_store(dir.path());
    ASSERT_EQ(clean.findings.size(), 8u);
    EXPECT_EQ(clean.findings[7].check, "band runs");
    EXPECT_TRUE(clean.healthy) << clean.findings[7].detail;
    EXPECT_EQ(clean.findings[7].detail, "ok (" + banding_name(bandings[0]) + ", " + other + " read whole)");

    test::exec_sql(dir.path(),
                   "DELETE FROM blobs WHERE name = 'lsh/1/0'; DELETE FROM meta WHERE key = 'lsh_band_runs:" +
                       other + "'");
    const StoreVerification broken = verify_store(dir.path());
    EXPECT_FALSE(broken.healthy);
    EXPECT_FALSE(broken.findings[7].ok);
    const std::string& detail = broken.findings[7].detail;
    EXPECT_NE(detail.find(banding_name(bandings[0]) + ": LSH band segment lsh/1/0 is missing"), std::string::npos) << detail;
    EXPECT_NE(detail.find(other + ": no band runs"), std::string::npos) << detail;

    VerifyOptions options;
    options.repair = true;
    const StoreVerification repaired = verify_store(dir.path(), options);
    EXPECT_TRUE(repaired.repaired) << (repaired.after.size() > 6 ? repaired.after[6].detail : "");
    ASSERT_EQ(repaired.repairs.size(), 2u);
    EXPECT_EQ(repaired.repairs[1], "built the band runs of " + other + " again from the stored signatures");
    for (std::size_t k = 0; k < bandings.size(); ++k) EXPECT_EQ(band_entries(dir.path(), bandings[k]), before[k]) << k;
    EXPECT_TRUE(verify_store(dir.path()).healthy);
}

TEST(AtomicDocuments, VerifyRebuildsAMissingVectorIndex) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("atomic-verify-index");
    {
        LanguageIdentifier langid(test::lid_model());
        Store store(dir.path());
        IndexConfig config;
        config.models_dir = models;
        index_paths(store, langid, open_index_stages(config).stages,
                    {test::seed_path("ar-2024-hanoi-working-group.txt"),
                     test::seed_path("en-2024-hanoi-working-group.txt")});
    }
    EXPECT_TRUE(verify_store(dir.path()).healthy);
    std::filesystem::remove(dir.path() + "/vectors.idx");
    const StoreVerification broken = verify_store(dir.path());
    EXPECT_FALSE(broken.healthy);
    EXPECT_NE(broken.findings[3].detail.find("vectors.idx is missing"), std::string::npos) << broken.findings[3].detail;
    VerifyOptions options;
    options.repair = true;
    options.index.models_dir = models;
    const StoreVerification repaired = verify_store(dir.path(), options);
    EXPECT_TRUE(repaired.repaired);
    Store store(dir.path(), StoreOptions{false, true});
    EXPECT_TRUE(check_vector_index(store).in_step);
}

TEST(AtomicDocuments, VerifyNamesAStoreThatCannotBeOpened) {
    test::TempDir dir("atomic-verify-missing");
    EXPECT_THROW(verify_store(dir.path() + "/nothing"), Error);
}

}  // namespace
}  // namespace doppel
