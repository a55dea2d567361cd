// VectorIndex: add, search per language, remove, save and reload, format checks.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "doppel/error.h"
#include "doppel/index/vector_index.h"
#include "support/test_support.h"

namespace doppel {
namespace {

std::vector<float> random_unit(std::size_t n, std::size_t dim, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    std::vector<float> x(n * dim);
    for (std::size_t i = 0; i < n; ++i) {
        float s = 0;
        for (std::size_t j = 0; j < dim; ++j) s += (x[i * dim + j] = d(rng)) * x[i * dim + j];
        for (std::size_t j = 0; j < dim; ++j) x[i * dim + j] /= std::sqrt(s);
    }
    return x;
}

TEST(VectorIndex, AddSearchSaveReload) {
    const std::size_t dim = 32, n = 50;
    auto x = random_unit(n, dim, 1);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = 100 + static_cast<int64_t>(i);
    VectorIndex vi(dim, "Flat");
    vi.add("de", 25, ids.data(), x.data());
    vi.add("fr", 25, ids.data() + 25, x.data() + 25 * dim);
    EXPECT_EQ(vi.size("de"), 25u);
    EXPECT_EQ(vi.size(), 50u);
    float d[3];
    int64_t l[3];
    vi.search("fr", 1, x.data() + 30 * dim, 3, d, l);
    EXPECT_EQ(l[0], 130);
    EXPECT_NEAR(d[0], 1.0f, 1e-4);
    vi.search("de", 1, x.data() + 30 * dim, 3, d, l);  // not in German: another id
    EXPECT_NE(l[0], 130);
    vi.search("xx", 1, x.data(), 3, d, l);
    EXPECT_EQ(l[0], -1);

    test::TempDir dir("vindex");
    vi.save(dir.path());
    VectorIndex back = VectorIndex::load(dir.path());
    EXPECT_EQ(back.describe(), "faiss:Flat,dim=32");
    back.search("fr", 1, x.data() + 30 * dim, 1, d, l);
    EXPECT_EQ(l[0], 130);
    int64_t gone = 130;
    EXPECT_EQ(back.remove(1, &gone), 1u);
    back.search("fr", 1, x.data() + 30 * dim, 1, d, l);
    EXPECT_NE(l[0], 130);
    // Incremental add after reload.
    back.add("fr", 1, &gone, x.data() + 30 * dim);
    back.search("fr", 1, x.data() + 30 * dim, 1, d, l);
    EXPECT_EQ(l[0], 130);
}

// The file's inode: a file written again (through a temporary, renamed) gets a new one.
ino_t inode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
}

// save() writes the parts changed since load() and keeps the others' files (a daily batch
// touches a few languages); the index read back is the one saved, and a save into another
// folder writes every part there.
TEST(VectorIndex, SaveWritesOnlyThePartsChangedSinceLoad) {
    const std::size_t dim = 16, n = 40;
    const auto x = random_unit(n, dim, 7);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = 1 + static_cast<int64_t>(i);
    test::TempDir dir("vindex-parts"), other("vindex-parts-other");
    {
        VectorIndex vi(dim, "Flat");
        vi.add("de", 10, ids.data(), x.data());
        vi.add("fr", 10, ids.data() + 10, x.data() + 10 * dim);
        vi.add("vi", 10, ids.data() + 20, x.data() + 20 * dim);
        vi.save(dir.path());
    }
    const std::string de = dir.path() + "/vectors-de.faiss", fr = dir.path() + "/vectors-fr.faiss",
                      vi_file = dir.path() + "/vectors-vi.faiss";
    const ino_t de_before = inode_of(de), fr_before = inode_of(fr), vi_before = inode_of(vi_file);
    VectorIndex back = VectorIndex::load(dir.path());
    back.add("fr", 5, ids.data() + 30, x.data() + 30 * dim);  // fr grows
    int64_t gone = 25;
    EXPECT_EQ(back.remove(1, &gone), 1u);  // vi loses one
    const VectorIndex::FileState state = back.save(dir.path());
    EXPECT_EQ(inode_of(de), de_before);  // unchanged: kept
    EXPECT_NE(inode_of(fr), fr_before);
    EXPECT_NE(inode_of(vi_file), vi_before);
    EXPECT_EQ(state.count, 34u);
    const std::vector<int64_t> all = back.ids();
    EXPECT_EQ(state.ids_digest, VectorIndex::ids_digest(all.size(), all.data()));

    VectorIndex again = VectorIndex::load(dir.path());  // every part's checksum checked
    EXPECT_EQ(again.size("de"), 10u);
    EXPECT_EQ(again.size("fr"), 15u);
    EXPECT_EQ(again.size("vi"), 9u);
    float d[1];
    int64_t l[1];
    again.search("fr", 1, x.data() + 32 * dim, 1, d, l);
    EXPECT_EQ(l[0], 33);
    again.search("de", 1, x.data() + 3 * dim, 1, d, l);
    EXPECT_EQ(l[0], 4);

    again.save(other.path());  // another folder: every part written there
    VectorIndex copy = VectorIndex::load(other.path());
    EXPECT_EQ(copy.size(), 34u);
    EXPECT_EQ(copy.size("de"), 10u);
}

TEST(VectorIndex, TrainedFactoryKeepsVectorsUntilTrained) {
    const std::size_t dim = 16, n = 100;
    auto x = random_unit(n, dim, 2);
    std::vector<int64_t> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
    VectorIndex vi(dim, "IVF2,Flat");
    vi.add("en", 10, ids.data(), x.data());  // too few to train: kept for exact search
    float d;
    int64_t l;
    vi.search("en", 1, x.data() + 3 * dim, 1, &d, &l);
    EXPECT_EQ(l, 3);
    test::TempDir dir("vindex-ivf");
    vi.save(dir.path());
    VectorIndex back = VectorIndex::load(dir.path());
    back.add("en", 90, ids.data() + 10, x.data() + 10 * dim);  // now trains
    EXPECT_EQ(back.size("en"), 100u);
    back.search("en", 1, x.data() + 3 * dim, 1, &d, &l);
    EXPECT_EQ(l, 3);
}

// Groups of versions (one per language) around centres in a 16-dimensional subspace of 64.
std::vector<float> versions(std::size_t groups, unsigned seed) {
    const std::size_t dim = 64;
    auto centres = random_unit(groups, 16, 3);
    auto noise = random_unit(groups, dim, seed);
    std::vector<float> x(groups * dim, 0.0f);
    for (std::size_t g = 0; g < groups; ++g) {
        float s = 0;
        for (std::size_t j = 0; j < dim; ++j) {
            float& v = x[g * dim + j];
            v = (j < 16 ? centres[g * 16 + j] : 0.0f) + 0.05f * noise[g * dim + j];
            s += v * v;
        }
        for (std::size_t j = 0; j < dim; ++j) x[g * dim + j] /= std::sqrt(s);
    }
    return x;
}

// Adds versions(groups, seed + l) of de, en, fr (l = 0, 1, 2) to vi, group g's version as id
// g * 10 + l, and returns them; after(l) is called after each language's add.
std::vector<std::vector<float>> add_three_languages(VectorIndex& vi, std::size_t groups, unsigned seed,
                                                    const std::function<void(std::size_t)>& after = {}) {
    const std::vector<std::string> langs = {"de", "en", "fr"};
    std::vector<std::vector<float>> x;
    for (std::size_t l = 0; l < langs.size(); ++l) {
        x.push_back(versions(groups, seed + static_cast<unsigned>(l)));
        std::vector<int64_t> ids(groups);
        for (std::size_t g = 0; g < groups; ++g) ids[g] = static_cast<int64_t>(g * 10 + l);
        vi.add(langs[l], groups, ids.data(), x[l].data());
        if (after) after(l);
    }
    return x;
}

TEST(VectorIndex, AutoGrowsIntoOneApproximateIndexForAllLanguages) {
    const std::size_t dim = 64, groups = 400;
    VectorIndex vi(dim, "auto:exact_limit=500,dim=16,nprobe=8,refine=2");
    EXPECT_EQ(vi.factory(), "auto:exact_limit=500,dim=16,nprobe=8,refine=2");
    // Exact while at most 500 vectors; the second language takes it past: approximate.
    const auto x = add_three_languages(vi, groups, 10, [&](std::size_t l) { EXPECT_EQ(vi.exact(), l == 0); });
    EXPECT_EQ(vi.size(), 3 * groups);
    EXPECT_NE(vi.describe().find("kind=pca16-ivf"), std::string::npos) << vi.describe();
    EXPECT_EQ(vi.candidates_for(5), 10u);
    // German queries against English and French at once: the group's version comes first.
    auto hits = [&](const VectorIndex& index) {
        const std::size_t k = 2;
        std::vector<float> d(groups * 2 * k);
        std::vector<int64_t> l(groups * 2 * k);
        index.search_languages({"en", "fr"}, groups, x[0].data(), k, d.data(), l.data());
        std::size_t found = 0;
        for (std::size_t g = 0; g < groups; ++g)
            found += (l[(g * 2) * k] == static_cast<int64_t>(g * 10 + 1)) + (l[(g * 2 + 1) * k] == static_cast<int64_t>(g * 10 + 2));
        return found;
    };
    EXPECT_GE(hits(vi), 2 * groups * 95 / 100);
    test::TempDir dir("vindex-auto");
    vi.save(dir.path());
    VectorIndex back = VectorIndex::load(dir.path());
    EXPECT_FALSE(back.exact());
    EXPECT_EQ(hits(back), hits(vi));
    // Removing keeps the other ids right (the inverted lists are renumbered).
    std::vector<int64_t> gone = {11, 21, 31};
    EXPECT_EQ(back.remove(gone.size(), gone.data()), 3u);
    EXPECT_EQ(back.size("en"), groups - 3);
    EXPECT_GE(hits(back), hits(vi) - 3);
    float d;
    int64_t l;
    back.search("en", 1, x[1].data() + 2 * dim, 1, &d, &l);  // group 2 kept: id 21 is gone, not 21's slot
    EXPECT_NE(l, 21);
    back.search("en", 1, x[1].data() + 5 * dim, 1, &d, &l);
    EXPECT_EQ(l, 51);
    // A rebuild of the same kind reuses the training: approximate from the first vector.
    VectorIndex again = back.empty_like();
    EXPECT_FALSE(again.exact());
    EXPECT_EQ(again.size(), 0u);
}

// search_languages answers every (query, language) as search() does, bit for bit, in its
// layout (query-major), though it works a language at a time; a language it lacks gives -1s.
TEST(VectorIndex, SearchLanguagesGivesEachLanguagesSearchInPlace) {
    const std::size_t dim = 64, groups = 300, k = 4;
    VectorIndex vi(dim, "auto:exact_limit=300,dim=16,nprobe=4,refine=2");
    const auto x = add_three_languages(vi, groups, 20);
    ASSERT_FALSE(vi.exact());
    const std::vector<std::string> targets = {"fr", "xx", "en"};
    const std::size_t n = 70, T = targets.size();  // more queries than one worker's range
    std::vector<float> d(n * T * k);
    std::vector<int64_t> l(n * T * k);
    vi.search_languages(targets, n, x[0].data(), k, d.data(), l.data());
    for (std::size_t t = 0; t < T; ++t) {
        std::vector<float> d1(n * k);
        std::vector<int64_t> l1(n * k);
        vi.search(targets[t], n, x[0].data(), k, d1.data(), l1.data());
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t r = 0; r < k; ++r) {
                EXPECT_EQ(l[(i * T + t) * k + r], l1[i * k + r]) << targets[t] << " query " << i;
                if (l1[i * k + r] >= 0) {
                    EXPECT_EQ(d[(i * T + t) * k + r], d1[i * k + r]);
                }
            }
    }
    EXPECT_EQ(l[(5 * T + 1) * k], -1);                                 // "xx": none
    EXPECT_EQ(l[(5 * T + 2) * k], static_cast<int64_t>(5 * 10 + 1));  // query 5's English version
}

