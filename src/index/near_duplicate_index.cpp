#include "doppel/index/near_duplicate_index.h"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <utility>

#include "doppel/error.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/store/sketch_artifacts.h"
#include "doppel/store/store.h"
#include "impl/parallel.h"
#include "impl/repeats.h"
#include "impl/spec.h"
#include "impl/varint.h"

namespace doppel {
namespace {

constexpr char kShinglesMagic[4] = {'D', 'P', 'S', 'H'};
constexpr char kMinHashMagic[4] = {'D', 'P', 'M', 'H'};
constexpr char kLinesMagic[4] = {'D', 'P', 'L', 'N'};
constexpr char kSetKeyMagic[4] = {'D', 'P', 'S', 'K'};
constexpr uint32_t kFormatVersion = 1;
// "shingles" artifacts: version 2 adds the line map; version 1 (without) is still read; version 3
// is the note "made from the stored text" (kShingleSetStoredFromBytes).
constexpr uint32_t kShinglesVersion = 2;
constexpr uint32_t kShinglesInTextVersion = 3;
// "minhash" artifacts: version 2 is the note "sign the stored shingle set" (written with the
// shingles' note, for texts under kShingleSetStoredFromBytes).
constexpr uint32_t kSignatureOfSetVersion = 2;
// "lines" artifacts: version 2 ends with the document's source hash; version 1 (without) is still read.
constexpr uint32_t kLinesWithSourceVersion = 2;
// Texts shingled at a time by make_sets_from_texts (held in memory while their sets are made).
constexpr std::size_t kTextBytesAtOnce = std::size_t{16} << 20;
constexpr const char* kSpecKey = kNearDuplicateSpecMeta;
// Set once every stored document has a "lines" artifact (catch_up_line_summaries).
constexpr const char* kLinesMeta = "near_duplicate_lines";
// Set once every stored document with shingles has a "shingle_set" artifact (catch_up_set_keys).
constexpr const char* kSetKeysMeta = "near_duplicate_set_keys";

template <class T>
void put(std::string& s, T v) {
    s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(std::string_view s, std::size_t& at) {
    DOPPEL_CHECK(kBadFormat, at + sizeof(T) <= s.size(), "truncated near-duplicate artifact");
    T v;
    std::memcpy(&v, s.data() + at, sizeof v);
    at += sizeof v;
    return v;
}
// Checks the magic and the version (oldest..newest readable); returns the version.
uint32_t check_header(std::string_view blob, const char* magic, const char* what, uint32_t newest = kFormatVersion,
                      uint32_t oldest = kFormatVersion) {
    DOPPEL_CHECK(kBadFormat, blob.size() >= 8 && std::memcmp(blob.data(), magic, 4) == 0,
                 std::string("not a doppel ") + what + " artifact (bad magic)");
    uint32_t version;
    std::memcpy(&version, blob.data() + 4, 4);
    DOPPEL_CHECK(kVersion, version >= oldest && version <= newest,
                 std::string(what) + " artifact has format version " + std::to_string(version) +
                     ", this build reads " + std::to_string(oldest) + " to " + std::to_string(newest));
    return version;
}

std::string spec_of(const Shingler& s, const MinHash& m) {
    return "near-duplicate:" + s.describe() + ";" + m.describe();
}

// The MinHash of a spec spec_of() wrote (its part after the ';').
std::unique_ptr<MinHash> minhash_of_spec(const std::string& spec) {
    return MinHash::from_spec(spec.substr(spec.rfind(';') + 1));
}

// The spec the store's sketches were made with (none: no sketches yet); refused (kModelMismatch)
// when it is not `spec`, the reader's or writer's own.
std::optional<std::string> stored_spec_matching(const Store& store, const std::string& spec) {
    auto stored = store.meta(kSpecKey);
    DOPPEL_CHECK(kModelMismatch, !stored || *stored == spec,
                 "store was indexed with '" + stored.value_or("") + "', not '" + spec + "'");
    return stored;
}

// The artifact encodings (formats in the header), appended to *out.
void append_shingles(const uint64_t* shingles, std::size_t n, const ShingleCounts& counts, std::string* out) {
    out->append(kShinglesMagic, 4);
    put(*out, kShinglesVersion);
    put(*out, static_cast<uint32_t>(n));
    out->append(reinterpret_cast<const char*>(shingles), n * sizeof(uint64_t));
    put(*out, static_cast<uint8_t>(counts.valid));
    if (!counts.valid) return;
    put(*out, counts.words);
    put(*out, static_cast<uint32_t>(counts.repeated_at.size()));
    for (std::size_t i = 0; i < counts.repeated_at.size(); ++i) {  // at least 1 and 2 each
        impl::put_varint(counts.repeated_at[i] - (i ? counts.repeated_at[i - 1] : 0u) - (i ? 1 : 0), out);
        impl::put_varint(counts.repeated_places[i] - 2, out);
    }
}

// The counts after the n shingles of a version 2 blob (at `at`).
ShingleCounts read_counts(std::string_view blob, std::size_t at, std::size_t n) {
    ShingleCounts c;
    c.valid = get<uint8_t>(blob, at) != 0;
    if (c.valid) {
        c.words = get<uint64_t>(blob, at);
        const uint32_t repeated = get<uint32_t>(blob, at);
        DOPPEL_CHECK(kBadFormat, repeated <= n && blob.size() - at >= std::size_t{repeated} * 2,
                     "shingles artifact has bad counts");
        c.repeated_at.resize(repeated);
        c.repeated_places.resize(repeated);
        const auto* p = reinterpret_cast<const unsigned char*>(blob.data()) + at;
        const auto* end = reinterpret_cast<const unsigned char*>(blob.data()) + blob.size();
        uint64_t next = 0;  // the least position the next repeated shingle can have
        for (uint32_t i = 0; i < repeated; ++i) {
            uint64_t delta = 0, places = 0;
            DOPPEL_CHECK(kBadFormat, impl::get_varint(p, end, &delta) && impl::get_varint(p, end, &places),
                         "truncated shingles artifact");
            DOPPEL_CHECK(kBadFormat, delta < n - next && places < UINT32_MAX - 2, "shingles artifact has bad counts");
            c.repeated_at[i] = static_cast<uint32_t>(next + delta);
            c.repeated_places[i] = static_cast<uint32_t>(places + 2);
            next = c.repeated_at[i] + 1;
        }
        at = static_cast<std::size_t>(p - reinterpret_cast<const unsigned char*>(blob.data()));
    }
    DOPPEL_CHECK(kBadFormat, at == blob.size(), "shingles artifact has the wrong size");
    return c;
}

void append_signature(const uint32_t* sig, std::size_t n, uint64_t seed, std::string* out) {
    out->append(kMinHashMagic, 4);
    put(*out, kFormatVersion);
    put(*out, static_cast<uint32_t>(n));
    put(*out, seed);
    out->append(reinterpret_cast<const char*>(sig), n * sizeof(uint32_t));
}

void append_lines(const LineSummary& s, std::optional<uint64_t> source, std::string* out) {
    out->append(kLinesMagic, 4);
    put(*out, source ? kLinesWithSourceVersion : kFormatVersion);
    put(*out, s.bytes);
    put(*out, static_cast<uint32_t>(s.lines.size()));
    out->append(reinterpret_cast<const char*>(s.lines.data()), s.lines.size() * sizeof(uint64_t));
    put(*out, static_cast<uint32_t>(s.repeated.size()));
    for (const RepeatedLine& r : s.repeated) {
        put(*out, r.count);
        put(*out, static_cast<uint32_t>(r.text.size()));
        *out += r.text;
    }
    if (source) put(*out, *source);
}

// The signatures of the notes ("sign the stored shingle set") of the documents `seqs`, each
// signed from its set as read_shingle_sets makes it (read_signatures' second phase; the
// notes of a scan of every blob too).
std::vector<StoredSignature> sign_notes_of(const Store& store, const Shingler& shingler, const MinHash& minhash,
                                           const std::vector<int64_t>& seqs) {
    const std::vector<StoredShingleSet> sets = read_shingle_sets(store, shingler, seqs);
    std::vector<StoredSignature> sigs(seqs.size());
    for (StoredSignature& s : sigs) s.of_set = true;
    sign_stored_sets(minhash, sets, sigs);
    return sigs;
}

// Signatures of "minhash" blobs, side by side (sigs[i * perms ...]): decoded as they are added,
// the notes among them signed from their stored sets by sign_notes() (read_signatures' phases).
// A blob that does not decode throws.
struct Signatures {
    std::vector<int64_t> seqs;
    std::vector<uint32_t> sigs;
    std::vector<std::size_t> notes;  // positions in seqs of notes not signed yet
    void add(int64_t seq, std::string_view blob, const MinHash& minhash) {
        const std::size_t perms = static_cast<std::size_t>(minhash.perms());
        StoredSignature s = decode_stored_signature(blob, minhash.perms(), minhash.seed());
        DOPPEL_CHECK(kBadFormat, s.error.empty(), s.error);  // decoded once: its error as it was
        if (s.of_set) {
            notes.push_back(seqs.size());
            s.sig.assign(perms, 0);
        }
        seqs.push_back(seq);
        sigs.insert(sigs.end(), s.sig.begin(), s.sig.end());
    }
    // Signs the notes from their documents' stored sets, kNotesAtOnce at a time (each costs
    // shingling its text again). A note whose document is gone since (deleted by another
    // connection after the scan read it) is dropped; one whose set does not decode throws.
    void sign_notes(const Store& store, const Shingler& shingler, const MinHash& minhash) {
        constexpr std::size_t kNotesAtOnce = 65536;
        const std::size_t perms = static_cast<std::size_t>(minhash.perms());
        std::vector<uint8_t> gone(seqs.size(), 0);
        for (std::size_t b = 0; b < notes.size(); b += kNotesAtOnce) {
            const std::size_t e = std::min(notes.size(), b + kNotesAtOnce);
            std::vector<int64_t> note_seqs;
            for (std::size_t k = b; k < e; ++k) note_seqs.push_back(seqs[notes[k]]);
            const std::vector<StoredSignature> signed_ = sign_notes_of(store, shingler, minhash, note_seqs);
            for (std::size_t k = b; k < e; ++k) {
                const StoredSignature& s = signed_[k - b];
                DOPPEL_CHECK(kBadFormat, s.error.empty(), s.error);
                gone[notes[k]] = !s.found;
                std::copy(s.sig.begin(), s.sig.end(), sigs.begin() + static_cast<std::ptrdiff_t>(notes[k] * perms));
            }
        }
        notes.clear();
        std::size_t kept = 0;
        for (std::size_t i = 0; i < seqs.size(); ++i)
            if (!gone[i]) {
                seqs[kept] = seqs[i];
                std::copy_n(&sigs[i * perms], perms, &sigs[kept * perms]);
                ++kept;
            }
        seqs.resize(kept);
        sigs.resize(kept * perms);
    }
    void clear() {
        seqs.clear();
        sigs.clear();
        notes.clear();
    }
};

// Adds to the band runs of each banding the stored signatures newer than what they cover (a store
// written before band runs, by a build without them, or a banding newly asked for), in chunks:
// one pass over the signatures for all of them (signing a note shingles its text again: 116 s for
// the 10M feed's store).
void catch_up_band_runs(Store& store, const Shingler& shingler, const MinHash& minhash,
                        const std::vector<LshParams>& bandings) {
    std::vector<int64_t> covered;
    for (const LshParams& p : bandings) covered.push_back(LshBandStore::covered_seq(store, minhash.perms(), p));
    const int64_t from = covered.empty() ? 0 : *std::min_element(covered.begin(), covered.end());
    if (store.max_artifact_seq(kMinHashArtifact) <= from) return;
    const auto perms = static_cast<std::size_t>(minhash.perms());
    Signatures chunk;
    auto flush = [&] {
        chunk.sign_notes(store, shingler, minhash);
        for (std::size_t k = 0; k < bandings.size(); ++k) {  // a chunk's seqs increase: those past covered[k]
            const auto at = static_cast<std::size_t>(
                std::upper_bound(chunk.seqs.begin(), chunk.seqs.end(), covered[k]) - chunk.seqs.begin());
            if (at < chunk.seqs.size())
                LshBandStore::add(store, minhash.perms(), bandings[k], chunk.seqs.size() - at, chunk.seqs.data() + at,
                                  chunk.sigs.data() + at * perms);
        }
        chunk.clear();
    };
    store.scan_artifacts(kMinHashArtifact, [&](int64_t seq, std::string_view blob) {
        if (seq <= from) return;
        chunk.add(seq, blob, minhash);
        if (chunk.seqs.size() == 65536) flush();
    });
    if (!chunk.seqs.empty()) flush();
}

// Adds the artifacts of `kind` a store written before them lacks, once: the store's metadata
// `done_meta` then records that every document has one. The batch being written (seqs[0, n))
// gets its own. Chunk by chunk of the missing documents, read(chunk, take) calls take(seq, from)
// with what each is made from; make(from) gives its blob (nullopt: left without).
template <class Read, class Make>
void catch_up_kind(Store& store, std::size_t n, const int64_t* seqs, const std::string& kind, const char* done_meta,
                   Read read, Make make) {
    if (store.meta(done_meta)) return;
    std::vector<int64_t> missing = store.documents_missing(kind);
    std::vector<int64_t> batch(seqs, seqs + n);
    std::sort(batch.begin(), batch.end());
    std::erase_if(missing, [&](int64_t s) { return std::binary_search(batch.begin(), batch.end(), s); });
    constexpr std::size_t kChunk = 4096;
    for (std::size_t b = 0; b < missing.size(); b += kChunk) {
        const std::vector<int64_t> chunk(missing.begin() + b, missing.begin() + std::min(missing.size(), b + kChunk));
        std::vector<int64_t> got;
        std::vector<std::string> blobs;
        read(chunk, [&](int64_t seq, std::string_view from) {
            if (std::optional<std::string> blob = make(from)) {
                got.push_back(seq);
                blobs.push_back(std::move(*blob));
            }
        });
        store.put_artifacts(kind, got.size(), got.data(), blobs.data());
    }
    store.set_meta(done_meta, "1");
}

// The "lines" artifacts, from the stored texts.
void catch_up_line_summaries(Store& store, std::size_t n, const int64_t* seqs) {
    catch_up_kind(
        store, n, seqs, kLinesArtifact, kLinesMeta,
        [&](const auto& chunk, const auto& take) { store.read_texts(chunk, take); },
        [](std::string_view text) -> std::optional<std::string> {
            return encode_lines(summarize_lines(text));
        });
}

// The "shingle_set" artifacts, from the stored shingle sets (read_shingle_sets; one that does not
// decode: left without; dedup --store then reads it, and shingles its text, as before).
void catch_up_set_keys(Store& store, const Shingler& shingler, std::size_t n, const int64_t* seqs) {
    catch_up_kind(
        store, n, seqs, kShingleSetArtifact, kSetKeysMeta,
        [&](const auto& chunk, const auto& take) {
            const std::vector<StoredShingleSet> sets = read_shingle_sets(store, shingler, chunk);
            for (std::size_t j = 0; j < chunk.size(); ++j)
                if (sets[j].found && sets[j].error.empty())
                    take(chunk[j], encode_set_key(shingle_set_key(sets[j].shingles.data(), sets[j].shingles.size())));
        },
        [](std::string_view key) -> std::optional<std::string> { return std::string(key); });
}

}  // namespace

LshParams default_band_params(int perms) {
    return choose_lsh_params(kDefaultBandThreshold, perms, kDefaultBandRecall);
}

LshParams store_banding(int perms, double threshold, double target_recall) {
    return store_banding({default_band_params(perms)}, perms, threshold, target_recall);
}

// Of the stored bandings that reach the recall at the threshold, the one that takes the fewest
// pairs of half its similarity as candidates (each a pair to verify).
LshParams store_banding(const std::vector<LshParams>& stored, int perms, double threshold, double target_recall) {
    LshParams best = choose_lsh_params(threshold, perms, target_recall);
    bool serving = false;
    for (const LshParams& p : stored) {
        if (lsh_candidate_probability(threshold, p) < target_recall) continue;
        if (!serving || lsh_candidate_probability(threshold / 2, p) < lsh_candidate_probability(threshold / 2, best))
            best = p;
        serving = true;
    }
    return best;
}

namespace {
std::vector<LshParams> recorded_bandings(const Store& store) {
    std::vector<LshParams> out;
    std::istringstream in(store.meta(kExtraBandingsMeta).value_or(""));
    for (std::string word; in >> word;) {
        const std::optional<LshParams> p = parse_banding(word);
        DOPPEL_CHECK(kBadFormat, p.has_value(),
                     store.dir() + ": metadata " + kExtraBandingsMeta + " has a bad banding '" + word + "'");
        out.push_back(*p);
    }
    return out;
}

// `have` with the bandings of `more` it lacks appended.
std::vector<LshParams> joined(std::vector<LshParams> have, const std::vector<LshParams>& more) {
    for (const LshParams& p : more)
        if (std::find(have.begin(), have.end(), p) == have.end()) have.push_back(p);
    return have;
}
}  // namespace

void check_fits_in_memory(const Store& store, uint64_t bytes, double threshold, const std::string& what,
                          const std::string& fix) {
    const uint64_t memory = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
    if (bytes <= memory / 2) return;
    auto gb = [](uint64_t b) { return impl::spec_number(std::round(static_cast<double>(b) / (1 << 30) * 10) / 10); };
    DOPPEL_THROW(kInvalidArgument,
                store.dir() + ": " + what + " at threshold " + impl::spec_number(threshold) + " would hold about " +
                    gb(bytes) + " GB in memory for the " + std::to_string(store.size()) +
                    " stored documents (this machine has " + gb(memory) +
                    " GB)" + (fix.empty() ? ", as the store keeps no LSH bands on disk for it. To serve it from disk, "
                                             "run once: doppel index --store " + store.dir() + " --dedup-thresholds " +
                                             impl::spec_number(threshold) + " (later runs keep them)"
                                           : ": " + fix));
}

std::vector<LshParams> stored_bandings(const Store& store, int perms) {
    return joined({default_band_params(perms)}, recorded_bandings(store));
}

BandRunCheck check_band_runs(const Store& store) {
    BandRunCheck c;
    const auto spec = store.meta(kSpecKey);
    const int64_t newest = store.max_artifact_seq(kMinHashArtifact);
    if (!spec || newest == 0) return c;
    c.perms = minhash_of_spec(*spec)->perms();
    c.bandings = stored_bandings(store, c.perms);
    const std::vector<int64_t> seqs = store.artifact_seqs(kMinHashArtifact);
    for (const LshParams& p : c.bandings) {
        std::vector<std::string> problems;
        try {
            const std::optional<LshBandStore> runs = LshBandStore::open(store, c.perms, p, 0);
            if (!runs)
                problems.push_back("no band runs");
            else if (runs->max_seq() < newest)
                problems.push_back("the runs hold the keys of signatures up to seq " + std::to_string(runs->max_seq()) +
                                   ", the newest is seq " + std::to_string(newest));
            if (runs) {
                std::vector<std::string> more = runs->problems(store, seqs);
                problems.insert(problems.end(), more.begin(), more.end());
            }
        } catch (const Error& e) {  // a catalogue that cannot be read
            problems.push_back(e.what());
        }
        if (problems.empty()) continue;
        c.damaged.push_back(p);
        for (const std::string& problem : problems) c.problems.push_back(banding_name(p) + ": " + problem);
    }
    return c;
}

std::vector<LshParams> extra_bandings(const std::vector<double>& thresholds, int perms) {
    std::vector<LshParams> out;
    const std::vector<LshParams> base = {default_band_params(perms)};
    for (double t : thresholds) {
        const LshParams p = store_banding(base, perms, t, kDefaultBandRecall);
        if (p != base.front()) out = joined(out, {p});
    }
    return out;
}

std::string near_duplicate_sketch_spec(const std::string& shingle_spec, const std::string& minhash_spec) {
    return spec_of(*Shingler::from_spec(shingle_spec), *MinHash::from_spec(minhash_spec));
}

std::string encode_shingles(const std::vector<uint64_t>& shingles, const ShingleCounts& counts) {
    std::string s;
    append_shingles(shingles.data(), shingles.size(), counts, &s);
    return s;
}

std::string encode_shingles_in_text() {
    std::string s(kShinglesMagic, 4);
    put(s, kShinglesInTextVersion);
    return s;
}

std::vector<uint64_t> decode_shingles(std::string_view blob, ShingleCounts* counts) {
    const uint32_t version = check_header(blob, kShinglesMagic, kShinglesArtifact, kShinglesInTextVersion, 1);
    DOPPEL_CHECK(kInvalidArgument, version != kShinglesInTextVersion,
                 "shingles artifact is made from the stored text: read it with read_shingle_sets");
    std::size_t at = 8;
    const uint32_t n = get<uint32_t>(blob, at);
    const std::size_t end = at + std::size_t{n} * sizeof(uint64_t);
    DOPPEL_CHECK(kBadFormat, version == 1 ? blob.size() == end : blob.size() > end,
                 "shingles artifact has the wrong size");
    std::vector<uint64_t> v(n);
    if (n) std::memcpy(v.data(), blob.data() + at, n * sizeof(uint64_t));  // an empty text has no shingles
    if (counts) *counts = version == 1 ? ShingleCounts() : read_counts(blob, end, n);
    return v;
}

std::string encode_signature(const std::vector<uint32_t>& sig, uint64_t seed) {
    std::string s;
    append_signature(sig.data(), sig.size(), seed, &s);
    return s;
}

std::string encode_signature_of_set() {
    std::string out(kMinHashMagic, 4);
    put(out, kSignatureOfSetVersion);
    return out;
}

std::vector<uint32_t> decode_signature(std::string_view blob, int perms, uint64_t seed) {
    DOPPEL_CHECK(
        kInvalidArgument, check_header(blob, kMinHashMagic, kMinHashArtifact, kSignatureOfSetVersion) == 1,
        "minhash artifact is the note to sign the stored shingle set (read it with read_signatures)");
    std::size_t at = 8;
    const uint32_t n = get<uint32_t>(blob, at);
    const uint64_t s = get<uint64_t>(blob, at);
    DOPPEL_CHECK(kBadFormat, static_cast<int>(n) == perms && s == seed,
                 "minhash artifact was made with other perms or seed");
    DOPPEL_CHECK(kBadFormat, blob.size() == at + n * sizeof(uint32_t), "minhash artifact has the wrong size");
    std::vector<uint32_t> v(n);
    if (n) std::memcpy(v.data(), blob.data() + at, n * sizeof(uint32_t));
    return v;
}

std::string encode_lines(const LineSummary& s, std::optional<uint64_t> source) {
    std::string out;
    append_lines(s, source, &out);
    return out;
}

LineSummary decode_lines(std::string_view blob, std::optional<uint64_t>* source) {
    const uint32_t version =
        check_header(blob, kLinesMagic, kLinesArtifact, kLinesWithSourceVersion, kFormatVersion);
    std::size_t at = 8;
    LineSummary s;
    s.bytes = get<uint64_t>(blob, at);
    const uint32_t n = get<uint32_t>(blob, at);
    DOPPEL_CHECK(kBadFormat, blob.size() >= at + std::size_t{n} * sizeof(uint64_t), "truncated lines artifact");
    s.lines.resize(n);
    if (n) std::memcpy(s.lines.data(), blob.data() + at, n * sizeof(uint64_t));
    at += std::size_t{n} * sizeof(uint64_t);
    const uint32_t repeated = get<uint32_t>(blob, at);
    for (uint32_t k = 0; k < repeated; ++k) {
        RepeatedLine r;
        r.count = get<uint32_t>(blob, at);
        const uint32_t len = get<uint32_t>(blob, at);
        DOPPEL_CHECK(kBadFormat, blob.size() >= at + len, "truncated lines artifact");
        r.text.assign(blob.data() + at, len);
        at += len;
        s.repeated.push_back(std::move(r));
    }
    const std::optional<uint64_t> from =
        version == kLinesWithSourceVersion ? std::optional(get<uint64_t>(blob, at)) : std::nullopt;
    if (source) *source = from;
    DOPPEL_CHECK(kBadFormat, at == blob.size(), "lines artifact has the wrong size");
    return s;
}

StoredShingleSet decode_stored_shingles(std::string_view blob, bool with_counts) {
    StoredShingleSet s;
    s.found = true;
    try {
        s.in_text = check_header(blob, kShinglesMagic, kShinglesArtifact, kShinglesInTextVersion, 1) ==
                    kShinglesInTextVersion;
        if (s.in_text)
            DOPPEL_CHECK(kBadFormat, blob.size() == 8, "shingles artifact has the wrong size");
        else
            s.shingles = decode_shingles(blob, with_counts ? &s.counts : nullptr);
    } catch (const Error& e) {
        s.in_text = false;
        s.error = e.what();
    }
    return s;
}

namespace {
// Sets taken from the holders of exact copies' texts (schema 8): copies[c] = (holder, j) gives
// sets[j] the set its holder stores, where it stores one (with counts, where they are asked
// for): the same text, so the set the note would make. The positions j left without one.
std::vector<std::size_t> take_holders_sets(const Store& store,
                                           std::vector<std::pair<int64_t, std::size_t>> copies,
                                           std::vector<StoredShingleSet>& sets, bool with_counts) {
    std::sort(copies.begin(), copies.end());
    std::vector<int64_t> holders;
    for (const auto& c : copies)
        if (holders.empty() || holders.back() != c.first) holders.push_back(c.first);
    std::size_t c = 0;
    store.read_artifacts(kShinglesArtifact, holders, [&](int64_t holder, std::string_view blob) {
        while (c < copies.size() && copies[c].first < holder) ++c;
        const StoredShingleSet held = decode_stored_shingles(blob, with_counts);
        if (!held.error.empty() || held.in_text || (with_counts && !held.counts.valid)) return;
        for (; c < copies.size() && copies[c].first == holder; ++c) {
            StoredShingleSet& s = sets[copies[c].second];
            s.shingles = held.shingles;
            s.counts = held.counts;
            s.found = true;
        }
    });
    std::vector<std::size_t> left;
    for (const auto& [holder, j] : copies)
        if (!sets[j].found) left.push_back(j);
    std::sort(left.begin(), left.end());
    return left;
}
}  // namespace

void make_sets_from_texts(const Store& store, const Shingler& shingler, const std::vector<int64_t>& seqs,
                          std::vector<StoredShingleSet>& sets, bool with_counts) {
    std::vector<std::size_t> wanted;  // positions in seqs
    for (std::size_t j = 0; j < seqs.size(); ++j)
        if (sets[j].in_text) wanted.push_back(j), sets[j].found = false;
    if (wanted.empty()) return;
    // Texts gathered up to kTextBytesAtOnce, then shingled on all cores, each worker with its own
    // Segmenter (ICU objects are not thread-safe); a text read more than once (copies whose
    // holder keeps no set they can take) is shingled once, its set copied.
    const std::size_t workers = impl::worker_count(SIZE_MAX);
    std::vector<std::unique_ptr<Segmenter>> segmenters;
    std::vector<std::string> texts;
    std::vector<std::size_t> text_of;  // position in seqs of texts[t]
    std::size_t bytes = 0;
    auto shingle_texts = [&] {
        std::vector<uint64_t> keys(texts.size());
        for (std::size_t t = 0; t < texts.size(); ++t)
            keys[t] = XXH3_64bits(texts[t].data(), texts[t].size());
        const std::vector<std::size_t> first =
            impl::first_of_repeats(keys, [&](std::size_t a, std::size_t b) { return texts[a] == texts[b]; });
        const std::vector<std::size_t> distinct = impl::distinct_items(first);
        while (segmenters.size() < std::min(workers, distinct.size()))
            segmenters.push_back(std::make_unique<Segmenter>());
        impl::parallel_for_ranges(
            distinct.size(), segmenters.size(), 16, [&](std::size_t b, std::size_t e, std::size_t w) {
                for (std::size_t k = b; k < e; ++k) {
                    StoredShingleSet& s = sets[text_of[distinct[k]]];
                    const std::string& text = texts[distinct[k]];
                    if (with_counts)
                        shingler.shingle_counted(text, *segmenters[w], &s.shingles, &s.counts);
                    else
                        shingler.shingle(text, *segmenters[w], &s.shingles);
                    s.found = true;
                }
            });
        for (std::size_t t = 0; t < texts.size(); ++t)
            if (first[t] != t) {
                StoredShingleSet& s = sets[text_of[t]];
                const StoredShingleSet& of = sets[text_of[first[t]]];
                s.shingles = of.shingles;
                s.counts = of.counts;
                s.found = true;
            }
        texts.clear();
        text_of.clear();
        bytes = 0;
    };
    // The texts of `positions` (in seqs order) read and shingled; a long copy's (whose holder
    // may store its set: the stage wrote the note for it) noted in *copies instead, when given.
    auto read = [&](const std::vector<std::size_t>& positions,
                    std::vector<std::pair<int64_t, std::size_t>>* copies) {
        std::vector<int64_t> of;
        for (const std::size_t j : positions) of.push_back(seqs[j]);
        std::size_t k = 0;
        store.read_texts(of, [&](int64_t seq, std::string_view text, int64_t holder) {
            while (of[k] != seq) ++k;
            const std::size_t j = positions[k++];
            if (copies && holder != 0 && text.size() >= kShingleSetStoredFromBytes) {
                copies->emplace_back(holder, j);
                return;
            }
            texts.emplace_back(text);
            text_of.push_back(j);
            bytes += text.size();
            if (bytes >= kTextBytesAtOnce) shingle_texts();
        });
    };
    std::vector<std::pair<int64_t, std::size_t>> copies;  // (holder, position in seqs)
    read(wanted, &copies);
    if (!copies.empty()) read(take_holders_sets(store, std::move(copies), sets, with_counts), nullptr);
    if (!texts.empty()) shingle_texts();
}

std::vector<StoredShingleSet> read_shingle_sets(const Store& store, const Shingler& shingler,
                                                const std::vector<int64_t>& seqs, bool with_counts) {
    std::vector<StoredShingleSet> sets(seqs.size());
    std::size_t j = 0;
    store.read_artifacts(kShinglesArtifact, seqs, [&](int64_t seq, std::string_view blob) {
        while (seqs[j] != seq) ++j;
        sets[j++] = decode_stored_shingles(blob, with_counts);
    });
    make_sets_from_texts(store, shingler, seqs, sets, with_counts);
    return sets;
}

StoredSignature decode_stored_signature(std::string_view blob, int perms, uint64_t seed) {
    StoredSignature s;
    try {
        s.of_set = check_header(blob, kMinHashMagic, kMinHashArtifact, kSignatureOfSetVersion) ==
                   kSignatureOfSetVersion;
        if (s.of_set)
            DOPPEL_CHECK(kBadFormat, blob.size() == 8, "minhash artifact has the wrong size");
        else
            s.sig = decode_signature(blob, perms, seed);
        s.found = !s.of_set;
    } catch (const Error& e) {
        s.of_set = false;
        s.error = e.what();
    }
    return s;
}

void sign_stored_sets(const MinHash& minhash, const std::vector<StoredShingleSet>& sets,
                      std::vector<StoredSignature>& sigs) {
    std::vector<std::size_t> notes;
    for (std::size_t j = 0; j < sigs.size(); ++j)
        if (sigs[j].of_set && sets[j].found) {
            if (sets[j].error.empty())
                notes.push_back(j);
            else
                sigs[j].error = sets[j].error;
        }
    impl::parallel_for_ranges(notes.size(), impl::worker_count(notes.size() / 64 + 1), 64,
                              [&](std::size_t b, std::size_t e, std::size_t) {
                                  for (std::size_t k = b; k < e; ++k) {
                                      StoredSignature& s = sigs[notes[k]];
                                      s.sig = minhash.sign(sets[notes[k]].shingles);
                                      s.found = true;
                                  }
                              });
}

std::vector<StoredSignature> read_signatures(const Store& store, const Shingler& shingler, const MinHash& minhash,
                                             const std::vector<int64_t>& seqs) {
    std::vector<StoredSignature> sigs(seqs.size());
    std::vector<int64_t> note_seqs;
    std::vector<std::size_t> note_at;  // position in seqs of note_seqs[k]
    std::size_t j = 0;
    store.read_artifacts(kMinHashArtifact, seqs, [&](int64_t seq, std::string_view blob) {
        while (seqs[j] != seq) ++j;
        sigs[j] = decode_stored_signature(blob, minhash.perms(), minhash.seed());
        if (sigs[j].of_set) note_seqs.push_back(seq), note_at.push_back(j);
        ++j;
    });
    if (note_seqs.empty()) return sigs;
    std::vector<StoredSignature> notes = sign_notes_of(store, shingler, minhash, note_seqs);
    for (std::size_t k = 0; k < notes.size(); ++k) sigs[note_at[k]] = std::move(notes[k]);
    return sigs;
}

ShingleSetKey shingle_set_key(const uint64_t* shingles, std::size_t n) {
    return {shingle_set_hash(shingles, n), static_cast<uint32_t>(n)};
}

std::string encode_set_key(const ShingleSetKey& key) {
    std::string out(kSetKeyMagic, 4);
    put(out, kFormatVersion);
    put(out, key.hash);
    put(out, key.size);
    return out;
}

ShingleSetKey decode_set_key(std::string_view blob) {
    check_header(blob, kSetKeyMagic, kShingleSetArtifact);
    DOPPEL_CHECK(kBadFormat, blob.size() == 8 + sizeof(uint64_t) + sizeof(uint32_t),
                 "shingle_set artifact has the wrong size");
    std::size_t at = 8;
    const auto hash = get<uint64_t>(blob, at);
    return {hash, get<uint32_t>(blob, at)};
}

NearDuplicateStage::NearDuplicateStage(NearDuplicateIndexOptions options)
    : options_(std::move(options)),
      shingler_(Shingler::from_spec(options_.shingle_spec)),
      minhash_(MinHash::from_spec(options_.minhash_spec)),
      extra_(extra_bandings(options_.extra_band_thresholds, minhash_->perms())),
      dropped_(extra_bandings(options_.dropped_band_thresholds, minhash_->perms())),
      bandings_(joined({default_band_params(minhash_->perms())}, extra_)) {
    for (const LshParams& p : dropped_)
        DOPPEL_CHECK(kInvalidArgument, std::find(extra_.begin(), extra_.end(), p) == extra_.end(),
                     "the LSH bands " + banding_name(p) + " are asked to be both kept and dropped");
}

std::vector<std::string> NearDuplicateStage::take_warnings() { return std::exchange(warnings_, {}); }

std::vector<LshParams> NearDuplicateStage::bandings() const {
    std::lock_guard<std::mutex> lock(spare_mutex_);
    return bandings_;
}

// The first time the stage writes to a store (in its transaction): the bandings it keeps runs of
// are the store's recorded ones and those asked for (recorded if new), and the runs of each are
// caught up with the stored signatures (those a banding newly asked for lacks: every one).
void NearDuplicateStage::keep_bandings(Store& store) {
    const std::vector<LshParams> recorded = recorded_bandings(store);
    std::vector<LshParams> kept;
    for (const LshParams& p : recorded) {
        if (std::find(dropped_.begin(), dropped_.end(), p) == dropped_.end())
            kept.push_back(p);
        else
            LshBandStore::drop(store, minhash_->perms(), p);
    }
    note_not_dropped(recorded);
    const std::vector<LshParams> extra = joined(kept, extra_);
    if (extra != recorded) {
        std::string value;
        for (const LshParams& p : extra) value += (value.empty() ? "" : " ") + banding_name(p);
        if (value.empty())
            store.remove_meta(kExtraBandingsMeta);
        else
            store.set_meta(kExtraBandingsMeta, value);
    }
    std::vector<LshParams> all = joined({default_band_params(minhash_->perms())}, extra);
    catch_up_band_runs(store, *shingler_, *minhash_, all);
    std::lock_guard<std::mutex> lock(spare_mutex_);
    bandings_ = std::move(all);
}

// A warning for each threshold asked to be dropped whose bands the store did not keep.
void NearDuplicateStage::note_not_dropped(const std::vector<LshParams>& recorded) {
    for (const double t : options_.dropped_band_thresholds) {
        const std::vector<LshParams> p = extra_bandings({t}, minhash_->perms());
        const std::string what = "dedup threshold " + impl::spec_number(t);
        if (p.empty())
            warnings_.push_back(what + " is served by the default LSH bands, which are always kept");
        else if (std::find(recorded.begin(), recorded.end(), p[0]) == recorded.end())
            warnings_.push_back(what + ": the store keeps no LSH bands " + banding_name(p[0]) + " to drop");
    }
}

std::string NearDuplicateStage::describe() const { return spec_of(*shingler_, *minhash_); }

// The blobs of a batch lie back to back in buffers per worker and kind (artifact_kinds() order).
struct NearDuplicateStage::Batch : IndexStage::Prepared {
    struct BlobPlace {
        std::size_t buffer = 0, offset = 0, size = 0;
    };
    static constexpr std::size_t kKinds = 4;             // shingles, minhash, lines, shingle_set
    std::vector<std::string> hashes;                     // the content hashes of the texts
    std::vector<uint64_t> sources;                       // the documents' source hashes ("lines")
    std::vector<std::string> blob_buffers;               // [worker * kKinds + kind]
    std::vector<BlobPlace> blob_places;                  // [document * kKinds + kind]
    std::vector<std::unique_ptr<Segmenter>> segmenters;  // per worker
    std::vector<std::vector<uint64_t>> shingle_buffers;  // per worker
    std::vector<ShingleCounts> shingle_counts;           // per worker
    std::vector<uint32_t> sigs;  // the signatures of the "minhash" blobs, side by side
    // Their band runs' entries (LshBandStore::sorted_entries) of each banding the stage kept runs
    // of when it made them, with the blobs.
    std::vector<LshParams> bandings;
    std::vector<std::vector<LshBandStore::Entry>> band_entries;

