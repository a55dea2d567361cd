#include <gtest/gtest.h>

#include <random>

#include "doppel/error.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/index/lsh_index.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

using namespace doppel;

namespace {

constexpr int kPerms = 16;
const LshParams kParams{4, 4};

// n signatures; every 3rd shares band 0 with signature 0 (a key with many entries, across runs
// and, after merges, across segments), the rest random.
std::vector<uint32_t> signatures(std::size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint32_t> sigs(n * kPerms);
    for (auto& v : sigs) v = rng() % 50;  // small values: random band collisions happen too
    for (std::size_t i = 3; i < n; i += 3) std::copy(sigs.begin(), sigs.begin() + 4, sigs.begin() + i * kPerms);
    return sigs;
}

// Adds n documents in batches of `batch` to the band runs and to an in-memory LshIndex.
void add_batches(Store& store, LshIndex& ram, const std::vector<uint32_t>& sigs, std::size_t batch, int64_t first_seq) {
    const std::size_t n = sigs.size() / kPerms;
    for (std::size_t at = 0; at < n; at += batch) {
        const std::size_t m = std::min(batch, n - at);
        std::vector<int64_t> seqs(m);
        for (std::size_t i = 0; i < m; ++i) seqs[i] = first_seq + static_cast<int64_t>(at + i);
        store.transaction([&] { LshBandStore::add(store, kPerms, kParams, m, seqs.data(), sigs.data() + at * kPerms); });
        ram.add(m, seqs.data(), sigs.data() + at * kPerms);
    }
}

}  // namespace

// The on-disk runs answer exactly as the in-memory tables, through merges and segment boundaries.
TEST(LshBandStore, SameCandidatesAsTheInMemoryIndex) {
    test::TempDir dir("lsh_band_store");
    Store store(dir.path());
    LshIndex ram(kPerms, kParams);
    // 300,000 documents x 4 bands = 1.2 M entries: merged runs span more than one segment.
    const auto sigs = signatures(300000, 1);
    add_batches(store, ram, sigs, 300000 / LshBandStore::kFanIn, 1);  // kFanIn runs of one tier, merged
    const auto bands = LshBandStore::open(store, kPerms, kParams, 300000);
    ASSERT_TRUE(bands.has_value());
    EXPECT_EQ(bands->runs().size(), 1u);
    bool spans = false;
    for (const auto& r : bands->runs()) spans = spans || r.first_keys.size() > 1;
    EXPECT_TRUE(spans);
    const auto queries = signatures(200, 2);
    for (std::size_t q = 0; q < 200; ++q) {
        const uint32_t* sig = q < 100 ? queries.data() + q * kPerms : sigs.data() + (q * 997 % 300000) * kPerms;
        EXPECT_EQ(bands->query(store, sig), ram.query(sig)) << q;
    }
    EXPECT_EQ(bands->query(store, sigs.data()).size(), ram.query(sigs.data()).size());
    EXPECT_GE(bands->query(store, sigs.data()).size(), 100000u);
}

// Runs for another banding, or that miss newer signatures, are not used.
TEST(LshBandStore, OpenRefusesOtherBandingOrUncoveredSignatures) {
    test::TempDir dir("lsh_band_store_open");
    Store store(dir.path());
    EXPECT_FALSE(LshBandStore::open(store, kPerms, kParams, 0).has_value());  // no catalogue
    LshIndex ram(kPerms, kParams);
    add_batches(store, ram, signatures(100, 3), 50, 1);
    EXPECT_TRUE(LshBandStore::open(store, kPerms, kParams, 100).has_value());
    EXPECT_FALSE(LshBandStore::open(store, kPerms, kParams, 101).has_value());
    EXPECT_FALSE(LshBandStore::open(store, kPerms, LshParams{2, 8}, 100).has_value());
    EXPECT_EQ(LshBandStore::covered_seq(store, kPerms, kParams), 100);
    EXPECT_EQ(LshBandStore::covered_seq(store, kPerms, LshParams{2, 8}), 0);
    store.set_meta(LshBandStore::kMetaKey, "doppel-lsh-runs 9 16 4 4 1 0\n");
    EXPECT_THROW(LshBandStore::open(store, kPerms, kParams, 0), Error);  // a newer format
}

