#include <gtest/gtest.h>

#include <random>

#include "doppel/error.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/dedup_stages.h"

using namespace doppel;

namespace {

// n distinct pseudo-words, as lines of 10 words.
std::vector<std::string> words(int n, int seed) {
    std::vector<std::string> w;
    std::mt19937 rng(seed);
    for (int i = 0; i < n; ++i) w.push_back("w" + std::to_string(rng() % 100000000));
    return w;
}
std::string text(const std::vector<std::string>& w) {
    std::string s;
    for (std::size_t i = 0; i < w.size(); ++i) s += w[i] + ((i % 10 == 9) ? "\n" : " ");
    return s;
}
Document doc(std::string id, std::string text, std::string source = "feed/x.txt") {
    Document d;
    d.id = std::move(id);
    d.text = std::move(text);
    d.source = std::move(source);
    return d;
}
// The figures below are for word 5-grams (each changed word changes 5 shingles).
NearDuplicateOptions word5() {
    NearDuplicateOptions o;
    o.shingle_spec = "word:n=5";
    return o;
}
NearDuplicateResult run(std::vector<Document> docs, NearDuplicateOptions o = word5()) {
    NearDuplicateFinder f(o);
    f.count_lines(docs.size(), docs.data());
    f.add(docs.size(), docs.data());
    return f.finish();
}
std::vector<uint64_t> shingles_of(const std::string& t) {
    Segmenter seg;
    std::vector<uint64_t> v;
    Shingler::from_spec("word:n=5")->shingle(t, seg, &v);
    return v;
}

}  // namespace

TEST(ShingleOverlap, ExactCounts) {
    const std::vector<uint64_t> a = {1, 2, 3, 4, 5, 6, 7, 8}, b = {2, 4, 6, 8, 10};
    const ShingleOverlap o = shingle_overlap(a.data(), a.size(), b.data(), b.size());
    EXPECT_EQ(o.common, 4u);
    EXPECT_DOUBLE_EQ(o.jaccard, 4.0 / 9);
    EXPECT_DOUBLE_EQ(o.containment, 4.0 / 5);
    EXPECT_EQ(shingle_overlap(a.data(), 0, b.data(), 0).jaccard, 0.0);
}

TEST(NearDuplicateFinder, VerifiedPairsCarryExactJaccard) {
    auto base = words(400, 1);
    auto edited = base;
    for (int i = 10; i < 400; i += 50) edited[i] = "changed" + std::to_string(i);  // 8 edits
    const auto other = words(400, 2);
    const auto r = run({doc("a", text(base)), doc("b", text(edited)), doc("c", text(other))});
    ASSERT_EQ(r.pairs.size(), 1u);
    const auto sa = shingles_of(text(base)), sb = shingles_of(text(edited));
    const ShingleOverlap o = shingle_overlap(sa.data(), sa.size(), sb.data(), sb.size());
    EXPECT_EQ(r.pairs[0].a, 0u);
    EXPECT_EQ(r.pairs[0].b, 1u);
    EXPECT_EQ(r.pairs[0].kind, DuplicateKind::kNear);
    EXPECT_DOUBLE_EQ(r.pairs[0].jaccard, o.jaccard);
    EXPECT_GT(o.jaccard, 0.8);
    EXPECT_LT(o.jaccard, 0.9);
    EXPECT_EQ(r.docs[2].id, "c");
}

