#include <gtest/gtest.h>

#include <random>

#include "doppel/embed/feature_artifacts.h"
#include "doppel/embed/sparse_vector.h"
#include "doppel/error.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

using namespace doppel;

namespace {

std::string words_text(int n, int seed) {
    std::mt19937 rng(seed);
    std::string s;
    for (int i = 0; i < n; ++i) s.append("w").append(std::to_string(rng() % 100000000)).append((i % 12 == 11) ? "\n" : " ");
    return s;
}
Document doc(const std::string& id, const std::string& text) {
    Document d;
    d.id = id;
    d.text = text;
    d.source = id + ".txt";
    return d;
}
void index_docs(Store& store, const LanguageIdentifier& lid, std::vector<Document> docs, int64_t now) {
    Indexer indexer(store, lid);
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    indexer.add(docs.size(), docs.data(), now);
    indexer.finish();
}

}  // namespace

TEST(NearDuplicateArtifacts, RoundTripAndVersionCheck) {
    const std::vector<uint64_t> sh = {3, 5, 1ull << 60};
    EXPECT_EQ(decode_shingles(encode_shingles(sh)), sh);
    const std::vector<uint32_t> sig(128, 7);
    EXPECT_EQ(decode_signature(encode_signature(sig, 1), 128, 1), sig);
    EXPECT_THROW(decode_signature(encode_signature(sig, 1), 128, 2), Error);  // other seed
    std::string bad = encode_shingles(sh);
    bad[4] = 9;  // format version 9
    EXPECT_THROW(decode_shingles(bad), Error);
    bad = encode_shingles(sh);
    bad[0] = 'X';
    EXPECT_THROW(decode_shingles(bad), Error);
    EXPECT_THROW(decode_shingles(encode_signature(sig, 1)), Error);
}

// Version 2 "shingles" blobs carry the shingles' counts; a version 1 blob (no counts) is still
// read, as counts that are not valid; counts that do not fit the set are refused.
TEST(NearDuplicateArtifacts, ShingleCountsRoundTripAndVersionOne) {
    const std::vector<uint64_t> sh = {3, 5, 9, 1ull << 60};
    ShingleCounts counts{true, 40, {1, 3}, {2, 5}};
    ShingleCounts back;
    EXPECT_EQ(decode_shingles(encode_shingles(sh, counts), &back), sh);
    EXPECT_EQ(back, counts);
    EXPECT_EQ(decode_shingles(encode_shingles(sh), &back), sh);
    EXPECT_FALSE(back.valid);
    // Version 1: magic, version, count, the hashes, nothing after.
    std::string v1 = "DPSH";
    const uint32_t version = 1, n = static_cast<uint32_t>(sh.size());
    v1.append(reinterpret_cast<const char*>(&version), 4).append(reinterpret_cast<const char*>(&n), 4);
    v1.append(reinterpret_cast<const char*>(sh.data()), sh.size() * 8);
    back = counts;
    EXPECT_EQ(decode_shingles(v1, &back), sh);
    EXPECT_FALSE(back.valid);
    counts.repeated_at = {3, 1};  // not increasing
    EXPECT_THROW(decode_shingles(encode_shingles(sh, counts), &back), Error);
    counts.repeated_at = {1, 4};  // past the set
    EXPECT_THROW(decode_shingles(encode_shingles(sh, counts), &back), Error);
    std::string cut = encode_shingles(sh, ShingleCounts{true, 40, {1}, {2}});
    cut.pop_back();
    EXPECT_THROW(decode_shingles(cut, &back), Error);
}

// The "lines" artifact gives back the summary it encodes (and the source it names: version 2;
// none in version 1), refuses another version or a truncated blob, and the stage writes one per
// document, equal to summarize_lines of its text with the document's source.
TEST(NearDuplicateArtifacts, LinesRoundTripVersionAndStage) {
    const std::string text = "  Same line of the page  \nother\n\nSame line of the page\nother\n";
    const LineSummary s = summarize_lines(text);
    ASSERT_EQ(s.repeated.size(), 2u);
    const LineSummary back = decode_lines(encode_lines(s));
    EXPECT_EQ(back.bytes, text.size());
    EXPECT_EQ(back.lines, s.lines);
    ASSERT_EQ(back.repeated.size(), s.repeated.size());
    for (std::size_t i = 0; i < s.repeated.size(); ++i) {
        EXPECT_EQ(back.repeated[i].text, s.repeated[i].text);
        EXPECT_EQ(back.repeated[i].count, s.repeated[i].count);
    }
    EXPECT_TRUE(decode_lines(encode_lines({})).lines.empty());
    std::optional<uint64_t> source = 1;
    EXPECT_EQ(decode_lines(encode_lines(s), &source).lines, s.lines);
    EXPECT_EQ(source, std::nullopt);  // version 1
    const std::string with_source = encode_lines(s, 0x0123456789abcdefULL);
    EXPECT_EQ(with_source.substr(0, 4) + with_source.substr(8, with_source.size() - 16),
              encode_lines(s).substr(0, 4) + encode_lines(s).substr(8));  // version 1 and the source
    EXPECT_EQ(decode_lines(with_source, &source).repeated.size(), s.repeated.size());
    EXPECT_EQ(source, 0x0123456789abcdefULL);
    std::string bad = encode_lines(s, 7);
    bad[4] = 3;  // format version 3
    EXPECT_THROW(decode_lines(bad), Error);
    bad = encode_lines(s);
    bad[4] = 2;  // version 2 without its source
    EXPECT_THROW(decode_lines(bad), Error);
    for (const std::optional<uint64_t> src : {std::optional<uint64_t>(), std::optional<uint64_t>(7)}) {
        bad = encode_lines(s, src);
        bad.pop_back();
        EXPECT_THROW(decode_lines(bad), Error);
    }
    EXPECT_THROW(decode_lines(encode_shingles({1, 2})), Error);

    test::TempDir dir("nd_lines");
    Store store(dir / "store");
    LanguageIdentifier lid(test::lid_model());
    index_docs(store, lid, {doc("a", text), doc("b", words_text(40, 3))}, 1000);
    const auto blob = store.artifact(store.get("a", false)->seq, "lines");
    ASSERT_TRUE(blob.has_value());
    EXPECT_EQ(decode_lines(*blob, &source).lines, s.lines);
    EXPECT_EQ(source, document_source_hash(doc("a", text)));
    EXPECT_EQ(store.artifact_count("lines"), 2u);
}

