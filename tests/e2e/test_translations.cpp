// doppel translations on the seeds: the Arabic and English versions of the July 2024 article
// are linked as `translation` with the top score; the Vietnamese interview about the same
// event is at most `same-story`; no other pair is a translation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/test_support.h"

namespace doppel {
namespace {

struct Row {
    std::string a, b, label;
    double score;
};

std::vector<Row> parse(const std::string& out) {
    std::vector<Row> rows;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        Row r;
        std::string score;
        std::getline(f, r.a, '\t');
        std::getline(f, r.b, '\t');
        std::getline(f, score, '\t');
        std::getline(f, r.label, '\t');
        r.score = std::stod(score);
        rows.push_back(r);
    }
    return rows;
}

TEST(Translations, Seeds) {
    if (!std::filesystem::exists(test::source_dir() + "/models/bridge.lex"))
        GTEST_SKIP() << "models/bridge.lex not built (scripts/build-bridge)";
    test::TempDir dir("e2e-translations");
    auto idx = test::run_doppel("index --store '" + dir.path() + "/store' " + test::seed_args());
    ASSERT_EQ(idx.exit_code, 0) << idx.err;
    auto r = test::run_doppel("translations --store '" + dir.path() + "/store'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("translation"), std::string::npos);  // summary line
    auto rows = parse(r.out);
    ASSERT_FALSE(rows.empty()) << r.out;
    const Row* best = &rows[0];
    for (const auto& row : rows) {
        EXPECT_LT(row.a, row.b);
        EXPECT_GE(row.score, 0.0);
        EXPECT_LE(row.score, 1.0);
        if (row.score > best->score) best = &row;
        bool arabic_english = row.a == "ar-2024-hanoi-working-group" && row.b == "en-2024-hanoi-working-group";
        if (arabic_english) {
            EXPECT_EQ(row.label, "translation");
        } else {
            EXPECT_EQ(row.label, "same-story") << row.a << " " << row.b;
        }
    }
    EXPECT_EQ(best->a, "ar-2024-hanoi-working-group");
    EXPECT_EQ(best->b, "en-2024-hanoi-working-group");
    EXPECT_EQ(best->label, "translation");

    // JSONL carries the same pairs with the similarity and margin.
    auto j = test::run_doppel("translations --store '" + dir.path() + "/store' --format jsonl");
    ASSERT_EQ(j.exit_code, 0) << j.err;
    EXPECT_NE(j.out.find("\"label\":\"translation\""), std::string::npos);
    EXPECT_NE(j.out.find("\"margin\""), std::string::npos);
    // ...and the translation pair's aligned units: the Arabic caption of the souvenir photo
    // (Arabic line 0) is linked to the English one (English line 5), and the advertisement
    // marker is left without a counterpart.
    const auto line = j.out.substr(0, j.out.find('\n'));
    ASSERT_NE(line.find("\"aligned_units\""), std::string::npos) << line.substr(0, 500);
    EXPECT_NE(line.find("\"a\":[0],\"a_text\":\"يلتقط المشاركون"), std::string::npos);
    EXPECT_NE(line.find("\"b\":[5],\"b_text\":\"Conference delegates take souvenir photo."), std::string::npos);
    EXPECT_NE(line.find("\"a\":[17],\"a_text\":\"[إعلان رقم 2]\",\"b\":[]"), std::string::npos);

    // JSONL ends with a summary record of the specs used; given back, they reproduce the pairs.
    const std::string body = j.out.substr(0, j.out.size() - 1);
    const auto last = nlohmann::json::parse(body.substr(body.rfind('\n') + 1));
    ASSERT_EQ(last["type"], "summary");
    EXPECT_EQ(last["translation"], 1);
    const auto& specs = last["specs"];
    EXPECT_EQ(specs["matcher"].get<std::string>().rfind("matcher:k=10,", 0), 0u) << specs.dump();
    EXPECT_EQ(specs["associations"].get<std::string>().rfind("learn:", 0), 0u) << specs.dump();
    EXPECT_NE(r.err.find("specs {"), std::string::npos) << r.err;
    auto again = test::run_doppel("-q translations --store '" + dir.path() + "/store' --matcher '" +
                                  specs["matcher"].get<std::string>() + "' --associations '" +
                                  specs["associations"].get<std::string>() + "' --embedder '" +
                                  specs["embedder"].get<std::string>() + "'");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.out, r.out);
}

TEST(Translations, StoreWithoutEmbeddingsIsAnError) {
    test::TempDir dir("e2e-translations-empty");
    auto r = test::run_doppel("translations --store '" + dir.path() + "/nothing'");
    EXPECT_EQ(r.exit_code, 2);
}

// `--vectors` at index time: aligned word vectors combined with the bridge. Two unrelated texts
// whose words all share one vector in the (test-written) aligned files become translations;
// without the vectors they are not.
TEST(Translations, IndexWithVectorsCombinesThemWithTheBridge) {
    if (!std::filesystem::exists(test::source_dir() + "/models/bridge.lex"))
        GTEST_SKIP() << "models/bridge.lex not built (scripts/build-bridge)";
    test::TempDir dir("e2e-translations-vectors");
    const std::string en = "The weather in the mountains was cold and windy during the whole week of our holiday.";
    const std::string de = "Der Computer rechnet die Steuern für das kommende Jahr automatisch und schnell aus.";
    test::write_file(dir / "docs/en-weather.txt", en + "\n");
    test::write_file(dir / "docs/de-taxes.txt", de + "\n");
    auto vec = [](const std::string& text) {
        std::istringstream in(text);
        std::string w, body;
        int n = 0;
        while (in >> w) {
            std::string lw;
            for (char c : w)
                if (c != '.') lw.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            body += lw + " 1 0 0 0\n";
            ++n;
        }
        return std::to_string(n) + " 4\n" + body;
    };
    test::write_file(dir / "vec/en.vec", vec(en));
    test::write_file(dir / "vec/de.vec", vec(de));

    auto plain = test::run_doppel("-q index --store '" + dir.path() + "/plain' '" + dir.path() + "/docs'");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    auto r = test::run_doppel("translations --store '" + dir.path() + "/plain' --no-same-story");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(parse(r.out).empty()) << r.out;

    auto idx = test::run_doppel("-q --vectors 'vectors:path=" + dir.path() + "/vec/{lang}.vec' index --store '" +
                                dir.path() + "/combined' '" + dir.path() + "/docs'");
    ASSERT_EQ(idx.exit_code, 0) << idx.err;
    r = test::run_doppel("translations --store '" + dir.path() + "/combined' --no-same-story");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto rows = parse(r.out);
    ASSERT_EQ(rows.size(), 1u) << r.out;
    EXPECT_EQ(rows[0].a, "de-taxes");
    EXPECT_EQ(rows[0].b, "en-weather");
    EXPECT_EQ(rows[0].label, "translation");
    EXPECT_GT(rows[0].score, 0.4);  // about half of it from the vectors' cosine of 1

    // A language without a vectors file: a warning, and the bridge alone for it.
    std::filesystem::remove(dir / "vec/de.vec");
    idx = test::run_doppel("--vectors 'vectors:path=" + dir.path() + "/vec/{lang}.vec' index --store '" + dir.path() +
                           "/partial' '" + dir.path() + "/docs'");
    ASSERT_EQ(idx.exit_code, 0) << idx.err;
    EXPECT_NE(idx.err.find("no word vectors for language 'de'"), std::string::npos) << idx.err;
    r = test::run_doppel("translations --store '" + dir.path() + "/partial' --no-same-story");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(parse(r.out).empty()) << r.out;
}

// The second pass: words the lexicon does not know, learned from the first pass's links. 24
// English/Vietnamese pairs that the first pass links by their numbers; in 8 of them the
// Vietnamese says "quơnhít" where the English says "teapot", in 8 others "lơxíp" for "lantern"
// (made-up words, in no dictionary). A last pair holds little else: only the learned words
// link it.
TEST(Translations, SecondPassLearnsWordsTheLexiconMisses) {
    if (!std::filesystem::exists(test::source_dir() + "/models/bridge.lex"))
        GTEST_SKIP() << "models/bridge.lex not built (scripts/build-bridge)";
    test::TempDir dir("e2e-translations-learn");
    for (int i = 0; i < 24; ++i) {
        const std::string a = std::to_string(1000 + 37 * i), b = std::to_string(500 + 11 * i);
        std::string extra_en, extra_vi;
        if (i < 8) extra_en = " The teapot is ready.", extra_vi = " Cái quơnhít đã sẵn sàng.";
        else if (i < 16) extra_en = " Bring the lantern.", extra_vi = " Hãy mang lơxíp theo.";
        char name[16];
        std::snprintf(name, sizeof name, "%02d.txt", i);
        test::write_file(dir / ("docs/en" + std::string(name)),
                         "The committee met on day " + a + " in the city and counted " + b + " visitors." + extra_en +
                             " The weather was good and everyone went home happy.\n");
        test::write_file(dir / ("docs/vi" + std::string(name)),
                         "Ủy ban đã họp vào ngày " + a + " tại thành phố và đếm được " + b + " khách." + extra_vi +
                             " Thời tiết tốt và mọi người về nhà vui vẻ.\n");
    }
    test::write_file(dir / "docs/en99.txt", "Where are the teapot and the lantern?\n");
    test::write_file(dir / "docs/vi99.txt", "Cái quơnhít và lơxíp của tôi ở đâu vậy?\n");
    auto idx = test::run_doppel("-q index --store '" + dir.path() + "/store' '" + dir.path() + "/docs'");
    ASSERT_EQ(idx.exit_code, 0) << idx.err;
    auto linked = [](const std::vector<Row>& rows, const std::string& a, const std::string& b) {
        for (const auto& r : rows)
            if (r.a == a && r.b == b) return r.label == "translation" || r.label == "partial";
        return false;
    };

    auto one = test::run_doppel("translations --store '" + dir.path() + "/store' --no-same-story --no-learn");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    auto rows = parse(one.out);
    EXPECT_EQ(rows.size(), 24u) << one.out;
    EXPECT_TRUE(linked(rows, "en05", "vi05"));
    EXPECT_FALSE(linked(rows, "en99", "vi99")) << one.out;

    auto two = test::run_doppel("translations --store '" + dir.path() + "/store' --no-same-story");
    ASSERT_EQ(two.exit_code, 0) << two.err;
    rows = parse(two.out);
    EXPECT_EQ(rows.size(), 25u) << two.out;
    EXPECT_TRUE(linked(rows, "en05", "vi05"));
    EXPECT_TRUE(linked(rows, "en99", "vi99")) << two.out;
    EXPECT_NE(two.err.find("associations and matched again"), std::string::npos) << two.err;
    // Every phase with its wall and CPU time, the second pass among them.
    EXPECT_NE(two.err.find("; phases: load and weigh "), std::string::npos) << two.err;
    EXPECT_NE(two.err.find(", match again "), std::string::npos) << two.err;
    EXPECT_NE(two.err.find(" s (CPU "), std::string::npos) << two.err;

    // learn:rematch_margin: documents the first pass linked with that margin keep their
    // candidates; vi99, which it left unlinked, is searched again and finds en99.
    auto spared = test::run_doppel("translations --store '" + dir.path() +
                                   "/store' --no-same-story --associations learn:rematch_margin=1.2");
    ASSERT_EQ(spared.exit_code, 0) << spared.err;
    rows = parse(spared.out);
    EXPECT_TRUE(linked(rows, "en05", "vi05"));
    EXPECT_TRUE(linked(rows, "en99", "vi99")) << spared.out;
    EXPECT_NE(spared.err.find("rematch_margin=1.2"), std::string::npos) << spared.err;

    // learn:rematch_rewritten=0: a rewritten (Vietnamese) document searches again only in the
    // languages no association rewrites; here that is English, every language it searches, so
    // the links are the default's.
    auto english = test::run_doppel("translations --store '" + dir.path() +
                                    "/store' --no-same-story --associations learn:rematch_rewritten=0");
    ASSERT_EQ(english.exit_code, 0) << english.err;
    EXPECT_EQ(english.out, two.out);
    EXPECT_NE(english.err.find("rematch_rewritten=0"), std::string::npos) << english.err;
}

// Incremental mode on a store built in three batches: 75 stories told in English and in one of
// Vietnamese, French or German (numbers and a few shared words; the Vietnamese say "quơnhít" and
// "lơxíp" for "teapot" and "lantern", which the second pass learns once there are enough of
// them). The first --incremental run is a full one and saves its state; after each batch the
// next run extends it (saying how many documents were added: after the second, with the
// first-pass state only, the second pass runs in full; after the third it extends the saved
// second pass too) and gives the links of a full run on the grown store: the same pairs and
// labels, the scores within 0.02 (the old lists keep the similarities of the weights of their
// run); after a deletion, or with other specs, it is a full run again, saying why.
void expect_same_links(const std::string& got, const std::string& want, const std::string& what) {
    const std::vector<Row> g = parse(got), w = parse(want);
    ASSERT_EQ(g.size(), w.size()) << what << "\n" << got << "\nfull run:\n" << want;
    for (std::size_t i = 0; i < g.size(); ++i) {
        EXPECT_EQ(g[i].a + " " + g[i].b + " " + g[i].label, w[i].a + " " + w[i].b + " " + w[i].label) << what;
        EXPECT_NEAR(g[i].score, w[i].score, 0.02) << what << " " << g[i].a << " " << g[i].b;
    }
}

void write_story(const test::TempDir& dir, const std::string& folder, int i) {
    const std::string a = std::to_string(1000 + 37 * i), b = std::to_string(500 + 11 * i), c = std::to_string(20 + i);
    char name[16];
    std::snprintf(name, sizeof name, "%02d.txt", i);
    const bool teapot = i % 2 == 0;
    test::write_file(dir / (folder + "/en" + name),
                     "The committee met on day " + a + " in the city and counted " + b + " visitors in " + c +
                         " rooms." + (teapot ? " The teapot is ready." : " Bring the lantern.") +
                         " The weather was good and everyone went home happy.\n");
    const std::string other[3] = {
        "Ủy ban đã họp vào ngày " + a + " tại thành phố và đếm được " + b + " khách trong " + c + " phòng." +
            (teapot ? " Cái quơnhít đã sẵn sàng." : " Hãy mang lơxíp theo.") +
            " Thời tiết tốt và mọi người về nhà vui vẻ.\n",
        "Le comité s'est réuni le jour " + a + " dans la ville et a compté " + b + " visiteurs dans " + c +
            " salles. Le temps était beau et tout le monde est rentré content.\n",
        "Der Ausschuss tagte am Tag " + a + " in der Stadt und zählte " + b + " Besucher in " + c +
            " Räumen. Das Wetter war gut und alle gingen glücklich nach Hause.\n"};
    const char* langs[3] = {"vi", "fr", "de"};
    test::write_file(dir / (folder + "/" + langs[i % 3] + name), other[i % 3]);
}

TEST(Translations, IncrementalRunExtendsTheSavedStateAsAFullRunWould) {
    if (!std::filesystem::exists(test::source_dir() + "/models/bridge.lex"))
        GTEST_SKIP() << "models/bridge.lex not built (scripts/build-bridge)";
    test::TempDir dir("e2e-translations-incremental");
    for (int i = 0; i < 75; ++i) write_story(dir, i < 40 ? "one" : i < 60 ? "two" : "three", i);
    const std::string store = " --store '" + dir.path() + "/store'";
    const auto index = [&](const std::string& folder) {
        auto r = test::run_doppel("-q index" + store + " '" + dir.path() + "/" + folder + "'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    const auto run = [&](const std::string& flags) {
        auto r = test::run_doppel("translations" + store + " --no-same-story" + flags);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r;
    };
    index("one");
    auto first = run(" --incremental");
    EXPECT_NE(first.err.find("no saved state in the store yet"), std::string::npos) << first.err;
    EXPECT_TRUE(std::filesystem::exists(dir / "store/translations.state"));
    EXPECT_EQ(parse(first.out).size(), 40u) << first.out;
    std::string grown;
    for (const auto& [folder, added] : {std::pair{"two", "40"}, std::pair{"three", "30"}}) {
        index(folder);
        auto r = run(" --incremental");
        EXPECT_NE(r.err.find(std::string("incremental: ") + added + " documents added since the saved state"),
                  std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("learned 0 associations"), std::string::npos) << r.err;
        expect_same_links(r.out, run("").out, folder);
        grown = r.out;
    }
    std::set<std::string> stories;  // stories whose two versions are linked
    for (const Row& r : parse(grown))
        if (r.a.substr(2) == r.b.substr(2)) stories.insert(r.a.substr(2));
    EXPECT_EQ(stories.size(), 75u);

    auto del = test::run_doppel("-q delete" + store + " en45");
    ASSERT_EQ(del.exit_code, 0) << del.err;
    auto after_delete = run(" --incremental");
    EXPECT_NE(after_delete.err.find("deleted or replaced"), std::string::npos) << after_delete.err;
    EXPECT_EQ(after_delete.out.find("en45"), std::string::npos);
    EXPECT_NE(grown.find("en45"), std::string::npos);
    auto other_k = run(" --incremental --k 5");
    EXPECT_NE(other_k.err.find("made with other specs"), std::string::npos) << other_k.err;
    // A state that cannot be written (a folder, not empty, in the way of the state file) leaves the pairs.
    std::filesystem::remove(dir / "store/translations.state");
    std::filesystem::create_directory(dir / "store/translations.state");
    std::ofstream(dir / "store/translations.state/in-the-way") << "x";
    auto unsaved = run(" --incremental");
    EXPECT_NE(unsaved.err.find("the state was not saved"), std::string::npos) << unsaved.err;
    EXPECT_EQ(parse(unsaved.out).size(), parse(after_delete.out).size());
}

}  // namespace
}  // namespace doppel