// for_each_entry gives every entry of every run once, merged in (key, seq) order: a key's
// entries come together whatever run they are in.
TEST(LshBandStore, ForEachEntryMergesTheRuns) {
    test::TempDir dir("lsh_band_store_scan");
    Store store(dir.path());
    LshIndex ram(kPerms, kParams);
    const std::size_t n = 100 * (LshBandStore::kFanIn + 8);
    const auto sigs = signatures(n, 4);
    add_batches(store, ram, sigs, 100, 1);  // kFanIn + 8 runs of one tier, some merged
    const auto bands = LshBandStore::open(store, kPerms, kParams, static_cast<int64_t>(n));
    ASSERT_TRUE(bands.has_value());
    ASSERT_GT(bands->runs().size(), 1u);
    ASSERT_LT(bands->runs().size(), LshBandStore::kFanIn + 8);  // merged, not into one
    std::vector<LshBandStore::Entry> got;
    bands->for_each_entry(store, [&](const LshBandStore::Entry& e) { got.push_back(e); });
    std::vector<LshBandStore::Entry> want;
    for (std::size_t i = 0; i < n; ++i)
        for (int band = 0; band < kParams.bands; ++band)
            want.push_back({LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band), static_cast<int64_t>(i + 1)});
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
}

// for_each_block hands over the same merge in blocks: none empty, none over kBlockEntries, in
// order across their edges; with many runs (a stretch of one run ends at every other's next key)
// and with one.
TEST(LshBandStore, BlocksAreTheMergeInOrder) {
    for (const std::size_t per_batch : {std::size_t{100}, std::size_t{3000}}) {
        test::TempDir dir("lsh_band_store_blocks");
        Store store(dir.path());
        LshIndex ram(kPerms, kParams);
        const auto sigs = signatures(3000, 6);
        add_batches(store, ram, sigs, per_batch, 1);
        const auto bands = LshBandStore::open(store, kPerms, kParams, 3000);
        ASSERT_TRUE(bands.has_value());
        std::vector<LshBandStore::Entry> want, got;
        for (std::size_t i = 0; i < 3000; ++i)
            for (int band = 0; band < kParams.bands; ++band)
                want.push_back(
                    {LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band), static_cast<int64_t>(i + 1)});
        std::sort(want.begin(), want.end());
        std::size_t blocks = 0;
        bands->for_each_block(store, [&](const LshBandStore::Entry* e, std::size_t n) {
            EXPECT_GE(n, 1u);
            EXPECT_LE(n, LshBandStore::kBlockEntries);
            got.insert(got.end(), e, e + n);
            ++blocks;
        });
        EXPECT_EQ(got, want);
        EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
        EXPECT_EQ(got.size(), 3000u * kParams.bands);
        EXPECT_EQ(blocks, (got.size() + LshBandStore::kBlockEntries - 1) / LshBandStore::kBlockEntries);
    }
}