// An exact copy in a batch shares its first's sketches, but its "lines" artifact names its own
// source where that differs (dedup --store counts lines by source from these artifacts alone).
TEST(NearDuplicateArtifacts, ACopyFromAnotherSourceNamesItsOwnInItsLines) {
    test::TempDir dir("nd_lines_source");
    Store store(dir / "store");
    LanguageIdentifier lid(test::lid_model());
    const std::string text = words_text(60, 5);
    Document a = doc("a", text), b = doc("b", text), c = doc("c", text);
    a.url = "https://one.example/a";
    b.url = "https://two.example/b";
    c.url = "https://ONE.example/c";  // the same source as a's
    index_docs(store, lid, {a, b, c}, 1000);
    std::optional<uint64_t> source;
    for (const Document& d : {a, b, c}) {
        const int64_t seq = store.get(d.id, false)->seq;
        EXPECT_EQ(decode_lines(*store.artifact(seq, "lines"), &source).lines, summarize_lines(text).lines)
            << d.id;
        EXPECT_EQ(source, document_source_hash(d)) << d.id;
        EXPECT_EQ(store.artifact(seq, "shingles"), store.artifact(store.get("a", false)->seq, "shingles"))
            << d.id;
    }
    EXPECT_NE(document_source_hash(a), document_source_hash(b));
    EXPECT_EQ(document_source_hash(a), document_source_hash(c));
}

// Empty artifacts (a text too short for one shingle; a zero-length vector) decode to empty vectors
// (found by fuzz_artifacts under UBSan: memcpy to an empty vector's null data()).
TEST(NearDuplicateArtifacts, EmptyArtifactsDecode) {
    EXPECT_TRUE(decode_shingles(encode_shingles({})).empty());
    EXPECT_TRUE(SparseVector::deserialize(SparseVector{}.serialize()).ids.empty());
    EXPECT_TRUE(decode_vectors_artifact(encode_vectors_artifact(nullptr, 0), "empty").empty());
}

// The stage keeps its blob buffers from batch to batch and fills them from several workers: every
// document of two batches, one stage, gets the blobs encode_* make of its own text (a document
// pointed at another's place, or at a buffer reused since, would differ).
TEST(NearDuplicateArtifacts, StageBlobsAreEachDocumentsOwnAcrossBatches) {
    test::TempDir dir("nd_stage_blobs");
    Store store(dir / "store");
    Indexer indexer(store, Indexer::WithoutLanguages{});
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    std::vector<std::string> texts;
    for (int b = 0; b < 2; ++b) {
        std::vector<Document> docs;
        for (int i = 0; i < (b == 0 ? 100 : 40); ++i) {
            // Every tenth text long enough to keep its set; the others' "shingles" are the note.
            const int words = i % 10 == 5 ? 450 + i : 10 + (i * 7) % 90;
            texts.push_back(words_text(words, 1000 * b + i) + (i % 3 == 0 ? "\nrepeated line\nrepeated line\n" : ""));
            docs.push_back(doc("d" + std::to_string(texts.size()), texts.back()));
        }
        indexer.add(docs.size(), docs.data(), 1000 + b);
    }
    indexer.finish();
    const auto shingler = Shingler::from_spec(kDefaultShingleSpec);
    const auto minhash = MinHash::from_spec(kDefaultMinHashSpec);
    Segmenter segmenter;
    std::vector<int64_t> seqs;
    for (std::size_t i = 0; i < texts.size(); ++i) seqs.push_back(store.get("d" + std::to_string(i + 1), false)->seq);
    const std::vector<StoredShingleSet> sets = read_shingle_sets(store, *shingler, seqs, true);
    const std::vector<StoredSignature> sigs = read_signatures(store, *shingler, *minhash, seqs);
    std::size_t long_texts = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const int64_t seq = seqs[i];
        std::vector<uint64_t> sh;
        ShingleCounts counts;
        shingler->shingle_counted(texts[i], segmenter, &sh, &counts);
        EXPECT_TRUE(counts.valid) << i;
        const bool stored = texts[i].size() >= kShingleSetStoredFromBytes;
        long_texts += stored;
        EXPECT_EQ(store.artifact(seq, "shingles"), stored ? encode_shingles(sh, counts) : encode_shingles_in_text()) << i;
        EXPECT_TRUE(sets[i].found && sets[i].error.empty()) << i;
        EXPECT_EQ(sets[i].in_text, !stored) << i;
        EXPECT_EQ(sets[i].shingles, sh) << i;
        EXPECT_EQ(sets[i].counts, counts) << i;
        EXPECT_EQ(store.artifact(seq, "minhash"),
                  stored ? encode_signature(minhash->sign(sh), minhash->seed()) : encode_signature_of_set())
            << i;
        EXPECT_TRUE(sigs[i].found && sigs[i].error.empty()) << i;
        EXPECT_EQ(sigs[i].of_set, !stored) << i;
        EXPECT_EQ(sigs[i].sig, minhash->sign(sh)) << i;
        EXPECT_EQ(store.artifact(seq, "lines"),
                  encode_lines(summarize_lines(texts[i]),
                               document_source_hash(doc("d" + std::to_string(i + 1), ""))))
            << i;
    }
    EXPECT_EQ(long_texts, 14u);
}

