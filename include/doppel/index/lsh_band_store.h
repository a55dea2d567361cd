// doppel: the LSH band keys of a store's documents, kept on disk in the store, so that looking
// up a new document costs a few reads whatever the store's size, and opening a store builds
// nothing in memory.
//
// Every document with a MinHash signature has one key per band (lsh_index.h: lsh_band_key). The
// (key, seq) pairs live in *runs*: each a sorted array of entries {uint64 key, int64 seq}, the key
// being the band number (top 10 bits: at most 1023 bands) over 54 bits of lsh_band_key(),
// cut into segments of at most kSegmentBytes, each a named blob of the store (store/store.h)
// "lsh/<run>/<segment>". A segment is coded: per entry, in order, the varint (impl/varint.h) of
// its key less the one before, then the varint of its seq less the one before, zigzagged (the
// first entry's from 0): 8-9 bytes an entry instead of 16, so a merge reads, writes, frees and
// journals about half the pages (a 1,000,000-item feed's store 1,596 -> 1,439 MB). A catalogue in the store's metadata
// (kMetaKey) lists the runs with their entry counts and the first key of every segment (about
// 20 bytes of catalogue per segment):
//     line 1: "doppel-lsh-runs <version> <perms> <bands> <rows> <next run id> <max seq> <coded from>"
//     then one line per run, oldest first: "<run id> <entries> <first key of segment 0> ..."
// Version 2 is this format. Version 1 (read, never written) has no `coded from`, and its segments
// are arrays of entries {uint64 key, int64 seq} (little-endian, 16 bytes): the runs with ids below
// `coded from` still are, as a version-1 catalogue's runs are once this build adds a run (merges
// rewrite them coded, so a store migrates as it grows). `max seq` is the largest seq whose keys
// are in the runs: a store whose newest signature is newer was written by a build without band
// runs, and add() first adds the signatures it lacks.
//
// add() writes one run per batch in the caller's transaction (so a document is stored with its
// band keys or not at all), then merges runs as a log-structured merge does: when kFanIn runs of
// one size tier (entries within a factor kFanIn) end the list, they are merged into one, so a
// store of N entries has O(kFanIn log N) runs and each entry is rewritten O(log N) times. A merge
// streams its inputs segment by segment: memory stays within (kFanIn + 1) segments (one an input,
// decoded: at most kSegmentBytes / 2 entries; one the output's, coded) and one block of
// kBlockEntries merged entries on their way to the output.
// Deleted or replaced documents keep their entries (a replaced document gets a new seq): they are
// filtered at read: query() may return seqs that are gone, and the caller skips them when it reads
// their shingles; a reader of every entry (for_each_entry, as `dedup --store` does) skips the seqs
// that are not among the stored documents it reads.
//
// The keys are made for one banding (LshParams): open() returns nothing for a banding the store
// has no runs of, and the caller then builds an in-memory LshIndex from the signatures as before.
// Where: a store may keep runs of several bandings (near_duplicate_index.h: the default one, and
// those of the thresholds `doppel index --dedup-thresholds` asked for), each with its own
// catalogue and segments. The first banding a store was given keeps kMetaKey and the segment names
// "lsh/<run>/<segment>" (as every store had them before there could be more); any other one,
// say 25 bands of 5 rows, kMetaKey + ":25x5" and "lsh:25x5/<run>/<segment>". A run's segment
// names begin with its Run::blobs.
//
// Thread safety: open() objects are safe for concurrent const use only if their Store is; add()
// writes through the Store it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "doppel/index/lsh_index.h"

namespace doppel {

class Store;

class LshBandStore {
public:
    static constexpr const char* kMetaKey = "lsh_band_runs";
    static constexpr uint32_t kVersion = 2;
    // A coded segment is at most kSegmentBytes: one 32 KiB page of a new store holds it whole
    // (SQLite keeps a row of up to its page size less 35 bytes in the page, with the row's
    // header and name), and a lookup reads whole segments (SQLite reads a longer blob's pages as
    // a chain, so reading the middle of one costs reading its first half). A version-1 segment
    // holds kSegmentEntries entries (32 KiB), its run's last one fewer.
    static constexpr std::size_t kSegmentBytes = 32768 - 35 - 64;
    static constexpr std::size_t kSegmentEntries = 2048;
    // Runs of one size tier merged at once. Each entry is rewritten about log_kFanIn(N / a
    // batch's entries) times, and a reader merges O(kFanIn log N) runs (through a tree of
    // losers: log2 of them a step). The 10,000,000-item feed (scripts/scale-dedup): `index` 211.6
    // -> 191.4 s with 32 instead of 8, `dedup --store` 37.5 -> 38.9 s, `check` 0.01 -> 0.02 s.
    static constexpr std::size_t kFanIn = 32;

    struct Run {
        int64_t id = 0;
        uint64_t entries = 0;
        std::vector<uint64_t> first_keys;  // of each segment
        bool coded = true;                 // false: a version-1 run, its segments arrays of entries
        std::string blobs = "lsh/";        // its segments' names: blobs + "<id>/<segment>"
    };
    struct Entry {
        uint64_t key;
        int64_t seq;
        auto operator<=>(const Entry&) const = default;
    };