// The approximate search reads each probed list once for every query of a batch that probes
// it (BatchSearch); each query's results are those it gets searched alone, bit for bit, and
// its version comes first. 150 queries of 6 probes each share the lists of 1,200 vectors.
TEST(VectorIndex, ABatchOfQueriesGetsWhatEachGetsAlone) {
    const std::size_t dim = 64, groups = 400, k = 6, n = 150;
    VectorIndex vi(dim, "auto:exact_limit=300,dim=16,nprobe=6,refine=2");
    const auto x = add_three_languages(vi, groups, 40);
    ASSERT_FALSE(vi.exact());
    const std::vector<std::string> targets = {"en", "fr"};
    std::vector<float> d(n * 2 * k);
    std::vector<int64_t> l(n * 2 * k);
    vi.search_languages(targets, n, x[0].data(), k, d.data(), l.data());
    std::size_t first = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<float> d1(2 * k);
        std::vector<int64_t> l1(2 * k);
        vi.search_languages(targets, 1, x[0].data() + i * dim, k, d1.data(), l1.data());
        for (std::size_t r = 0; r < 2 * k; ++r) {
            EXPECT_EQ(l[i * 2 * k + r], l1[r]) << "query " << i << " result " << r;
            EXPECT_EQ(d[i * 2 * k + r], d1[r]) << "query " << i << " result " << r;
        }
        first += l[i * 2 * k] == static_cast<int64_t>(i * 10 + 1);
    }
    EXPECT_GE(first, n * 95 / 100);
}

