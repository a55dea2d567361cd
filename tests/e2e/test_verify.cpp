// doppel verify on a store with pieces taken away (artifact rows deleted with SQLite, the vector
// index deleted): verify finds each, --repair fixes it, and the repaired store answers dedup and
// translations as a clean store does.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "support/test_support.h"

using doppel::test::run_doppel;
using doppel::test::TempDir;

namespace {

void sql(const std::string& store, const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((store + "/doppel.sqlite").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
}

std::string answers(const std::string& store) {
    auto dedup = run_doppel("dedup --store '" + store + "' --format tsv");
    auto tr = run_doppel("translations --store '" + store + "' --format tsv --no-align");
    EXPECT_EQ(dedup.exit_code, 0) << dedup.err;
    EXPECT_EQ(tr.exit_code, 0) << tr.err;
    return "dedup:\n" + dedup.out + "translations:\n" + tr.out;
}

bool have_bridge() { return std::filesystem::exists(doppel::test::source_dir() + "/models/bridge.lex"); }

TEST(CliVerify, AHealthyStoreExitsZero) {
    TempDir dir("e2e-verify-healthy");
    const std::string store = dir / "store";
    ASSERT_EQ(run_doppel("index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    auto r = run_doppel("verify --store '" + store + "'");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("integrity     ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("artifacts     ok (5 documents complete)"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("healthy"), std::string::npos) << r.err;
}

TEST(CliVerify, FindsAndRepairsMissingArtifactsAndVectorIndex) {
    if (!have_bridge()) GTEST_SKIP() << "models/bridge.lex not built";
    TempDir dir("e2e-verify-repair");
    const std::string store = dir / "store", clean = dir / "clean";
    ASSERT_EQ(run_doppel("index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    ASSERT_EQ(run_doppel("index --store '" + clean + "' " + doppel::test::seed_args()).exit_code, 0);
    const std::string expected = answers(clean);
    sql(store,
        "DELETE FROM artifacts WHERE kind = 'features/bridge' AND seq IN (1, 3); "
        "UPDATE sketches SET minhash = NULL WHERE seq IN (1, 3)");
    std::filesystem::remove(store + "/vectors.idx");

    auto found = run_doppel("verify --store '" + store + "'");
    EXPECT_EQ(found.exit_code, 3) << "damaged, not repaired\n" << found.out << found.err;
    EXPECT_NE(found.out.find("artifacts     PROBLEM: 2 documents"), std::string::npos) << found.out;
    EXPECT_NE(found.out.find("without \"minhash\""), std::string::npos) << found.out;
    EXPECT_NE(found.out.find("vector index  PROBLEM:"), std::string::npos) << found.out;
    EXPECT_NE(found.out.find("vectors.idx is missing"), std::string::npos) << found.out;

    auto repaired = run_doppel("verify --store '" + store + "' --repair");
    EXPECT_EQ(repaired.exit_code, 1) << "repaired\n" << repaired.out << repaired.err;
    EXPECT_NE(repaired.out.find("repair: computed the missing artifacts of 2 documents"), std::string::npos)
        << repaired.out;
    EXPECT_NE(repaired.err.find("repaired"), std::string::npos) << repaired.err;
    EXPECT_EQ(repaired.err.find("NOT repaired"), std::string::npos) << repaired.err;

    auto after = run_doppel("verify --store '" + store + "'");
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    EXPECT_EQ(answers(store), expected);
}

TEST(CliVerify, ACheckWithoutRepairWritesNothingNotEvenTheLockFile) {
    TempDir dir("e2e-verify-readonly");
    const std::string store = dir / "store";
    ASSERT_EQ(run_doppel("index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    std::filesystem::remove(store + "/doppel.lock");
    sql(store, "UPDATE sketches SET minhash = NULL WHERE seq = 2");
    EXPECT_EQ(run_doppel("verify --store '" + store + "'").exit_code, 3);
    EXPECT_FALSE(std::filesystem::exists(store + "/doppel.lock")) << "a read-only verify created the lock file";
}

// The repair reuses the stored analyses: it runs with a models folder that has no language-ID
// model (only the bridge lexicon the embedding stage needs, when there is one).
TEST(CliVerify, RepairLoadsNoLanguageModel) {
    TempDir dir("e2e-verify-nolid");
    const std::string store = dir / "store", models = dir / "models";
    ASSERT_EQ(run_doppel("index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    std::filesystem::create_directories(models);
    if (have_bridge())
        std::filesystem::create_symlink(doppel::test::source_dir() + "/models/bridge.lex", models + "/bridge.lex");
    sql(store, "UPDATE sketches SET minhash = NULL WHERE seq IN (2, 4)");
    auto r = run_doppel("--models '" + models + "' verify --store '" + store + "' --repair");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("repair: computed the missing artifacts of 2 documents"), std::string::npos) << r.out;
    EXPECT_EQ(run_doppel("verify --store '" + store + "'").exit_code, 0);
}

TEST(CliVerify, AMissingStoreCannotBeVerified) {
    TempDir dir("e2e-verify-missing");
    auto r = run_doppel("verify --store '" + dir / "nothing" + "'");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("store not found"), std::string::npos) << r.err;
}

}  // namespace