TEST(NearDuplicateFinder, ExactDuplicatesAndExactModeAgree) {
    std::vector<Document> docs;
    for (int k = 0; k < 30; ++k) {
        auto w = words(200, 100 + k % 10);  // 10 distinct texts, 3 copies each
        for (int e = 0; e < k / 10; ++e) w[e * 50] = "edit" + std::to_string(e);
        docs.push_back(doc(std::string("d").append(std::to_string(k)), text(w)));
    }
    const auto lsh = run(docs);
    NearDuplicateOptions o = word5();
    o.exact = true;
    const auto exact = run(docs, o);
    ASSERT_EQ(lsh.pairs.size(), exact.pairs.size());
    for (std::size_t i = 0; i < lsh.pairs.size(); ++i) {
        EXPECT_EQ(lsh.pairs[i].a, exact.pairs[i].a);
        EXPECT_EQ(lsh.pairs[i].b, exact.pairs[i].b);
        EXPECT_DOUBLE_EQ(lsh.pairs[i].jaccard, exact.pairs[i].jaccard);
    }
    EXPECT_EQ(lsh.pairs.size(), 30u);  // each of 10 texts: 3 versions, 3 pairs
}

TEST(NearDuplicateFinder, PartialCopyByContainment) {
    const auto story = words(300, 5);
    auto page = story;
    const auto extra = words(80, 6);
    page.insert(page.end(), extra.begin(), extra.end());  // story inside a longer page
    const auto r = run({doc("page", text(page)), doc("story", text(story))});
    ASSERT_EQ(r.pairs.size(), 1u);
    EXPECT_EQ(r.pairs[0].kind, DuplicateKind::kPartial);
    EXPECT_LT(r.pairs[0].jaccard, 0.8);
    EXPECT_GE(r.pairs[0].containment, 0.98);
    NearDuplicateOptions o = word5();
    o.partial = false;
    EXPECT_TRUE(run({doc("page", text(page)), doc("story", text(story))}, o).pairs.empty());
}

TEST(NearDuplicateFinder, ClustersDoNotChain) {
    // a ~ b and b ~ c at about 0.85, a and c below 0.8: c must not join a's cluster.
    const auto a = words(600, 9);
    auto b = a, c = a;
    for (int i = 10; i < 600; i += 75) b[i] = "b" + std::to_string(i);
    for (int i = 10; i < 600; i += 75) c[i] = "b" + std::to_string(i);
    for (int i = 37; i < 600; i += 75) c[i] = "c" + std::to_string(i);
    const auto r = run({doc("a", text(a)), doc("b", text(b)), doc("c", text(c))});
    bool ab = false, bc = false, ac = false;
    for (const auto& p : r.pairs) {
        if (p.kind == DuplicateKind::kPartial) continue;
        ab |= p.a == 0 && p.b == 1;
        bc |= p.a == 1 && p.b == 2;
        ac |= p.a == 0 && p.b == 2;
    }
    ASSERT_TRUE(ab && bc && !ac);
    ASSERT_EQ(r.clusters.size(), 1u);
    EXPECT_EQ(r.clusters[0].representative, 0u);  // earliest seen
    EXPECT_EQ(r.clusters[0].members, (std::vector<uint32_t>{1}));
    for (double s : r.clusters[0].similarity) EXPECT_GE(s, 0.8);
}

TEST(NearDuplicateFinder, BoilerplateOfASourceIsLeftOut) {
    // Eight pages of one site share a menu and a headline list; two are scrapes of one article
    // with different chrome.
    const std::string menu = text(words(100, 77));  // 10 lines of site chrome
    const std::string menu2 = text(words(60, 78));  // 6 lines: another template of the site
    std::vector<Document> docs;
    const auto article = words(60, 42);
    docs.push_back(doc("scrape1", menu + text(article), "site/a.html"));
    docs.push_back(doc("scrape2", menu2 + text(article) + menu2, "site/b.html"));
    for (int k = 0; k < 6; ++k)
        docs.push_back(doc("p" + std::to_string(k), menu + menu2 + text(words(10, 50 + k)),
                           "site/p" + std::to_string(k) + ".html"));
    const auto with = run(docs);
    ASSERT_EQ(with.pairs.size(), 1u);
    EXPECT_EQ(with.pairs[0].a, 0u);
    EXPECT_EQ(with.pairs[0].b, 1u);
    EXPECT_DOUBLE_EQ(with.pairs[0].jaccard, 1.0);
    EXPECT_GT(with.boilerplate_lines, 0u);
    EXPECT_EQ(with.docs[0].boilerplate_lines, 10u);
    NearDuplicateOptions o = word5();
    o.boilerplate = false;
    const auto without = run(docs, o);
    // Without boilerplate removal the chrome hides the copy and makes short pages look alike.
    bool scrapes = false, pages = false;
    for (const auto& p : without.pairs) {
        scrapes |= p.a == 0 && p.b == 1 && p.kind != DuplicateKind::kPartial;
        pages |= p.a >= 2;
    }
    EXPECT_FALSE(scrapes);
    EXPECT_TRUE(pages);
}

