#include "doppel/index/lsh_band_store.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>

#include "doppel/error.h"
#include "doppel/store/store.h"
#include "impl/hash_buckets.h"
#include "impl/parallel.h"
#include "impl/varint.h"

namespace doppel {
namespace {

using Entry = LshBandStore::Entry;
using Run = LshBandStore::Run;
constexpr std::size_t kEntryBytes = 16;
static_assert(sizeof(Entry) == kEntryBytes);

// Where the runs of a banding live (the header's "Where"): the first banding a store was given
// (kMetaKey, blobs "lsh/<run>/<segment>") or another one (named by its banding).
struct Place {
    std::string key = LshBandStore::kMetaKey;
    std::string blobs = "lsh/";
    static Place of_other(LshParams p) {
        const std::string banding = banding_name(p);
        return {std::string(LshBandStore::kMetaKey) + ":" + banding, "lsh:" + banding + "/"};
    }
};

std::string segment_name(const Run& r, std::size_t segment) {
    return r.blobs + std::to_string(r.id) + "/" + std::to_string(segment);
}

std::size_t segment_entries(const Run& r, std::size_t s) {
    return static_cast<std::size_t>(
        std::min<uint64_t>(LshBandStore::kSegmentEntries, r.entries - s * LshBandStore::kSegmentEntries));
}

constexpr int kBandBits = 10;  // of an entry's key (LshBandStore::entry_key)

int tier(uint64_t entries) {
    return static_cast<int>(std::log(static_cast<double>(std::max<uint64_t>(entries, 1))) /
                            std::log(static_cast<double>(LshBandStore::kFanIn)));
}

// The catalogue (format in the header). Runs from id coded_from on are coded (version 2); those
// before it, written by a version-1 build, are arrays of entries.
struct Catalogue {
    Place place;
    int perms = 0;
    LshParams params;
    int64_t next_id = 1, max_seq = 0, coded_from = 1;
    std::vector<Run> runs;
};

// The numbers of a catalogue line, blank-separated, read in turn (std::from_chars: the
// catalogue grows with the store, 734 KB at 10,000,000 feed items, and every batch reads it).
class Numbers {
public:
    explicit Numbers(std::string_view line) : p_(line.data()), end_(line.data() + line.size()) {}
    template <class T>
    bool next(T& v) {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r')) ++p_;
        const auto [at, ec] = std::from_chars(p_, end_, v);
        if (ec != std::errc()) return false;
        p_ = at;
        return true;
    }

private:
    const char* p_;
    const char* end_;
};

// The catalogue's first line: magic, version, perms, banding, next id, max seq[, coded from].
Catalogue read_catalogue_header(std::string_view line) {
    const std::size_t blank = line.find(' ');
    DOPPEL_CHECK(kBadFormat, line.substr(0, blank) == "doppel-lsh-runs", "LSH band catalogue has a bad header");
    Numbers in(blank == std::string_view::npos ? std::string_view() : line.substr(blank));
    uint32_t version = 0;
    in.next(version);
    DOPPEL_CHECK(kVersion, version >= 1 && version <= LshBandStore::kVersion,
                 "LSH band catalogue has format version " + std::to_string(version) + ", this build reads 1 to " +
                     std::to_string(LshBandStore::kVersion));
    Catalogue c;
    // A number missing leaves the rest at 0: the banding check of read_catalogue() refuses it.
    const bool whole = in.next(c.perms) && in.next(c.params.bands) && in.next(c.params.rows) &&
                       in.next(c.next_id) && in.next(c.max_seq);
    c.coded_from = c.next_id;  // version 1: none of its runs is coded, every later one will be
    if (whole && version >= 2) in.next(c.coded_from);
    return c;
}

std::optional<Catalogue> read_catalogue(const Store& store, const Place& place) {
    const auto text = store.meta(place.key);
    if (!text) return std::nullopt;
    const std::string_view all(*text);
    std::size_t eol = std::min(all.find('\n'), all.size());
    Catalogue c = read_catalogue_header(all.substr(0, eol));
    c.place = place;
    for (std::size_t at = eol + 1; at < all.size(); at = eol + 1) {
        eol = std::min(all.find('\n', at), all.size());
        Numbers l(all.substr(at, eol - at));
        Run r;
        r.blobs = place.blobs;
        if (l.next(r.id) && l.next(r.entries))
            for (uint64_t k; l.next(k);) r.first_keys.push_back(k);
        r.coded = r.id >= c.coded_from;
        // A coded segment holds at least one entry; a version-1 one kSegmentEntries but the last.
        const std::size_t segments = r.first_keys.size();
        DOPPEL_CHECK(kBadFormat,
                     (r.coded ? (r.entries == 0) == (segments == 0) && segments <= r.entries
                              : segments == (r.entries + LshBandStore::kSegmentEntries - 1) /
                                                LshBandStore::kSegmentEntries),
                     "LSH band catalogue lists a run with the wrong number of segments");
        c.runs.push_back(std::move(r));
    }
    DOPPEL_CHECK(kBadFormat, c.params.bands > 0 && c.params.rows > 0, "LSH band catalogue has no banding");
    return c;
}

// One number appended to out, after a blank unless it begins a line.
template <class T>
void append_number(std::string& out, T v, bool blank = true) {
    char buf[24];
    char* p = buf;
    if (blank) *p++ = ' ';
    out.append(buf, std::to_chars(p, buf + sizeof buf, v).ptr);
}

void write_catalogue(Store& store, const Catalogue& c) {
    std::string out = "doppel-lsh-runs";
    for (int64_t v : {int64_t{LshBandStore::kVersion}, int64_t{c.perms}, int64_t{c.params.bands},
                      int64_t{c.params.rows}, c.next_id, c.max_seq, c.coded_from})
        append_number(out, v);
    out += '\n';
    for (const Run& r : c.runs) {
        append_number(out, r.id, false);
        append_number(out, r.entries);
        for (uint64_t k : r.first_keys) append_number(out, k);
        out += '\n';
    }
    store.set_meta(c.place.key, out);
}

// The catalogue of `params` (of `perms` values): the other place's of it, else the first place's
// when it is of this banding (a banding has one of the two: add_sorted() makes the other place's
// only where the first is another's). nullopt: none. The other place first: a banding kept
// besides the first is then found without parsing the first's catalogue (829 KB at 11.4M items).
std::optional<Catalogue> find_catalogue(const Store& store, int perms, LshParams params) {
    for (const Place& place : {Place::of_other(params), Place{}}) {
        auto c = read_catalogue(store, place);
        if (c && c->perms == perms && c->params == params) return c;
    }
    return std::nullopt;
}

// One entry of a coded segment (format in the header) after `prev` (the one before it, or {0, 0}
// for the first) at p, which has room for two varints (impl/varint.h); returns the end.
unsigned char* encode_entry(const Entry& e, const Entry& prev, unsigned char* p) {
    p = impl::put_varint(e.key - prev.key, p);
    // The seq's step wraps as uint64_t does (seqs are positive: it fits an int64_t either way).
    return impl::put_varint(impl::zigzag(static_cast<int64_t>(static_cast<uint64_t>(e.seq) - static_cast<uint64_t>(prev.seq))), p);
}

// The entries of a coded segment into out, up to the first whose key is over `upto` (a lookup
// needs no more: the keys are in order); false when the blob is not whole entries.
bool decode_segment(std::string_view blob, uint64_t upto, std::vector<Entry>& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
    const auto* end = p + blob.size();
    uint64_t key = 0, seq = 0, d = 0;
    out.clear();
    out.reserve(blob.size() / 2);  // an entry is 2 bytes at least: no reallocation below
    while (p < end) {
        if (!impl::get_varint(p, end, &d)) return false;
        key += d;
        if (!impl::get_varint(p, end, &d)) return false;
        seq += static_cast<uint64_t>(impl::unzigzag(d));
        out.push_back({key, static_cast<int64_t>(seq)});
        if (key > upto) return true;
    }
    return !out.empty();
}

// Segment s of run r into buf (its entries, those of a coded one up to the first whose key is
// over `upto`), whichever its format: the one home of reading one. `coded` holds the blob of a
// coded one.
void read_segment(const Store& store, const Run& r, std::size_t s, std::vector<Entry>& buf, std::string& coded,
                  uint64_t upto = UINT64_MAX) {
    const std::string name = segment_name(r, s);
    if (!r.coded) buf.resize(segment_entries(r, s));
    const bool found = r.coded ? store.read_blob(name, &coded)
                               : store.read_blob(name, 0, buf.size() * kEntryBytes, buf.data());
    DOPPEL_CHECK(kBadFormat, found, "LSH band segment " + name + " is missing");
    DOPPEL_CHECK(kBadFormat, !r.coded || decode_segment(coded, upto, buf),
                 "LSH band segment " + name + " does not decode");
}

void drop_run(Store& store, const Run& r) {
    for (std::size_t s = 0; s < r.first_keys.size(); ++s) store.remove_blob(segment_name(r, s));
}

// Writes sorted entries as coded segments of a new run, each as full as one page allows.
class RunWriter {
public:
    RunWriter(Store& store, const Place& place, int64_t id) : store_(store) {
        run_.id = id;
        run_.blobs = place.blobs;
        run_.coded = true;
    }
    void push(const Entry& e) {
        if (end_ == 0) {
            run_.first_keys.push_back(e.key);
            prev_ = Entry{0, 0};
        }
        end_ = static_cast<std::size_t>(encode_entry(e, prev_, coded_ + end_) - coded_);
        prev_ = e;
        ++run_.entries;
        if (end_ > LshBandStore::kSegmentBytes - kMaxEntryBytes) flush();
    }
    Run finish() {
        flush();
        return std::move(run_);
    }

private:
    static constexpr std::size_t kMaxEntryBytes = 2 * impl::kMaxVarintBytes;
    void flush() {
        if (end_ == 0) return;
        store_.put_blob(segment_name(run_, run_.first_keys.size() - 1),
                        std::string_view(reinterpret_cast<const char*>(coded_), end_));
        end_ = 0;
    }
    Store& store_;
    Run run_;
    Entry prev_{0, 0};
    unsigned char coded_[LshBandStore::kSegmentBytes];  // the segment being coded, end_ bytes
    std::size_t end_ = 0;
};

// The keys a merge reads: [first, last].
struct KeyRange {
    uint64_t first = 0, last = UINT64_MAX;
};

// Reads the entries of a run in order (those with keys in `keys`), one segment in memory at a
// time, from the segment where the range's entries may begin (a key's entries may begin at the
// end of the segment before the first one it opens) to the last one that may hold them.
class RunReader {
public:
    RunReader(const Store& store, const Run& run, KeyRange keys = {}) : store_(store), run_(run), keys_(keys) {
        const auto& fk = run.first_keys;
        segment_ = static_cast<std::size_t>(std::lower_bound(fk.begin(), fk.end(), keys.first) - fk.begin());
        segment_ = segment_ ? segment_ - 1 : 0;
        load();
        while (!done() && top().key < keys.first) pop();
    }
    bool done() const { return at_ == end_; }
    const Entry& top() const { return buf_[at_]; }
    void pop() {
        if (++at_ == end_) load();
    }

private:
    void load() {
        buf_.clear();
        at_ = end_ = 0;
        if (segment_ == run_.first_keys.size() || run_.first_keys[segment_] > keys_.last) return;
        read_segment(store_, run_, segment_++, buf_, coded_, keys_.last);
        end_ = buf_.size();
        while (end_ > 0 && buf_[end_ - 1].key > keys_.last) --end_;  // a coded one: one past the range
    }
    const Store& store_;
    const Run& run_;
    KeyRange keys_;
    std::vector<Entry> buf_;
    std::string coded_;
    std::size_t at_ = 0, end_ = 0, segment_ = 0;
};

// The runs' next entries in a tree of losers (a tournament: each inner node holds the reader that
// lost the match there, the winner the least entry of all), so taking an entry replays only the
// log2(k) matches on its reader's path instead of comparing every run's next one: a compaction
// merges kFanIn runs of one size, whose entries interleave, so nearly every entry comes from
// another run than the one before it. The matches compare entries as one 128-bit number each
// (the key, then the seq with its sign bit flipped: the same order), without a branch: which run
// wins is random, so a branch would be mispredicted half the time (pop() branches once, on the
// runner-up). A reader done holds kDone, after every entry (no seq is INT64_MAX).
class LoserTree {
public:
    explicit LoserTree(std::vector<RunReader>& readers) : readers_(readers) {
        while (leaves_ < readers.size()) leaves_ *= 2;
        heads_.assign(leaves_, kDone);
        for (std::size_t i = 0; i < readers.size(); ++i)
            if (!readers[i].done()) heads_[i] = number(readers[i].top());
        losers_.assign(leaves_, 0);
        winner_ = play(1);
        runner_up_ = least_loser();
    }
    bool done() const { return heads_[winner_] == kDone; }
    Entry top() const {
        const Number n = heads_[winner_];
        return {static_cast<uint64_t>(n >> 64), static_cast<int64_t>(static_cast<uint64_t>(n) ^ kSignBit)};
    }
    // Takes the least entry: the winner's reader moves on, and its path is played again unless
    // its next entry is still under the runner-up (the least of the losers on its path, which
    // then all lose to it again): in a merge where one run holds most entries (dedup's reading
    // of every run) the winner mostly stays, a branch the processor predicts.
    void pop() {
        RunReader& r = readers_[winner_];
        r.pop();
        heads_[winner_] = r.done() ? kDone : number(r.top());
        if (heads_[winner_] < runner_up_) return;
        uint32_t w = winner_;
        for (std::size_t node = (w + leaves_) / 2; node >= 1; node /= 2) {
            // w and the loser kept at the node swap where the loser's entry is less (a mask:
            // the compiler made conditional moves a jump).
            const uint32_t l = losers_[node];
            const uint32_t swap = (l ^ w) & (0u - static_cast<uint32_t>(heads_[l] < heads_[w]));
            losers_[node] = l ^ swap;
            w ^= swap;
        }
        winner_ = w;
        runner_up_ = least_loser();
    }

private:
    __extension__ typedef unsigned __int128 Number;
    static constexpr uint64_t kSignBit = uint64_t{1} << 63;
    static constexpr Number kDone = ~Number{0};
    static Number number(const Entry& e) {
        return (Number{e.key} << 64) | (static_cast<uint64_t>(e.seq) ^ kSignBit);
    }
    // The winner of the matches below `node` (leaves are nodes leaves_ to 2 * leaves_ - 1), each
    // match's loser kept at its node.
    uint32_t play(std::size_t node) {
        if (node >= leaves_) return static_cast<uint32_t>(node - leaves_);
        const uint32_t a = play(2 * node), b = play(2 * node + 1);
        const bool b_wins = heads_[b] < heads_[a];
        losers_[node] = b_wins ? a : b;
        return b_wins ? b : a;
    }
    // The least entry of the losers on the winner's path: the runner-up of all.
    Number least_loser() const {
        Number least = kDone;
        for (std::size_t node = (winner_ + leaves_) / 2; node >= 1; node /= 2)
            least = std::min(least, heads_[losers_[node]]);
        return least;
    }
    std::vector<RunReader>& readers_;
    std::size_t leaves_ = 1;
    std::vector<Number> heads_;     // per leaf: its reader's next entry, or kDone
    std::vector<uint32_t> losers_;  // per inner node (1 to leaves_ - 1)
    uint32_t winner_ = 0;
    Number runner_up_ = kDone;
};

// The entries of `runs` merged in (key, seq) order (LoserTree), handed over in blocks of up to
// LshBandStore::kBlockEntries. Memory: one segment per run and one block.
template <class Fn>
void merge_blocks(const Store& store, const std::vector<Run>& runs, Fn&& fn, KeyRange keys = {}) {
    std::vector<RunReader> readers;
    readers.reserve(runs.size());
    for (const Run& r : runs) readers.emplace_back(store, r, keys);
    std::vector<Entry> block;
    block.reserve(LshBandStore::kBlockEntries);
    for (LoserTree tree(readers); !tree.done(); tree.pop()) {
        block.push_back(tree.top());
        if (block.size() == LshBandStore::kBlockEntries) {
            fn(block.data(), block.size());
            block.clear();
        }
    }
    if (!block.empty()) fn(block.data(), block.size());
}

// A merge of runs into a new one (merge_blocks).
Run merge_runs(Store& store, const Place& place, const std::vector<Run>& inputs, int64_t id) {
    RunWriter out(store, place, id);
    merge_blocks(store, inputs, [&](const Entry* e, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) out.push(e[i]);
    });
    for (const Run& r : inputs) drop_run(store, r);
    return out.finish();
}

// Merges the newest kFanIn runs while the oldest of them is of no higher size tier than the newest.
void compact(Store& store, Catalogue& c) {
    const std::size_t f = LshBandStore::kFanIn;
    while (c.runs.size() >= f && tier(c.runs[c.runs.size() - f].entries) <= tier(c.runs.back().entries)) {
        std::vector<Run> inputs(c.runs.end() - f, c.runs.end());
        c.runs.resize(c.runs.size() - f);
        c.runs.push_back(merge_runs(store, c.place, inputs, c.next_id++));
    }
}

// The entries of `key` in segment s of run r (read whole), appended to out as seqs.
void lookup_segment(const Store& store, const Run& r, std::size_t s, uint64_t key, std::vector<int64_t>& out,
                    std::vector<Entry>& buf, std::string& coded) {
    read_segment(store, r, s, buf, coded, key);
    auto it = std::lower_bound(buf.begin(), buf.end(), Entry{key, INT64_MIN});
    for (; it != buf.end() && it->key == key; ++it) out.push_back(it->seq);
}

}  // namespace