// Indexes `docs` into `store` in one batch with the near-duplicate stage alone (the Indexer takes
// the texts it is given: `docs` keeps its own).
static void index_near_duplicates(Store& store, const std::vector<Document>& docs) {
    Indexer indexer(store, Indexer::WithoutLanguages{});
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    std::vector<Document> taken = docs;
    indexer.add(taken.size(), taken.data(), 1000);
    indexer.finish();
}

// read_shingle_sets: stored sets and notes alike, in the order asked (repeats and seqs without
// an artifact included), a blob that does not decode reported, not thrown; without counts the
// sets are the same. decode_shingles refuses the note (it holds no set).
TEST(NearDuplicateArtifacts, ReadShingleSetsDecodesOrShinglesTheStoredText) {
    test::TempDir dir("nd_read_sets");
    Store store(dir / "store");
    const std::vector<Document> docs = {doc("short", words_text(50, 1)), doc("long", words_text(900, 2)),
                                        doc("bad", words_text(30, 3))};
    index_near_duplicates(store, docs);
    const int64_t s = store.get("short", false)->seq, l = store.get("long", false)->seq,
                  b = store.get("bad", false)->seq;
    const std::string bad = "DPSH";
    store.put_artifacts("shingles", 1, &b, &bad);
    const auto shingler = Shingler::from_spec(kDefaultShingleSpec);
    Segmenter segmenter;
    std::vector<uint64_t> short_set, long_set;
    shingler->shingle(docs[0].text, segmenter, &short_set);
    shingler->shingle(docs[1].text, segmenter, &long_set);
    for (const bool counts : {false, true}) {
        const auto sets = read_shingle_sets(store, *shingler, {l, s, 999, b, s}, counts);
        ASSERT_EQ(sets.size(), 5u);
        EXPECT_EQ(sets[0].shingles, long_set);
        EXPECT_FALSE(sets[0].in_text);
        EXPECT_EQ(sets[1].shingles, short_set);
        EXPECT_TRUE(sets[1].in_text);
        EXPECT_EQ(sets[1].counts.valid, counts);
        EXPECT_FALSE(sets[2].found);
        EXPECT_TRUE(sets[3].found);
        EXPECT_FALSE(sets[3].error.empty());
        EXPECT_TRUE(sets[3].shingles.empty());
        EXPECT_EQ(sets[4].shingles, short_set);
    }
    EXPECT_THROW(decode_shingles(encode_shingles_in_text()), Error);
    EXPECT_EQ(encode_shingles_in_text().size(), 8u);
    EXPECT_FALSE(decode_stored_shingles(encode_shingles_in_text() + "x", false).error.empty());
}