TEST(NearDuplicateFinder, RepeatedLinesInsideADocument) {
    const std::string title = "A headline that is printed several times";
    const auto r =
        run({doc("d", title + "\n" + text(words(30, 1)) + title + "\n  " + title + "  \nshort\nshort\n")});
    ASSERT_EQ(r.docs[0].repeated_lines.size(), 1u);  // "short" is under repeated_line_min_bytes
    EXPECT_EQ(r.docs[0].repeated_lines[0].text, title);
    EXPECT_EQ(r.docs[0].repeated_lines[0].count, 3u);
}

TEST(DocumentSourceKey, UrlHostElseFolder) {
    Document d;
    d.url = "https://User@News.Example.com:443/a/b?x=1";
    EXPECT_EQ(document_source_key(d), "url:news.example.com:443");
    d.url.clear();
    d.source = "/data/feeds/site/page.html";
    EXPECT_EQ(document_source_key(d), "dir:/data/feeds/site");
    d.source = "/data/feed.jsonl:12";
    EXPECT_EQ(document_source_key(d), "file:/data/feed.jsonl");
}

TEST(NearDuplicateFinder, BoilerplateNeedsAShareOfTheSource) {
    // A quote repeated in 5 of 40 documents of one folder is content, not chrome (5 < 20% of 40).
    const std::string quote = "A line quoted by several of the documents in this folder\n";
    std::vector<Document> docs;
    for (int k = 0; k < 40; ++k)
        docs.push_back(doc(std::string("d").append(std::to_string(k)),
                           (k < 5 ? quote : std::string()) + text(words(30, 200 + k)),
                           "folder/d" + std::to_string(k) + ".txt"));
    EXPECT_EQ(run(docs).boilerplate_lines, 0u);
    NearDuplicateOptions o = word5();
    o.boilerplate_min_share = 0.1;
    EXPECT_EQ(run(docs, o).boilerplate_lines, 1u);
}

TEST(NearDuplicateOptions, SpecRoundTrip) {
    const NearDuplicateOptions defaults;
    EXPECT_EQ(NearDuplicateOptions::parse_spec(defaults.describe()), defaults);
    EXPECT_EQ(defaults.describe(),
              "near-duplicate:threshold=0.8,recall=0.99,boilerplate=1,boilerplate_min_docs=5,"
              "boilerplate_min_share=0.2,repeated_lines=1,repeated_line_min_bytes=20,partial=1,exact=0;"
              "word:n=3;minhash:perms=128,seed=1");
    NearDuplicateOptions o;
    o.threshold = 0.65;
    o.target_recall = 0.995;
    o.shingle_spec = "char:n=4";
    o.minhash_spec = "minhash:perms=64,seed=9";
    o.boilerplate = false;
    o.boilerplate_min_docs = 7;
    o.boilerplate_min_share = 0.35;
    o.repeated_lines = false;
    o.repeated_line_min_bytes = 11;
    o.partial = false;
    o.exact = true;
    EXPECT_EQ(NearDuplicateOptions::parse_spec(o.describe()), o);
    // A partial spec keeps the other defaults; the finder's spec reads back to its options.
    EXPECT_EQ(NearDuplicateOptions::parse_spec("near-duplicate:threshold=0.65").threshold, 0.65);
    EXPECT_EQ(NearDuplicateOptions::parse_spec("near-duplicate:exact=1").shingle_spec, NearDuplicateOptions{}.shingle_spec);
    NearDuplicateFinder finder(o);
    const NearDuplicateOptions back = NearDuplicateOptions::parse_spec(finder.describe());
    EXPECT_EQ(NearDuplicateFinder(back).describe(), finder.describe());
    EXPECT_NE(finder.describe().find("boilerplate_min_share=0.35"), std::string::npos);
    EXPECT_THROW(NearDuplicateOptions::parse_spec("near-duplicate:thresold=0.8"), Error);
    EXPECT_THROW(NearDuplicateOptions::parse_spec("near-duplicate:partial=yes"), Error);
    EXPECT_THROW(NearDuplicateOptions::parse_spec("minhash:perms=64"), Error);
    EXPECT_THROW(NearDuplicateOptions::parse_spec("near-duplicate:;word:n=3;minhash:perms=64;x"), Error);
}