uint64_t LshBandStore::entry_key(const uint32_t* sig, LshParams p, int band) {
    return static_cast<uint64_t>(band) << (64 - kBandBits) | lsh_band_key(sig, p, band) >> kBandBits;
}

std::optional<LshBandStore> LshBandStore::open(const Store& store, int perms, LshParams params, int64_t newest_seq) {
    const auto c = find_catalogue(store, perms, params);
    if (!c || c->max_seq < newest_seq) return std::nullopt;
    LshBandStore b;
    b.perms_ = perms;
    b.params_ = params;
    b.next_id_ = c->next_id;
    b.max_seq_ = c->max_seq;
    b.runs_ = c->runs;
    return b;
}

int64_t LshBandStore::covered_seq(const Store& store, int perms, LshParams params) {
    const auto c = find_catalogue(store, perms, params);
    return c ? c->max_seq : 0;
}

void LshBandStore::drop(Store& store, int perms, LshParams params) {
    const Place other = Place::of_other(params);
    store.remove_meta(other.key);
    store.remove_blobs_named(other.blobs);
    bool first_is_this = true;  // or cannot be read
    try {
        const auto first = read_catalogue(store, Place{});
        first_is_this = !first || (first->perms == perms && first->params == params);
    } catch (const Error&) {
    }
    if (!first_is_this) return;
    store.remove_meta(kMetaKey);
    store.remove_blobs_named(Place{}.blobs);
}