    // The band runs of `store` when they exist for this banding of `perms` values and cover every
    // stored signature (max_seq >= newest_seq); else nullopt. Reads only the catalogue.
    static std::optional<LshBandStore> open(const Store& store, int perms, LshParams params, int64_t newest_seq);

    // Adds the band keys of n documents (seqs[i], signature sigs[i * perms ...]) as one run and
    // merges runs; creates the banding's catalogue when there is none (in the first place when
    // that is free, or holds runs of another number of perms, which are dropped). Call inside a
    // transaction of `store`.
    static void add(Store& store, int perms, LshParams params, std::size_t n, const int64_t* seqs,
                    const uint32_t* sigs);
    // add() in two parts, so that the work without the store can be done ahead, on other threads
    // (the near-duplicate stage does it while the batch's documents are written): sorted_entries()
    // gives the n documents' entries in (key, position) order, with the position i in [0, n) as
    // their seq (bands on all cores; a pure function: call it from any thread), and add_sorted()
    // stores them for documents seqs[0, n) as add() would (sorting again only when the seqs are
    // not increasing).
    static std::vector<Entry> sorted_entries(int perms, LshParams params, std::size_t n,
                                             const uint32_t* sigs);
    static void add_sorted(Store& store, int perms, LshParams params, std::size_t n, const int64_t* seqs,
                           std::vector<Entry> entries);
    // The largest seq whose keys are stored (0: no catalogue, or one for another banding).
    static int64_t covered_seq(const Store& store, int perms, LshParams params);
    // Removes the catalogue and segments of this banding's runs: those of its own place, and the
    // first place's where that holds this banding or cannot be read (verify's repair of damaged
    // runs; the near-duplicate stage then builds them again from the stored signatures). Call
    // inside a transaction of `store`.
    static void drop(Store& store, int perms, LshParams params);

    // verify's reading of the runs, every segment once: the problems found (empty: sound), each
    // naming its segment or run: a segment missing or not decoding, not beginning with the
    // catalogue's first key, with entries out of (key, seq) order or of a band past the
    // banding's; a run whose entries are not as many as the catalogue says; a band without a key
    // of one of `seqs` (the stored documents whose keys the runs should hold: those with a
    // signature up to max_seq(); a deleted document's keys may stay). Memory: one segment and a
    // bit per band and seq up to the largest of `seqs`.
    std::vector<std::string> problems(const Store& store, const std::vector<int64_t>& seqs) const;

    // The seqs sharing at least one band key with `sig`, sorted, without repeats (deleted
    // documents included).
    std::vector<int64_t> query(const Store& store, const uint32_t* sig) const;
    // Calls fn(entry) for every entry of every run, in (key, seq) order (a merge of the runs:
    // equal keys come together, so documents sharing a bucket are adjacent). Memory: one segment
    // per run.
    void for_each_entry(const Store& store, const std::function<void(const Entry&)>& fn) const;
    // The same merge handed over in blocks: fn(entries, n) with 1 <= n <= kBlockEntries, the
    // blocks one after another in (key, seq) order (a bucket of equal keys may span two). One
    // call a block, not an entry: the way to read every entry of a large store.
    static constexpr std::size_t kBlockEntries = 4096;
    void for_each_block(const Store& store, const std::function<void(const Entry*, std::size_t)>& fn) const;
    // The same merge of the entries of one band only (its keys, band_keys()): the segments
    // before and after its keys are not read. The bands are independent: one thread a band, each
    // with its own Store (a Store is not safe for concurrent use).
    void for_each_block_of_band(const Store& store, int band,
                                const std::function<void(const Entry*, std::size_t)>& fn) const;
    // The first and last key of band `band` (entry_key's band number in the top bits).
    static std::pair<uint64_t, uint64_t> band_keys(int band);
    // The band of an entry's key.
    static int band_of(uint64_t key);
    // The entries of `keys` (sorted, without repeats) in every run, in (key, seq) order: each
    // segment that may hold one of them is read once (all of them when the keys are many).
    // Memory: one segment and the entries found.
    std::vector<Entry> entries_of(const Store& store, const std::vector<uint64_t>& keys) const;

    // The key of band `band` of `sig` in the runs: the band number in the top 10 bits over 54
    // bits of lsh_band_key() (XXH3 takes its seed, the band number, into its input by XOR and
    // addition, so two bands' keys of nearby values could coincide in one key space).
    static uint64_t entry_key(const uint32_t* sig, LshParams p, int band);

    LshParams params() const { return params_; }
    int64_t max_seq() const { return max_seq_; }  // the largest seq whose keys are in the runs
    const std::vector<Run>& runs() const { return runs_; }

private:
    int perms_ = 0;
    LshParams params_;
    int64_t next_id_ = 1, max_seq_ = 0;
    std::vector<Run> runs_;
};

}  // namespace doppel