// A band's merge (for_each_block_of_band) is the whole merge's entries of that band: segments
// that hold two bands' keys are cut at the band's edges, the other bands' segments not read; with
// many runs and with one. The bands' keys (band_keys) follow one another.
TEST(LshBandStore, ABandsBlocksAreTheMergeOfItsKeys) {
    for (const std::size_t per_batch : {std::size_t{100}, std::size_t{3000}}) {
        test::TempDir dir("lsh_band_store_band_blocks");
        Store store(dir.path());
        LshIndex ram(kPerms, kParams);
        add_batches(store, ram, signatures(3000, 7), per_batch, 1);
        const auto bands = LshBandStore::open(store, kPerms, kParams, 3000);
        ASSERT_TRUE(bands.has_value());
        std::vector<LshBandStore::Entry> all, by_band;
        bands->for_each_entry(store, [&](const LshBandStore::Entry& e) { all.push_back(e); });
        for (int band = 0; band < kParams.bands; ++band) {
            // Plain names, not a structured binding: clang before 16 refuses one captured by a lambda.
            const std::pair<uint64_t, uint64_t> keys = LshBandStore::band_keys(band);
            const uint64_t first = keys.first, last = keys.second;
            if (band > 0) {
                EXPECT_EQ(first, LshBandStore::band_keys(band - 1).second + 1);
            }
            std::size_t in_band = 0;
            bands->for_each_block_of_band(store, band, [&](const LshBandStore::Entry* e, std::size_t n) {
                for (std::size_t i = 0; i < n; ++i) {
                    EXPECT_TRUE(e[i].key >= first && e[i].key <= last) << band;
                    by_band.push_back(e[i]);
                    ++in_band;
                }
            });
            EXPECT_EQ(in_band, 3000u) << band;  // a key a document and band
        }
        EXPECT_EQ(by_band, all);
    }
    EXPECT_EQ(LshBandStore::band_keys(1023).second, UINT64_MAX);
}

// The same entries in two runs (a batch's keys added twice) are each given twice, in order: a run
// whose next entry equals another's still moves on.
TEST(LshBandStore, EqualEntriesOfTwoRunsAreBothGiven) {
    test::TempDir dir("lsh_band_store_twice");
    Store store(dir.path());
    const auto sigs = signatures(500, 8);
    std::vector<int64_t> seqs(500);
    for (std::size_t i = 0; i < seqs.size(); ++i) seqs[i] = static_cast<int64_t>(i + 1);
    for (int run = 0; run < 2; ++run)
        store.transaction([&] { LshBandStore::add(store, kPerms, kParams, 500, seqs.data(), sigs.data()); });
    const auto bands = LshBandStore::open(store, kPerms, kParams, 500);
    ASSERT_TRUE(bands.has_value());
    ASSERT_EQ(bands->runs().size(), 2u);
    std::vector<LshBandStore::Entry> want, got;
    for (std::size_t i = 0; i < 500; ++i)
        for (int band = 0; band < kParams.bands; ++band)
            for (int copy = 0; copy < 2; ++copy)
                want.push_back({LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band), seqs[i]});
    std::sort(want.begin(), want.end());
    bands->for_each_block(store, [&](const LshBandStore::Entry* e, std::size_t n) { got.insert(got.end(), e, e + n); });
    EXPECT_EQ(got, want);
}

// entries_of gives exactly the entries of the keys asked, from every run and segment: a key with
// many entries (band 0 of every 3rd signature) across segments, keys of a few documents, a key
// that is not there, and no key at all.
TEST(LshBandStore, EntriesOfSomeKeysAreTheMergedEntriesOfThem) {
    test::TempDir dir("lsh_band_store_keys");
    Store store(dir.path());
    LshIndex ram(kPerms, kParams);
    const auto sigs = signatures(3000, 5);
    add_batches(store, ram, sigs, 100, 1);
    const auto bands = LshBandStore::open(store, kPerms, kParams, 3000);
    ASSERT_TRUE(bands.has_value());
    std::vector<uint64_t> keys = {LshBandStore::entry_key(sigs.data(), kParams, 0), 12345};
    for (std::size_t i = 1; i < 3000; i += 97)
        for (int band = 0; band < kParams.bands; ++band)
            keys.push_back(LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<LshBandStore::Entry> want;
    bands->for_each_entry(store, [&](const LshBandStore::Entry& e) {
        if (std::binary_search(keys.begin(), keys.end(), e.key)) want.push_back(e);
    });
    EXPECT_GT(want.size(), 1000u);
    EXPECT_EQ(bands->entries_of(store, keys), want);
    EXPECT_TRUE(bands->entries_of(store, {}).empty());
}

// sorted_entries() gives each band's entries in std::sort's order, where many documents share a
// band key (copies: buckets over the insertion bound) and where none do.
TEST(LshBandStore, EntriesAreSortedAsStdSortSortsThem) {
    for (const uint32_t modulus : {3u, 1u << 30}) {
        std::mt19937 rng(modulus);
        const std::size_t n = 5000;
        std::vector<uint32_t> sigs(n * kPerms);
        for (auto& v : sigs) v = rng() % modulus;
        std::vector<LshBandStore::Entry> want;
        for (int band = 0; band < kParams.bands; ++band)
            for (std::size_t i = 0; i < n; ++i)
                want.push_back(
                    {LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band), static_cast<int64_t>(i)});
        std::sort(want.begin(), want.end());
        EXPECT_EQ(LshBandStore::sorted_entries(kPerms, kParams, n, sigs.data()), want) << modulus;
    }
}