namespace {

// A bit per (band, seq) for seqs in [0, max_seq]: which documents' keys a band holds.
class BandSeqBits {
public:
    BandSeqBits(int bands, int64_t max_seq)
        : per_band_(static_cast<std::size_t>(max_seq) / 64 + 1), bits_(static_cast<std::size_t>(bands) * per_band_) {}
    void set(uint64_t band, int64_t seq) {
        if (seq < 0 || static_cast<std::size_t>(seq) / 64 >= per_band_) return;  // past max_seq: not asked about
        const auto s = static_cast<std::size_t>(seq);
        bits_[band * per_band_ + s / 64] |= uint64_t{1} << (s % 64);
    }
    bool has(uint64_t band, int64_t seq) const {
        const auto s = static_cast<std::size_t>(seq);
        return s / 64 < per_band_ && (bits_[band * per_band_ + s / 64] >> (s % 64) & 1);
    }

private:
    std::size_t per_band_;
    std::vector<uint64_t> bits_;
};

// The problem of run r (empty: none; format in LshBandStore::problems), its entries marked in `bits`.
std::string run_problem(const Store& store, const Run& r, LshParams params, BandSeqBits& bits) {
    std::vector<Entry> buf;
    std::string coded;
    uint64_t entries = 0;
    Entry prev{0, 0};
    for (std::size_t s = 0; s < r.first_keys.size(); ++s) {
        try {
            read_segment(store, r, s, buf, coded);
        } catch (const Error& e) {
            return e.what();
        }
        const std::string name = "LSH band segment " + segment_name(r, s);
        if (buf.empty() || buf.front().key != r.first_keys[s])
            return name + " does not begin with the key its catalogue lists";
        for (const Entry& e : buf) {
            if (entries++ > 0 && !(prev < e)) return name + " has entries out of order";
            const auto band = static_cast<uint64_t>(LshBandStore::band_of(e.key));
            if (band >= static_cast<uint64_t>(params.bands))
                return name + " has a key of band " + std::to_string(band) + ", past the banding's " +
                       std::to_string(params.bands);
            bits.set(band, e.seq);
            prev = e;
        }
    }
    if (entries != r.entries)
        return "LSH band run " + r.blobs + std::to_string(r.id) + " holds " + std::to_string(entries) +
               " entries, its catalogue says " + std::to_string(r.entries);
    return "";
}

}  // namespace