// An exact copy of a long text in the same batch keeps the note, not a second copy of the set
// (its text is its holder's, schema 8); read_shingle_sets gives it the set its holder stores, and
// makes it from the text where the holder stores none it can take (a note, or a set without the
// counts asked for). Each copy's set and counts are what shingling its text gives.
TEST(NearDuplicateArtifacts, AnExactCopyInTheBatchTakesItsHoldersStoredSet) {
    test::TempDir dir("nd_copy_sets");
    Store store(dir / "store");
    const std::string text = words_text(900, 5);
    ASSERT_GE(text.size(), kShingleSetStoredFromBytes);
    index_near_duplicates(store, {doc("first", text), doc("copy", text), doc("other", words_text(900, 6)),
                                  doc("copy 2", text)});
    const int64_t f = store.get("first", false)->seq, c = store.get("copy", false)->seq,
                  c2 = store.get("copy 2", false)->seq, o = store.get("other", false)->seq;
    const auto shingler = Shingler::from_spec(kDefaultShingleSpec);
    Segmenter segmenter;
    std::vector<uint64_t> set;
    ShingleCounts counts;
    shingler->shingle_counted(text, segmenter, &set, &counts);
    EXPECT_EQ(store.artifact(f, "shingles"), encode_shingles(set, counts));
    EXPECT_EQ(store.artifact(c, "shingles"), encode_shingles_in_text());
    EXPECT_EQ(store.artifact(c2, "shingles"), encode_shingles_in_text());
    EXPECT_NE(store.artifact(o, "shingles"), encode_shingles_in_text());
    auto read = [&](bool with_counts) {
        return read_shingle_sets(store, *shingler, {c, o, c2}, with_counts);
    };
    for (const bool with_counts : {false, true}) {
        const auto sets = read(with_counts);
        for (const std::size_t j : {0u, 2u}) {
            EXPECT_TRUE(sets[j].found && sets[j].in_text && sets[j].error.empty()) << j;
            EXPECT_EQ(sets[j].shingles, set) << j;
            EXPECT_EQ(sets[j].counts.valid, with_counts) << j;
            if (with_counts) {
                EXPECT_EQ(sets[j].counts, counts) << j;
            }
        }
    }
    // Taken from the holder, not made again: a set written in its place is what the copies get.
    const std::vector<uint64_t> planted = {1, 2, 3};
    const std::string planted_blob = encode_shingles(planted, {});
    store.put_artifacts("shingles", 1, &f, &planted_blob);
    EXPECT_EQ(read(false)[0].shingles, planted);
    // Without counts the holder's set cannot serve a reader that asks for them; nor can a note.
    for (const std::string& held : {planted_blob, encode_shingles_in_text()}) {
        store.put_artifacts("shingles", 1, &f, &held);
        const auto sets = read(true);
        EXPECT_EQ(sets[0].shingles, set);
        EXPECT_EQ(sets[0].counts, counts);
        EXPECT_EQ(sets[2].shingles, set);
    }
    // The holder deleted: its text moves to the first copy, whose note is then made from it.
    ASSERT_TRUE(store.remove("first"));
    for (const bool with_counts : {false, true}) {
        const auto sets = read(with_counts);
        EXPECT_TRUE(sets[0].found && sets[2].found);
        EXPECT_EQ(sets[0].shingles, set);
        EXPECT_EQ(sets[2].shingles, set);
        if (with_counts) {
            EXPECT_EQ(sets[2].counts, counts);
        }
    }
}

// read_signatures: a long text's stored signature decoded, a short text's note signed from its
// set made from the stored text, in the order asked (repeats and seqs without an artifact
// included); a note whose set does not decode gets the set's error, a blob that does not decode
// its own; decode_signature refuses the note (it holds no signature).
TEST(NearDuplicateArtifacts, ReadSignaturesDecodesOrSignsTheStoredSet) {
    test::TempDir dir("nd_read_sigs");
    Store store(dir / "store");
    const std::vector<Document> docs = {doc("short", words_text(50, 1)), doc("long", words_text(900, 2)),
                                        doc("bad set", words_text(30, 3)), doc("bad sig", words_text(40, 4))};
    index_near_duplicates(store, docs);
    const int64_t s = store.get("short", false)->seq, l = store.get("long", false)->seq,
                  bs = store.get("bad set", false)->seq, bg = store.get("bad sig", false)->seq;
    const std::string bad_set = "DPSH", bad_sig = "DPMH";
    store.put_artifacts("shingles", 1, &bs, &bad_set);
    store.put_artifacts("minhash", 1, &bg, &bad_sig);
    const auto shingler = Shingler::from_spec(kDefaultShingleSpec);
    const auto minhash = MinHash::from_spec(kDefaultMinHashSpec);
    Segmenter segmenter;
    auto sig_of = [&](const std::string& text) {
        std::vector<uint64_t> sh;
        shingler->shingle(text, segmenter, &sh);
        return minhash->sign(sh);
    };
    const auto sigs = read_signatures(store, *shingler, *minhash, {l, s, 999, bs, bg, s});
    ASSERT_EQ(sigs.size(), 6u);
    EXPECT_TRUE(sigs[0].found && !sigs[0].of_set);
    EXPECT_EQ(sigs[0].sig, sig_of(docs[1].text));
    EXPECT_TRUE(sigs[1].found && sigs[1].of_set);
    EXPECT_EQ(sigs[1].sig, sig_of(docs[0].text));
    EXPECT_FALSE(sigs[2].found);
    EXPECT_TRUE(sigs[2].error.empty());
    EXPECT_FALSE(sigs[3].found);
    EXPECT_FALSE(sigs[3].error.empty());
    EXPECT_FALSE(sigs[4].found || sigs[4].of_set);
    EXPECT_FALSE(sigs[4].error.empty());
    EXPECT_EQ(sigs[5].sig, sigs[1].sig);
    EXPECT_EQ(*store.artifact(s, "minhash"), encode_signature_of_set());
    EXPECT_EQ(encode_signature_of_set().size(), 8u);
    EXPECT_THROW(decode_signature(encode_signature_of_set(), minhash->perms(), minhash->seed()), Error);
    EXPECT_FALSE(decode_stored_signature(encode_signature_of_set() + "x", minhash->perms(), minhash->seed())
                     .error.empty());
}