TEST(NearDuplicateFinder, ResultRecordsTheSpec) {
    const auto r = run({doc("a", text(words(50, 1)))});
    EXPECT_EQ(r.spec, NearDuplicateFinder(word5()).describe());
}

// Every output reports a pair with the smaller id first, whatever order the documents came in.
TEST(NearDuplicateFinder, PairsAreReportedSmallerIdFirst) {
    std::vector<FinderDocument> docs(3);
    docs[0].id = "b";
    docs[1].id = "a";
    docs[2].id = "c";
    const ReportedPair swapped = reported_order(NearDuplicatePair{0, 1}, docs);
    EXPECT_EQ(swapped.a->id, "a");
    EXPECT_EQ(swapped.b->id, "b");
    const ReportedPair kept = reported_order(NearDuplicatePair{0, 2}, docs);
    EXPECT_EQ(kept.a->id, "b");
    EXPECT_EQ(kept.b->id, "c");
}

// needs_text() says which documents add() shingles from their text whatever sketch they come
// with: those with a boilerplate line of their source (dedup --store reads stored shingles only
// for the others).
TEST(NearDuplicateFinder, NeedsTextWhereALineIsBoilerplate) {
    const std::string footer = "Shared footer line of the site, the same in most of its pages\n";
    std::vector<Document> docs;
    for (int k = 0; k < 6; ++k) docs.push_back(doc("f" + std::to_string(k), text(words(40, 10 + k)) + footer));
    docs.push_back(doc("plain", text(words(40, 30))));
    docs.push_back(doc("other-site", text(words(40, 31)) + footer, "elsewhere/y.txt"));
    for (const bool boilerplate : {true, false}) {
        NearDuplicateOptions o = word5();
        o.boilerplate = boilerplate;
        NearDuplicateFinder f(o);
        f.count_lines(docs.size(), docs.data());
        // "plain" is of the footer's source (its text has no boilerplate line), "other-site" not.
        const std::vector<uint8_t> sources =
            boilerplate ? std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 0} : std::vector<uint8_t>(8, 0);
        EXPECT_EQ(f.in_boilerplate_source(docs.size(), docs.data()), sources);
        const std::vector<uint8_t> own = f.needs_text(docs.size(), docs.data());
        const std::vector<uint8_t> expected = boilerplate ? std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 0, 0}
                                                          : std::vector<uint8_t>(8, 0);
        EXPECT_EQ(own, expected) << boilerplate;
        f.add(docs.size(), docs.data());  // still allowed after it
        EXPECT_EQ(f.finish().docs[0].boilerplate_lines, boilerplate ? 1u : 0u);
    }
}

