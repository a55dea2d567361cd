// ops/alignment: a stored pair aligns exactly as the same texts read from files; score_pairs
// gives per pair what align_documents gives, and an error for a missing document.
#include <gtest/gtest.h>

#include <filesystem>

#include "doppel/error.h"
#include "doppel/ops/alignment.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

namespace doppel {
namespace {

AnalyzedDocument stored(const std::string& id, const std::string& text, const std::string& lang) {
    AnalyzedDocument d;
    d.doc.id = id;
    d.doc.text = text;
    d.doc.source = id + ".txt";
    d.lang = lang;
    d.content_hash = "hash-" + id;  // any value: the store keeps it
    return d;
}

// Two seeds, in a store and as files (their stored text is the file's text).
struct Fixture {
    test::TempDir dir{"ops-alignment"};
    std::string path_a = test::seed_path("ar-2024-hanoi-working-group.txt");
    std::string path_b = test::seed_path("en-2024-hanoi-working-group.txt");
    std::unique_ptr<Store> store;
    std::unique_ptr<Aligner> aligner = Aligner::from_spec(Aligner::kLexicalSpec);
    Fixture() {
        store = std::make_unique<Store>(dir / "store");
        std::vector<AnalyzedDocument> docs = {stored("a", test::read_file(path_a), "ar"),
                                              stored("b", test::read_file(path_b), "en")};
        store->put(docs.size(), docs.data(), 1);
    }
};

TEST(OpsAlignment, StoredPairEqualsAligningTheFiles) {
    Fixture f;
    UnitReader reader(UnitKind::kLines);
    const AlignedPair stored_pair = align_stored_pair(*f.store, "a", "b", *f.aligner, reader);
    UnitDocument a = reader.from_file(f.path_a), b = reader.from_file(f.path_b);
    a.lang = "ar";  // no language identifier here: as stored
    b.lang = "en";
    const AlignedPair files = align_documents(std::move(a), std::move(b), *f.aligner);
    ASSERT_FALSE(stored_pair.alignment.beads.empty());
    EXPECT_EQ(stored_pair.alignment.beads, files.alignment.beads);
    EXPECT_EQ(stored_pair.alignment.score, files.alignment.score);
    EXPECT_EQ(stored_pair.alignment.label, files.alignment.label);
    EXPECT_EQ(stored_pair.a.units.size(), files.a.units.size());
    EXPECT_EQ(stored_pair.b.unit(0), files.b.unit(0));
    EXPECT_GT(stored_pair.aligned_beads(), 0u);
}

TEST(OpsAlignment, ScorePairsMatchesOnePairAtATime) {
    Fixture f;
    UnitReader reader(UnitKind::kSentences);
    const std::vector<PairToScore> pairs = {{"a", "b"}, {"a", "missing"}, {"b", "a"}};
    const std::vector<ScoredPair> scored = score_pairs(pairs, *f.aligner, reader, f.store.get());
    ASSERT_EQ(scored.size(), 3u);
    EXPECT_TRUE(scored[0].ok());
    EXPECT_FALSE(scored[1].ok());
    EXPECT_NE(scored[1].error.find("missing"), std::string::npos);
    EXPECT_TRUE(scored[2].ok());
    const AlignedPair one = align_stored_pair(*f.store, "a", "b", *f.aligner, reader);
    EXPECT_EQ(scored[0].pair.alignment.beads, one.alignment.beads);
    EXPECT_EQ(scored[0].pair.alignment.score, one.alignment.score);
    EXPECT_EQ(scored[2].pair.a.id, "b");
    EXPECT_THROW(align_stored_pair(*f.store, "a", "missing", *f.aligner, reader), Error);
}

// The default aligner takes the encoders whose models are there: anchors and cognates alone
// without bridge.lex; with it, the bridge; with pairs.lex as well, the German-French pairs.
TEST(OpsAlignment, DefaultSpecFollowsTheModels) {
    test::TempDir dir("ops-alignment-models");
    const std::string pairs = "#doppel-pairs 1\n{}\nde\tfr\tberg\tmontagne\n";
    EXPECT_EQ(make_aligner(dir.path())->describe(), Aligner::from_spec(Aligner::kLexicalSpec)->describe());
    test::write_file(dir / "pairs.lex", pairs);
    EXPECT_EQ(make_aligner(dir.path())->describe(), Aligner::from_spec(Aligner::kLexicalSpec)->describe());
    const std::string bridge = test::source_dir() + "/models/bridge.lex";
    if (!std::filesystem::exists(bridge)) GTEST_SKIP() << "models/bridge.lex missing";
    std::filesystem::create_symlink(std::filesystem::absolute(bridge), dir / "bridge.lex");
    EXPECT_EQ(make_aligner(dir.path())->describe(), Aligner::from_spec(Aligner::kDefaultSpec, dir.path())->describe());
    EXPECT_NE(make_aligner(dir.path())->describe().find(";2.5*pairs"), std::string::npos);
    std::filesystem::remove(dir / "pairs.lex");
    EXPECT_EQ(make_aligner(dir.path())->describe(), Aligner::from_spec(Aligner::kBridgeSpec, dir.path())->describe());
    EXPECT_EQ(make_aligner(dir.path())->describe().find("pairs"), std::string::npos);
}

TEST(OpsAlignment, UnitTextJoinsUnits) {
    UnitReader reader(UnitKind::kLines);
    const UnitDocument d = reader.from_text("x", "one\n\ntwo\nthree\n", "en");
    ASSERT_EQ(d.units.size(), 3u);
    EXPECT_EQ(d.unit(1), "two");
    EXPECT_EQ(d.unit_text(0, 3), "one two three");
    EXPECT_EQ(d.side().units.size(), 3u);
}

TEST(OpsAlignment, LanguageSampleCutsAtALineEnd) {
    EXPECT_EQ(language_sample("short text"), "short text");
    const std::string line(1000, 'a');
    std::string big;
    while (big.size() <= kLanguageSampleBytes) big += line + "\n";
    const std::string_view s = language_sample(big);
    EXPECT_LE(s.size(), kLanguageSampleBytes);
    EXPECT_EQ(big[s.size()], '\n');
}

}  // namespace
}  // namespace doppel