    // Whether it was made of these documents (by content hash and source: the sketches depend on
    // the text alone, the "lines" blobs on the source too).
    bool made_of(std::size_t n, const AnalyzedDocument* docs) const {
        if (hashes.size() != n || sources.size() != n) return false;
        for (std::size_t i = 0; i < n; ++i)
            if (docs[i].content_hash.empty() || docs[i].content_hash != hashes[i] ||
                document_source_hash(docs[i].doc) != sources[i])
                return false;
        return true;
    }
    // The blobs, kind after kind, each kind's in document order: [kind * n + document], as
    // Store::put_artifacts takes several kinds.
    std::vector<std::string_view> blobs() const {
        const std::size_t n = hashes.size();
        std::vector<std::string_view> out(n * kKinds);
        for (std::size_t kind = 0; kind < kKinds; ++kind)
            for (std::size_t i = 0; i < n; ++i) {
                const BlobPlace& p = blob_places[i * kKinds + kind];
                out[kind * n + i] = std::string_view(blob_buffers[p.buffer]).substr(p.offset, p.size);
            }
        return out;
    }
    // Where `blob`, added once the workers are done (to the first worker's buffer of `kind`), lies.
    BlobPlace add_blob(std::size_t kind, std::string_view blob) {
        std::string& buffer = blob_buffers[kind];
        buffer += blob;
        return {kind, buffer.size() - blob.size(), blob.size()};
    }
    // Per-worker state for `workers` threads, the buffers emptied (their capacity kept).
    void reset(std::size_t n, std::size_t workers) {
        while (segmenters.size() < workers) segmenters.push_back(std::make_unique<Segmenter>());
        shingle_buffers.resize(std::max(shingle_buffers.size(), workers));
        shingle_counts.resize(std::max(shingle_counts.size(), workers));
        blob_buffers.resize(std::max(blob_buffers.size(), workers * kKinds));
        for (std::string& b : blob_buffers) b.clear();
        blob_places.assign(n * kKinds, {});
        hashes.resize(n);
        sources.resize(n);
    }
};

NearDuplicateStage::~NearDuplicateStage() = default;

std::unique_ptr<NearDuplicateStage::Batch> NearDuplicateStage::take_spare() {
    std::lock_guard<std::mutex> lock(spare_mutex_);
    return spare_ ? std::move(spare_) : std::make_unique<Batch>();
}

void NearDuplicateStage::give_back(std::unique_ptr<Batch> b) {
    std::lock_guard<std::mutex> lock(spare_mutex_);
    if (!spare_) spare_ = std::move(b);
}

std::unique_ptr<IndexStage::Prepared> NearDuplicateStage::prepare(std::size_t n,
                                                                  const AnalyzedDocument* docs) {
    std::unique_ptr<Batch> b = take_spare();
    const auto perms = static_cast<std::size_t>(minhash_->perms());
    const std::size_t workers = impl::worker_count(n / 16 + 1);
    b->reset(n, workers);
    b->sigs.assign(n * perms, 0);
    for (std::size_t i = 0; i < n; ++i) b->hashes[i] = docs[i].content_hash;
    for (std::size_t i = 0; i < n; ++i) b->sources[i] = document_source_hash(docs[i].doc);
    const uint64_t seed = minhash_->seed();
    // The blobs are a function of the text (the "lines" one of the source too): a text repeated
    // in the batch is sketched once, its repeats pointing at the same blobs (at a "lines" blob
    // of their own where their source differs).
    std::vector<uint64_t> keys(n);
    for (std::size_t i = 0; i < n; ++i)
        keys[i] = docs[i].content_hash.empty() ? XXH3_64bits(docs[i].doc.text.data(), docs[i].doc.text.size())
                                               : std::hash<std::string>{}(docs[i].content_hash);
    const std::vector<std::size_t> first = impl::first_of_repeats(
        keys, [&](std::size_t x, std::size_t y) { return docs[x].doc.text == docs[y].doc.text; });
    const std::vector<std::size_t> distinct = impl::distinct_items(first);
    // Shingler and MinHash are immutable; each worker has its own Segmenter and buffers.
    impl::parallel_for(distinct.size(), std::min(workers, distinct.size()), [&](std::size_t k, std::size_t w) {
        const std::size_t i = distinct[k];
        auto& sh = b->shingle_buffers[w];
        ShingleCounts& counts = b->shingle_counts[w];
        shingler_->shingle_counted(docs[i].doc.text, *b->segmenters[w], &sh, &counts);
        uint32_t* sig = &b->sigs[i * perms];
        minhash_->sign(sh.data(), sh.size(), sig);
        auto append = [&](std::size_t kind, auto&& encode) {
            std::string& buffer = b->blob_buffers[w * Batch::kKinds + kind];
            const std::size_t offset = buffer.size();
            encode(&buffer);
            b->blob_places[i * Batch::kKinds + kind] = {w * Batch::kKinds + kind, offset,
                                                        buffer.size() - offset};
        };
        // A short text keeps notes for both: its set and signature are made again from it.
        const bool notes = docs[i].doc.text.size() < kShingleSetStoredFromBytes;
        append(0, [&](std::string* out) {
            if (notes)
                *out += encode_shingles_in_text();
            else
                append_shingles(sh.data(), sh.size(), counts, out);
        });
        append(1, [&](std::string* out) {
            if (notes)
                *out += encode_signature_of_set();
            else
                append_signature(sig, perms, seed, out);
        });
        append(2, [&](std::string* out) {
            append_lines(summarize_lines(docs[i].doc.text), b->sources[i], out);
        });
        append(3, [&](std::string* out) { *out += encode_set_key(shingle_set_key(sh.data(), sh.size())); });
    });
    // A repeat takes its first's blobs, but for a set its first stores: the note (a copy's set
    // written again was half of what `index` wrote of the copyright corpus). Its set is its
    // first's: read_shingle_sets takes it from its text's holder (an exact copy, schema 8), or
    // makes it from the text where the store keeps the text apart.
    std::optional<Batch::BlobPlace> note;
    for (std::size_t i = 0; i < n; ++i)
        if (const std::size_t j = first[i]; j != i) {
            std::copy_n(&b->sigs[j * perms], perms, &b->sigs[i * perms]);
            std::copy_n(&b->blob_places[j * Batch::kKinds], Batch::kKinds, &b->blob_places[i * Batch::kKinds]);
            if (docs[i].doc.text.size() >= kShingleSetStoredFromBytes)
                b->blob_places[i * Batch::kKinds] =
                    note ? *note : *(note = b->add_blob(0, encode_shingles_in_text()));
            if (b->sources[i] != b->sources[j])
                b->blob_places[i * Batch::kKinds + 2] =
                    b->add_blob(2, encode_lines(summarize_lines(docs[i].doc.text), b->sources[i]));
        }
    b->bandings = bandings();
    b->band_entries.clear();
    for (const LshParams& p : b->bandings)
        b->band_entries.push_back(LshBandStore::sorted_entries(minhash_->perms(), p, n, b->sigs.data()));
    return b;
}

// One transaction: the prepared blobs, their band entries and, the first time, the stage's spec.
void NearDuplicateStage::write_prepared(Store& store, std::size_t n, const int64_t* seqs, Batch& b,
                                        const std::optional<std::string>& stored) {
    store.transaction([&] {
        // Once per store this stage writes to: later batches add every signature they write.
        if (caught_up_ != &store) {
            keep_bandings(store);
            catch_up_line_summaries(store, n, seqs);
            catch_up_set_keys(store, *shingler_, n, seqs);
        }
        store.put_artifacts(artifact_kinds(), n, seqs, b.blobs().data());
        // Each banding's entries: made with the blobs, or here for a banding the store recorded
        // that the stage learnt of after it prepared the batch.
        for (const LshParams& p : bandings()) {
            const auto at = std::find(b.bandings.begin(), b.bandings.end(), p) - b.bandings.begin();
            std::vector<LshBandStore::Entry> entries =
                at < static_cast<std::ptrdiff_t>(b.bandings.size())
                    ? std::move(b.band_entries[at])
                    : LshBandStore::sorted_entries(minhash_->perms(), p, n, b.sigs.data());
            LshBandStore::add_sorted(store, minhash_->perms(), p, n, seqs, std::move(entries));
        }
        if (!stored) store.set_meta(kSpecKey, describe());
    });
}

void NearDuplicateStage::add(Store& store, std::size_t n, const int64_t* seqs, const AnalyzedDocument* docs) {
    add_prepared(store, n, seqs, docs, nullptr);
}

void NearDuplicateStage::add_prepared(Store& store, std::size_t n, const int64_t* seqs,
                                      const AnalyzedDocument* docs, std::unique_ptr<Prepared> prepared) {
    const auto stored = stored_spec_matching(store, describe());
    std::unique_ptr<Batch> b(dynamic_cast<Batch*>(prepared.get()));
    if (b) prepared.release();
    if (!b || !b->made_of(n, docs)) {
        if (b) give_back(std::move(b));
        b.reset(static_cast<Batch*>(prepare(n, docs).release()));
    }
    // The band runs of the bandings kept (index/lsh_band_store.h). A failed write leaves the
    // batch's band entries moved into it: the batch is not given back with them (the next
    // prepare() makes them again).
    write_prepared(store, n, seqs, *b, stored);
    caught_up_ = &store;
    give_back(std::move(b));
}

// A run that wrote no batch still records the bandings asked for, and builds their runs and those
// that do not cover every stored signature (verify's repair drops damaged ones).
void NearDuplicateStage::flush(Store& store) {
    if (caught_up_ == &store) return;
    if (extra_.empty() && dropped_.empty() && !runs_behind(store)) return;
    stored_spec_matching(store, describe());
    store.transaction([&] { keep_bandings(store); });
    caught_up_ = &store;
}

bool NearDuplicateStage::runs_behind(const Store& store) const {
    const int64_t newest = store.max_artifact_seq(kMinHashArtifact);
    if (newest == 0) return false;
    for (const LshParams& p : stored_bandings(store, minhash_->perms()))
        if (LshBandStore::covered_seq(store, minhash_->perms(), p) < newest) return true;
    return false;
}

NearDuplicateIndex::NearDuplicateIndex(const Store& store, double threshold, double target_recall,
                                       NearDuplicateIndexOptions options)
    : store_(store),
      threshold_(threshold),
      shingler_(Shingler::from_spec(options.shingle_spec)),
      minhash_(MinHash::from_spec(options.minhash_spec)),
      lsh_(minhash_->perms(), store_banding(stored_bandings(store, minhash_->perms()), minhash_->perms(), threshold,
                                            target_recall)) {
    stored_spec_matching(store, spec_of(*shingler_, *minhash_));
    store.read_snapshot([&] { bands_ = read_bands(); });
    if (bands_) return;  // nothing to build: queries read the band runs
    // Every signature and its band keys in hash tables (LshIndex): about 96 bytes a node with its
    // vector, per signature and per band key (a 1,000,000-item store at 16 bands: 2.1 GB).
    check_fits_in_memory(store, store.size() * (minhash_->perms() * 4ull + 96 + lsh_.params().bands * 96ull),
                         threshold, "check");
    Signatures all;
    store.scan_artifacts(kMinHashArtifact,
                         [&](int64_t seq, std::string_view blob) { all.add(seq, blob, *minhash_); });
    all.sign_notes(store, *shingler_, *minhash_);
    lsh_.add(all.seqs.size(), all.seqs.data(), all.sigs.data());
}

NearDuplicateIndex::~NearDuplicateIndex() = default;

std::size_t NearDuplicateIndex::size() const {
    return bands_ ? store_.artifact_count(kMinHashArtifact) : lsh_.size();
}

// Inside query()'s snapshot. A catalogue the store has no runs for any more (merged by a writer
// since) is read again; one that no longer covers the stored signatures cannot be (a writer
// commits both in one transaction), and the old one is kept then.
std::vector<int64_t> NearDuplicateIndex::candidates(const uint32_t* sig) {
    if (!bands_) return lsh_.query(sig);
    if (store_.data_version() != bands_version_)
        if (auto again = read_bands()) bands_ = std::move(again);
    return bands_->query(store_, sig);
}

// The band runs' catalogue for this index's banding (none: the store has none for it), and the
// store's data_version() it was read at; inside a read snapshot.
std::optional<LshBandStore> NearDuplicateIndex::read_bands() {
    bands_version_ = store_.data_version();
    return LshBandStore::open(store_, minhash_->perms(), lsh_.params(),
                              store_.max_artifact_seq(kMinHashArtifact));
}

std::vector<NearDuplicateMatch> NearDuplicateIndex::query(std::string_view text, bool partial) {
    std::vector<uint64_t> sh;
    shingler_->shingle(text, segmenter_, &sh);
    std::vector<NearDuplicateMatch> out;
    if (sh.empty()) return out;
    const std::vector<uint32_t> sig = minhash_->sign(sh);
    std::vector<int64_t> candidates;
    std::vector<StoredShingleSet> sets;
    store_.read_snapshot([&] {
        candidates = this->candidates(sig.data());
        sets = read_shingle_sets(store_, *shingler_, candidates);
    });
    for (std::size_t j = 0; j < candidates.size(); ++j) {
        if (!sets[j].found) continue;
        DOPPEL_CHECK(kBadFormat, sets[j].error.empty(), sets[j].error);
        const std::vector<uint64_t>& other = sets[j].shingles;
        const ShingleOverlap o = shingle_overlap(sh.data(), sh.size(), other.data(), other.size());
        const NearDuplicateMatch m{candidates[j], o.jaccard, o.containment};
        if (m.jaccard >= threshold_ || (partial && m.containment >= threshold_)) out.push_back(m);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.jaccard != b.jaccard ? a.jaccard > b.jaccard : a.seq < b.seq;
    });
    return out;
}

}  // namespace doppel
