// doppel: finding near-duplicate documents in a collection, with exact scores.
//
// Usage (batch, no store):
//   NearDuplicateFinder finder(options);
//   for each batch: finder.count_lines(n, docs);   // pass 1, only when options.boilerplate
//   for each batch: finder.add(n, docs);           // pass 2: shingle and sketch (both cores)
//   NearDuplicateResult r = finder.finish();       // candidates, verification, clusters
// Documents are numbered 0, 1, ... in the order add() sees them; that order is "earliest seen".
//
// Terms:
//  - shingle, Jaccard, containment: see sketch/shingler.h. A pair's *containment* is
//    |A ∩ B| / min(|A|, |B|): how much of the smaller document is in the larger one.
//  - candidate: a pair that shares an LSH band bucket (index/lsh_index.h). Every candidate is
//    *verified* on its exact shingle sets, so every reported score is exact and precision is 1.0;
//    recall is the LSH's (>= target_recall at the threshold, more above it).
//  - pair kinds: "exact" (identical shingle sets, Jaccard 1), "near" (Jaccard >= threshold),
//    "partial" (Jaccard below the threshold but containment >= threshold: the smaller document is
//    mostly inside the larger one, e.g. a wire story inside a page). Partial copies are found
//    among the LSH candidates, so their recall is not guaranteed (it is for near pairs).
//  - boilerplate: a line (Shingler::line_hash) found in at least `boilerplate_min_docs` documents
//    of one source, and in at least `boilerplate_min_share` of them, is page chrome (menus, "Same tag", lists
//    of other headlines) and is left out of those documents' shingles. The source of a document is the host
//    of its URL when it has one, else the folder of its file (or the JSONL file it came from).
//  - repeated lines: a line occurring more than once inside one document (a headline printed
//    twice); reported per document, lines shorter than `repeated_line_min_bytes` left out.
//  - clusters do not chain: documents are visited in order (earliest seen first; among equal
//    order keys, the longest text first); a document not yet in a cluster becomes the
//    *representative* of a new cluster that takes every not-yet-clustered document whose Jaccard
//    with it is >= threshold. So every member is within the threshold of its representative
//    (two members need not be of each other), and the representative is the earliest seen.
//
// Exact ground truth: with options.exact the candidates come from an exact all-pairs join
// (prefix filtering over the same shingle sets) instead of LSH: slower, and misses nothing.
//
// Thread safety: a finder is used from one thread; it runs worker threads (impl::parallel_for)
// inside count_lines(), add() and finish(), and an exception thrown in one reaches the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "doppel/document.h"
#include "doppel/index/lsh_index.h"
#include "doppel/sketch/line_summary.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/sketch/shingler.h"

namespace doppel {

// Every setting that changes the result, and the worker count (which does not).
//
//   setting                  default                     spec key
//   threshold                0.8                         threshold
//   target_recall            0.99                        recall
//   boilerplate              true                        boilerplate (1/0)
//   boilerplate_min_docs     5                           boilerplate_min_docs
//   boilerplate_min_share    0.2                         boilerplate_min_share
//   repeated_lines           true                        repeated_lines (1/0)
//   repeated_line_min_bytes  20                          repeated_line_min_bytes
//   partial                  true                        partial (1/0)
//   exact                    false                       exact (1/0)
//   banding                  {0, 0}: from the above      bands, rows (written only when set)
//   shingle_spec             kDefaultShingleSpec         second part of the spec
//   minhash_spec             kDefaultMinHashSpec         third part of the spec
//   threads                  0 (all cores)               not in the spec
//
// Spec string: three parts joined by ';': "near-duplicate:KEY=VALUE,...;SHINGLE SPEC;MINHASH
// SPEC", e.g. "near-duplicate:threshold=0.8,recall=0.99,boilerplate=1,...;word:n=3;
// minhash:perms=128,seed=1". parse_spec() accepts any subset of the keys (the rest keep their
// defaults) and the second and third parts may be left out; describe() writes every key, so
// parse_spec(describe()) gives equal options.
struct NearDuplicateOptions {
    static constexpr const char* kName = "near-duplicate";