TEST(NearDuplicateIndex, IncrementalAddQueryReopenDeleteExpire) {
    test::TempDir dir("near_duplicate_index");
    LanguageIdentifier lid(test::lid_model());
    const std::string a = words_text(300, 1), b = words_text(300, 2), c = words_text(300, 3);
    std::string a_edit = a;
    a_edit.replace(a_edit.find(' '), 1, " inserted ");  // one word more: Jaccard about 0.98
    {
        Store store(dir.path());
        index_docs(store, lid, {doc("a", a), doc("b", b)}, 1000);
        index_docs(store, lid, {doc("c", c)}, 2000);  // incremental: a and b are not redone
        EXPECT_TRUE(store.artifact(store.get("a", false)->seq, "minhash").has_value());
    }
    {
        Store store(dir.path(), StoreOptions{false, true});  // reopened, read-only
        NearDuplicateIndex index(store, 0.8);
        EXPECT_TRUE(index.on_disk());  // check's default banding: read from the band runs
        EXPECT_EQ(index.size(), 3u);
        EXPECT_EQ(index.params(), (LshParams{16, 6}));
        const auto m = index.query(a_edit);
        ASSERT_EQ(m.size(), 1u);
        EXPECT_EQ(store.get_by_seq(m[0].seq, false)->id, "a");
        EXPECT_GT(m[0].jaccard, 0.95);
        EXPECT_LT(m[0].jaccard, 1.0);
        EXPECT_TRUE(index.query(words_text(300, 4)).empty());
        EXPECT_EQ(index.query(c).size(), 1u);
        EXPECT_DOUBLE_EQ(index.query(c)[0].jaccard, 1.0);
    }
    {
        Store store(dir.path());
        Indexer indexer(store, lid);
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        EXPECT_EQ(indexer.remove({"a"}), 1u);
        EXPECT_EQ(indexer.expire(1500), (std::vector<std::string>{"b"}));  // added at 1000
    }
    {
        Store store(dir.path(), StoreOptions{false, true});
        NearDuplicateIndex index(store, 0.8);
        EXPECT_EQ(index.size(), 1u);  // only c is left, after a restart
        EXPECT_TRUE(index.query(a_edit).empty());
        EXPECT_FALSE(store.artifact(1, "shingles").has_value());
        EXPECT_EQ(index.query(c).size(), 1u);
    }
}

TEST(NearDuplicateIndex, RefusesAStoreBuiltWithAnotherSpec) {
    test::TempDir dir("near_duplicate_spec");
    LanguageIdentifier lid(test::lid_model());
    {
        Store store(dir.path());
        index_docs(store, lid, {doc("a", words_text(100, 1))}, 1000);
    }
    Store store(dir.path(), StoreOptions{false, true});
    NearDuplicateIndexOptions o;
    o.shingle_spec = "word:n=4";  // not the default the store was built with
    EXPECT_THROW(NearDuplicateIndex(store, 0.8, 0.99, o), Error);
    EXPECT_NO_THROW(NearDuplicateIndex(store, 0.8, 0.99));
}

// Band runs on disk and tables built in memory give the same matches; a store whose runs miss
// signatures (written before them) is read from memory, and the next index run completes them.
TEST(NearDuplicateIndex, BandRunsMatchTheInMemoryTablesAndCatchUp) {
    test::TempDir dir("near_duplicate_bands");
    LanguageIdentifier lid(test::lid_model());
    std::vector<Document> docs;
    for (int i = 0; i < 40; ++i) docs.push_back(doc("d" + std::to_string(i), words_text(200, i % 20)));
    std::string edit = words_text(200, 3);
    edit.replace(edit.find(' '), 1, " inserted ");
    {
        Store store(dir.path());
        index_docs(store, lid, {docs.begin(), docs.begin() + 20}, 1000);
        store.set_meta(LshBandStore::kMetaKey, "doppel-lsh-runs 1 128 16 6 1 0\n");  // as if written before
        index_docs(store, lid, {docs.begin() + 20, docs.end()}, 2000);  // copies of the first 20
    }
    Store store(dir.path(), StoreOptions{false, true});
    NearDuplicateIndex disk(store, 0.8), ram(store, 0.7);
    EXPECT_TRUE(disk.on_disk());
    EXPECT_FALSE(ram.on_disk());  // another banding
    EXPECT_EQ(disk.size(), 40u);
    const auto m = disk.query(edit);
    ASSERT_EQ(m.size(), 2u);  // d3 and its copy d23, though only d23 was indexed with band runs
    EXPECT_EQ(store.get_by_seq(m[0].seq, false)->id, "d3");
    EXPECT_EQ(store.get_by_seq(m[1].seq, false)->id, "d23");
    const auto r = ram.query(edit);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].seq, m[0].seq);
    EXPECT_DOUBLE_EQ(r[0].jaccard, m[0].jaccard);
}

// The stored banding serves any threshold and recall it reaches (a higher threshold at the default
// recall, or a slightly lower one at a lower recall); below that, the banding of the threshold.
TEST(NearDuplicateIndex, StoreBandingServesWhatTheStoredRunsReach) {
    const LshParams stored = default_band_params(128);
    EXPECT_EQ(store_banding(128, 0.8, 0.99), stored);
    EXPECT_EQ(store_banding(128, 0.9, 0.99), stored);
    EXPECT_EQ(store_banding(128, 0.95, 0.999), stored);
    EXPECT_EQ(store_banding(128, 0.75, 0.95), stored);  // the runs find a pair at 0.75 with P 0.956
    EXPECT_EQ(store_banding(128, 0.75, 0.99), choose_lsh_params(0.75, 128, 0.99));
    EXPECT_EQ(store_banding(128, 0.5, 0.99), choose_lsh_params(0.5, 128, 0.99));
    EXPECT_GE(lsh_candidate_probability(0.9, store_banding(128, 0.9, 0.99)), 0.99);
    EXPECT_THROW(store_banding(128, 0.0, 0.99), Error);  // the threshold is still checked
}