std::vector<std::string> LshBandStore::problems(const Store& store, const std::vector<int64_t>& seqs) const {
    std::vector<std::string> out;
    if (params_.bands >= (1 << kBandBits))  // a damaged record of the bandings kept
        return {"the banding has " + std::to_string(params_.bands) + " bands, more than band runs hold"};
    // Bits up to the largest seq asked about (a damaged catalogue's max seq may be anything).
    const int64_t top = seqs.empty() ? 0 : std::min(max_seq_, *std::max_element(seqs.begin(), seqs.end()));
    BandSeqBits bits(params_.bands, std::max<int64_t>(top, 0));
    for (const Run& r : runs_)
        if (std::string p = run_problem(store, r, params_, bits); !p.empty()) out.push_back(std::move(p));
    if (!out.empty()) return out;  // a damaged run's keys are missing from its bands too: no more to say
    for (int band = 0; band < params_.bands; ++band) {
        std::size_t lacking = 0;
        std::string named;
        for (const int64_t seq : seqs)
            if (seq <= max_seq_ && !bits.has(static_cast<uint64_t>(band), seq) && ++lacking <= 3)
                named += (lacking > 1 ? ", " : "") + std::to_string(seq);
        if (lacking)
            out.push_back("band " + std::to_string(band) + " has no key of " + std::to_string(lacking) +
                          " stored documents (seqs " + named + (lacking > 3 ? ", ..." : "") + ")");
    }
    return out;
}