// A bulk add trains a new language's lists on a batch spread over all of it (spread_order),
// sized for the whole language; an exact index ignores prepare_language().
TEST(VectorIndex, PrepareLanguageTrainsOnASpreadSample) {
    const std::vector<std::size_t> order = VectorIndex::spread_order(10, 4);
    EXPECT_EQ(order, (std::vector<std::size_t>{0, 3, 6, 9, 1, 4, 7, 2, 5, 8}));
    EXPECT_EQ(VectorIndex::spread_order(3, 8), (std::vector<std::size_t>{0, 1, 2}));
    const std::size_t dim = 64, groups = 400;
    VectorIndex exact(dim, "auto:exact_limit=500,dim=16,nprobe=8,refine=2");
    const std::vector<float> en = versions(groups, 11), de = versions(groups, 10);
    exact.prepare_language("en", groups, groups, en.data());
    EXPECT_TRUE(exact.languages().empty());
    VectorIndex trained(dim, "auto:exact_limit=500,dim=16,nprobe=8,refine=2");
    trained.prepare(2 * groups, groups, en.data());
    ASSERT_FALSE(trained.exact());
    const std::vector<std::size_t> spread = VectorIndex::spread_order(groups, 100);
    std::vector<float> first;
    std::vector<int64_t> ids;
    for (std::size_t j = 0; j < groups; ++j) {
        ids.push_back(static_cast<int64_t>(spread[j]));
        first.insert(first.end(), en.begin() + spread[j] * dim, en.begin() + (spread[j] + 1) * dim);
    }
    trained.prepare_language("en", groups, 100, first.data());
    EXPECT_EQ(trained.languages(), std::vector<std::string>{"en"});
    EXPECT_EQ(trained.size("en"), 0u);
    for (std::size_t c = 0; c < groups; c += 100) trained.add("en", 100, ids.data() + c, first.data() + c * dim);
    std::vector<float> d(groups);
    std::vector<int64_t> l(groups);
    trained.search("en", groups, de.data(), 1, d.data(), l.data());
    std::size_t found = 0;
    for (std::size_t g = 0; g < groups; ++g) found += l[g] == static_cast<int64_t>(g);
    EXPECT_GE(found, groups * 95 / 100);
}