// add_sorted() of entries made ahead (sorted_entries) stores what add() stores, for seqs in
// order and for seqs out of order (which it sorts again).
TEST(LshBandStore, EntriesMadeAheadAreStoredAsAddStoresThem) {
    const auto sigs = signatures(2000, 5);
    std::vector<int64_t> in_order(2000), shuffled(2000);
    for (std::size_t i = 0; i < 2000; ++i) in_order[i] = static_cast<int64_t>(i + 1);
    shuffled = in_order;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
    for (const auto* seqs : {&in_order, &shuffled}) {
        auto entries_of_store = [&](bool ahead) {
            test::TempDir dir(ahead ? "lsh_band_ahead" : "lsh_band_add");
            Store store(dir.path());
            store.transaction([&] {
                if (ahead)
                    LshBandStore::add_sorted(
                        store, kPerms, kParams, 2000, seqs->data(),
                        LshBandStore::sorted_entries(kPerms, kParams, 2000, sigs.data()));
                else
                    LshBandStore::add(store, kPerms, kParams, 2000, seqs->data(), sigs.data());
            });
            const auto bands = LshBandStore::open(store, kPerms, kParams, 2000);
            EXPECT_TRUE(bands.has_value());
            std::vector<LshBandStore::Entry> got;
            if (bands) bands->for_each_entry(store, [&](const LshBandStore::Entry& e) { got.push_back(e); });
            return got;
        };
        std::vector<LshBandStore::Entry> want;
        for (std::size_t i = 0; i < 2000; ++i)
            for (int band = 0; band < kParams.bands; ++band)
                want.push_back(
                    {LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band), (*seqs)[i]});
        std::sort(want.begin(), want.end());
        EXPECT_EQ(entries_of_store(false), want);
        EXPECT_EQ(entries_of_store(true), want);
    }
}

// A run's segments are coded: about 9 bytes an entry, not the 16 of an array of entries, and they
// read back as the entries written.
TEST(LshBandStore, SegmentsAreCoded) {
    test::TempDir dir("lsh_band_store_coded");
    Store store(dir.path());
    LshIndex ram(kPerms, kParams);
    const auto sigs = signatures(3000, 9);
    add_batches(store, ram, sigs, 3000, 1);  // one run of 12,000 entries: several segments
    const auto bands = LshBandStore::open(store, kPerms, kParams, 3000);
    ASSERT_TRUE(bands.has_value());
    ASSERT_EQ(bands->runs().size(), 1u);
    const LshBandStore::Run& run = bands->runs()[0];
    ASSERT_TRUE(run.coded);
    std::size_t bytes = 0;
    for (std::size_t s = 0; s < run.first_keys.size(); ++s) {
        std::string blob;
        ASSERT_TRUE(store.read_blob("lsh/" + std::to_string(run.id) + "/" + std::to_string(s), &blob));
        bytes += blob.size();
    }
    EXPECT_GT(run.first_keys.size(), 1u);
    EXPECT_LT(bytes, run.entries * 12);
    std::vector<LshBandStore::Entry> got;
    bands->for_each_entry(store, [&](const LshBandStore::Entry& e) { got.push_back(e); });
    std::vector<LshBandStore::Entry> want = LshBandStore::sorted_entries(kPerms, kParams, 3000, sigs.data());
    for (auto& e : want) e.seq += 1;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
}