void LshBandStore::add(Store& store, int perms, LshParams params, std::size_t n, const int64_t* seqs,
                       const uint32_t* sigs) {
    add_sorted(store, perms, params, n, seqs, sorted_entries(perms, params, n, sigs));
}

// A band's keys share their top bits (entry_key), so the bands, each sorted, are in order one after
// another. Below those bits a key is a hash: a band is sorted in buckets of its next bits
// (impl::sort_by_buckets), in std::sort's order (entries are distinct: i is).
std::vector<LshBandStore::Entry> LshBandStore::sorted_entries(int perms, LshParams params, std::size_t n,
                                                              const uint32_t* sigs) {
    DOPPEL_CHECK(kInvalidArgument, params.bands < (1 << kBandBits), "too many LSH bands for the band runs");
    std::vector<Entry> entries(n * static_cast<std::size_t>(params.bands));
    const auto bands = static_cast<std::size_t>(params.bands);
    const std::size_t workers = impl::worker_count(n >= 1024 ? bands : 1);
    std::vector<impl::BucketScratch<Entry>> scratch(workers);
    const int bits = impl::bucket_bits(n, 4, 16);
    const int shift = 64 - kBandBits - bits;
    const uint64_t mask = (uint64_t{1} << bits) - 1;
    impl::parallel_for(bands, workers, [&](std::size_t band, std::size_t worker) {
        Entry* e = entries.data() + band * n;
        for (std::size_t i = 0; i < n; ++i)
            e[i] = {entry_key(sigs + i * perms, params, static_cast<int>(band)), static_cast<int64_t>(i)};
        impl::sort_by_buckets(
            e, e + n, bits, [&](const Entry& x) { return (x.key >> shift) & mask; }, std::less<Entry>(),
            &scratch[worker]);
    });
    return entries;
}