// A partial load (LoadOptions::languages): the named parts as the full index holds them, the
// full index's kind, the other parts' files neither read nor checked; it cannot be saved.
TEST(VectorIndex, APartialLoadReadsTheNamedPartsOnly) {
    const std::size_t dim = 64, groups = 400;
    VectorIndex vi(dim, "auto:exact_limit=500,dim=16,nprobe=8,refine=2");
    const auto x = add_three_languages(vi, groups, 20);
    test::TempDir dir("vindex-partial");
    vi.save(dir.path());
    const VectorIndex full = VectorIndex::load(dir.path());
    VectorIndex::LoadOptions en;
    en.languages = std::set<std::string>{"en", "xx"};  // xx: not stored, skipped
    VectorIndex part = VectorIndex::load(dir.path(), en);
    EXPECT_EQ(part.languages(), std::vector<std::string>{"en"});
    EXPECT_EQ(part.size(), groups);
    EXPECT_EQ(part.describe(), full.describe());
    EXPECT_FALSE(part.exact());
    EXPECT_EQ(part.candidates_for(5), full.candidates_for(5));
    EXPECT_EQ(part.empty_like().describe(), full.empty_like().describe());
    auto search = [&](const VectorIndex& index, const std::string& lang) {
        const std::size_t k = 4;
        std::vector<float> d(groups * k);
        std::vector<int64_t> l(groups * k);
        index.search_languages({lang}, groups, x[0].data(), k, d.data(), l.data());
        return std::make_pair(d, l);
    };
    EXPECT_EQ(search(part, "en"), search(full, "en"));
    EXPECT_EQ(search(part, "fr").second, std::vector<int64_t>(groups * 4, -1));
    test::TempDir out("vindex-partial-save");
    EXPECT_THROW(part.save(out.path()), Error);

    // None of the named languages stored: no vectors, the kind kept.
    VectorIndex::LoadOptions none;
    none.languages.emplace();
    const VectorIndex empty = VectorIndex::load(dir.path(), none);
    EXPECT_EQ(empty.size(), 0u);
    EXPECT_EQ(empty.describe(), full.describe());
    EXPECT_FALSE(empty.exact());

    // A damaged part not named: the partial load and inspect do not read it; the full ones fail.
    std::string faiss = test::read_file(dir / "vectors-fr.faiss");
    faiss[faiss.size() - 1] ^= 1;
    test::write_file(dir / "vectors-fr.faiss", faiss);
    EXPECT_EQ(VectorIndex::load(dir.path(), en).size(), groups);
    EXPECT_EQ(VectorIndex::inspect(dir.path(), en).count, 3 * groups);
    EXPECT_THROW(VectorIndex::load(dir.path()), Error);
    EXPECT_THROW(VectorIndex::inspect(dir.path()), Error);
}