// A store whose band runs a version-1 build wrote (segments as arrays of 16-byte entries, a
// catalogue without `coded from`) is read as it is, and runs added to it are coded; merges
// rewrite its runs coded, with the same entries and answers throughout.
TEST(LshBandStore, VersionOneRunsAreReadAndMergedIntoCodedOnes) {
    test::TempDir dir("lsh_band_store_v1");
    Store store(dir.path());
    LshIndex ram(kPerms, kParams);
    const std::size_t n = LshBandStore::kFanIn * 1000, old_n = 1000;
    const auto sigs = signatures(n, 10);
    // The first 1,000 documents as a version-1 build wrote them: one run of raw segments.
    std::vector<LshBandStore::Entry> old = LshBandStore::sorted_entries(kPerms, kParams, old_n, sigs.data());
    for (auto& e : old) e.seq += 1;
    std::string catalogue = "doppel-lsh-runs 1 16 4 4 8 1000\n7 " + std::to_string(old.size());
    store.transaction([&] {
        for (std::size_t at = 0, s = 0; at < old.size(); at += LshBandStore::kSegmentEntries, ++s) {
            const std::size_t m = std::min(LshBandStore::kSegmentEntries, old.size() - at);
            store.put_blob("lsh/7/" + std::to_string(s),
                           std::string_view(reinterpret_cast<const char*>(old.data() + at), m * 16));
            catalogue += " " + std::to_string(old[at].key);
        }
        store.set_meta(LshBandStore::kMetaKey, catalogue + "\n");
    });
    {
        std::vector<int64_t> seqs(old_n);
        for (std::size_t i = 0; i < old_n; ++i) seqs[i] = static_cast<int64_t>(i + 1);
        ram.add(old_n, seqs.data(), sigs.data());
    }
    auto check = [&](std::size_t upto) {
        auto bands = LshBandStore::open(store, kPerms, kParams, static_cast<int64_t>(upto));
        if (!bands) {
            ADD_FAILURE() << "no band runs";
            return LshBandStore();
        }
        for (std::size_t q = 0; q < upto; q += 37)
            EXPECT_EQ(bands->query(store, sigs.data() + q * kPerms), ram.query(sigs.data() + q * kPerms)) << q;
        std::vector<LshBandStore::Entry> got, want;
        bands->for_each_entry(store, [&](const LshBandStore::Entry& e) { got.push_back(e); });
        for (std::size_t i = 0; i < upto; ++i)
            for (int band = 0; band < kParams.bands; ++band)
                want.push_back({LshBandStore::entry_key(sigs.data() + i * kPerms, kParams, band), static_cast<int64_t>(i + 1)});
        std::sort(want.begin(), want.end());
        EXPECT_EQ(got, want);
        return *bands;
    };
    ASSERT_FALSE(check(old_n).runs()[0].coded);
    // One run more: the old run is kept as it is, the new one coded, the catalogue version 2.
    const std::vector<uint32_t> rest(sigs.begin() + old_n * kPerms, sigs.end());
    std::vector<uint32_t> one(rest.begin(), rest.begin() + 1000 * kPerms);
    add_batches(store, ram, one, 1000, static_cast<int64_t>(old_n + 1));
    {
        const LshBandStore b = check(old_n + 1000);
        ASSERT_EQ(b.runs().size(), 2u);
        EXPECT_FALSE(b.runs()[0].coded);
        EXPECT_TRUE(b.runs()[1].coded);
        EXPECT_EQ(store.meta(LshBandStore::kMetaKey)->rfind("doppel-lsh-runs 2 ", 0), 0u);
    }
    // kFanIn - 2 runs more of the old one's size: the kFanIn are merged into one, coded.
    std::vector<uint32_t> more(rest.begin() + 1000 * kPerms, rest.end());
    add_batches(store, ram, more, 1000, static_cast<int64_t>(old_n + 1001));
    const LshBandStore b = check(n);
    ASSERT_EQ(b.runs().size(), 1u);
    EXPECT_TRUE(b.runs()[0].coded);
}