void LshBandStore::add_sorted(Store& store, int perms, LshParams params, std::size_t n, const int64_t* seqs,
                              std::vector<Entry> entries) {
    DOPPEL_CHECK(kInvalidArgument, entries.size() == n * static_cast<std::size_t>(params.bands),
                 "band entries made for another batch");
    auto c = find_catalogue(store, perms, params);
    if (!c) {  // the first place when it is free or of other perms (dropped), else the other one
        const auto first = read_catalogue(store, Place{});
        if (first && first->perms != perms)
            for (const Run& r : first->runs) drop_run(store, r);
        c.emplace();
        c->place = first && first->perms == perms ? Place::of_other(params) : Place{};
        c->perms = perms;
        c->params = params;
    }
    bool increasing = true;
    for (std::size_t i = 0; i < n; ++i) {
        c->max_seq = std::max(c->max_seq, seqs[i]);
        increasing = increasing && (i == 0 || seqs[i] > seqs[i - 1]);
    }
    for (Entry& e : entries) e.seq = seqs[e.seq];
    if (!increasing) std::sort(entries.begin(), entries.end());
    if (!entries.empty()) {
        RunWriter w(store, c->place, c->next_id++);
        for (const Entry& e : entries) w.push(e);
        c->runs.push_back(w.finish());
        compact(store, *c);
    }
    write_catalogue(store, *c);
}