// An "auto" index of at most its exact limit is read whole whatever LoadOptions name: it may be
// exact, and an add() past the limit converts it, training on every vector (the full index's).
TEST(VectorIndex, AnAutoIndexWithinItsExactLimitIsReadWhole) {
    const std::size_t dim = 64, groups = 100, k = 4;
    VectorIndex vi(dim, "auto:exact_limit=350,dim=16");
    const auto x = add_three_languages(vi, groups, 30);
    ASSERT_TRUE(vi.exact());
    test::TempDir dir("vindex-partial-flat");
    vi.save(dir.path());
    VectorIndex::LoadOptions de;
    de.languages = std::set<std::string>{"de"};
    VectorIndex part = VectorIndex::load(dir.path(), de);
    VectorIndex full = VectorIndex::load(dir.path());
    EXPECT_EQ(part.languages(), full.languages());
    EXPECT_EQ(part.size(), 3 * groups);
    std::vector<int64_t> ids(groups);
    for (std::size_t g = 0; g < groups; ++g) ids[g] = static_cast<int64_t>(1000 + g);
    for (VectorIndex* index : {&part, &full}) index->add("de", 51, ids.data(), x[0].data());  // 351: converted
    EXPECT_FALSE(part.exact());
    std::vector<float> d1(groups * k), d2(groups * k);
    std::vector<int64_t> l1(groups * k), l2(groups * k);
    part.search("en", groups, x[1].data(), k, d1.data(), l1.data());
    full.search("en", groups, x[1].data(), k, d2.data(), l2.data());
    EXPECT_EQ(l1, l2);
    EXPECT_EQ(d1, d2);
    test::TempDir out("vindex-partial-flat-save");
    EXPECT_NO_THROW(part.save(out.path()));
}

