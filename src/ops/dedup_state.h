// doppel (private): what `dedup --store --new` records in a store between runs, so that the next
// run compares only the documents added since (ops/duplicates.h: find_new_stored_duplicates).
//
// A run over documents up to seq `since` leaves:
//   since        the largest seq it covered: later documents are the next run's new ones;
//   docs         how many stored documents had seq <= since (fewer now: some were deleted or
//                replaced, so earlier clusters may have changed and the next run is a full one);
//   boilerplate  a fingerprint of which earlier documents had boilerplate lines left out, and how
//                many (boilerplate_fingerprint): when the new documents change it, earlier
//                shingle sets changed and the next run is a full one;
//   members      the seqs of the documents that joined a cluster of an earlier representative
//                (every other document up to `since` is a representative, of a cluster of one
//                or more: a new document joins the earliest representative within the threshold);
//   spec         NearDuplicateFinder::describe() of the run: each spec has its own state (TSV
//                and JSONL output differ in spec: partial copies), none yet means a full run;
//   boilerplate_lines  the run's NearDuplicateResult::boilerplate_lines, so that a run that finds
//                nothing new answers without reading the store.
// Format (version 2), under <hash> = 16 hex digits of XXH3-64 of the spec: metadata
// "<kMetaKey>/<hash>", two lines:
//     "doppel-dedup-state <version> <since> <docs> <boilerplate hex> <parts> <count of part 0> ...
//      <boilerplate_lines>"
//     "<spec>"
// and one named blob per part, "dedup/<hash>/members/<part>": magic "DPDM", uint32 version (1), the
// part's member seqs as little-endian int64, sorted. A run appends one part; past kMaxParts they
// are merged into one. Stores without the key (older builds, or never run with --new) have no
// state: the run is a full one and records it. Version 1 (without <boilerplate_lines>; the last
// build that wrote it kept the count under "<kMetaKey>/<hash>/lines" with since and docs again)
// is read with no count: the next run reads the documents once.
//
// Thread safety: none; read() and write() go through the Store they are given (write() inside
// its own transaction).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/match/near_duplicate_finder.h"
#include "impl/temp_file.h"

namespace doppel {

class Store;

struct DedupState {
    static constexpr const char* kMetaKey = "dedup_state";
    static constexpr uint32_t kVersion = 2;
    static constexpr std::size_t kMaxParts = 16;

    int64_t since = 0;
    uint64_t docs = 0;
    uint64_t boilerplate = 0;
    std::vector<int64_t> members;  // sorted, without repeats
    std::string spec;
    std::optional<uint64_t> boilerplate_lines;  // none: not recorded (a version-1 state)

    // The metadata key of `spec`'s state.
    static std::string meta_key(const std::string& spec);
    // The recorded state of `spec`; nullopt when there is none. Throws doppel::Error (kVersion,
    // kBadFormat) for a state this build cannot read.
    static std::optional<DedupState> read(const Store& store, const std::string& spec);
    // Records the state of a run: `added` are the members it found (sorted). With `full` the
    // earlier parts are dropped (added are all the members), else they are kept and added
    // becomes one more part.
    static void write(Store& store, int64_t since, uint64_t docs, uint64_t boilerplate,
                      const std::vector<int64_t>& added, const std::string& spec, bool full,
                      uint64_t boilerplate_lines);
};

// The band keys of a document whose shingles left a boilerplate line out, as a run with only the
// new documents made them: the next such run takes them instead of deriving the set again, as
// long as the same lines are left out (its `lines` key). A store whose every source has a footer
// line otherwise derives every earlier document's set again each run: a daily batch into a
// store of 1,000,000 such items took as long as a full run. Kept per document, artifact
// "boilerplate_bands" (some documents only: store verification does not ask it of every one;
// deleted with its document), written by record_new_duplicates() with the state. Format
// (version 1): magic "DPBB", uint32 version, uint64 `spec` (boilerplate_bands_spec), uint64
// `lines`, uint32 `boilerplate_lines`, uint32 `shingles`, uint32 band count, then the keys as
// uint64 (LshBandStore::entry_key, band by band), all little-endian.
inline constexpr const char* kBoilerplateBandsArtifact = "boilerplate_bands";
struct BoilerplateBands {
    uint64_t spec = 0;               // what the keys depend on besides the lines
    uint64_t lines = 0;              // NearDuplicateFinder::boilerplate_keys: the lines left out
    uint32_t boilerplate_lines = 0;  // FinderDocument::boilerplate_lines
    uint32_t shingles = 0;           // the set's size without them
    std::vector<uint64_t> keys;      // one per band
};
std::string encode_boilerplate_bands(const BoilerplateBands& b);
// nullopt for a blob of another format or version (the document's set is then derived again).
// Without `keys`, the keys are checked for their size but left out (a reader of the rest).
std::optional<BoilerplateBands> decode_boilerplate_bands(std::string_view blob, bool keys = true);
// The keys' bytes of a blob decode_boilerplate_bands() accepts (uint64 each, little-endian): a
// reader of many that copies them where it wants them.
std::string_view boilerplate_band_key_bytes(std::string_view blob);
// The boilerplate band keys a run made, for record_new_duplicates(): encoded, in memory up to a
// bound, then all of them in a temporary file (a store of 10,000,000 footer pages makes 1.8 GB).
class BoilerplateBandsMade {
public:
    static constexpr uint64_t kInMemory = uint64_t{64} << 20;
    explicit BoilerplateBandsMade(uint64_t in_memory = kInMemory) : in_memory_(in_memory) {}
    void add(int64_t seq, const BoilerplateBands& b);
    std::size_t size() const { return count_; }
    // fn(seq, blob) for each, in the order added.
    void for_each(const std::function<void(int64_t, std::string_view)>& fn) const;
    // The same a chunk of records at a time: fn(n, seqs, blobs), the blobs valid through the call
    // (a writer of many binds them where they are, without a copy each).
    void for_each_chunk(
        const std::function<void(std::size_t, const int64_t*, const std::string_view*)>& fn) const;

private:
    void append(std::string_view record);
    uint64_t in_memory_;
    std::size_t count_ = 0;
    std::string buffer_;  // records: int64 seq, uint32 blob size, blob
    impl::TempFile file_{"dedup's temporary file of band keys"};  // flushed at each append
};

// The spec of a run's band keys: a hash of its shingle and MinHash specs and its banding (not
// of its threshold or output: a TSV and a JSONL run share them).
uint64_t boilerplate_bands_spec(const NearDuplicateOptions& o, LshParams banding);

// The fingerprint of the boilerplate lines left out of documents[0, end): a sum over those with
// any of a hash of (seq, boilerplate_lines). docs[k] is the document of seqs[k].
uint64_t boilerplate_fingerprint(const std::vector<int64_t>& seqs, const std::vector<FinderDocument>& docs,
                                 std::size_t end);

}  // namespace doppel