std::vector<int64_t> LshBandStore::query(const Store& store, const uint32_t* sig) const {
    std::vector<int64_t> out;
    std::vector<Entry> buf;
    std::string coded;
    for (int band = 0; band < params_.bands; ++band) {
        const uint64_t key = LshBandStore::entry_key(sig, params_, band);
        for (const Run& r : runs_) {
            const auto& fk = r.first_keys;
            // A key's entries may begin at the end of the segment before the first one it opens.
            std::size_t first = static_cast<std::size_t>(std::lower_bound(fk.begin(), fk.end(), key) - fk.begin());
            first = first ? first - 1 : 0;
            for (std::size_t s = first; s < fk.size() && (s == first || fk[s] <= key); ++s)
                lookup_segment(store, r, s, key, out, buf, coded);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void LshBandStore::for_each_entry(const Store& store, const std::function<void(const Entry&)>& fn) const {
    for_each_block(store, [&](const Entry* e, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) fn(e[i]);
    });
}

void LshBandStore::for_each_block(const Store& store, const std::function<void(const Entry*, std::size_t)>& fn) const {
    merge_blocks(store, runs_, fn);
}

void LshBandStore::for_each_block_of_band(const Store& store, int band,
                                          const std::function<void(const Entry*, std::size_t)>& fn) const {
    const auto [first, last] = band_keys(band);
    merge_blocks(store, runs_, fn, KeyRange{first, last});
}

int LshBandStore::band_of(uint64_t key) { return static_cast<int>(key >> (64 - kBandBits)); }

std::pair<uint64_t, uint64_t> LshBandStore::band_keys(int band) {
    const uint64_t first = static_cast<uint64_t>(band) << (64 - kBandBits);
    return {first, first | (UINT64_MAX >> kBandBits)};
}

std::vector<LshBandStore::Entry> LshBandStore::entries_of(const Store& store,
                                                          const std::vector<uint64_t>& keys) const {
    std::vector<Entry> out, buf;
    std::string coded;
    for (const Run& r : runs_) {
        const auto& fk = r.first_keys;
        for (std::size_t s = 0; s < fk.size(); ++s) {
            // Segment s holds keys from fk[s] to fk[s + 1] (a key's entries may end one there).
            const auto lo = std::lower_bound(keys.begin(), keys.end(), fk[s]);
            const auto hi = s + 1 < fk.size() ? std::upper_bound(lo, keys.end(), fk[s + 1]) : keys.end();
            if (lo == hi) continue;
            read_segment(store, r, s, buf, coded, *(hi - 1));
            auto at = buf.begin();
            for (auto k = lo; k != hi; ++k) {
                at = std::lower_bound(at, buf.end(), Entry{*k, INT64_MIN});
                for (; at != buf.end() && at->key == *k; ++at) out.push_back(*at);
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace doppel