    double threshold = 0.8;                      // Jaccard (near) and containment (partial) threshold
    double target_recall = 0.99;                 // LSH recall at the threshold (choose_lsh_params)
    std::string shingle_spec = kDefaultShingleSpec;  // sketch/shingler.h
    std::string minhash_spec = kDefaultMinHashSpec;  // sketch/min_hash.h
    bool boilerplate = true;             // leave lines repeated across a source out of the shingles
    int boilerplate_min_docs = 5;        // ...when found in at least this many documents of it
    double boilerplate_min_share = 0.2;  // ...and in at least this share of them
    bool repeated_lines = true;          // report lines repeated inside one document
    int repeated_line_min_bytes = 20;    // ...when at least this long (trimmed)
    bool partial = true;                 // report partial copies (containment) among candidates
    bool exact = false;                  // exact all-pairs join instead of LSH (ground truth)
    // The LSH banding itself, when a caller has a reason to choose it (a store's band runs serve
    // any banding that reaches target_recall at the threshold: index/near_duplicate_index.h's
    // store_banding). {0, 0}: choose_lsh_params(threshold, perms, target_recall).
    LshParams banding;
    int threads = 0;                     // worker threads; 0: std::thread::hardware_concurrency()

    // Throws doppel::Error (kBadSpec) on an unknown key, a bad value or a wrong name.
    static NearDuplicateOptions parse_spec(const std::string& spec);
    std::string describe() const;
    bool operator==(const NearDuplicateOptions&) const = default;
};

// The source of a document for boilerplate detection (see above): document_source_key and
// document_source_hash, sketch/line_summary.h.

enum class DuplicateKind { kExact, kNear, kPartial };
const char* duplicate_kind_name(DuplicateKind k);

struct NearDuplicatePair {
    uint32_t a = 0, b = 0;  // document numbers, a < b
    DuplicateKind kind = DuplicateKind::kNear;
    double jaccard = 0, containment = 0;
    uint32_t common = 0;  // shared shingles
};

struct FinderDocument {
    std::string id;
    uint64_t bytes = 0;     // text size
    uint32_t shingles = 0;  // shingle set size
    uint32_t boilerplate_lines = 0;
    std::vector<RepeatedLine> repeated_lines;
};

struct NearDuplicateCluster {
    uint32_t representative = 0;
    std::vector<uint32_t> members;   // other members, in document order
    std::vector<double> similarity;  // Jaccard of members[i] with the representative
};

// The documents of pair p in the order every output reports them: the smaller id first (ids are
// compared as byte strings; p.a < p.b are document numbers, the order they were seen).
struct ReportedPair {
    const FinderDocument* a;
    const FinderDocument* b;
};
ReportedPair reported_order(const NearDuplicatePair& p, const std::vector<FinderDocument>& docs);

struct NearDuplicateResult {
    std::vector<FinderDocument> docs;
    std::vector<NearDuplicatePair> pairs;        // sorted by (a, b)
    std::vector<NearDuplicateCluster> clusters;  // clusters of two or more, by representative
    LshParams lsh;                               // bands and rows used (zero in exact mode)
    uint64_t candidates = 0;                     // candidate pairs verified
    uint64_t bytes = 0;                          // total text size
    std::size_t boilerplate_lines = 0;           // distinct (source, line) boilerplate entries
    std::string spec;                            // NearDuplicateFinder::describe() of the run
};

// ---- The finder's rules one at a time, for runs split into stages (ops/dedup_stages.h) ----
// finish() applies exactly these, so a run split across processes or machines that feeds them
// the same data gives the same result.

// Whether a line found in `docs_with_line` documents of a source holding `source_docs`
// documents is boilerplate (boilerplate_min_docs and boilerplate_min_share).
bool is_boilerplate_line(std::size_t docs_with_line, std::size_t source_docs, const NearDuplicateOptions& o);

// Verifies candidate (a, b) on its exact shingle sets (sorted, without repeats): returns true and
// fills *out when the pair is near (Jaccard >= threshold) or, with `partial`, a partial copy.
bool verify_candidate_pair(uint32_t a, uint32_t b, const uint64_t* sa, std::size_t na, const uint64_t* sb,
                           std::size_t nb, double threshold, bool partial, NearDuplicatePair* out);

// Documents with identical shingle sets: each group's members in document order; the first
// stands for the group (its *representative*), only representatives are candidates.
// The members are kept as two flat arrays (group g's are member_list[starts[g] .. starts[g + 1])):
// a store of millions has about as many groups, most of one document, and a vector a group took
// 56 bytes and an allocation (about 550 MB for the 10,000,000-item feed).
struct IdenticalSetGroups {
    std::vector<uint32_t> starts;       // size() + 1 offsets into member_list (empty: no group)
    std::vector<uint32_t> member_list;  // every group's members, group after group
    std::vector<uint32_t> group_of;     // by document; UINT32_MAX for an empty shingle set
    std::vector<uint32_t> reps;         // first members, sorted
    std::vector<bool> skip;             // by document: not a representative