// A check at a threshold above the stored banding's reads the band runs (no tables in memory) and
// answers as tables built in memory for that threshold's own banding do.
TEST(NearDuplicateIndex, AHigherThresholdIsServedByTheBandRuns) {
    test::TempDir dir("near_duplicate_higher");
    LanguageIdentifier lid(test::lid_model());
    std::vector<Document> docs;
    for (int i = 0; i < 30; ++i) docs.push_back(doc("d" + std::to_string(i), words_text(300, i % 15)));
    {
        Store store(dir.path());
        index_docs(store, lid, docs, 1000);
    }
    std::string edit = words_text(300, 4);
    edit.replace(edit.find(' '), 1, " inserted ");
    Store store(dir.path(), StoreOptions{false, true});
    NearDuplicateIndex high(store, 0.9), low(store, 0.5);
    EXPECT_TRUE(high.on_disk());
    EXPECT_EQ(high.params(), default_band_params(128));
    EXPECT_FALSE(low.on_disk());
    const auto h = high.query(edit), l = low.query(edit);
    ASSERT_EQ(h.size(), 2u);  // d4 and d19
    ASSERT_EQ(l.size(), 2u);
    for (std::size_t i = 0; i < h.size(); ++i) {
        EXPECT_EQ(h[i].seq, l[i].seq);
        EXPECT_DOUBLE_EQ(h[i].jaccard, l[i].jaccard);
        EXPECT_GE(h[i].jaccard, 0.9);
    }
}

// A lower threshold asked for at index time (--dedup-thresholds) is served from band runs of its
// own banding, which answer as tables built in memory do; the store records it, so a later run
// that does not ask keeps those runs up to date, and a run with no documents builds them for what
// is stored.
TEST(NearDuplicateIndex, ALowerThresholdAskedForAtIndexTimeIsServedFromDisk) {
    test::TempDir dir("near_duplicate_lower"), plain_dir("near_duplicate_lower_plain");
    LanguageIdentifier lid(test::lid_model());
    std::vector<Document> docs;
    for (int i = 0; i < 30; ++i) docs.push_back(doc("d" + std::to_string(i), words_text(300, i % 15)));
    NearDuplicateIndexOptions asking;
    asking.extra_band_thresholds = {0.5, 0.55, 0.9};  // 0.9: served by the default runs already
    {
        Store store(dir.path()), plain(plain_dir.path());
        {
            Indexer indexer(store, lid);  // holds the store's write lock
            indexer.add_stage(std::make_unique<NearDuplicateStage>(asking));
            std::vector<Document> first(docs.begin(), docs.begin() + 20);  // add() moves from them
            indexer.add(first.size(), first.data(), 1000);
            indexer.finish();
        }
        index_docs(plain, lid, {docs.begin(), docs.begin() + 20}, 1000);
        const std::vector<LshParams> extra = extra_bandings(asking.extra_band_thresholds, 128);
        ASSERT_EQ(extra.size(), 2u);
        EXPECT_EQ(extra[0], choose_lsh_params(0.5, 128, kDefaultBandRecall));
        EXPECT_EQ(stored_bandings(store, 128), (std::vector<LshParams>{default_band_params(128), extra[0], extra[1]}));
        EXPECT_EQ(stored_bandings(plain, 128), std::vector<LshParams>{default_band_params(128)});
        // The later documents by a stage that asks nothing: the store's recorded bandings are kept.
        index_docs(store, lid, {docs.begin() + 20, docs.end()}, 2000);
        index_docs(plain, lid, {docs.begin() + 20, docs.end()}, 2000);
    }
    std::string edit = words_text(300, 4);
    edit.replace(edit.find(' '), 1, " inserted ");
    Store store(dir.path(), StoreOptions{false, true}), plain(plain_dir.path(), StoreOptions{false, true});
    NearDuplicateIndex disk(store, 0.5), ram(plain, 0.5), mid(store, 0.7);
    EXPECT_TRUE(disk.on_disk());
    EXPECT_EQ(disk.params(), choose_lsh_params(0.5, 128, kDefaultBandRecall));
    EXPECT_FALSE(ram.on_disk());
    EXPECT_TRUE(mid.on_disk());  // 0.7: served by 0.55's banding (fewer candidates than 0.5's)
    EXPECT_EQ(mid.params(), choose_lsh_params(0.55, 128, kDefaultBandRecall));
    const auto d = disk.query(edit), r = ram.query(edit);
    EXPECT_EQ(ram.size(), 30u);
    EXPECT_EQ(disk.size(), 30u);
    ASSERT_EQ(d.size(), 2u);  // d4 and d19 (indexed by the run that asked nothing)
    ASSERT_EQ(r.size(), d.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
        EXPECT_EQ(d[i].seq, r[i].seq);
        EXPECT_DOUBLE_EQ(d[i].jaccard, r[i].jaccard);
    }
    // A run with no documents that asks for 0.5 builds its runs over what the plain store holds.
    {
        Store writable(plain_dir.path());
        Indexer indexer(writable, lid);
        NearDuplicateIndexOptions o;
        o.extra_band_thresholds = {0.5, 0.55};  // both caught up in one pass over the signatures
        indexer.add_stage(std::make_unique<NearDuplicateStage>(o));
        indexer.finish();
    }
    NearDuplicateIndex now(plain, 0.5);
    EXPECT_TRUE(now.on_disk());
    EXPECT_EQ(now.query(edit).size(), 2u);
    NearDuplicateIndex now_mid(plain, 0.7);
    EXPECT_TRUE(now_mid.on_disk());
    EXPECT_EQ(now_mid.params(), choose_lsh_params(0.55, 128, kDefaultBandRecall));
    EXPECT_EQ(now_mid.query(edit).size(), 2u);
    // A run that drops 0.5's bands (and names 0.9, served by the default ones, and 0.3, never
    // kept): 0.55's stay; 0.5 is served in memory again, with the same answers.
    std::vector<std::string> warnings;
    {
        Store writable(plain_dir.path());
        Indexer indexer(writable, lid);
        NearDuplicateIndexOptions o;
        o.dropped_band_thresholds = {0.5, 0.9, 0.3};
        indexer.add_stage(std::make_unique<NearDuplicateStage>(o));
        IndexSummary summary;
        indexer.finish(&summary);
        warnings = summary.warnings;
    }
    EXPECT_EQ(stored_bandings(plain, 128),
              (std::vector<LshParams>{default_band_params(128), choose_lsh_params(0.55, 128, kDefaultBandRecall)}));
    EXPECT_FALSE(LshBandStore::open(plain, 128, choose_lsh_params(0.5, 128, kDefaultBandRecall), 0).has_value());
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_EQ(warnings[0], "dedup threshold 0.9 is served by the default LSH bands, which are always kept");
    EXPECT_EQ(warnings[1], "dedup threshold 0.3: the store keeps no LSH bands " +
                               banding_name(choose_lsh_params(0.3, 128, kDefaultBandRecall)) + " to drop");
    NearDuplicateIndex dropped(plain, 0.5);
    EXPECT_EQ(dropped.params(), choose_lsh_params(0.5, 128, kDefaultBandRecall));
    EXPECT_FALSE(dropped.on_disk());
    EXPECT_EQ(dropped.query(edit).size(), 2u);
    NearDuplicateIndexOptions both;
    both.extra_band_thresholds = {0.5};
    both.dropped_band_thresholds = {0.5};
    EXPECT_THROW(NearDuplicateStage{both}, Error);
}

