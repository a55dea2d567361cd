// The command-line tool on the seeds: index, list, index again, bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>
#include <sstream>

#include "support/test_support.h"

using doppel::test::run_doppel;
using doppel::test::TempDir;

namespace {
std::vector<std::vector<std::string>> tsv(const std::string& out) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> cols;
        std::size_t start = 0;
        while (true) {
            auto tab = line.find('\t', start);
            cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        rows.push_back(cols);
    }
    return rows;
}
}  // namespace

TEST(CliIndex, SeedsIndexListAndReindexChangesNothing) {
    TempDir dir("e2e-seeds");
    const std::string store = dir / "store";
    auto r = run_doppel("index --store '" + store + "' " + doppel::test::seed_args());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("5 added"), std::string::npos) << r.err;

    auto list = run_doppel("list --store '" + store + "'");
    ASSERT_EQ(list.exit_code, 0) << list.err;
    auto rows = tsv(list.out);
    ASSERT_EQ(rows.size(), 5u) << list.out;
    std::map<std::string, std::vector<std::string>> by_id;
    for (auto& row : rows) {
        ASSERT_EQ(row.size(), 4u) << "id, language, paragraphs, other_languages";
        by_id[row[0]] = row;
    }
    EXPECT_EQ(by_id["vi-2019-bali-process-som14"][1], "vi");
    EXPECT_EQ(by_id["vi-2019-gcm-central-region"][1], "vi");
    EXPECT_EQ(by_id["vi-2024-nz-interview-ben-quinn"][1], "vi");
    EXPECT_EQ(by_id["ar-2024-hanoi-working-group"][1], "ar");
    EXPECT_EQ(by_id["ar-2024-hanoi-working-group"][2], "20");
    EXPECT_EQ(by_id["en-2024-hanoi-working-group"][1], "en");
    EXPECT_NE(by_id["en-2024-hanoi-working-group"][3].find("vi"), std::string::npos);

    const std::string before = doppel::test::read_file(store + "/doppel.sqlite");
    auto again = run_doppel("index --store '" + store + "' " + doppel::test::seed_args());
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("0 added, 0 replaced, 5 unchanged"), std::string::npos) << again.err;
    EXPECT_EQ(run_doppel("list --store '" + store + "'").out, list.out);

    auto jl = run_doppel("list --store '" + store + "' --format jsonl");
    ASSERT_EQ(jl.exit_code, 0);
    EXPECT_NE(jl.out.find("\"id\":\"en-2024-hanoi-working-group\""), std::string::npos);
}

TEST(CliIndex, BadJsonlLinesAreNamedSkippedAndExitOne) {
    TempDir dir("e2e-bad");
    std::string data;
    data += R"({"id": "good-1", "text": "Hội nghị diễn ra tại Hà Nội trong ba ngày, từ 16 đến 18 tháng 7."})" "\n";
    data += R"({"id": "broken", "text": )" "\n";
    data += std::string(R"({"id": "latin1", "text": "caf)") + "\xe9" + R"("})" + "\n";
    data += R"({"id": "good-2", "text": "The conference delegates took a souvenir photo in Hanoi."})" "\n";
    doppel::test::write_file(dir / "feed.jsonl", data);
    const std::string store = dir / "store";
    auto r = run_doppel("index --store '" + store + "' '" + (dir / "feed.jsonl") + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(dir / "feed.jsonl:2: malformed JSON"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(dir / "feed.jsonl:3: invalid UTF-8"), std::string::npos) << r.err;
    auto rows = tsv(run_doppel("list --store '" + store + "'").out);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0], "good-1");
    EXPECT_EQ(rows[0][1], "vi");
    EXPECT_EQ(rows[1][0], "good-2");
    EXPECT_EQ(rows[1][1], "en");

    // Standard input, a missing file: reported, the rest goes on, nothing stored is lost.
    doppel::test::write_file(dir / "more.jsonl", R"({"id": "good-3", "text": "Ein weiterer Text auf Deutsch über das Treffen."})" "\n");
    auto r2 = run_doppel("index --store '" + store + "' - '" + (dir / "missing.txt") + "'", dir / "more.jsonl");
    EXPECT_EQ(r2.exit_code, 1) << r2.err;
    EXPECT_NE(r2.err.find(dir / "missing.txt: no such file or directory"), std::string::npos) << r2.err;
    EXPECT_EQ(tsv(run_doppel("list --store '" + store + "'").out).size(), 3u);
}