TEST(VectorIndex, RejectsBadFilesAndFactories) {
    EXPECT_THROW(VectorIndex(16, "NoSuchIndex"), Error);
    EXPECT_THROW(VectorIndex(16, "auto:nprobe=0"), Error);
    EXPECT_THROW(VectorIndex(16, "auto:lists=3"), Error);
    test::TempDir dir("vindex-bad");
    EXPECT_FALSE(VectorIndex::exists(dir.path()));
    EXPECT_THROW(VectorIndex::load(dir.path()), Error);
    VectorIndex vi(8, "Flat");
    vi.save(dir.path());
    std::string h = test::read_file(dir / VectorIndex::kHeaderFile);
    h[4] = 9;  // format version 9
    test::write_file(dir / VectorIndex::kHeaderFile, h);
    try {
        VectorIndex::load(dir.path());
        FAIL() << "version 9 accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("format version 9"), std::string::npos);
    }
    h[0] = 'X';
    test::write_file(dir / VectorIndex::kHeaderFile, h);
    EXPECT_THROW(VectorIndex::load(dir.path()), Error);
}

// The header records each file's checksum, the count and a digest of the ids: inspect() gives
// them back, a changed FAISS file or a truncated header is refused by load() and inspect().
TEST(VectorIndex, FilesAreCheckedAgainstTheirChecksums) {
    test::TempDir dir("vindex-checksums");
    VectorIndex vi(8, "Flat");
    const auto x = random_unit(5, 8, 3);
    const std::vector<int64_t> ids{4, 9, 2, 7, 5};
    vi.add("en", 3, ids.data(), x.data());
    vi.add("de", 2, ids.data() + 3, x.data() + 3 * 8);
    EXPECT_EQ(vi.ids(), (std::vector<int64_t>{2, 4, 5, 7, 9}));
    const VectorIndex::FileState saved = vi.save(dir.path());
    EXPECT_EQ(saved.count, 5u);
    const std::vector<int64_t> other_order{9, 7, 5, 4, 2}, fewer{9, 7, 5, 4};
    EXPECT_EQ(saved.ids_digest, VectorIndex::ids_digest(other_order.size(), other_order.data()));
    EXPECT_NE(saved.ids_digest, VectorIndex::ids_digest(fewer.size(), fewer.data()));
    const VectorIndex::FileState inspected = VectorIndex::inspect(dir.path());
    EXPECT_EQ(inspected.count, saved.count);
    EXPECT_EQ(inspected.ids_digest, saved.ids_digest);
    EXPECT_EQ(inspected.header_checksum, saved.header_checksum);
    EXPECT_EQ(VectorIndex::load(dir.path()).size(), 5u);

    std::string faiss = test::read_file(dir / "vectors-de.faiss");
    faiss[faiss.size() - 1] ^= 1;
    test::write_file(dir / "vectors-de.faiss", faiss);
    for (int i = 0; i < 2; ++i) {
        try {
            if (i == 0) VectorIndex::load(dir.path());
            else VectorIndex::inspect(dir.path());
            FAIL() << "a changed file was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("vectors-de.faiss does not match its checksum"), std::string::npos)
                << e.what();
        }
    }
    const std::string h = test::read_file(dir / VectorIndex::kHeaderFile);
    test::write_file(dir / VectorIndex::kHeaderFile, h.substr(0, h.size() - 3));
    EXPECT_THROW(VectorIndex::inspect(dir.path()), Error);
}

}  // namespace
}  // namespace doppel

TEST(VectorIndex, FactoryOfADescriptionKeepsAnAutoSpecWhole) {
    EXPECT_EQ(doppel::VectorIndex::factory_of("faiss:Flat,dim=2048"), "Flat");
    EXPECT_EQ(doppel::VectorIndex::factory_of("faiss:IVF256,PQ32,dim=64"), "IVF256,PQ32");
    EXPECT_EQ(doppel::VectorIndex::factory_of("faiss:auto:exact_limit=100,dim=128,nprobe=8,refine=2;dim=2048;kind=flat"),
              "auto:exact_limit=100,dim=128,nprobe=8,refine=2");
    EXPECT_EQ(doppel::VectorIndex::factory_of(doppel::VectorIndex(16, "auto:exact_limit=5,dim=8,nprobe=2,refine=3").describe()),
              "auto:exact_limit=5,dim=8,nprobe=2,refine=3");
    EXPECT_EQ(doppel::VectorIndex::factory_of("bridge:dim=2048"), "");
}