// Boilerplate is counted per source over many lines (the counts grouped in buckets): a line in a
// quarter of one source's documents is its boilerplate, the same line in an eighth of another's
// is not (in both together, under a fifth, it would be neither's).
TEST(NearDuplicateFinder, BoilerplateOfManyLinesIsCountedPerSource) {
    const std::string common = "A line printed in half of the pages of site a\n";
    const std::string rare = "A line printed in few of the pages of site b\n";
    std::vector<Document> docs;
    for (int k = 0; k < 80; ++k) {
        const bool a = k < 40, half = k % 40 < 20, few = k % 40 >= 20 && k % 40 < (a ? 30 : 25);
        const std::string own = text(words(300, 100 + k));  // 30 lines of its own
        docs.push_back(doc("d" + std::to_string(k), own + (half ? common : "") + (few ? rare : ""),
                           a ? "a/x.txt" : "b/x.txt"));
    }
    NearDuplicateFinder f(word5());
    f.count_lines(docs.size(), docs.data());
    const std::vector<uint8_t> own = f.needs_text(docs.size(), docs.data());
    for (int k = 0; k < 80; ++k) EXPECT_EQ(own[k], k % 40 < (k < 40 ? 30 : 20) ? 1 : 0) << k;
}

// Lines counted from each document's source hash and summary alone (as `dedup --store` counts
// them from a store's "lines" artifacts) give the counts, and the per-source boilerplate, of
// counting the documents; a document without a summary is refused.
TEST(NearDuplicateFinder, LinesCountedBySourceHashesAreTheDocumentsCounts) {
    const std::string common = "A line printed in half of the pages of site a\n";
    std::vector<Document> docs;
    for (int k = 0; k < 60; ++k) {  // site a: 40 pages, 20 with the line; site b: 20, 4 with it
        const bool a = k < 40;
        docs.push_back(doc("d" + std::to_string(k),
                           text(words(60, 300 + k)) + (k % 5 < (a ? 5 : 1) && k % 2 ? common : ""),
                           a ? "a/x.txt" : "b/x.txt"));
        if (k % 7 == 0)
            docs.back().url = "https://Site-" + std::to_string(k % 3) + ".example/p" + std::to_string(k);
    }
    std::vector<LineSummary> sums;
    std::vector<const LineSummary*> lines;
    std::vector<uint64_t> sources;
    for (const auto& d : docs)
        sums.push_back(summarize_lines(d.text)), sources.push_back(document_source_hash(d));
    for (const auto& s : sums) lines.push_back(&s);
    NearDuplicateFinder by_docs(word5()), by_sources(word5());
    by_docs.count_lines(docs.size(), docs.data());
    by_sources.count_lines(25, sources.data(), lines.data());  // in two calls, as batches come
    by_sources.count_lines(docs.size() - 25, sources.data() + 25, lines.data() + 25);
    const std::vector<uint8_t> want_text = by_docs.needs_text(docs.size(), docs.data());
    EXPECT_EQ(by_sources.needs_text(docs.size(), docs.data()), want_text);
    EXPECT_GT(std::count(want_text.begin(), want_text.end(), 1), 10);  // site a's pages with the line
    NearDuplicateFinder again(word5()), kept(word5());
    again.count_lines(docs.size(), docs.data());
    kept.count_lines(docs.size(), sources.data(), lines.data());
    const SourceLineCounts want = again.take_line_counts(), got = kept.take_line_counts();
    EXPECT_EQ(got.source, want.source);
    EXPECT_EQ(got.line, want.line);
    EXPECT_EQ(got.docs, want.docs);
    EXPECT_EQ(got.sources, want.sources);
    EXPECT_EQ(got.source_docs, want.source_docs);
    EXPECT_EQ(want.sources.size(), 5u);  // two folders, three hosts
    lines[3] = nullptr;
    NearDuplicateFinder without(word5());
    EXPECT_THROW(without.count_lines(docs.size(), sources.data(), lines.data()), Error);
}