// A store keeps runs of several bandings apart: the first one given keeps kMetaKey and the
// segment names "lsh/..." (as every store had them before), another one a catalogue and segments
// of its own; each answers as the in-memory tables of its banding, and adding to one leaves the
// other as it was.
TEST(LshBandStore, TwoBandingsKeepRunsOfTheirOwn) {
    test::TempDir dir("lsh_band_store_two");
    Store store(dir.path());
    const LshParams other{8, 2};
    LshIndex ram(kPerms, kParams), ram_other(kPerms, other);
    const std::vector<uint32_t> sigs = signatures(300, 5);
    add_batches(store, ram, sigs, 100, 1);
    const std::string first = store.meta(LshBandStore::kMetaKey).value_or("");
    for (std::size_t at = 0; at < 300; at += 150) {
        std::vector<int64_t> seqs(150);
        for (std::size_t i = 0; i < 150; ++i) seqs[i] = 1 + static_cast<int64_t>(at + i);
        store.transaction([&] { LshBandStore::add(store, kPerms, other, 150, seqs.data(), sigs.data() + at * kPerms); });
        ram_other.add(150, seqs.data(), sigs.data() + at * kPerms);
    }
    EXPECT_EQ(store.meta(LshBandStore::kMetaKey).value_or(""), first);  // untouched
    EXPECT_TRUE(store.meta(std::string(LshBandStore::kMetaKey) + ":8x2").has_value());
    std::string blob;
    EXPECT_TRUE(store.read_blob("lsh/1/0", &blob));
    EXPECT_TRUE(store.read_blob("lsh:8x2/1/0", &blob));
    const auto bands = LshBandStore::open(store, kPerms, kParams, 300);
    const auto bands_other = LshBandStore::open(store, kPerms, other, 300);
    ASSERT_TRUE(bands && bands_other);
    EXPECT_EQ(LshBandStore::covered_seq(store, kPerms, other), 300);
    for (std::size_t i = 0; i < 300; i += 7) {
        EXPECT_EQ(bands->query(store, sigs.data() + i * kPerms), ram.query(sigs.data() + i * kPerms));
        EXPECT_EQ(bands_other->query(store, sigs.data() + i * kPerms), ram_other.query(sigs.data() + i * kPerms));
    }
    EXPECT_FALSE(LshBandStore::open(store, kPerms, LshParams{2, 8}, 300).has_value());  // never given
}

