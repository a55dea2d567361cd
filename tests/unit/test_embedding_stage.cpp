// EmbeddingStage: features per document in the store, and their recomputation when the
// bridge lexicon changed since the store was indexed.
#include <gtest/gtest.h>

#include <filesystem>

#include "doppel/index/embedding_stage.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/translations.h"
#include "doppel/langid/language_identifier.h"
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
// such, not as a store without embeddings, and the next indexing run rebuilds it.
TEST(EmbeddingStage, AMissingVectorIndexIsNamedAndRebuilt) {
    const std::string models = test::source_dir() + "/models";
    if (!std::filesystem::exists(models + "/bridge.lex")) GTEST_SKIP() << "models/bridge.lex not built";
    test::TempDir dir("embedding-stage-missing-index");
    LanguageIdentifier langid(test::lid_model());
    Store store(dir / "store");
    index_seed_pair(store, langid, models);
    const std::size_t links = find_stored_translations(store, models).pairs.size();
    std::filesystem::remove(dir / "store/vectors.idx");
    try {
        find_stored_translations(store, models);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the vector index (vectors.idx) is missing"), std::string::npos)
            << e.what();
        EXPECT_EQ(std::string(e.what()).find("bridge.lex"), std::string::npos) << e.what();
    }
    Indexer indexer(store, langid);
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models}));
    indexer.finish();  // nothing added: the missing index alone makes it work
    EXPECT_TRUE(std::filesystem::exists(dir / "store/vectors.idx"));
    EXPECT_EQ(find_stored_translations(store, models).pairs.size(), links);
}

}  // namespace
}  // namespace doppel
