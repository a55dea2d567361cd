// TSV output (issue 11, item 9): an id holding a tab, a line break, a carriage return or a
// backslash is escaped (\t \n \r \\) in every TSV writer, so each record stays one line of fixed
// columns; score reads the escapes back.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "support/test_support.h"

using doppel::test::run_doppel;
using doppel::test::TempDir;

namespace {

std::vector<std::vector<std::string>> rows(const std::string& out) {
    std::vector<std::vector<std::string>> r;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> cols(1);
        for (char c : line) {
            if (c == '\t')
                cols.emplace_back();
            else
                cols.back().push_back(c);
        }
        r.push_back(cols);
    }
    return r;
}

std::string words(unsigned seed) {
    std::string s;
    for (unsigned i = 0; i < 80; ++i)
        s += "word" + std::to_string((i * 7919u + seed * 104729u) % 100003u) + " ";
    return s;
}

std::string record(const std::string& json_id, const std::string& text) {
    return "{\"id\": \"" + json_id + "\", \"text\": \"" + text + "\"}\n";
}

}  // namespace

TEST(CliTsv, IdsWithTabsLineBreaksAndBackslashesAreEscaped) {
    TempDir dir("e2e-tsv");
    const std::string store = dir / "store";
    // JSON escapes: the ids are "tab<TAB>a", "new<LF>b", "cr<CR>c", "back\d".
    doppel::test::write_file(dir / "feed.jsonl", record("tab\\ta", words(1)) + record("new\\nb", words(1)) +
                                                     record("cr\\rc", words(2)) +
                                                     record("back\\\\d", words(2)));
    ASSERT_EQ(run_doppel("-q index --store '" + store + "' '" + dir / "feed.jsonl" + "'").exit_code, 0);

    auto list = rows(run_doppel("list --store '" + store + "'").out);
    ASSERT_EQ(list.size(), 4u);
    std::set<std::string> ids;
    for (const auto& r : list) {
        EXPECT_EQ(r.size(), 4u);
        ids.insert(r[0]);
    }
    EXPECT_EQ(ids, (std::set<std::string>{"tab\\ta", "new\\nb", "cr\\rc", "back\\\\d"}));

    auto dedup = run_doppel("dedup --store '" + store + "'");
    ASSERT_EQ(dedup.exit_code, 0) << dedup.err;
    auto pairs = rows(dedup.out);
    std::sort(pairs.begin(), pairs.end());
    ASSERT_EQ(pairs.size(), 2u) << dedup.out;
    for (const auto& r : pairs) EXPECT_EQ(r.size(), 3u);
    EXPECT_EQ(pairs[0][0] + " " + pairs[0][1], "back\\\\d cr\\rc");
    EXPECT_EQ(pairs[1][0] + " " + pairs[1][1], "new\\nb tab\\ta");

    doppel::test::write_file(dir / "new.jsonl", record("odd\\tnew", words(1)));
    auto check = rows(run_doppel("check --store '" + store + "' -", dir / "new.jsonl").out);
    ASSERT_EQ(check.size(), 1u);
    ASSERT_EQ(check[0].size(), 4u);
    EXPECT_EQ(check[0][0], "odd\\tnew");

    // score reads the escaped ids back and writes them escaped.
    doppel::test::write_file(dir / "pairs.tsv", dedup.out);
    auto score = run_doppel("score --store '" + store + "' --format tsv '" + dir / "pairs.tsv" + "'");
    ASSERT_EQ(score.exit_code, 0) << score.err;
    auto scored = rows(score.out);
    ASSERT_EQ(scored.size(), 2u) << score.out;
    EXPECT_EQ(scored[0].size(), 6u);
    EXPECT_EQ(scored[0][0], dedup.out.substr(0, dedup.out.find('\t')));
}