// A summary of a long text (its lines sorted in buckets) has the distinct line hashes, sorted,
// and the repeated lines of find_repeated_lines, in its order: by hash, each with its first
// occurrence's text and its count.
TEST(NearDuplicateFinder, LineSummaryOfManyLinesMatchesTheLineFunctions) {
    std::mt19937 rng(7);
    std::string text;
    for (int i = 0; i < 3000; ++i) {
        const int k = static_cast<int>(rng() % 900);  // about a third of the lines repeat
        text += (k % 3 ? "  line " : "line ") + std::to_string(k) + (k % 5 ? "\n" : " \n");
        if (i % 97 == 0) text += "\n   \n";        // blank lines are left out
    }
    const LineSummary s = summarize_lines(text);
    std::vector<uint64_t> distinct;
    distinct_line_hashes(text, &distinct);
    EXPECT_EQ(s.bytes, text.size());
    EXPECT_EQ(s.lines, distinct);
    std::vector<RepeatedLine> repeated;
    find_repeated_lines(text, 0, &repeated);
    ASSERT_EQ(s.repeated.size(), repeated.size());
    ASSERT_GT(repeated.size(), 500u);
    for (std::size_t i = 0; i < repeated.size(); ++i) {
        EXPECT_EQ(s.repeated[i].text, repeated[i].text) << i;
        EXPECT_EQ(s.repeated[i].count, repeated[i].count) << i;
    }
}

// Line summaries stand for the texts in counting lines, finding repeated lines and choosing the
// documents to shingle again; a document shingled again without its text is refused.
TEST(NearDuplicateFinder, LineSummariesStandForTheTexts) {
    const std::string footer = "Shared footer line of the site, the same in most of its pages\n";
    const std::string title = "A headline that is printed several times\n";
    std::vector<Document> docs;
    for (int k = 0; k < 6; ++k) docs.push_back(doc("f" + std::to_string(k), text(words(40, 10 + k)) + footer));
    docs.push_back(doc("plain", title + text(words(40, 30)) + title));
    std::vector<LineSummary> sums;
    for (const auto& d : docs) sums.push_back(summarize_lines(d.text));
    std::vector<const LineSummary*> lines;
    for (const auto& s : sums) lines.push_back(&s);
    std::vector<Document> bare = docs;  // without the texts
    for (auto& d : bare) d.text.clear();

    NearDuplicateFinder f(word5());
    f.count_lines(bare.size(), bare.data(), lines.data());
    EXPECT_EQ(f.needs_text(bare.size(), bare.data(), lines.data()), (std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 0}));
    std::vector<PrecomputedSketch> pre(docs.size());
    std::vector<PrecomputedSketch*> pre_of(docs.size(), nullptr);
    NearDuplicateFinder sketcher(word5());
    sketcher.add(docs.size(), docs.data());  // no boilerplate: the sketches of the whole texts
    FinderSketches whole = sketcher.take_sketches();
    pre[6] = {
        whole.shingles[6], {whole.sigs.begin() + 6 * whole.perms, whole.sigs.begin() + 7 * whole.perms}, {}};
    pre_of[6] = &pre[6];
    std::vector<Document> given = bare;
    for (int k = 0; k < 6; ++k) given[k].text = docs[k].text;  // the ones shingled again
    f.add(given.size(), given.data(), pre_of.data(), lines.data());
    const NearDuplicateResult with = f.finish();
    const NearDuplicateResult expected = run(docs);
    ASSERT_EQ(with.docs.size(), expected.docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        EXPECT_EQ(with.docs[i].bytes, docs[i].text.size());
        EXPECT_EQ(with.docs[i].shingles, expected.docs[i].shingles);
        EXPECT_EQ(with.docs[i].boilerplate_lines, expected.docs[i].boilerplate_lines);
        EXPECT_EQ(with.docs[i].repeated_lines.size(), expected.docs[i].repeated_lines.size());
    }
    EXPECT_EQ(with.bytes, expected.bytes);
    EXPECT_EQ(with.boilerplate_lines, expected.boilerplate_lines);
    ASSERT_EQ(with.docs[6].repeated_lines.size(), 1u);
    EXPECT_EQ(with.docs[6].repeated_lines[0].count, 2u);

    NearDuplicateFinder g(word5());
    g.count_lines(bare.size(), bare.data(), lines.data());
    EXPECT_THROW(g.add(bare.size(), bare.data(), pre_of.data(), lines.data()), Error);  // f0..f5 without text
}