TEST(CliIndex, MisuseExitsTwo) {
    EXPECT_EQ(run_doppel("index").exit_code, 2);
    EXPECT_EQ(run_doppel("nosuchcommand").exit_code, 2);
    EXPECT_EQ(run_doppel("list --store /nonexistent/store").exit_code, 2);
    auto help = run_doppel("index --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("--store"), std::string::npos);
}

TEST(CliIndex, FilesOfOtherTypesInAFolderAreNamedAndTheExitCodeSaysSo) {
    TempDir dir("e2e-seeds-folder");
    auto r = run_doppel("index --store '" + dir / "store" + "' '" + doppel::test::seeds_dir() + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("README.md: unknown file type '.md', skipped"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("5 added"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("1 skipped"), std::string::npos) << r.err;
}

// Two records of one batch with the same id (issue 11, item 4): the later one is stored, the
// earlier one is named with both lines, the exit code is 1 (a record read and not stored) and the
// store works afterwards.
TEST(CliIndex, ARepeatedIdInOneBatchKeepsTheLaterRecordAndNamesBoth) {
    TempDir dir("e2e-repeat");
    std::string data;
    data += R"({"id": "same", "text": "The first version of the report on the conference in Hanoi."})" "\n";
    data += R"({"id": "other", "text": "A different text about the delegates who took a photo together."})" "\n";
    data += R"({"id": "same", "text": "The second version of the report on the conference in Hanoi."})" "\n";
    doppel::test::write_file(dir / "feed.jsonl", data);
    const std::string store = dir / "store";
    auto r = run_doppel("index --store '" + store + "' '" + (dir / "feed.jsonl") + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(dir / "feed.jsonl:1: id 'same' given again at " + dir / "feed.jsonl:3"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("FOREIGN KEY"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("2 added"), std::string::npos) << r.err;
    // The first version was never stored; the second is in the database (or its log).
    namespace fs = std::filesystem;
    std::string db = doppel::test::read_file(store + "/doppel.sqlite");
    if (fs::exists(store + "/doppel.sqlite-wal")) db += doppel::test::read_file(store + "/doppel.sqlite-wal");
    EXPECT_NE(db.find("The second version"), std::string::npos);
    EXPECT_EQ(db.find("The first version"), std::string::npos);
    EXPECT_EQ(tsv(run_doppel("list --store '" + store + "'").out).size(), 2u);
    auto dedup = run_doppel("dedup --store '" + store + "'");
    EXPECT_EQ(dedup.exit_code, 0) << dedup.err;
    auto again = run_doppel("index --store '" + store + "' '" + (dir / "feed.jsonl") + "'");
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_NE(again.err.find("2 unchanged"), std::string::npos) << again.err;
}

// Two writers into one store at once, and a reader meanwhile: the writers take turns (the
// store's write lock), so neither loses the other's documents or vector-index entries.
TEST(CliIndex, TwoWritersAtOnceKeepEachOthersWork) {
    TempDir dir("e2e-two-writers");
    const std::string store = dir / "store";
    auto feed = [&](const std::string& name, const std::vector<std::string>& seeds, int copies) {
        std::string out;
        for (int c = 0; c < copies; ++c)
            for (const auto& s : seeds) {
                nlohmann::json j = {{"id", name + "-" + std::to_string(c) + "-" + s},
                                    {"text", doppel::test::read_file(doppel::test::seed_path(s + ".txt"))}};
                out += j.dump() + "\n";
            }
        doppel::test::write_file(dir / (name + ".jsonl"), out);
        return dir / (name + ".jsonl");
    };
    const std::string a = feed("a", {"ar-2024-hanoi-working-group", "vi-2019-bali-process-som14"}, 40);
    const std::string b = feed("b", {"en-2024-hanoi-working-group"}, 40);
    ASSERT_EQ(run_doppel("index --store '" + store + "' " + doppel::test::seed_args()).exit_code, 0);
    doppel::test::CommandResult ra, rb, rl;
    std::thread wa([&] { ra = run_doppel("index --store '" + store + "' '" + a + "'"); });
    std::thread wb([&] { rb = run_doppel("index --store '" + store + "' '" + b + "'"); });
    std::thread rd([&] { rl = run_doppel("list --store '" + store + "'"); });
    wa.join();
    wb.join();
    rd.join();
    ASSERT_EQ(ra.exit_code, 0) << ra.err;
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    EXPECT_EQ(rl.exit_code, 0) << rl.err;
    auto list = run_doppel("list --store '" + store + "'");
    EXPECT_EQ(tsv(list.out).size(), 5u + 120u);
    // Both writers' documents are in the vector index: copies of writer a are related to copies
    // of writer b (the copies are alike, so margins are low and the labels are same-story).
    auto tr = run_doppel("translations --store '" + store + "'");
    ASSERT_EQ(tr.exit_code, 0) << tr.err;
    std::size_t across = 0;
    for (const auto& row : tsv(tr.out))
        across += (row[0].rfind("a-", 0) == 0 && row[1].rfind("b-", 0) == 0) ||
                  (row[0].rfind("b-", 0) == 0 && row[1].rfind("a-", 0) == 0);
    EXPECT_GT(across, 0u) << tr.out;
}