    std::size_t size() const { return starts.empty() ? 0 : starts.size() - 1; }
    std::span<const uint32_t> members(std::size_t g) const {
        return std::span<const uint32_t>(member_list).subspan(starts[g], starts[g + 1] - starts[g]);
    }
};
// Fills g.reps and g.skip from its groups (their first members). Throws kInvalidArgument for an
// empty group.
void take_representatives(IdenticalSetGroups& g);
// Groups documents by set hash (XXH3 of the shingle set) and set size, joining a document to the
// group of the one before it in (hash, document) order when same_set(first member, document).
IdenticalSetGroups group_identical_sets(const std::vector<uint64_t>& set_hash,
                                        const std::vector<uint32_t>& set_size,
                                        const std::function<bool(uint32_t, uint32_t)>& same_set);
// The documents with a non-empty set in (set hash, document) order, the order that
// group_identical_sets walks; the overload below takes it made already (a caller that reads the
// sets sharing a hash first sorts once).
std::vector<uint32_t> order_by_set_hash(const std::vector<uint64_t>& set_hash, const std::vector<uint32_t>& set_size);
IdenticalSetGroups group_identical_sets(const std::vector<uint64_t>& set_hash,
                                        const std::vector<uint32_t>& set_size,
                                        const std::vector<uint32_t>& by_hash,
                                        const std::function<bool(uint32_t, uint32_t)>& same_set);
// Verified pairs of representatives as pairs of every member of their groups, plus the exact
// pairs inside each group; sorted by (a, b). docs[i].shingles is document i's set size.
std::vector<NearDuplicatePair> expand_duplicate_pairs(const std::vector<NearDuplicatePair>& rep_pairs,
                                                      const IdenticalSetGroups& groups,
                                                      const std::vector<FinderDocument>& docs);
// The non-chaining clusters (see above) from the verified pairs of representatives.
std::vector<NearDuplicateCluster> cluster_near_duplicates(const std::vector<NearDuplicatePair>& rep_pairs,
                                                          const IdenticalSetGroups& groups,
                                                          const std::vector<FinderDocument>& docs);

// What a finder holds after count_lines() (see take_line_counts()).
struct SourceLineCounts {
    std::vector<uint64_t> source, line;  // distinct (source hash, line hash) keys, sorted
    std::vector<uint32_t> docs;          // documents holding each key
    std::vector<uint64_t> sources;       // source hashes, sorted
    std::vector<uint32_t> source_docs;   // documents of each source
};

// What a finder holds after add() (see take_sketches()); document k's signature is
// sigs[k * perms, (k + 1) * perms).
struct FinderSketches {
    std::vector<FinderDocument> docs;
    std::vector<std::vector<uint64_t>> shingles;  // sorted, without repeats
    std::vector<uint64_t> set_hash;
    std::vector<uint32_t> sigs;
    int perms = 0;
};

// A document's shingles and MinHash signature made before over its whole text with the
// finder's shingle and MinHash specs (a store's "shingles" and "minhash" artifacts,
// index/near_duplicate_index.h). add() takes them instead of shingling the text again when none
// of the document's lines is boilerplate of its source: they are then exactly what it would make.
// When some are and `counts` are valid, it derives the shingles without them from these and the text
// (Shingler::shingle_without: the same set, made from the words of the lines next to the
// boilerplate alone) and signs them; else it shingles the text again.
struct PrecomputedSketch {
    std::vector<uint64_t> shingles;  // sorted, without repeats
    std::vector<uint32_t> sig;       // the MinHash's perms values
    ShingleCounts counts;             // their places (Shingler::shingle_counted; may be invalid)
};

class NearDuplicateFinder {
public:
    explicit NearDuplicateFinder(NearDuplicateOptions options = {});
    ~NearDuplicateFinder();
    NearDuplicateFinder(const NearDuplicateFinder&) = delete;
    NearDuplicateFinder& operator=(const NearDuplicateFinder&) = delete;