namespace {
std::vector<std::vector<uint32_t>> members_of(const IdenticalSetGroups& g) {
    std::vector<std::vector<uint32_t>> out;
    for (std::size_t k = 0; k < g.size(); ++k) out.emplace_back(g.members(k).begin(), g.members(k).end());
    return out;
}
}  // namespace

// order_by_set_hash: the documents with a set, by (hash, document); grouping takes them in that
// order (the overload given it groups as the one that sorts); clusters go by their groups' first
// members, not by group number: here group 0 is {1, 4}, group 1 {0, 2}, and the cluster of the
// near pair between them is led by document 0.
TEST(IdenticalSetGroups, OrderedByHashOnceAndClusteredByFirstMember) {
    const std::vector<uint64_t> hash = {5, 3, 5, 0, 3, 9};
    const std::vector<uint32_t> size = {2, 2, 2, 0, 2, 1};
    const std::vector<uint32_t> order = order_by_set_hash(hash, size);
    EXPECT_EQ(order, (std::vector<uint32_t>{1, 4, 0, 2, 5}));
    auto same = [](uint32_t, uint32_t) { return true; };
    const IdenticalSetGroups g = group_identical_sets(hash, size, order, same);
    const IdenticalSetGroups sorted_here = group_identical_sets(hash, size, same);
    EXPECT_EQ(members_of(g), members_of(sorted_here));
    EXPECT_EQ(members_of(g), (std::vector<std::vector<uint32_t>>{{1, 4}, {0, 2}, {5}}));
    EXPECT_EQ(g.group_of, (std::vector<uint32_t>{1, 0, 1, UINT32_MAX, 0, 2}));
    EXPECT_EQ(g.reps, (std::vector<uint32_t>{0, 1, 5}));
    EXPECT_EQ(g.skip, (std::vector<bool>{false, false, true, true, true, false}));
    std::vector<FinderDocument> docs(6);
    const std::vector<NearDuplicatePair> rep_pairs = {{0, 1, DuplicateKind::kNear, 0.9, 0.9, 2}};
    const std::vector<NearDuplicateCluster> clusters = cluster_near_duplicates(rep_pairs, g, docs);
    ASSERT_EQ(clusters.size(), 1u);
    EXPECT_EQ(clusters[0].representative, 0u);
    EXPECT_EQ(clusters[0].members, (std::vector<uint32_t>{1, 2, 4}));
    EXPECT_EQ(clusters[0].similarity, (std::vector<double>{0.9, 1.0, 0.9}));
}

// groups_from_numbers (the Python stages' way back from group numbers): each group's members in
// document order, its first the representative; numbers must be dense.
TEST(IdenticalSetGroups, FromNumbersInDocumentOrder) {
    const IdenticalSetGroups g = groups_from_numbers({2, 0, UINT32_MAX, 0, 1, 2});
    EXPECT_EQ(members_of(g), (std::vector<std::vector<uint32_t>>{{1, 3}, {4}, {0, 5}}));
    EXPECT_EQ(g.reps, (std::vector<uint32_t>{0, 1, 4}));
    EXPECT_EQ(g.skip, (std::vector<bool>{false, false, true, true, false, true}));
    EXPECT_EQ(groups_from_numbers({}).size(), 0u);
    EXPECT_THROW(groups_from_numbers({0, 2, 2}), Error);  // no group 1
}
