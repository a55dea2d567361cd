// Quality: strict F1 of the aligner on the Text+Berg German-French test set (test0..test6 of
// ../shared/data/textberg-de-fr, counts summed over the files, as its README defines) must
// reach the stored target (tests/quality/textberg_target.txt). scripts/eval-align computes the
// same figures through the command-line tool, with lax F1 too.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "doppel/align/aligner.h"
#include "doppel/align/units.h"
#include "support/test_support.h"

namespace doppel {
namespace {
namespace fs = std::filesystem;

using BeadSets = std::pair<std::vector<uint32_t>, std::vector<uint32_t>>;

std::vector<BeadSets> parse_gold(const std::string& text) {
    std::vector<BeadSets> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto mid = line.find("]:[");
        if (mid == std::string::npos) continue;
        auto nums = [](const std::string& s) {
            std::vector<uint32_t> v;
            std::string t;
            for (char c : s) {
                if (c >= '0' && c <= '9') t.push_back(c);
                else if (!t.empty()) {
                    v.push_back(static_cast<uint32_t>(std::stoul(t)));
                    t.clear();
                }
            }
            if (!t.empty()) v.push_back(static_cast<uint32_t>(std::stoul(t)));
            return v;
        };
        out.emplace_back(nums(line.substr(0, mid)), nums(line.substr(mid + 3)));
    }
    return out;
}

// Strict hits of `test` against `gold`, and the number of test beads with both sides.
std::pair<std::size_t, std::size_t> strict_hits(const std::vector<BeadSets>& test, const std::vector<BeadSets>& gold) {
    std::set<BeadSets> g;
    for (const auto& b : gold)
        if (!b.first.empty() && !b.second.empty()) g.insert(b);
    std::size_t hits = 0, n = 0;
    for (const auto& b : test) {
        if (b.first.empty() || b.second.empty()) continue;
        ++n;
        hits += g.count(b);
    }
    return {hits, n};
}

TEST(TextBerg, StrictF1ReachesTarget) {
    const std::string dir = test::shared_dir() + "/data/textberg-de-fr";
    if (!fs::exists(dir + "/test0.defr")) GTEST_SKIP() << "Text+Berg data not found in " << dir;
    double target = 0;
    std::istringstream(test::read_file(test::source_dir() + "/tests/quality/textberg_target.txt")) >> target;
    ASSERT_GT(target, 0.5);
    const std::string models = test::source_dir() + "/models";
    const bool lexicon = fs::exists(models + "/bridge.lex");
    const auto aligner = Aligner::from_spec(lexicon ? Aligner::kDefaultSpec : Aligner::kLexicalSpec, models);
    Segmenter seg;
    std::size_t hp = 0, np = 0, hr = 0, nr = 0;
    for (int k = 0; k < 7; ++k) {
        const std::string base = dir + "/test" + std::to_string(k);
        const std::string de = test::read_file(base + ".de"), fr = test::read_file(base + ".fr");
        AlignSide a{{}, "de"}, b{{}, "fr"};
        for (const Span& s : split_units(de, UnitKind::kLines, "de", seg)) a.units.push_back(std::string_view(de).substr(s.begin, s.size()));
        for (const Span& s : split_units(fr, UnitKind::kLines, "fr", seg)) b.units.push_back(std::string_view(fr).substr(s.begin, s.size()));
        const Alignment al = aligner->align(a, b);
        std::vector<BeadSets> test;
        for (const Bead& bead : al.beads) {
            BeadSets t;
            for (uint32_t i = bead.a_begin; i < bead.a_end; ++i) t.first.push_back(i);
            for (uint32_t j = bead.b_begin; j < bead.b_end; ++j) t.second.push_back(j);
            test.push_back(t);
        }
        const auto gold = parse_gold(test::read_file(base + ".defr"));
        const auto [h1, n1] = strict_hits(test, gold);
        const auto [h2, n2] = strict_hits(gold, test);
        hp += h1;
        np += n1;
        hr += h2;
        nr += n2;
    }
    const double p = static_cast<double>(hp) / static_cast<double>(np), r = static_cast<double>(hr) / static_cast<double>(nr);
    const double f1 = 2 * p * r / (p + r);
    std::cout << "Text+Berg test0-6 (" << (lexicon ? "with" : "without") << " lexicon): strict P " << p << " R " << r
              << " F1 " << f1 << " (target " << target << ")\n";
    if (lexicon) EXPECT_GE(f1, target) << "REGRESSION";
    else EXPECT_GE(f1, 0.80) << "REGRESSION (no lexicon)";
}

}  // namespace
}  // namespace doppel