    // Pass 1 (only needed with options.boilerplate): counts the lines of every source. Give every
    // document once, before the first add().
    void count_lines(std::size_t n, const Document* docs);
    // The same with summaries made before: lines[i] (null: none, read docs[i].text) for docs[i].
    // A line summary (sketch/line_summary.h; a store's "lines" artifact) stands for the text in
    // everything but shingling, so a document given one needs no text unless it is shingled.
    void count_lines(std::size_t n, const Document* docs, const LineSummary* const* lines);
    // The same with each document's source hash (document_source_hash) and summary (none null)
    // instead of the document: throws doppel::Error (kInvalidArgument) on a null summary.
    void count_lines(std::size_t n, const uint64_t* sources, const LineSummary* const* lines);
    // Pass 2: shingles and signs n documents (texts may be dropped afterwards).
    void add(std::size_t n, const Document* docs);
    // The same with sketches made before: pre[i] (null: none) for docs[i], see PrecomputedSketch
    // (the finder moves from them). Throws doppel::Error when a signature has the wrong length.
    void add(std::size_t n, const Document* docs, PrecomputedSketch* const* pre);
    // The same with line summaries (lines may be null, and so may lines[i]): a document with a
    // summary needs its text only when it is shingled (needs_text(), or no sketch given); throws
    // doppel::Error (kInvalidArgument) when such a document comes without it.
    void add(std::size_t n, const Document* docs, PrecomputedSketch* const* pre, const LineSummary* const* lines);
    // Whether add() needs the text of each of docs[0, n) even when given a precomputed sketch:
    // it has a line that is boilerplate of its source (1) or not (0); its shingles are then
    // derived from the sketch where its counts allow, else made again from the text. Ends pass 1,
    // as add() does; lets a caller read texts only for the documents that need them.
    std::vector<uint8_t> needs_text(std::size_t n, const Document* docs);
    // The same from line summaries where given (lines[i] null: docs[i].text).
    std::vector<uint8_t> needs_text(std::size_t n, const Document* docs, const LineSummary* const* lines);
    // The same by each document's source hash (document_source_hash) and summary: throws
    // doppel::Error (kInvalidArgument) on a null summary of a source with boilerplate lines.
    std::vector<uint8_t> needs_text(std::size_t n, const uint64_t* sources, const LineSummary* const* lines);
    // Whether each document's source has boilerplate lines (ends pass 1, as add() does): the
    // others need neither text nor line summary for needs_text() (it gives 0 for them).
    std::vector<uint8_t> in_boilerplate_source(std::size_t n, const Document* docs);
    // The same by each document's source hash (document_source_hash, sketch/line_summary.h).
    std::vector<uint8_t> in_boilerplate_source(std::size_t n, const uint64_t* sources);
    // Which lines of each document its shingles leave out, as a key: a hash of its line summary's
    // line hashes that are boilerplate of its source (by each document's source hash,
    // document_source_hash), 0 when none is (or lines[i] is null). Two documents of one text with
    // the same key have the same set once those lines are left out, so a caller may keep what it
    // derived under the key (ops/dedup_state.h). Ends pass 1.
    std::vector<uint64_t> boilerplate_keys(std::size_t n, const uint64_t* sources,
                                           const LineSummary* const* lines);
    // add() then take_sketches() for documents the caller already counted (stored_document),
    // with no sketch held (take_sketches() since the last add()): their sketches made again, the
    // result's bytes not counted twice.
    FinderSketches sketch_apart(std::size_t n, const Document* docs, PrecomputedSketch* const* pre,
                                const LineSummary* const* lines);
    // The FinderDocument add() makes for `doc` when it takes the document's stored sketch (no
    // line of it is boilerplate: needs_text() gives 0) of `shingles` shingles, without the sketch
    // itself: for a caller that keeps the sketches apart (ops/band_run_dedup.h). Its bytes count
    // in the result's as an added document's do; the finder holds nothing of it.
    FinderDocument stored_document(const Document& doc, const LineSummary& summary, uint32_t shingles);
    // Finds, verifies and clusters the pairs. Call once.
    NearDuplicateResult finish();

    // The options' spec (NearDuplicateOptions::describe) with the shingle and MinHash specs
    // written out in full (Shingler::describe, MinHash::describe): parse it back to repeat a run.
    std::string describe() const;
    const NearDuplicateOptions& options() const { return options_; }
    LshParams lsh_params() const;
    // The worker threads it runs: options().threads, or every core for 0.
    std::size_t threads() const;

    // Staged runs (ops/dedup_stages.h), instead of finish():
    // the line counts gathered by count_lines() so far (the finder forgets them);
    SourceLineCounts take_line_counts();
    // the boilerplate table given whole, as (source hash, line hash) entries, before add();
    void set_boilerplate(const std::vector<uint64_t>& source, const std::vector<uint64_t>& line);
    // the sketches made by add() so far (the finder forgets them).
    FinderSketches take_sketches();

private:
    struct Impl;
    void add_line_counts(std::size_t n, const uint64_t* sources, const Document* docs,
                         const LineSummary* const* summaries);
    NearDuplicateOptions options_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