// A reader that would build its tables in memory is refused where they would take more than half
// the machine's memory, and told how to serve the threshold from disk.
TEST(NearDuplicateIndex, TablesThatWouldNotFitInMemoryAreRefused) {
    test::TempDir dir("near_duplicate_fits");
    Store store(dir.path());
    EXPECT_NO_THROW(check_fits_in_memory(store, uint64_t{1} << 20, 0.5, "check"));
    try {
        check_fits_in_memory(store, uint64_t{1} << 60, 0.5, "check");
        FAIL() << "not refused";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
        EXPECT_NE(std::string(e.what()).find("--dedup-thresholds 0.5"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("check at threshold 0.5"), std::string::npos) << e.what();
    }
}

// A reader's index read the band runs' catalogue, then a writer merged the runs it names (the
// kFanIn-th run of one tier merges them all): the reader's next query reads the catalogue again
// instead of failing on a dropped segment ("LSH band segment ... is missing", seen from `check`
// during `index`).
TEST(NearDuplicateIndex, AQueryAfterAWritersMergeReadsTheMergedRuns) {
    test::TempDir dir("near_duplicate_merged");
    LanguageIdentifier lid(test::lid_model());
    Store writer(dir.path());
    const int last = static_cast<int>(LshBandStore::kFanIn) - 1;
    for (int i = 0; i < last; ++i)
        index_docs(writer, lid, {doc("d" + std::to_string(i), words_text(200, i))}, 1000 + i);
    const Store reader(dir.path(), StoreOptions{false, true});
    NearDuplicateIndex index(reader, 0.8);
    ASSERT_TRUE(index.on_disk());
    const std::string before = reader.meta(LshBandStore::kMetaKey).value_or("");
    index_docs(writer, lid, {doc("d" + std::to_string(last), words_text(200, last))}, 2000);
    ASSERT_NE(reader.meta(LshBandStore::kMetaKey).value_or(""), before);
    for (int i : {2, last}) {
        const auto m = index.query(words_text(200, i));
        ASSERT_EQ(m.size(), 1u) << i;
        EXPECT_EQ(reader.get_by_seq(m[0].seq, false)->id, "d" + std::to_string(i));
    }
}

// A store written before line summaries (here: their artifacts and record deleted with SQLite)
// gets them from its texts in the stage's first write to it, once.
TEST(NearDuplicateArtifacts, LinesAreCaughtUpInAStoreWithout) {
    test::TempDir dir("nd_lines_catch_up");
    LanguageIdentifier lid(test::lid_model());
    const std::string a = "a line\nanother line\na line\n";
    {
        Store store(dir / "store");
        index_docs(store, lid, {doc("a", a), doc("b", words_text(40, 3))}, 1000);
    }
    test::exec_sql(dir / "store",
                   "DELETE FROM line_summaries; DELETE FROM meta WHERE key = 'near_duplicate_lines';");
    Store store(dir / "store");
    EXPECT_EQ(store.artifact_count("lines"), 0u);
    index_docs(store, lid, {doc("c", words_text(40, 4))}, 2000);
    EXPECT_EQ(store.artifact_count("lines"), 3u);
    const LineSummary back = decode_lines(*store.artifact(store.get("a", false)->seq, "lines"));
    EXPECT_EQ(back.bytes, a.size());
    ASSERT_EQ(back.repeated.size(), 1u);
    EXPECT_EQ(back.repeated[0].text, "a line");
    EXPECT_EQ(store.meta("near_duplicate_lines").value_or(""), "1");
}

// A set key is the stored set's hash and size; the stage writes it for every document, and adds
// the missing ones (a store written before them) from the stored shingles, once.
TEST(NearDuplicateArtifacts, SetKeysAreTheStoredSetsAndAreCaughtUp) {
    const std::vector<uint64_t> sh = {3, 9, 27};
    const ShingleSetKey key = shingle_set_key(sh.data(), sh.size());
    EXPECT_EQ(key.size, 3u);
    EXPECT_EQ(key.hash, shingle_set_hash(sh.data(), sh.size()));
    EXPECT_NE(key.hash, shingle_set_hash(sh.data(), 2));
    const ShingleSetKey back = decode_set_key(encode_set_key(key));
    EXPECT_EQ(back.hash, key.hash);
    EXPECT_EQ(back.size, key.size);
    EXPECT_THROW(decode_set_key(encode_lines({})), Error);
    std::string cut = encode_set_key(key);
    cut.pop_back();
    EXPECT_THROW(decode_set_key(cut), Error);

    test::TempDir dir("nd_set_keys");
    LanguageIdentifier lid(test::lid_model());
    {
        Store store(dir / "store");
        index_docs(store, lid, {doc("a", words_text(40, 1)), doc("b", words_text(40, 2))}, 1000);
        EXPECT_EQ(store.artifact_count("shingle_set"), 2u);
    }
    test::exec_sql(dir / "store",
                   "UPDATE line_summaries SET shingle_set = NULL; DELETE FROM meta WHERE key = "
                   "'near_duplicate_set_keys';");
    Store store(dir / "store");
    EXPECT_EQ(store.artifact_count("shingle_set"), 0u);
    index_docs(store, lid, {doc("c", words_text(40, 3))}, 2000);
    EXPECT_EQ(store.artifact_count("shingle_set"), 3u);
    const auto shingler = Shingler::from_spec(kDefaultShingleSpec);
    for (const char* id : {"a", "b", "c"}) {
        const int64_t seq = store.get(id, false)->seq;
        const std::vector<uint64_t> stored = read_shingle_sets(store, *shingler, {seq})[0].shingles;
        EXPECT_FALSE(stored.empty()) << id;
        const ShingleSetKey k = decode_set_key(*store.artifact(seq, "shingle_set"));
        EXPECT_EQ(k.hash, shingle_set_hash(stored.data(), stored.size())) << id;
        EXPECT_EQ(k.size, stored.size()) << id;
    }
    EXPECT_EQ(store.meta("near_duplicate_set_keys").value_or(""), "1");
}

// A text repeated within a batch is sketched once (NearDuplicateStage::prepare): each copy still
// gets its own text's blobs and band entries, so a query finds the original and its copy.
TEST(NearDuplicateIndex, ATextRepeatedInABatchIsSketchedOnceForEveryCopy) {
    test::TempDir dir("near_duplicate_repeats");
    std::vector<Document> docs;
    for (int i = 0; i < 20; ++i) docs.push_back(doc("d" + std::to_string(i), words_text(200, i % 10)));
    {
        Store store(dir.path());
        Indexer indexer(store, Indexer::WithoutLanguages{});
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        std::vector<Document> batch = docs;
        indexer.add(batch.size(), batch.data(), 1000);
        indexer.finish();
    }
    Store store(dir.path(), StoreOptions{false, true});
    for (const Document& d : docs) {
        const int64_t seq = store.get(d.id, false)->seq;
        EXPECT_EQ(store.artifact(seq, "lines"),
                  encode_lines(summarize_lines(d.text), document_source_hash(d)))
            << d.id;
    }
    std::string edit = words_text(200, 3);
    edit.replace(edit.find(' '), 1, " inserted ");
    NearDuplicateIndex disk(store, 0.8);
    ASSERT_TRUE(disk.on_disk());
    const auto m = disk.query(edit);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(store.get_by_seq(m[0].seq, false)->id, "d3");
    EXPECT_EQ(store.get_by_seq(m[1].seq, false)->id, "d13");
    EXPECT_EQ(store.artifact(m[0].seq, "minhash"), store.artifact(m[1].seq, "minhash"));
    // Every copy's band entries are its original's.
    const auto bands = LshBandStore::open(store, 128, default_band_params(128), store.max_seq());
    ASSERT_TRUE(bands.has_value());
    std::map<int64_t, std::vector<uint64_t>> keys;
    bands->for_each_entry(store, [&](const LshBandStore::Entry& e) { keys[e.seq].push_back(e.key); });
    ASSERT_EQ(keys.size(), docs.size());
    for (int i = 0; i < 10; ++i) {
        const int64_t a = store.get("d" + std::to_string(i), false)->seq;
        const int64_t b = store.get("d" + std::to_string(i + 10), false)->seq;
        EXPECT_EQ(keys[a], keys[b]) << i;
    }
}
