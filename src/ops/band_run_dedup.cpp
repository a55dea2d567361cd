#include "ops/band_run_dedup.h"

#include <algorithm>
#include <cstring>
#include <future>
#include <numeric>
#include <unordered_map>

#include "doppel/error.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/store/sketch_artifacts.h"
#include "doppel/store/store.h"
#include "impl/blocked_bloom.h"
#include "impl/held_bytes.h"
#include "impl/parallel.h"
#include "impl/temp_file.h"

namespace doppel {
namespace {

// Candidates verified at a time: their shingle sets (at most two per candidate) are read at once.
constexpr std::size_t kVerifyChunk = 1 << 15;
constexpr std::size_t kVerifyGrain = 256;  // candidates a chunk at least
// Candidate pairs gathered before repeats are dropped (many bands repeat the same pairs).
constexpr std::size_t kCandidateCompaction = 64u << 20;
// The stored sketches a batch reads: its signature first, then its shingles.
const std::vector<std::string> kBatchSketchKinds = {kMinHashArtifact, kShinglesArtifact};

void sort_unique(std::vector<uint64_t>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

// Whether a band key is one of a sorted set's: a blocked Bloom filter first (16 bits of room a
// key: about 0.1% of other keys let through), then a binary search for the few it lets through.
// After a batch into 10,000,000 footer pages add_stored_bands() asks 160 M keys: a filter of one
// bit a key let 6% through, and the run took 1 s more CPU than with one of two bits in a word
// (2%: 18.7-19.3 s against 17.9-18.1 s); this one, four runs each in turn with that one,
// 17.7-19.2 s against 17.3-18.3 s: the same within the noise.
class BandRunDedup::KeySet {
public:
    explicit KeySet(const std::vector<uint64_t>& sorted)
        : keys_(sorted), filter_(impl::BlockedBloom::blocks_for(sorted.size(), 16)) {
        for (uint64_t k : sorted) filter_.add(spread(k));
    }
    bool has(uint64_t key) const {
        return filter_.may_contain(spread(key)) && std::binary_search(keys_.begin(), keys_.end(), key);
    }

private:
    // A band key carries its band in its top bits (LshBandStore::entry_key), where the filter
    // takes a key's block from: spread over all 64 (odd multiplier, one key to one).
    static uint64_t spread(uint64_t key) { return key * 0x9E3779B97F4A7C15ull; }
    const std::vector<uint64_t>& keys_;
    impl::BlockedBloom filter_;
};

// The band keys of the documents whose signature is their own, beside the runs: by band, in
// memory up to a bound, past it each band's appended to a temporary file of its own. A full run
// then holds one band's at a time on each worker (band()): over 10,000,000 pages that all have a
// footer line, every page's own keys held at once were 2.6 GB (16 bands, 16 bytes a key).
class BandRunDedup::OwnBandKeys {
public:
    using Entry = LshBandStore::Entry;
    OwnBandKeys(int bands, uint64_t in_memory)
        : mem_(static_cast<std::size_t>(bands)), in_memory_(in_memory) {
        for (int b = 0; b < bands; ++b) files_.emplace_back("dedup's temporary file of band keys");
    }
    void add(const Entry& e) {
        mem_[static_cast<std::size_t>(LshBandStore::band_of(e.key))].push_back(e);
        if ((bytes_ += sizeof e) > in_memory_) spill();
    }
    // Band b's keys, sorted. Safe for distinct bands at once (one thread a band).
    std::vector<Entry> band(std::size_t b) const {
        std::vector<Entry> out(files_[b].size() / sizeof(Entry));
        files_[b].read(0, out.data(), out.size() * sizeof(Entry));
        out.insert(out.end(), mem_[b].begin(), mem_[b].end());
        std::sort(out.begin(), out.end());
        return out;
    }
    std::size_t bands() const { return mem_.size(); }

private:
    void spill() {
        for (std::size_t b = 0; b < mem_.size(); ++b) {
            files_[b].append(mem_[b].data(), mem_[b].size() * sizeof(Entry));
            files_[b].flush();
            mem_[b].clear();
        }
        bytes_ = 0;
    }
    std::vector<std::vector<Entry>> mem_;
    std::vector<impl::TempFile> files_;
    uint64_t in_memory_;
    uint64_t bytes_ = 0;
};

// A Store for each worker of a parallel loop that reads the store (a Store is not safe for
// concurrent use): worker 0 reads the caller's, each other one a read-only Store of its own,
// opened by that worker on its first call of of() and kept for the run's later phases.
class BandRunDedup::WorkerStores {
public:
    WorkerStores(const Store& store, std::size_t workers) : store_(store), own_(workers) {}
    const Store& of(std::size_t w) {
        if (w == 0) return store_;
        if (!own_[w]) {
            StoreOptions o;
            o.create = false;
            o.read_only = true;
            o.one_thread = true;  // this worker's alone
            own_[w] = std::make_unique<Store>(store_.dir(), o);
        }
        return *own_[w];
    }

private:
    const Store& store_;
    std::vector<std::unique_ptr<Store>> own_;
};

// The document number of a seq (its position in `seqs`, sorted), for the pass over the band runs,
// which asks it of every entry of a bucket of two or more: a table over the seqs' range where they
// are dense (a store's seqs, but for deleted and replaced documents: at most 4 slots a document, 4
// bytes each), else a binary search. dedup --store of the 1M feed: the pass 0.31 -> 0.13 s CPU
// (the search's 20 steps were cache misses, for every entry of a bucket of two or more).
class BandRunDedup::SeqNumbers {
public:
    static constexpr uint32_t kNone = UINT32_MAX;
    explicit SeqNumbers(const std::vector<int64_t>& seqs) : seqs_(seqs) {
        if (seqs.empty()) return;
        first_ = seqs.front();
        const uint64_t range = static_cast<uint64_t>(seqs.back() - seqs.front()) + 1;
        if (range > 4 * static_cast<uint64_t>(seqs.size()) + 1024) return;
        table_.assign(range, kNone);
        for (std::size_t k = 0; k < seqs.size(); ++k) table_[seqs[k] - first_] = static_cast<uint32_t>(k);
    }
    uint32_t of(int64_t seq) const {
        if (!table_.empty())
            return seq >= first_ && static_cast<uint64_t>(seq - first_) < table_.size() ? table_[seq - first_] : kNone;
        const auto it = std::lower_bound(seqs_.begin(), seqs_.end(), seq);
        return it == seqs_.end() || *it != seq ? kNone : static_cast<uint32_t>(it - seqs_.begin());
    }

private:
    const std::vector<int64_t>& seqs_;
    int64_t first_ = 0;
    std::vector<uint32_t> table_;
};

// The sketches stored for a batch (index/near_duplicate_index.h), by position in the batch.
struct BandRunDedup::StoredBatch {
    std::vector<PrecomputedSketch> sketches;
    std::vector<bool> complete;        // both artifacts there and decoded
    std::vector<uint64_t> set_hash;    // of the stored shingles
    std::vector<uint32_t> set_size;
    // n documents, none complete.
    static StoredBatch of_size(std::size_t n) {
        return {std::vector<PrecomputedSketch>(n), std::vector<bool>(n, false), std::vector<uint64_t>(n, 0),
                std::vector<uint32_t>(n, 0)};
    }
};

// Own shingle sets are kept in memory up to a bound: writing them to the temporary file costs a
// copy into the page cache per set, and most are never read back (only candidates' sets are).
std::unique_ptr<BandRunDedup> BandRunDedup::open(const Store& store, NearDuplicateFinder& finder,
                                                 uint64_t own_sets_in_memory, const DedupState* earlier,
                                                 uint64_t held_text_bytes, uint64_t shared_sets_in_memory,
                                                 uint64_t own_band_keys_in_memory) {
    const NearDuplicateOptions& o = finder.options();
    if (o.exact) return nullptr;
    const auto spec = store.meta(kNearDuplicateSpecMeta);
    if (!spec || *spec != near_duplicate_sketch_spec(o.shingle_spec, o.minhash_spec)) return nullptr;
    const int perms = MinHash::from_spec(o.minhash_spec)->perms();
    auto bands =
        LshBandStore::open(store, perms, finder.lsh_params(), store.max_artifact_seq(kMinHashArtifact));
    if (!bands) return nullptr;
    return std::unique_ptr<BandRunDedup>(new BandRunDedup(store, finder, std::move(*bands),
                                                          own_sets_in_memory, earlier, held_text_bytes,
                                                          shared_sets_in_memory, own_band_keys_in_memory));
}

BandRunDedup::BandRunDedup(const Store& store, NearDuplicateFinder& finder, LshBandStore bands,
                           uint64_t own_sets_in_memory, const DedupState* earlier, uint64_t held_text_bytes,
                           uint64_t shared_sets_in_memory, uint64_t own_band_keys_in_memory)
    : store_(store),
      earlier_(earlier),
      finder_(finder),
      bands_(std::move(bands)),
      own_sets_in_memory_(own_sets_in_memory),
      held_text_bytes_(held_text_bytes),
      shared_sets_in_memory_(shared_sets_in_memory),
      own_file_("dedup's temporary file of shingle sets") {
    shingler_ = Shingler::from_spec(finder.options().shingle_spec);
    minhash_ = MinHash::from_spec(finder.options().minhash_spec);
    perms_ = minhash_->perms();
    seed_ = minhash_->seed();
    bands_spec_ = boilerplate_bands_spec(finder.options(), bands_.params());
    own_band_keys_ = std::make_unique<OwnBandKeys>(bands_.params().bands, own_band_keys_in_memory);
    // Sized once: a growing vector would hold two copies while it moves.
    const std::size_t n = store.size();
    seqs_.reserve(n);
    docs_.reserve(n);
    set_hash_.reserve(n);
    set_size_.reserve(n);
    own_keys_.reserve(n);
}

BandRunDedup::~BandRunDedup() = default;

// A batch's stored sketches as read_stored() reads them: each blob decoded as it comes (the
// signatures and shingle sets, read_signatures' and read_shingle_sets' first phases), then the
// batch made of them (their second phases: the notes' sets from the texts, the notes signed from
// their sets). The line maps are decoded for the documents with maps[i] only (none when empty).
class BandRunDedup::SketchBlobs {
public:
    SketchBlobs(const BandRunDedup& run, const std::vector<int64_t>& seqs, const std::vector<uint8_t>& maps)
        : run_(run),
          seqs_(seqs),
          maps_(maps),
          sigs_(seqs.size()),
          signed_(seqs.size(), false),
          sets_(seqs.size()) {}
    void signature(std::size_t i, std::string_view blob) {
        sigs_[i] = decode_stored_signature(blob, run_.perms_, run_.seed_);
        signed_[i] = sigs_[i].found || sigs_[i].of_set;
    }
    void shingles(std::size_t i, std::string_view blob) {
        if (signed_[i]) sets_[i] = decode_stored_shingles(blob, !maps_.empty() && maps_[i]);
    }
    StoredBatch batch() {
        const bool any_maps = std::any_of(maps_.begin(), maps_.end(), [](uint8_t m) { return m; });
        make_sets_from_texts(run_.store_, *run_.shingler_, seqs_, sets_, any_maps);
        sign_stored_sets(*run_.minhash_, sets_, sigs_);
        StoredBatch b = StoredBatch::of_size(seqs_.size());
        for (std::size_t i = 0; i < seqs_.size(); ++i) {
            if (!sets_[i].found || !sets_[i].error.empty() || !sigs_[i].found) continue;
            PrecomputedSketch& sketch = b.sketches[i];
            sketch.sig = std::move(sigs_[i].sig);
            sketch.shingles = std::move(sets_[i].shingles);
            if (!maps_.empty() && maps_[i]) sketch.counts = std::move(sets_[i].counts);
            b.set_hash[i] = shingle_set_hash(sketch.shingles.data(), sketch.shingles.size());
            b.set_size[i] = static_cast<uint32_t>(sketch.shingles.size());
            b.complete[i] = true;
        }
        return b;
    }

private:
    const BandRunDedup& run_;
    const std::vector<int64_t>& seqs_;
    const std::vector<uint8_t>& maps_;
    std::vector<StoredSignature> sigs_;
    std::vector<bool> signed_;
    std::vector<StoredShingleSet> sets_;
};

// Reads the stored sketches of the wanted documents only (want[i]), so a batch whose documents
// are mostly shingled again reads (and decodes) little: one lookup per document and kind when
// fewer than half are wanted, or they are fewer than half the rows of their range (the candidates
// derive_candidates() asks, all over the store), else a range scan (cheaper per row than a
// lookup). The line maps are decoded for the documents with maps[i] (none when `maps` is empty).
BandRunDedup::StoredBatch BandRunDedup::read_stored(const std::vector<int64_t>& seqs,
                                                    const std::vector<uint8_t>& want,
                                                    const std::vector<uint8_t>& maps) const {
    std::vector<int64_t> wanted;
    std::vector<std::size_t> at;  // position in the batch of wanted[j]
    for (std::size_t i = 0; i < seqs.size(); ++i)
        if (want[i]) wanted.push_back(seqs[i]), at.push_back(i);
    if (wanted.empty()) return StoredBatch::of_size(seqs.size());
    SketchBlobs blobs(*this, seqs, maps);
    std::size_t j = 0;  // wanted[j]: the next wanted seq
    auto position = [&](int64_t seq) -> std::optional<std::size_t> {
        while (j < wanted.size() && wanted[j] < seq) ++j;
        if (j < wanted.size() && wanted[j] == seq) return at[j];
        return std::nullopt;
    };
    if (wanted.size() * 2 >= seqs.size() &&
        wanted.size() * 2 >= static_cast<std::size_t>(wanted.back() - wanted.front() + 1)) {
        // Most of the batch: one range scan reads both sketches of a row at once.
        store_.scan_artifacts(kBatchSketchKinds, wanted.front(), wanted.back(),
                              [&](int64_t seq, const std::optional<std::string_view>* blob) {
                                  const auto i = position(seq);
                                  if (!i) return;
                                  if (blob[0]) blobs.signature(*i, *blob[0]);
                                  if (blob[1]) blobs.shingles(*i, *blob[1]);
                              });
        return blobs.batch();
    }
    // A few documents: one lookup per document and kind (the signatures first: a set is decoded
    // only where its signature is usable).
    store_.read_artifacts(kMinHashArtifact, wanted, [&](int64_t seq, std::string_view blob) {
        if (const auto i = position(seq)) blobs.signature(*i, blob);
    });
    j = 0;
    store_.read_artifacts(kShinglesArtifact, wanted, [&](int64_t seq, std::string_view blob) {
        if (const auto i = position(seq)) blobs.shingles(*i, blob);
    });
    return blobs.batch();
}

void StoredDocuments::read_texts(const Store& store, const std::vector<uint8_t>& need) {
    std::vector<int64_t> want;
    for (std::size_t i = 0; i < docs.size(); ++i)
        if (need[i] && lines[i]) want.push_back(seqs[i]);
    std::size_t i = 0;
    store.read_texts(want, [&](int64_t seq, std::string_view text) {
        while (seqs[i] != seq) ++i;
        docs[i].text.assign(text);
    });
}

// What the batch holds in memory: the arrays' capacities and the strings' heap buffers, the
// Document and LineSummary objects included. (Counting the strings' bytes alone, pass 1 of the
// 1,000,000-item feed's dedup --store kept every batch within its 256 MB budget and peaked at
// 571 MB; counted whole, they do not fit, the store is read twice, and the peak is 282 MB.)
std::size_t StoredDocuments::memory() const {
    using impl::array_bytes;
    std::size_t bytes = impl::held_bytes(docs) + array_bytes(seqs) + array_bytes(summaries) +
                        array_bytes(lines) + array_bytes(set_keys) + array_bytes(has_set_key) +
                        array_bytes(content_hashes) + array_bytes(sources) +
                        array_bytes(stored_bands);  // without their keys (rows_needed)
    for (const auto& s : summaries) {
        bytes += array_bytes(s.lines) + array_bytes(s.repeated);
        for (const auto& r : s.repeated) bytes += impl::heap_bytes(r.text);
    }
    return bytes;
}

// A batch through the finder: its stored sketches, and the finder's (stored or made again).
struct BandRunDedup::Sketched {
    StoredBatch stored;
    FinderSketches s;
};

BandRunDedup::Sketched BandRunDedup::sketch(StoredDocuments& b, std::vector<uint8_t> need) {
    const std::size_t n = b.docs.size();
    // The documents with a boilerplate line get their shingles without it from their stored ones
    // and their line maps, or are shingled again (their sets are kept as their own, keep()); their
    // texts are read, not the others'.
    if (need.empty()) need = finder_.needs_text(n, b.docs.data(), b.lines.data());
    Sketched out{read_stored(b.seqs, std::vector<uint8_t>(n, 1), need), {}};
    StoredBatch& stored = out.stored;
    std::vector<PrecomputedSketch*> pre(n);
    for (std::size_t i = 0; i < n; ++i) pre[i] = stored.complete[i] ? &stored.sketches[i] : nullptr;
    // ... and so are those without a stored sketch.
    for (std::size_t i = 0; i < n; ++i) need[i] = need[i] || !pre[i];
    b.read_texts(store_, need);
    finder_.add(n, b.docs.data(), pre.data(), b.lines.data());
    out.s = finder_.take_sketches();
    return out;
}

void BandRunDedup::add(StoredDocuments& b) {
    // The texts read (documents with a boilerplate line) are held for a part of the batch at a
    // time: a batch of long documents would otherwise hold them all (fresh pages to fault in), a
    // batch of short items is one part. An exact copy's text is not read (keep_copy).
    const std::size_t n = b.docs.size();
    const std::vector<uint8_t> need = b.sources.empty()
                                          ? finder_.needs_text(n, b.docs.data(), b.lines.data())
                                          : finder_.needs_text(n, b.sources.data(), b.lines.data());
    const std::vector<uint32_t> copy_of = exact_copies(b, need);
    const auto base = static_cast<uint32_t>(docs_.size());  // document number of b's first
    keys_of_original_.clear();
    for (std::size_t from = 0, to = 0; from < n; from = to) {
        uint64_t bytes = 0;
        for (; to < n && bytes < held_text_bytes_; ++to)
            if (need[to] && b.lines[to] && copy_of[to] == kNoCopy) bytes += b.lines[to]->bytes;
        std::vector<uint32_t> copies(copy_of.begin() + from, copy_of.begin() + to);
        for (uint32_t& c : copies) c = c == kNoCopy ? kNoCopy : base + c;
        StoredDocuments part = from == 0 && to == n ? std::move(b) : part_of(b, from, to);
        add_part(part, std::vector<uint8_t>(need.begin() + from, need.begin() + to), copies);
    }
}

// For each document of b, the position in b of the first one with the same text (content hash),
// source and stored set key, when both are shingled again (need), or kNoCopy: such a copy gets
// the first's shingles, signature and boilerplate lines (their function), so neither its text
// nor its stored sketches are read. Only documents with a line summary and a set key count: their
// sketches and band keys were stored with them (by the near-duplicate stage, in one
// transaction). None with only the new documents (they keep the band keys of new ones apart).
std::vector<uint32_t> BandRunDedup::exact_copies(const StoredDocuments& b,
                                                 const std::vector<uint8_t>& need) const {
    const std::size_t n = b.docs.size();
    std::vector<uint32_t> first(n, kNoCopy);
    if (earlier_) return first;
    std::vector<int64_t> seqs;
    std::vector<std::size_t> at;  // position in b of seqs[j]
    for (std::size_t i = 0; i < n; ++i)
        if (need[i] && b.lines[i] && b.set_key(i)) seqs.push_back(b.seqs[i]), at.push_back(i);
    if (seqs.size() < 2) return first;
    std::unordered_map<std::string, uint32_t> seen;  // content hash and source: first position
    auto take = [&](std::size_t i, std::string_view hash) {
        std::string key(hash);
        key.append(1, '\n').append(document_source_key(b.docs[i]));
        const auto [it, added] = seen.emplace(std::move(key), static_cast<uint32_t>(i));
        const ShingleSetKey &mine = *b.set_key(i), &theirs = *b.set_key(it->second);
        if (!added && mine.hash == theirs.hash && mine.size == theirs.size) first[i] = it->second;
    };
    if (b.content_hash(0)) {  // taken with the keys
        for (std::size_t i : at) take(i, *b.content_hash(i));
        return first;
    }
    std::size_t j = 0;
    store_.read_content_hashes(seqs, [&](int64_t seq, std::string_view hash) {
        while (seqs[j] != seq) ++j;
        take(at[j], hash);
    });
    return first;
}

// A part of a batch; again[i]: its document i needs its text (finder_.needs_text); copy_of[i]:
// the document number of the one it is an exact copy of (exact_copies), or kNoCopy.
void BandRunDedup::add_part(StoredDocuments& b, std::vector<uint8_t> again,
                            const std::vector<uint32_t>& copy_of) {
    const std::size_t n = b.docs.size();
    // The boilerplate lines each document's set leaves out, where band keys are kept.
    const std::vector<uint64_t> lines =
        keep_bands_ ? finder_.boilerplate_keys(n, sources_of(b).data(), b.lines.data())
                    : std::vector<uint64_t>(n, 0);
    std::vector<std::optional<BoilerplateBands>> bands =
        b.stored_bands.empty() ? stored_bands(b, again, lines) : std::move(b.stored_bands);
    std::vector<uint64_t> make(lines);  // keys made for the record: not where they are stored
    for (std::size_t i = 0; i < n; ++i)
        if (bands[i]) make[i] = 0;
    if (!earlier_) bands.assign(n, std::nullopt);  // a full run derives every set
    // Documents kept without the finder: in a full run those it would take as stored whose set
    // key is stored (keep_stored) and exact copies (keep_copy); with only the new documents, the
    // earlier ones whose stored sketch stands (keep_earlier) or whose boilerplate band keys do
    // (keep_by_bands). The others go through the finder (`sub`).
    std::vector<uint8_t> aside(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        aside[i] = copy_of[i] != kNoCopy || bands[i] ||
                   (!again[i] && (earlier_ ? b.seqs[i] <= earlier_->since : b.lines[i] && b.set_key(i)));
    if (std::none_of(aside.begin(), aside.end(), [](uint8_t a) { return a; })) {
        Sketched k = sketch(b, std::move(again));
        for (std::size_t i = 0; i < n; ++i) keep(k.s, i, b.seqs[i], k.stored, make[i]);
        return;
    }
    std::vector<uint8_t> sub_again;
    std::vector<uint64_t> sub_lines;
    StoredDocuments sub;
    sub.summaries.reserve(n);  // no reallocation: sub.lines points into it
    for (std::size_t i = 0; i < n; ++i) {
        if (aside[i]) continue;
        sub_again.push_back(again[i]);
        sub_lines.push_back(make[i]);
        sub.docs.push_back(std::move(b.docs[i]));
        sub.seqs.push_back(b.seqs[i]);
        sub.summaries.push_back(b.lines[i] ? std::move(b.summaries[i]) : LineSummary{});
        sub.lines.push_back(b.lines[i] ? &sub.summaries.back() : nullptr);
    }
    Sketched k = sub.docs.empty() ? Sketched{} : sketch(sub, std::move(sub_again));
    for (std::size_t i = 0, j = 0; i < n; ++i) {
        if (copy_of[i] != kNoCopy)
            keep_copy(b, i, copy_of[i]);
        else if (bands[i])
            keep_by_bands(b, i, *bands[i]);
        else if (!aside[i])
            keep(k.s, j, sub.seqs[j], k.stored, sub_lines[j]), ++j;
        else if (earlier_)
            keep_earlier(b, i);
        else
            keep_stored(b, i);
    }
}

// Keeps document i of b, an exact copy of document k (exact_copies): k's set, set hash and
// boilerplate lines, its own set when k's is its own, its band keys beside the runs when k's
// are (the stored ones are k's too: the same text, the same stage).
void BandRunDedup::keep_copy(StoredDocuments& b, std::size_t i, uint32_t k) {
    const int64_t seq = b.seqs[i];
    FinderDocument d = finder_.stored_document(b.docs[i], *b.lines[i], set_size_[k]);
    d.boilerplate_lines = docs_[k].boilerplate_lines;
    const auto own = std::lower_bound(own_sets_.begin(), own_sets_.end(), k);
    if (own != own_sets_.end() && *own == k) share_own_set(static_cast<uint32_t>(docs_.size()), own - own_sets_.begin());
    seqs_.push_back(seq);
    set_hash_.push_back(set_hash_[k]);
    set_size_.push_back(set_size_[k]);
    docs_.push_back(std::move(d));
    own_keys_.push_back(own_keys_[k]);
    if (!own_keys_[k]) return;
    for (uint64_t key : keys_of_original_.at(k)) own_band_keys_->add({key, seq});
}

// Documents [from, to) of b as a batch of their own, moved out of b.
StoredDocuments BandRunDedup::part_of(StoredDocuments& b, std::size_t from, std::size_t to) {
    StoredDocuments part;
    part.summaries.reserve(to - from);  // no reallocation: part.lines points into it
    for (std::size_t i = from; i < to; ++i) {
        part.docs.push_back(std::move(b.docs[i]));
        part.seqs.push_back(b.seqs[i]);
        part.summaries.push_back(b.lines[i] ? std::move(b.summaries[i]) : LineSummary{});
        part.lines.push_back(b.lines[i] ? &part.summaries.back() : nullptr);
        part.set_keys.push_back(b.set_key(i) ? *b.set_key(i) : ShingleSetKey{});
        part.has_set_key.push_back(b.set_key(i) != nullptr);
        if (!b.sources.empty()) part.sources.push_back(b.sources[i]);
        if (!b.stored_bands.empty()) part.stored_bands.push_back(std::move(b.stored_bands[i]));
    }
    return part;
}

// Keeps an earlier document whose stored sketch stands: its id and size; its shingles are read
// only if it is a candidate, and its band keys are the runs'.
void BandRunDedup::keep_earlier(StoredDocuments& b, std::size_t i) {
    FinderDocument d;
    d.id = std::move(b.docs[i].id);
    d.bytes = b.lines[i] ? b.lines[i]->bytes : b.docs[i].text.size();
    seqs_.push_back(b.seqs[i]);
    set_hash_.push_back(0);
    set_size_.push_back(0);
    docs_.push_back(std::move(d));
    own_keys_.push_back(false);
}

// Keeps a document the finder would take as stored (no boilerplate line) by its stored set key
// and line summary, without its sketches: its shingles are read only if it is a candidate or
// shares its set hash, and its band keys are the runs'.
void BandRunDedup::keep_stored(StoredDocuments& b, std::size_t i) {
    const ShingleSetKey& key = *b.set_key(i);
    seqs_.push_back(b.seqs[i]);
    set_hash_.push_back(key.hash);
    set_size_.push_back(key.size);
    docs_.push_back(finder_.stored_document(b.docs[i], *b.lines[i], key.size));
    own_keys_.push_back(false);
}

// Keeps document i of a batch: its small arrays, its shingles when they are not the stored ones,
// its band keys when its signature is not the stored one (and for the run's record when its set
// left the boilerplate lines `lines` out: make_bands).
void BandRunDedup::keep(FinderSketches& s, std::size_t i, int64_t seq, const StoredBatch& stored,
                        uint64_t lines) {
    const auto k = static_cast<uint32_t>(docs_.size());
    const std::vector<uint64_t>& sh = s.shingles[i];
    seqs_.push_back(seq);
    set_hash_.push_back(s.set_hash[i]);
    set_size_.push_back(static_cast<uint32_t>(sh.size()));
    docs_.push_back(std::move(s.docs[i]));
    const bool same_set =
        stored.complete[i] && stored.set_hash[i] == s.set_hash[i] && stored.set_size[i] == sh.size();
    if (!same_set) keep_own_set(k, std::move(s.shingles[i]));  // sh is not used after this
    const uint32_t* sig = &s.sigs[i * static_cast<std::size_t>(perms_)];
    const bool same_sig = stored.complete[i] && std::equal(sig, sig + perms_, stored.sketches[i].sig.begin());
    own_keys_.push_back(!same_sig);
    if (earlier_ && seq > earlier_->since)
        for (int band = 0; band < bands_.params().bands; ++band)
            new_keys_.push_back(LshBandStore::entry_key(sig, bands_.params(), band));
    if (!same_sig) {
        std::vector<uint64_t>& keys = keys_of_original_[k];  // for its copies (keep_copy)
        for (int band = 0; band < bands_.params().bands; ++band)
            keys.push_back(LshBandStore::entry_key(sig, bands_.params(), band));
        for (uint64_t key : keys) own_band_keys_->add({key, seq});
    }
    if (keep_bands_ && lines && !same_sig && docs_[k].boilerplate_lines > 0) make_bands(k, lines, sig);
}

// The source hash of each document of b (b.sources, or each document's).
std::vector<uint64_t> BandRunDedup::sources_of(const StoredDocuments& b) const {
    if (!b.sources.empty()) return b.sources;
    std::vector<uint64_t> out(b.docs.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = document_source_hash(b.docs[i]);
    return out;
}

std::vector<uint8_t> BandRunDedup::rows_needed(StoredDocuments& b) const {
    const std::size_t n = b.seqs.size();
    std::vector<uint8_t> rows = finder_.in_boilerplate_source(n, b.sources.data());
    if (!keep_bands_) return rows;
    // A document with a summary has a boilerplate line (needs_text) where its lines' key is not 0.
    const std::vector<uint64_t> lines = finder_.boilerplate_keys(n, b.sources.data(), b.lines.data());
    std::vector<uint8_t> again(n);
    for (std::size_t i = 0; i < n; ++i) again[i] = lines[i] != 0;
    b.stored_bands = stored_bands(b, again, lines);
    // Kept by their keys (stored_bands) or by their stored sketch (no boilerplate line).
    for (std::size_t i = 0; i < n; ++i)
        rows[i] = rows[i] && (!b.lines[i] || (again[i] && !b.stored_bands[i]));
    return rows;
}

// The boilerplate band keys stored for the documents of b that serve: of documents with a line
// summary and boilerplate lines (again[i], lines[i]), earlier ones in an only-new run (kept by
// them, keep_by_bands), of this run's spec and banding and of those lines. nullopt for the
// others. (A full run makes no keys where they serve: it need not write them again.)
std::vector<std::optional<BoilerplateBands>> BandRunDedup::stored_bands(
    const StoredDocuments& b, const std::vector<uint8_t>& again, const std::vector<uint64_t>& lines) const {
    const std::size_t n = b.docs.size();
    std::vector<std::optional<BoilerplateBands>> out(n);
    if (!keep_bands_) return out;
    std::vector<int64_t> seqs;
    std::vector<std::size_t> at;  // position in b of seqs[j]
    for (std::size_t i = 0; i < n; ++i)
        if (again[i] && lines[i] && b.lines[i] && (!earlier_ || b.seqs[i] <= earlier_->since))
            seqs.push_back(b.seqs[i]), at.push_back(i);
    std::size_t j = 0;
    const auto take = [&](int64_t seq, std::string_view blob) {
        while (j < seqs.size() && seqs[j] < seq) ++j;
        if (j == seqs.size() || seqs[j] != seq) return;
        // The spec names the banding, so the keys are this run's bands (read at the end).
        std::optional<BoilerplateBands> got = decode_boilerplate_bands(blob, false);
        const std::size_t i = at[j];
        if (got && got->spec == bands_spec_ && got->lines == lines[i]) out[i] = std::move(got);
    };
    store_.read_artifacts(kBoilerplateBandsArtifact, seqs, take);
    return out;
}

// Keeps an earlier document by its stored boilerplate band keys: its small arrays, its set's size
// and boilerplate lines as they were made, the keys beside the runs. Its set is derived only if
// it is a candidate (derive_candidates).
void BandRunDedup::keep_by_bands(StoredDocuments& b, std::size_t i, const BoilerplateBands& bands) {
    const auto k = static_cast<uint32_t>(docs_.size());
    FinderDocument d = finder_.stored_document(b.docs[i], *b.lines[i], bands.shingles);
    d.boilerplate_lines = bands.boilerplate_lines;
    seqs_.push_back(b.seqs[i]);
    set_hash_.push_back(0);  // not asked with only the new documents
    set_size_.push_back(bands.shingles);
    docs_.push_back(std::move(d));
    own_keys_.push_back(true);
    by_bands_.push_back(k);  // its keys: add_stored_bands
}

// The stored band keys of the documents kept by them (keep_by_bands) that are in `keys`, beside
// the runs: read again (add() found them in the same snapshot) rather than held, since most are
// in no bucket with a new document (at 16 bands, 256 bytes a document held, then sorted). Phase
// 1, on this thread, reads the records a chunk at a time; phase 2 asks each chunk's keys of
// `keys` beside it (a footer page's 16 keys each a miss of a filter larger than the L2). After a
// batch into 10,000,000 footer pages, one after the other took 4.4-4.9 s of a 20 s run, side by
// side 2.9-3.2 s.
void BandRunDedup::add_stored_bands(const KeySet& keys) {
    if (by_bands_.empty()) return;
    std::vector<int64_t> seqs;
    for (uint32_t k : by_bands_) seqs.push_back(seqs_[k]);
    const auto bands = static_cast<std::size_t>(bands_.params().bands);
    struct Chunk {
        std::vector<int64_t> seqs;
        std::vector<uint64_t> keys;  // `bands` a seq
    };
    constexpr std::size_t kChunkSeqs = 65536;
    const auto ask = [&](const Chunk& c) {
        for (std::size_t i = 0; i < c.seqs.size(); ++i)
            for (std::size_t b = 0; b < bands; ++b)
                if (const uint64_t key = c.keys[i * bands + b]; keys.has(key))
                    extra_.push_back({key, c.seqs[i]});
    };
    Chunk filling;
    std::future<void> asking;
    const auto hand_on = [&] {
        if (asking.valid()) asking.get();
        asking = impl::in_background([&ask, c = std::move(filling)] { ask(c); });
        filling = Chunk{};
    };
    std::size_t j = 0;
    const auto take = [&](int64_t seq, std::string_view blob) {
        while (j < seqs.size() && seqs[j] < seq) ++j;
        if (j == seqs.size() || seqs[j] != seq) return;
        const std::optional<BoilerplateBands> got = decode_boilerplate_bands(blob, false);
        const std::string_view bytes = got ? boilerplate_band_key_bytes(blob) : std::string_view();
        bands_disagree_ =
            bands_disagree_ || !got || got->spec != bands_spec_ || bytes.size() != bands * sizeof(uint64_t);
        if (bands_disagree_) return;
        filling.seqs.push_back(seq);
        filling.keys.resize(filling.keys.size() + bands);
        std::memcpy(filling.keys.data() + filling.keys.size() - bands, bytes.data(), bytes.size());
        if (filling.seqs.size() == kChunkSeqs) hand_on();
    };
    store_.read_artifacts(kBoilerplateBandsArtifact, seqs, take);
    if (asking.valid()) asking.get();
    ask(filling);
}

// Makes document k's band keys (signature `sig`, its set without the boilerplate lines `lines`)
// for the run's record.
void BandRunDedup::make_bands(uint32_t k, uint64_t lines, const uint32_t* sig) {
    BoilerplateBands made{bands_spec_, lines, docs_[k].boilerplate_lines, set_size_[k], {}};
    for (int band = 0; band < bands_.params().bands; ++band)
        made.keys.push_back(LshBandStore::entry_key(sig, bands_.params(), band));
    if (!bands_made_) bands_made_ = std::make_shared<BoilerplateBandsMade>();
    bands_made_->add(seqs_[k], made);
}

// The documents kept by their band keys (keep_by_bands) that are among the candidates get their
// sets, derived as add() would have (texts and stored sketches read, the source's boilerplate
// lines left out), kept as their own for verify(). A set or boilerplate count other than the
// keys were made for marks the run (stored_bands_disagree).
void BandRunDedup::derive_candidates(const std::vector<uint64_t>& candidates) {
    std::vector<uint32_t> ks;
    const auto take = [&](uint32_t k) {
        if (std::binary_search(by_bands_.begin(), by_bands_.end(), k)) ks.push_back(k);
    };
    if (!by_bands_.empty())
        for (uint64_t c : candidates) take(static_cast<uint32_t>(c >> 32)), take(static_cast<uint32_t>(c));
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    if (ks.empty()) return;
    // Their documents, whole: keys and texts.
    const std::size_t n = ks.size();
    StoredDocuments b;
    for (uint32_t k : ks) b.seqs.push_back(seqs_[k]);
    b.docs.resize(n);
    std::size_t i = 0;
    store_.read_keys(
        b.seqs,
        [&](const Store::DocumentKeys& d) {
            while (b.seqs[i] != d.seq) ++i;
            Document& doc = b.docs[i];
            doc.id = d.id, doc.source = d.source, doc.url = d.url, doc.text = d.text;
        },
        true);
    // Their sets, derived from the stored sketches and the texts.
    const std::vector<uint8_t> all(n, 1);
    StoredBatch stored = read_stored(b.seqs, all, all);
    std::vector<PrecomputedSketch*> pre(n);
    for (std::size_t j = 0; j < n; ++j) pre[j] = stored.complete[j] ? &stored.sketches[j] : nullptr;
    const std::vector<const LineSummary*> no_summaries(n, nullptr);
    FinderSketches s = finder_.sketch_apart(n, b.docs.data(), pre.data(), no_summaries.data());
    for (std::size_t j = 0; j < n; ++j) {
        const uint32_t k = ks[j];
        bands_disagree_ = bands_disagree_ || s.docs[j].boilerplate_lines != docs_[k].boilerplate_lines ||
                          s.shingles[j].size() != set_size_[k];
        keep_own_set(k, std::move(s.shingles[j]));
    }
    sort_own_sets();
    own_file_.flush();
}

// Puts own_sets_ (and their places) back in number order after derive_candidates appended
// earlier documents' sets.
void BandRunDedup::sort_own_sets() {
    std::vector<std::size_t> order(own_sets_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t x, std::size_t y) { return own_sets_[x] < own_sets_[y]; });
    std::vector<uint32_t> sets(order.size()), slots(order.size());
    std::vector<uint64_t> at(order.size());
    for (std::size_t j = 0; j < order.size(); ++j)
        sets[j] = own_sets_[order[j]], at[j] = own_set_at_[order[j]], slots[j] = own_slot_[order[j]];
    own_sets_ = std::move(sets), own_set_at_ = std::move(at), own_slot_ = std::move(slots);
}

// Keeps document k's set as its own (not the stored one): in memory, or in the temporary file.
void BandRunDedup::keep_own_set(uint32_t k, std::vector<uint64_t> sh) {
    own_sets_.push_back(k);
    own_set_at_.push_back(own_bytes_);
    own_slot_.push_back(static_cast<uint32_t>(own_slots_++));
    own_bytes_ += sh.size() * sizeof(uint64_t);
    if (!own_spilled_ && own_bytes_ > own_sets_in_memory_) spill_own_sets();
    if (own_spilled_)
        own_file_.append(sh.data(), sh.size() * sizeof(uint64_t));
    else
        own_mem_.push_back(std::move(sh));
}

// Keeps the own set at position `at` of own_sets_ as document k's too (an exact copy's, keep_copy):
// the same slot in memory or the same offset in the temporary file, not a copy of it. Of the
// copyright corpus's 481 exact copies most have a boilerplate line (an own set): copying their
// sets was a tenth of dedup --store's CPU, most of it fresh pages.
void BandRunDedup::share_own_set(uint32_t k, std::size_t at) {
    own_sets_.push_back(k);
    own_set_at_.push_back(own_set_at_[at]);
    own_slot_.push_back(own_slot_[at]);
}

// Moves the own sets kept in memory to the temporary file (in order: their offsets are kept).
void BandRunDedup::spill_own_sets() {
    own_spilled_ = true;
    for (const auto& sh : own_mem_) own_file_.append(sh.data(), sh.size() * sizeof(uint64_t));
    std::vector<std::vector<uint64_t>>().swap(own_mem_);
}

// Document k's shingles: its own (in memory or the temporary file) or the stored ones.
std::vector<uint64_t> BandRunDedup::shingles_of(uint32_t k) const {
    return std::move(shingles_of(std::vector<uint32_t>{k})[0]);
}

// The shingles of documents ks (sorted, without repeats), in that order; the stored ones read
// from `store` (the caller's own on a worker of verify(), store_ else).
std::vector<std::vector<uint64_t>> BandRunDedup::shingles_of(const std::vector<uint32_t>& ks) const {
    return shingles_of(ks, store_);
}

std::vector<std::vector<uint64_t>> BandRunDedup::shingles_of(const std::vector<uint32_t>& ks, const Store& store) const {
    std::vector<std::vector<uint64_t>> out(ks.size());
    std::vector<int64_t> stored;
    std::vector<std::size_t> stored_at;
    for (std::size_t j = 0; j < ks.size(); ++j) {
        const auto own = std::lower_bound(own_sets_.begin(), own_sets_.end(), ks[j]);
        if (own == own_sets_.end() || *own != ks[j]) {
            stored.push_back(seqs_[ks[j]]);
            stored_at.push_back(j);
            continue;
        }
        auto& sh = out[j];
        const auto at = static_cast<std::size_t>(own - own_sets_.begin());
        if (!own_spilled_) {
            sh = own_mem_[own_slot_[at]];
            continue;
        }
        sh.resize(set_size_[ks[j]]);
        own_file_.read(own_set_at_[at], sh.data(), sh.size() * sizeof(uint64_t));
    }
    std::vector<StoredShingleSet> sets = read_shingle_sets(store, *shingler_, stored);
    for (std::size_t s = 0; s < stored.size(); ++s) {
        const std::size_t j = stored_at[s];
        // Kept by its set key (keep_stored): the blob was not read before.
        DOPPEL_CHECK(kBadFormat, sets[s].error.empty(),
                     "the stored shingles of '" + docs_[ks[j]].id + "' do not decode (" + sets[s].error +
                         "): index the document again");
        if (sets[s].found) out[j] = std::move(sets[s].shingles);
    }
    return out;
}

// Candidate pairs (a << 32 | b, a < b, b >= first_new, sorted, without repeats) among the
// documents not skipped: a merge of the band runs (the stored documents' keys) with extra_ (the
// keys of documents whose signature is their own), taking each bucket of equal keys. With
// first_new > 0 only the buckets of the new documents' keys are read.
// The runs' catalogue was read at open(); a writer may have merged runs since (an index run's
// commit), dropping the segments it names. A pass that finds one missing reads the catalogue again
// and starts over: a merge keeps every entry (those of deleted documents too), and the entries a
// writer added since are of documents this run did not read (skipped as deleted ones are), so the
// pairs are those of the catalogue read at open(). Where the catalogue names the same runs, the
// segment is missing for another reason: the error stands.
std::vector<uint64_t> BandRunDedup::candidate_pairs(const std::vector<bool>& skip, uint32_t first_new) const {
    LshBandStore bands = bands_;
    for (;;) {
        try {
            return candidate_pairs(bands, skip, first_new);
        } catch (const Error&) {
            std::optional<LshBandStore> again = LshBandStore::open(store_, perms_, bands.params(), 0);
            auto ids = [](const LshBandStore& b) {
                std::vector<int64_t> v;
                for (const LshBandStore::Run& r : b.runs()) v.push_back(r.id);
                return v;
            };
            if (!again || ids(*again) == ids(bands)) throw;
            bands = std::move(*again);
        }
    }
}

// The candidate pairs of the buckets of a merge in (key, seq) order (candidate_pairs): a bucket
// is the entries of one key, from the runs or beside them (own: a document's own band keys,
// extra_); its documents (not deleted, not skipped, of the source own_keys says) pair up where
// one is new (b >= first_new).
class BandRunDedup::BucketPairs {
public:
    BucketPairs(const BandRunDedup& d, const SeqNumbers& numbers, const std::vector<bool>& skip, uint32_t first_new,
                std::size_t compaction)
        : d_(d),
          numbers_(numbers),
          skip_(skip),
          first_new_(first_new),
          newest_earlier_(first_new == 0 ? INT64_MIN : d.seqs_[first_new - 1]),
          compaction_(compaction) {}
    void take(const LshBandStore::Entry& e, bool own) {
        if (!bucket_.empty() && e.key != key_) close();
        key_ = e.key;
        bucket_.emplace_back(e.seq, own);
    }
    bool open_at(uint64_t key) const { return !bucket_.empty() && key_ == key; }
    void close() {
        if (bucket_.size() >= 2 && std::any_of(bucket_.begin(), bucket_.end(),
                                               [&](const auto& e) { return e.first > newest_earlier_; }))
            pair_up();
        bucket_.clear();
    }
    // The pairs, sorted, without repeats (the bucket open closed).
    std::vector<uint64_t> pairs() {
        close();
        sort_unique(pairs_);
        return std::move(pairs_);
    }
    // The entries of a merge's blocks, in order, with those of extra [at, end) (sorted) among them.
    // Most entries are alone in their bucket: another key before and after them (the next entry
    // of the block, the next extra one); such a one only ends the bucket before it.
    void take_blocks(const LshBandStore::Entry* e, std::size_t n, const LshBandStore::Entry* extra, std::size_t& at,
                     std::size_t end) {
        for (std::size_t i = 0; i < n; ++i) {
            const uint64_t k = e[i].key;
            const bool alone = i + 1 < n && e[i + 1].key != k && !open_at(k) && (at == end || extra[at].key > k);
            if (alone) {
                close();
                continue;
            }
            for (; at < end && extra[at] < e[i]; ++at) take(extra[at], true);
            take(e[i], false);
        }
    }

private:
    void pair_up() {
        ks_.clear();
        for (const auto& [seq, own] : bucket_) {
            const uint32_t k = numbers_.of(seq);
            if (k == SeqNumbers::kNone) continue;  // deleted or replaced since
            if (own == d_.own_keys_[k] && !skip_[k]) ks_.push_back(k);
        }
        std::sort(ks_.begin(), ks_.end());
        ks_.erase(std::unique(ks_.begin(), ks_.end()), ks_.end());
        const auto new_from = std::lower_bound(ks_.begin(), ks_.end(), first_new_) - ks_.begin();
        for (auto y = static_cast<std::size_t>(new_from); y < ks_.size(); ++y)
            for (std::size_t x = 0; x < y; ++x) pairs_.push_back(uint64_t{ks_[x]} << 32 | ks_[y]);
        if (pairs_.size() > compaction_) sort_unique(pairs_);
    }
    const BandRunDedup& d_;
    const SeqNumbers& numbers_;
    const std::vector<bool>& skip_;
    const uint32_t first_new_;
    const int64_t newest_earlier_;
    const std::size_t compaction_;
    std::vector<std::pair<int64_t, bool>> bucket_;  // (seq, own)
    uint64_t key_ = 0;
    std::vector<uint32_t> ks_;
    std::vector<uint64_t> pairs_;
};

std::vector<uint64_t> BandRunDedup::candidate_pairs(const LshBandStore& bands, const std::vector<bool>& skip,
                                                    uint32_t first_new) const {
    const SeqNumbers numbers(seqs_);
    if (first_new == 0) return candidate_pairs_by_band(bands, numbers, skip);
    BucketPairs pairs(*this, numbers, skip, first_new, kCandidateCompaction);
    std::size_t at = 0;
    const std::vector<LshBandStore::Entry> entries = new_key_entries(bands);
    pairs.take_blocks(entries.data(), entries.size(), extra_.data(), at, extra_.size());
    for (; at < extra_.size(); ++at) pairs.take(extra_[at], true);
    return pairs.pairs();
}

// The entries of the runs that hold a new document's key (new_keys_), in (key, seq) order: the
// bands one at a time on each of the workers, each reading the runs through a Store of its own
// (WorkerStores), a band's entries after the band before's (a key holds its band number). With
// 1,600,000 new keys (100,000 documents) nearly every segment of every run is read: at 10,000,000
// stored documents, 2.5 s on one core.
std::vector<LshBandStore::Entry> BandRunDedup::new_key_entries(const LshBandStore& bands) const {
    const auto band_count = static_cast<std::size_t>(bands.params().bands);
    const std::size_t workers = impl::worker_count(band_count, threads());
    WorkerStores& stores = worker_stores();
    std::vector<std::vector<LshBandStore::Entry>> by_band(band_count);
    impl::parallel_for(band_count, workers, [&](std::size_t band, std::size_t w) {
        const auto [first, last] = LshBandStore::band_keys(static_cast<int>(band));
        const auto lo = std::lower_bound(new_keys_.begin(), new_keys_.end(), first);
        const auto hi = std::upper_bound(lo, new_keys_.end(), last);
        if (lo != hi) by_band[band] = bands.entries_of(stores.of(w), std::vector<uint64_t>(lo, hi));
    });
    std::vector<LshBandStore::Entry> all;
    std::size_t n = 0;
    for (const auto& b : by_band) n += b.size();
    all.reserve(n);
    for (auto& b : by_band) {
        all.insert(all.end(), b.begin(), b.end());
        std::vector<LshBandStore::Entry>().swap(b);
    }
    return all;
}

// The bands one at a time on each of the workers, each worker reading the runs through a Store
// of its own (WorkerStores): the bands' buckets are apart (a key holds its band number), so the
// pairs are the union of the bands' pairs.
std::vector<uint64_t> BandRunDedup::candidate_pairs_by_band(const LshBandStore& bands, const SeqNumbers& numbers,
                                                            const std::vector<bool>& skip) const {
    const auto band_count = static_cast<std::size_t>(bands.params().bands);
    const std::size_t workers = impl::worker_count(band_count, threads());
    WorkerStores& stores = worker_stores();
    std::vector<std::vector<uint64_t>> found(workers);
    impl::parallel_for(band_count, workers, [&](std::size_t band, std::size_t w) {
        const std::vector<LshBandStore::Entry> own = own_band_keys_->band(band);
        std::size_t at = 0;
        const std::size_t end = own.size();
        BucketPairs pairs(*this, numbers, skip, 0, kCandidateCompaction / workers);
        bands.for_each_block_of_band(stores.of(w), static_cast<int>(band),
                                     [&](const LshBandStore::Entry* e, std::size_t n) {
                                         pairs.take_blocks(e, n, own.data(), at, end);
                                     });
        for (; at < end; ++at) pairs.take(own[at], true);
        std::vector<uint64_t> p = pairs.pairs();
        found[w].insert(found[w].end(), p.begin(), p.end());
        if (found[w].size() > kCandidateCompaction / workers) sort_unique(found[w]);
    });
    std::vector<uint64_t> all = std::move(found[0]);
    for (std::size_t w = 1; w < workers; ++w) all.insert(all.end(), found[w].begin(), found[w].end());
    sort_unique(all);
    return all;
}

BandRunDedup::WorkerStores& BandRunDedup::worker_stores() const {
    if (!worker_stores_) worker_stores_ = std::make_unique<WorkerStores>(store_, threads());
    return *worker_stores_;
}

// The verified candidates (verify_candidate_pair), sorted by (a, b): chunks of candidates on
// each of the workers, each worker reading the shingles of its chunk through a Store of its own
// (WorkerStores), so the reading (most of the work) is on every core too. At least a chunk a
// worker where there are candidates enough.
std::vector<NearDuplicatePair> BandRunDedup::verify(const std::vector<uint64_t>& candidates) const {
    const std::size_t threads = this->threads();
    const std::size_t per_chunk =
        std::clamp<std::size_t>((candidates.size() + threads - 1) / threads, kVerifyGrain, kVerifyChunk);
    const std::size_t chunks = (candidates.size() + per_chunk - 1) / per_chunk;
    const std::size_t workers = impl::worker_count(chunks, threads);
    WorkerStores& stores = worker_stores();
    std::vector<std::vector<NearDuplicatePair>> found(workers);
    impl::parallel_for(chunks, workers, [&](std::size_t chunk, std::size_t w) {
        const std::size_t begin = chunk * per_chunk;
        verify_chunk(stores.of(w), candidates.data() + begin, std::min(per_chunk, candidates.size() - begin), found[w]);
    });
    std::vector<NearDuplicatePair> pairs;
    for (auto& f : found) pairs.insert(pairs.end(), f.begin(), f.end());
    std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
    return pairs;
}

// The candidates c[0, n) verified, their shingles read from `store`; those found appended to out.
void BandRunDedup::verify_chunk(const Store& store, const uint64_t* c, std::size_t n,
                                std::vector<NearDuplicatePair>& out) const {
    const NearDuplicateOptions& o = finder_.options();
    std::vector<uint32_t> ks;
    for (std::size_t i = 0; i < n; ++i) {
        ks.push_back(static_cast<uint32_t>(c[i] >> 32));
        ks.push_back(static_cast<uint32_t>(c[i]));
    }
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    const std::vector<std::vector<uint64_t>> sets = shingles_of(ks, store);
    auto set = [&](uint32_t k) -> const std::vector<uint64_t>& {
        return sets[std::lower_bound(ks.begin(), ks.end(), k) - ks.begin()];
    };
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = static_cast<uint32_t>(c[i] >> 32), y = static_cast<uint32_t>(c[i]);
        const auto &sx = set(x), &sy = set(y);
        NearDuplicatePair p;
        if (sx.empty() || sy.empty()) continue;  // as in a full run: an empty set is no candidate
        if (!verify_candidate_pair(x, y, sx.data(), sx.size(), sy.data(), sy.size(), o.threshold, o.partial, &p))
            continue;
        // Identical sets: an exact pair, as expand_duplicate_pairs makes it for a group (a full
        // run never verifies them: only one set of a group is a candidate).
        if (p.common == sx.size() && sx.size() == sy.size()) p.kind = DuplicateKind::kExact;
        out.push_back(p);
    }
}

// The sets group_identical_sets compares: those of the documents whose set hash another
// document shares, read in `order` (order_by_set_hash) a window at a time, each window one
// statement and at most shared_sets_in_memory_ bytes (one set at least). group_identical_sets
// asks for them in that order (next()), and for the first member of the group before (first()):
// in the window, or read on its own when the window began within its hash's documents. Reading
// each set past one window on its own (its own snapshot and lookups) was a quarter of
// dedup --store's CPU on the 10M feed (139,368 sets read one by one).
class BandRunDedup::SharedSets {
public:
    SharedSets(const BandRunDedup& d, const std::vector<uint32_t>& order)
        : d_(d), workers_(d.threads()), stores_(d.worker_stores()) {
        for (std::size_t b = 0; b < order.size();) {
            std::size_t e = b + 1;
            while (e < order.size() && d.set_hash_[order[e]] == d.set_hash_[order[b]]) ++e;
            if (e - b > 1) shared_.insert(shared_.end(), order.begin() + b, order.begin() + e);
            b = e;
        }
    }
    // Document y's set; windows are read forward until one holds it.
    const std::vector<uint64_t>& next(uint32_t y) {
        for (;;) {
            if (const auto* s = in_window(y)) return *s;
            if (read_ == shared_.size()) return next_alone_ = d_.shingles_of(y);  // not a shared one
            read_window();
        }
    }
    // Document x's set (x comes before the last next() in `order`).
    const std::vector<uint64_t>& first(uint32_t x) {
        if (const auto* s = in_window(x)) return *s;
        return alone(x);
    }

private:
    const std::vector<uint64_t>* in_window(uint32_t k) const {
        const auto it = std::lower_bound(ks_.begin(), ks_.end(), k);
        return it != ks_.end() && *it == k ? &sets_[it - ks_.begin()] : nullptr;
    }
    const std::vector<uint64_t>& alone(uint32_t k) {
        if (alone_k_ != k) alone_ = d_.shingles_of(k), alone_k_ = k;
        return alone_;
    }
    void read_window() {
        ks_.clear();
        uint64_t bytes = 0;
        for (; read_ < shared_.size(); ++read_) {
            const uint64_t set_bytes = d_.set_size_[shared_[read_]] * sizeof(uint64_t);
            if (!ks_.empty() && bytes + set_bytes > d_.shared_sets_in_memory_) break;
            bytes += set_bytes;
            ks_.push_back(shared_[read_]);
        }
        std::sort(ks_.begin(), ks_.end());
        // Read in parts on the workers, each through its own Store (as verify() reads).
        sets_.assign(ks_.size(), {});
        const std::size_t part = (ks_.size() + workers_ - 1) / workers_;
        impl::parallel_for(impl::worker_count(ks_.size(), workers_), workers_, [&](std::size_t p, std::size_t w) {
            const std::size_t from = p * part, to = std::min(ks_.size(), from + part);
            if (from >= to) return;
            std::vector<std::vector<uint64_t>> got =
                d_.shingles_of(std::vector<uint32_t>(ks_.begin() + from, ks_.begin() + to), stores_.of(w));
            std::move(got.begin(), got.end(), sets_.begin() + from);
        });
    }
    const BandRunDedup& d_;
    const std::size_t workers_;
    WorkerStores& stores_;
    std::vector<uint32_t> shared_;  // the documents sharing a set hash, in `order`
    std::size_t read_ = 0;          // shared_[read_] on: not read yet
    std::vector<uint32_t> ks_;      // the window's documents, sorted
    std::vector<std::vector<uint64_t>> sets_;
    uint32_t alone_k_ = UINT32_MAX;  // the last set first() read on its own
    std::vector<uint64_t> alone_, next_alone_;
};

NearDuplicateResult BandRunDedup::finish() {
    own_file_.flush();
    if (earlier_) return finish_new();
    // The finder holds no document now: its result brings the spec, banding, bytes and boilerplate.
    NearDuplicateResult r = finder_.finish();
    const std::vector<uint32_t> by_hash = order_by_set_hash(set_hash_, set_size_);
    SharedSets shared(*this, by_hash);
    const IdenticalSetGroups groups = group_identical_sets(set_hash_, set_size_, by_hash, [&](uint32_t x, uint32_t y) {
        const std::vector<uint64_t>& sy = shared.next(y);  // reads forward: before x's
        return shared.first(x) == sy;
    });
    std::vector<uint64_t> candidates = candidate_pairs(groups.skip, 0);
    r.candidates = candidates.size();
    const std::vector<NearDuplicatePair> rep_pairs = verify(candidates);
    std::vector<uint64_t>().swap(candidates);
    r.pairs = expand_duplicate_pairs(rep_pairs, groups, docs_);
    r.clusters = cluster_near_duplicates(rep_pairs, groups, docs_);
    r.docs = std::move(docs_);
    return r;
}

}  // namespace doppel

namespace doppel {

// Only the new documents (see the header): the pairs with one, verified directly, and the
// clusters they join; earlier documents' repeated lines are not reported again.
NearDuplicateResult BandRunDedup::finish_new() {
    sort_unique(new_keys_);
    // Only the buckets of the new documents' keys are taken: the other keys beside the runs are
    // left out before they are sorted, and the stored ones are read now, those keys alone.
    const KeySet in_new(new_keys_);
    for (std::size_t band = 0; band < own_band_keys_->bands(); ++band)
        for (const LshBandStore::Entry& e : own_band_keys_->band(band))
            if (in_new.has(e.key)) extra_.push_back(e);
    own_band_keys_.reset();
    add_stored_bands(in_new);
    std::sort(extra_.begin(), extra_.end());
    const auto first_new =
        static_cast<uint32_t>(std::upper_bound(seqs_.begin(), seqs_.end(), earlier_->since) - seqs_.begin());
    std::vector<uint64_t> candidates = candidate_pairs(std::vector<bool>(seqs_.size(), false), first_new);
    derive_candidates(candidates);  // through the finder: before its finish()
    NearDuplicateResult r = finder_.finish();
    r.candidates = candidates.size();
    r.pairs = verify(candidates);
    std::vector<uint64_t>().swap(candidates);
    r.clusters = clusters_of_new(r.pairs, first_new);
    for (uint32_t k = 0; k < first_new; ++k) std::vector<RepeatedLine>().swap(docs_[k].repeated_lines);
    r.docs = std::move(docs_);
    return r;
}

// Each new document, in order, joins the earliest representative within the threshold (a near
// or exact pair) or becomes one: the clusters that do not chain (match/near_duplicate_finder.h),
// the earlier documents' already made. A cluster lists its new members only.
std::vector<NearDuplicateCluster> BandRunDedup::clusters_of_new(const std::vector<NearDuplicatePair>& pairs,
                                                                uint32_t first_new) const {
    const std::vector<int64_t>& members = earlier_->members;
    std::vector<bool> head(seqs_.size(), false);
    for (uint32_t k = 0; k < first_new; ++k)
        head[k] = !std::binary_search(members.begin(), members.end(), seqs_[k]);
    std::vector<NearDuplicatePair> by_b;
    for (const auto& p : pairs)
        if (p.kind != DuplicateKind::kPartial) by_b.push_back(p);
    std::sort(by_b.begin(), by_b.end(),
              [](const auto& x, const auto& y) { return x.b != y.b ? x.b < y.b : x.a < y.a; });
    std::vector<NearDuplicateCluster> clusters;
    std::vector<uint32_t> cluster_of(seqs_.size(), UINT32_MAX);  // by representative
    std::size_t at = 0;
    for (uint32_t y = first_new; y < seqs_.size(); ++y) {
        uint32_t rep = UINT32_MAX;
        double sim = 0;
        for (; at < by_b.size() && by_b[at].b == y; ++at)
            if (rep == UINT32_MAX && head[by_b[at].a]) rep = by_b[at].a, sim = by_b[at].jaccard;
        head[y] = rep == UINT32_MAX;
        if (head[y]) continue;
        if (cluster_of[rep] == UINT32_MAX) {
            cluster_of[rep] = static_cast<uint32_t>(clusters.size());
            clusters.push_back({rep, {}, {}});
        }
        clusters[cluster_of[rep]].members.push_back(y);
        clusters[cluster_of[rep]].similarity.push_back(sim);
    }
    std::sort(clusters.begin(), clusters.end(),
              [](const auto& x, const auto& y) { return x.representative < y.representative; });
    return clusters;
}

}  // namespace doppel