// verify's reading of the runs: sound runs have no problem; a missing, damaged or misplaced
// segment, a run shorter than its catalogue says and a document whose keys are not in a band
// are each named.
TEST(LshBandStore, ProblemsNameWhatIsDamaged) {
    test::TempDir dir("lsh_band_store_problems");
    Store store(dir.path());
    LshIndex ram(kPerms, kParams);
    add_batches(store, ram, signatures(6000, 6), 2000, 1);  // runs of 8,000 entries: several segments each
    std::vector<int64_t> seqs(6000);
    for (std::size_t i = 0; i < seqs.size(); ++i) seqs[i] = 1 + static_cast<int64_t>(i);
    const auto open = [&] { return *LshBandStore::open(store, kPerms, kParams, 6000); };
    EXPECT_TRUE(open().problems(store, seqs).empty());
    // Keys of a document that was never added (seq 6001 is past the runs' max seq: not asked about).
    seqs.insert(seqs.begin(), 0);
    seqs.push_back(6001);
    const std::vector<std::string> lacking = open().problems(store, seqs);
    ASSERT_EQ(lacking.size(), 4u);  // one line a band
    EXPECT_EQ(lacking[0], "band 0 has no key of 1 stored documents (seqs 0)");
    seqs = std::vector<int64_t>(seqs.begin() + 1, seqs.end() - 1);

    const LshBandStore::Run run = open().runs().front();
    ASSERT_GE(run.first_keys.size(), 2u);
    const std::string name = run.blobs + std::to_string(run.id) + "/1";
    std::string blob;
    ASSERT_TRUE(store.read_blob(name, &blob));
    auto only_problem = [&] {
        const std::vector<std::string> p = open().problems(store, seqs);
        return p.size() == 1 ? p[0] : "(" + std::to_string(p.size()) + " problems)";
    };
    store.remove_blob(name);
    EXPECT_NE(only_problem().find("LSH band segment " + name + " is missing"), std::string::npos) << only_problem();
    store.put_blob(name, std::string_view(blob).substr(0, blob.size() - 1));  // the last entry cut short
    EXPECT_NE(only_problem().find(name + " does not decode"), std::string::npos) << only_problem();
    store.put_blob(name, blob);
    EXPECT_TRUE(open().problems(store, seqs).empty());
    // The catalogue lists another first key for the segment, or one more entry for its run.
    const std::string sound = *store.meta(LshBandStore::kMetaKey);
    std::string catalogue = sound;
    const std::string key = " " + std::to_string(run.first_keys[1]);
    ASSERT_NE(catalogue.find(key), std::string::npos);
    catalogue.replace(catalogue.find(key), key.size(), " " + std::to_string(run.first_keys[1] - 1));
    store.set_meta(LshBandStore::kMetaKey, catalogue);
    EXPECT_EQ(only_problem(), "LSH band segment " + name + " does not begin with the key its catalogue lists");
    catalogue = sound;
    const std::string entries = " " + std::to_string(run.entries) + " ";
    const std::size_t at = catalogue.find("\n" + std::to_string(run.id) + entries);
    ASSERT_NE(at, std::string::npos) << catalogue;
    catalogue.replace(at + 1 + std::to_string(run.id).size(), entries.size(), " " + std::to_string(run.entries + 1) + " ");
    store.set_meta(LshBandStore::kMetaKey, catalogue);
    EXPECT_EQ(only_problem(), "LSH band run " + run.blobs + std::to_string(run.id) + " holds " +
                                  std::to_string(run.entries) + " entries, its catalogue says " +
                                  std::to_string(run.entries + 1));
}

// drop() removes a banding's catalogue and segments, and no other banding's.
TEST(LshBandStore, DropRemovesOneBandingsRuns) {
    test::TempDir dir("lsh_band_store_drop");
    Store store(dir.path());
    const LshParams other{8, 2};
    LshIndex ram(kPerms, kParams);
    const std::vector<uint32_t> sigs = signatures(300, 7);
    add_batches(store, ram, sigs, 100, 1);
    std::vector<int64_t> seqs(300);
    for (std::size_t i = 0; i < 300; ++i) seqs[i] = 1 + static_cast<int64_t>(i);
    store.transaction([&] { LshBandStore::add(store, kPerms, other, 300, seqs.data(), sigs.data()); });
    std::string blob;
    store.transaction([&] { LshBandStore::drop(store, kPerms, kParams); });
    EXPECT_FALSE(LshBandStore::open(store, kPerms, kParams, 0).has_value());
    EXPECT_FALSE(store.read_blob("lsh/1/0", &blob));
    ASSERT_TRUE(LshBandStore::open(store, kPerms, other, 300).has_value());
    EXPECT_TRUE(LshBandStore::open(store, kPerms, other, 300)->problems(store, seqs).empty());
    // The first place, now free, takes the banding added again; then drop the other one.
    add_batches(store, ram, sigs, 300, 1);
    EXPECT_TRUE(store.read_blob("lsh/1/0", &blob));
    store.transaction([&] { LshBandStore::drop(store, kPerms, other); });
    EXPECT_FALSE(LshBandStore::open(store, kPerms, other, 0).has_value());
    EXPECT_FALSE(store.read_blob("lsh:8x2/1/0", &blob));
    EXPECT_TRUE(LshBandStore::open(store, kPerms, kParams, 300)->problems(store, seqs).empty());
    // A first place whose catalogue cannot be read is dropped with any banding's drop.
    store.set_meta(LshBandStore::kMetaKey, "not a catalogue");
    store.transaction([&] { LshBandStore::drop(store, kPerms, other); });
    EXPECT_FALSE(store.meta(LshBandStore::kMetaKey).has_value());
    EXPECT_FALSE(store.read_blob("lsh/1/0", &blob));
}
