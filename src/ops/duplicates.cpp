#include "doppel/ops/duplicates.h"

#include <algorithm>
#include <filesystem>

#include "doppel/error.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/ops/indexer.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/store/sketch_artifacts.h"
#include "doppel/store/store.h"
#include "impl/held_bytes.h"
#include "impl/parallel.h"
#include "ops/band_run_dedup.h"
#include "ops/dedup_state.h"

namespace doppel {
namespace {

using BatchFn = std::function<void(std::vector<Document>&)>;
using StoredBatchFn = std::function<void(StoredDocuments&)>;
// Which documents of a batch (read without texts or summaries) to read them for: 1 or 0 each.
using WantFn = std::function<std::vector<uint8_t>(const StoredDocuments&)>;

// Reads the line summaries of b's documents wanted (want[i]; all of them when `want` is null:
// "lines" artifacts, in one range scan, with the "shingle_set" ones beside them when `set_keys`);
// the texts of those without one (or with one that does not decode) are read instead. With
// `summaries` false (a store without them) only texts.
void read_line_summaries(const Store& store, StoredDocuments& b, const std::vector<uint8_t>* want,
                         bool summaries = true, bool set_keys = false) {
    const std::size_t n = b.seqs.size();
    b.summaries.assign(n, {});
    if (set_keys) b.set_keys.assign(n, {}), b.has_set_key.assign(n, 0);
    std::vector<uint8_t> missing(n, 1);
    std::size_t i = 0, first = 0, last = n;  // the wanted range [first, last)
    while (want && first < n && !(*want)[first]) ++first;
    while (want && last > first && !(*want)[last - 1]) --last;
    static const std::vector<std::string> kLines = {kLinesArtifact},
                                          kLinesAndSets = {kLinesArtifact, kShingleSetArtifact};
    if (first < last && summaries)
        store.scan_artifacts(set_keys ? kLinesAndSets : kLines, b.seqs[first], b.seqs[last - 1],
                             [&](int64_t seq, const std::optional<std::string_view>* blobs) {
                                 while (i < n && b.seqs[i] < seq) ++i;
                                 if (i == n || b.seqs[i] != seq || (want && !(*want)[i])) return;
                                 try {
                                     if (blobs[0]) b.summaries[i] = decode_lines(*blobs[0]), missing[i] = 0;
                                     if (set_keys && blobs[1])
                                         b.set_keys[i] = decode_set_key(*blobs[1]), b.has_set_key[i] = 1;
                                 } catch (const Error&) {
                                 }
                             });
    b.lines.assign(n, nullptr);
    for (std::size_t k = 0; k < n; ++k)
        if (!missing[k]) b.lines[k] = &b.summaries[k];
    std::vector<int64_t> texts;
    for (std::size_t k = 0; k < n; ++k)
        if (missing[k] && (!want || (*want)[k])) texts.push_back(b.seqs[k]);
    std::size_t k = 0;
    store.read_texts(texts, [&](int64_t seq, std::string_view text) {
        while (b.seqs[k] != seq) ++k;
        b.docs[k].text.assign(text);
    });
}

// Calls fn(batch) for every batch of the stored documents (those after seq `after` only), in seq
// order. A store with line summaries is read without the texts (read_line_summaries), one without
// as it was written. With `want`, only the wanted documents' summaries (or texts) are read.
// `total`: the store's size(), which progress reports against (counted once by the caller: at
// 10,000,000 documents a count reads a whole index).
void for_each_stored_batch(const Store& store, std::size_t total, std::size_t batch,
                           const ProgressCallback& progress, const StoredBatchFn& fn, const WantFn& want = {},
                           int64_t after = 0) {
    const bool summaries = store.max_artifact_seq(kLinesArtifact) > 0;
    const bool set_keys = summaries && store.max_artifact_seq(kShingleSetArtifact) > 0;
    StoredDocuments b;
    std::size_t done = 0;
    auto flush = [&] {
        if (want) {
            const std::vector<uint8_t> w = want(b);
            read_line_summaries(store, b, &w, summaries, set_keys);
        } else if (summaries) {
            read_line_summaries(store, b, nullptr, true, set_keys);
        } else {
            b.lines.assign(b.docs.size(), nullptr);
        }
        fn(b);
        done += b.docs.size();
        b = StoredDocuments();
        if (progress) progress(done, total);
    };
    auto add = [&](int64_t seq, std::string&& id, std::string&& text, std::string&& source, std::string&& url) {
        if (b.docs.empty()) b.docs.reserve(std::min<std::size_t>(batch, 1 << 16)), b.seqs.reserve(std::min<std::size_t>(batch, 1 << 16));
        Document& d = b.docs.emplace_back();
        d.id = std::move(id);
        d.text = std::move(text);
        d.source = std::move(source);
        d.url = std::move(url);
        b.seqs.push_back(seq);
        if (b.docs.size() >= batch) flush();
        return true;
    };
    if (!summaries && !want)  // the texts with the rows (without the paragraphs' languages)
        store.scan(
            [&](StoredDocument& s) {
                // The store's copy of the row, moved: no second copy of the text.
                return s.seq <= after ||
                       add(s.seq, std::move(s.id), std::move(s.text), std::move(s.source), std::move(s.url));
            },
            true, false);
    else  // the keys alone: summaries (or texts read later) stand for the text
        store.scan_keys(
            [&](const Store::DocumentKeys& k) {
                if (k.content_hash.size() == StoredDocuments::kHashChars)  // else none of the batch's taken
                    std::copy(k.content_hash.begin(), k.content_hash.end(),
                              b.content_hashes.emplace_back().begin());
                return add(k.seq, std::string(k.id), {}, std::string(k.source), std::string(k.url));
            },
            after);
    if (!b.docs.empty()) flush();
}

// The seq and source hash (document_source_hash) of every document pass 1 counted from its
// summary, in seq order: what an only-new run's pass 2 lists the earlier documents by, without
// reading the summaries again (16 bytes a document).
struct SummarizedDocuments {
    std::vector<int64_t> seqs;
    std::vector<uint64_t> sources;
};

// Pass 1 from the "lines" artifacts alone, where each names its document's source (version 2,
// index/near_duplicate_index.h): the documents' rows, texts and all, are not read (at 10,000,000
// feed items a scan of the keys read 12.6 GB of pages for about 85 bytes a document). Reads
// `batch` seqs at a time. True when every one of the store's `total` documents was counted so
// (then *listed, when given, names them); else (a summary of version 1 or one that does not
// decode, met first in an older store, or a document without one) the finder forgets what it
// counted, and the caller counts the way that reads the documents.
bool count_lines_from_summaries(const Store& store, NearDuplicateFinder& finder, std::size_t total,
                                std::size_t batch, const ProgressCallback& progress,
                                SummarizedDocuments* listed = nullptr) {
    if (store.max_artifact_seq(kLinesArtifact) == 0) return false;
    std::vector<LineSummary> summaries;
    std::vector<uint64_t> sources;
    std::vector<const LineSummary*> lines;
    std::size_t counted = 0;
    bool whole = true;
    if (listed) listed->seqs.reserve(total), listed->sources.reserve(total);
    const auto take = [&](int64_t seq, std::string_view blob) {
        if (!whole) return;
        std::optional<uint64_t> source;
        try {
            LineSummary s = decode_lines(blob, &source);
            whole = source.has_value();
            if (whole) summaries.push_back(std::move(s)), sources.push_back(*source);
            if (whole && listed) listed->seqs.push_back(seq), listed->sources.push_back(*source);
        } catch (const Error&) {
            whole = false;
        }
    };
    const int64_t last = store.max_seq(), step = static_cast<int64_t>(std::max<std::size_t>(batch, 1));
    for (int64_t from = 1; whole && from <= last; from += step) {
        store.scan_artifacts(kLinesArtifact, from, from + step - 1, take);
        if (!whole || summaries.empty()) continue;
        lines.resize(summaries.size());
        for (std::size_t i = 0; i < summaries.size(); ++i) lines[i] = &summaries[i];
        finder.count_lines(summaries.size(), sources.data(), lines.data());
        counted += summaries.size();
        summaries.clear(), sources.clear();
        if (progress) progress(counted, total);
    }
    if (whole && counted == total) return true;
    finder.take_line_counts();  // what was counted, forgotten
    if (listed) *listed = {};
    return false;
}

// Pass 2 of an only-new run whose pass 1 counted every document from its version-2 summary
// (count_lines_from_summaries, `listed`): for_each_stored_batch with `want` = a source with
// boilerplate or a new document, without reading every row. The earlier documents (seq up to
// `since`) are those pass 1 listed, by seq and source (b.sources); the summaries of those in a
// source with boilerplate are read, then the rows that on_disk needs (BandRunDedup::rows_needed:
// not of a document it keeps by its stored sketch or band keys), by seq. The others stay empty
// Documents, no id, source or text: BandRunDedup keeps them as earlier documents, and
// describe_earlier() names those the result refers to. (A daily batch of 100,000 into a store of
// 10,000,000 read every row's pages, texts and all, for their ids: 46% of the run.) The new
// documents are read by range, as there.
void for_each_summarized_batch(const Store& store, NearDuplicateFinder& finder, const BandRunDedup& on_disk,
                               int64_t since, SummarizedDocuments listed, std::size_t total,
                               std::size_t batch, const ProgressCallback& progress, const StoredBatchFn& fn) {
    const bool set_keys = store.max_artifact_seq(kShingleSetArtifact) > 0;
    const auto earlier = static_cast<std::size_t>(
        std::upper_bound(listed.seqs.begin(), listed.seqs.end(), since) - listed.seqs.begin());
    const std::size_t step = std::max<std::size_t>(batch, 1);
    for (std::size_t from = 0; from < earlier; from += step) {
        const std::size_t n = std::min(step, earlier - from);
        StoredDocuments b;
        b.seqs.assign(listed.seqs.begin() + from, listed.seqs.begin() + from + n);
        b.sources.assign(listed.sources.begin() + from, listed.sources.begin() + from + n);
        b.docs.resize(n);
        const std::vector<uint8_t> want = finder.in_boilerplate_source(n, b.sources.data());
        read_line_summaries(store, b, &want, true, set_keys);
        const std::vector<uint8_t> needed = on_disk.rows_needed(b);
        std::vector<int64_t> rows;
        for (std::size_t i = 0; i < n; ++i)
            if (needed[i]) rows.push_back(b.seqs[i]);
        std::size_t i = 0;
        store.read_keys(rows, [&](const Store::DocumentKeys& k) {
            while (b.seqs[i] != k.seq) ++i;
            Document& d = b.docs[i];
            d.id = k.id, d.source = k.source, d.url = k.url;
        });
        fn(b);
        if (progress) progress(from + n, total);
    }
    listed = {};  // its memory, given back before the new documents are read
    const ProgressCallback after_earlier = [&](std::size_t n, std::size_t t) {
        if (progress) progress(earlier + n, t);
    };
    for_each_stored_batch(store, total, batch, after_earlier, fn, {}, since);  // every summary wanted
}

// Completes the earlier documents of an only-new result that a pair or cluster refers to:
// their ids where for_each_summarized_batch left them unnamed, and their shingle counts where
// they were kept aside with none (BandRunDedup::keep_earlier: their stored set stands, so its
// key, the "shingle_set" artifact, has its size), as a full run reports them. Reads by seq
// (seqs: the result's documents').
void describe_earlier(const Store& store, NearDuplicateResult& r, const std::vector<int64_t>& seqs,
                      uint32_t first_new) {
    std::vector<uint32_t> ks;
    const auto refer = [&](uint32_t k) {
        if (k < first_new && (r.docs[k].id.empty() || r.docs[k].shingles == 0)) ks.push_back(k);
    };
    for (const auto& p : r.pairs) refer(p.a), refer(p.b);
    for (const auto& c : r.clusters) {
        refer(c.representative);
        for (uint32_t m : c.members) refer(m);
    }
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    std::vector<int64_t> unnamed, unsized;
    std::vector<uint32_t> unnamed_k, unsized_k;
    for (uint32_t k : ks) {
        if (r.docs[k].id.empty()) unnamed.push_back(seqs[k]), unnamed_k.push_back(k);
        if (r.docs[k].shingles == 0) unsized.push_back(seqs[k]), unsized_k.push_back(k);
    }
    std::size_t j = 0;
    store.read_keys(unnamed, [&](const Store::DocumentKeys& d) {
        while (unnamed[j] != d.seq) ++j;
        r.docs[unnamed_k[j]].id = d.id;
    });
    j = 0;
    store.read_artifacts(kShingleSetArtifact, unsized, [&](int64_t seq, std::string_view blob) {
        while (unsized[j] != seq) ++j;
        try {
            r.docs[unsized_k[j]].shingles = decode_set_key(blob).size;
        } catch (const Error&) {  // left as it was
        }
    });
}

// The shingles and signatures the near-duplicate stage stored (index/near_duplicate_index.h),
// when it made them with the finder's shingle and MinHash specs; none otherwise. The signatures
// are read at once (in seq order), the shingle sets of a batch (and their line maps) when it is
// added (read_shingle_sets), and the signatures that are notes signed from those sets then
// (read_signatures' phases). A document without both artifacts, or with one that does not
// decode, has none: it is shingled.
class StoredSketches {
public:
    StoredSketches(const Store& store, const NearDuplicateOptions& o);
    // The sketches of `seqs` (null: none); batches are asked in increasing seq order.
    std::vector<PrecomputedSketch*> take(const std::vector<int64_t>& seqs);

private:
    const Store& store_;
    std::unique_ptr<Shingler> shingler_;
    std::unique_ptr<MinHash> minhash_;
    std::vector<int64_t> seqs_;
    std::vector<PrecomputedSketch> sketches_;
    std::vector<bool> of_set_;  // sketches_[k]'s signature is the note: signed in take()
    std::size_t at_ = 0;
};

StoredSketches::StoredSketches(const Store& store, const NearDuplicateOptions& o)
    : store_(store), shingler_(Shingler::from_spec(o.shingle_spec)), minhash_(MinHash::from_spec(o.minhash_spec)) {
    const auto spec = store.meta(kNearDuplicateSpecMeta);
    if (!spec || *spec != near_duplicate_sketch_spec(o.shingle_spec, o.minhash_spec)) return;
    store.scan_artifacts(kMinHashArtifact, [&](int64_t seq, std::string_view blob) {
        StoredSignature s = decode_stored_signature(blob, minhash_->perms(), minhash_->seed());
        if (!s.found && !s.of_set) return;
        sketches_.push_back({{}, std::move(s.sig), {}});
        of_set_.push_back(s.of_set);
        seqs_.push_back(seq);
    });
}

std::vector<PrecomputedSketch*> StoredSketches::take(const std::vector<int64_t>& seqs) {
    std::vector<PrecomputedSketch*> out(seqs.size(), nullptr);
    std::vector<int64_t> signed_seqs;  // the seqs with a signature, and their sketches
    std::vector<std::size_t> signed_at;
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        while (at_ < seqs_.size() && seqs_[at_] < seqs[i]) ++at_;
        if (at_ == seqs_.size() || seqs_[at_] != seqs[i]) continue;
        signed_seqs.push_back(seqs[i]);
        signed_at.push_back(at_);
    }
    std::vector<StoredShingleSet> sets = read_shingle_sets(store_, *shingler_, signed_seqs, true);
    std::vector<StoredSignature> notes(signed_seqs.size());
    for (std::size_t j = 0; j < signed_seqs.size(); ++j) notes[j].of_set = of_set_[signed_at[j]];
    sign_stored_sets(*minhash_, sets, notes);
    for (std::size_t j = 0, i = 0; j < signed_seqs.size(); ++j) {
        while (seqs[i] != signed_seqs[j]) ++i;
        if (!sets[j].found || !sets[j].error.empty() || (notes[j].of_set && !notes[j].found)) continue;
        PrecomputedSketch& p = sketches_[signed_at[j]];
        if (notes[j].of_set) p.sig = std::move(notes[j].sig);
        p.shingles = std::move(sets[j].shingles);
        p.counts = std::move(sets[j].counts);
        out[i] = &p;
    }
    return out;
}

// One pass over the files: calls fn(batch) for every batch while the next one is read on another
// thread. Bad records go to *errors when it is given.
void for_each_file_batch(const std::vector<std::string>& paths, const FileDedupOptions& read,
                         const ReadProgressCallback& progress, std::vector<RecordError>* errors,
                         const BatchFn& fn) {
    DocumentReader reader(paths);
    struct Batch {
        std::vector<Document> docs;
        std::vector<RecordError> errors;
        bool more = false;
    };
    auto next_batch = [&] {
        Batch b;
        b.more = reader.next_batch(read.batch, b.docs, b.errors) || !b.errors.empty();
        if (read.id_from_path)
            for (auto& d : b.docs) d.id = d.source;
        return b;
    };
    Batch cur = next_batch();
    while (cur.more) {
        auto next = impl::in_background(next_batch);
        if (errors) errors->insert(errors->end(), cur.errors.begin(), cur.errors.end());
        if (!cur.docs.empty()) fn(cur.docs);
        cur = next.get();
        if (progress) progress(reader.bytes_read(), reader.bytes_total());
    }
}

// Whether pass 1's batches, `held` bytes in memory for the share `seen` of the input (0: not
// known), can stay for pass 2 within `budget`: the one rule of the stored and the file paths.
// Where the share is known, batches bound to pass the budget at the bytes a document so far go at
// once (an estimate: an input whose first documents are its longest is read twice when it need
// not be). (Kept until the budget was passed, they set the peak of the 10,000,000-item feed's
// dedup --store: 2,482 MB, against 1,898 MB.)
bool batches_fit(std::size_t held, double seen, std::size_t budget) {
    return held <= budget && (seen <= 0 || static_cast<double>(held) / seen <= static_cast<double>(budget));
}

// Pass 1 with boilerplate on: counts the lines of every source and keeps the documents while they
// fit in cache_mb (always for standard input, which cannot be read twice). Returns whether the
// cache holds every document.
bool count_lines_and_cache(NearDuplicateFinder& finder, const std::vector<std::string>& paths,
                           const FileDedupOptions& read, const ReadProgressCallback& progress,
                           std::vector<RecordError>* errors, std::vector<std::vector<Document>>* cache) {
    const bool from_stdin = std::find(paths.begin(), paths.end(), "-") != paths.end();
    std::size_t cached_bytes = 0;
    bool cached = true;
    for_each_file_batch(paths, read, progress, errors, [&](std::vector<Document>& d) {
        finder.count_lines(d.size(), d.data());
        if (!cached) return;
        cached_bytes += impl::held_bytes(d);
        if (!batches_fit(cached_bytes, 0, read.cache_mb << 20) && !from_stdin) {
            cached = false;
            std::vector<std::vector<Document>>().swap(*cache);
            return;
        }
        cache->push_back(std::move(d));
    });
    return cached;
}

}  // namespace

namespace {

// Bytes a document kept between the passes holds at least (StoredDocuments::memory counts them).
constexpr std::size_t kLeastBytesKept =
    sizeof(Document) + sizeof(int64_t) + sizeof(LineSummary) + sizeof(void*);

// Gives the finder every stored document: count_lines() over all of them first when boilerplate is
// on (the documents stay in memory between the passes while they fit in kDedupMemoryBudgetMb, so
// a small store is read once; a store too large for that counts from its line summaries alone
// where they name the sources), then add(batch, seqs) in seq order.
void feed_stored_documents(const Store& store, NearDuplicateFinder& finder, std::size_t batch,
                           const ProgressCallback& progress, const StoredBatchFn& add) {
    std::vector<StoredDocuments> cache;
    const std::size_t total = store.size(), budget = kDedupMemoryBudgetMb << 20;
    const bool too_large = total * kLeastBytesKept > budget;
    const bool count_reading_documents =
        finder.options().boilerplate &&
        !(too_large && count_lines_from_summaries(store, finder, total, batch, progress));
    bool cached = count_reading_documents;
    std::size_t cached_bytes = 0, counted = 0;
    if (count_reading_documents)
        for_each_stored_batch(store, total, batch, progress, [&](StoredDocuments& b) {
            finder.count_lines(b.docs.size(), b.docs.data(), b.lines.data());
            cached_bytes += b.memory();
            counted += b.docs.size();
            const bool fits = batches_fit(cached_bytes, static_cast<double>(counted) / total, budget);
            if (cached && !fits) decltype(cache)().swap(cache);
            cached = cached && fits;
            if (cached) cache.push_back(std::move(b));
        });
    if (!cached) for_each_stored_batch(store, total, batch, progress, add);
    for (auto& b : cache) {
        add(b);
        b = StoredDocuments();
    }
}

}  // namespace

namespace {

// The way without band runs holds every document's signature, band keys and shingle set until the
// end (a 1,000,000-item feed at threshold 0.5 peaked at 2.8 GB): refused before it starts where
// that would not fit (check_fits_in_memory). Per document its signature, its band keys (16 bytes
// each) and 64 bytes, and shingle sets of as many bytes as the database file (more than the text
// it holds, which a set about matches).
void check_in_memory_fits(const Store& store, const NearDuplicateFinder& finder) {
    const NearDuplicateOptions& o = finder.options();
    const auto perms = static_cast<uint64_t>(MinHash::from_spec(o.minhash_spec)->perms());
    const auto bands = static_cast<uint64_t>(finder.lsh_params().bands);
    std::error_code ec;
    const uint64_t file = std::filesystem::file_size(std::filesystem::path(store.dir()) / Store::kDatabaseFile, ec);
    check_fits_in_memory(store, store.size() * (perms * 4 + bands * 16 + 64) + (ec ? 0 : file), o.threshold,
                         o.exact ? "dedup --store --exact" : "dedup --store",
                         o.exact ? "leave out --exact, and LSH finds the pairs from band runs on disk" : "");
}

// A full run; the seq of each document number in *seqs when given, and the boilerplate band
// keys it made in *bands when given (BandRunDedup::keep_boilerplate_bands).
NearDuplicateResult stored_duplicates(const Store& store, const NearDuplicateOptions& options,
                                      std::size_t batch, const ProgressCallback& progress,
                                      std::vector<int64_t>* seqs,
                                      std::shared_ptr<const BoilerplateBandsMade>* bands = nullptr) {
    NearDuplicateFinder finder(options);
    // Memory bounded by design where the store's band runs serve these options (ops/band_run_dedup.h).
    if (auto on_disk = BandRunDedup::open(store, finder)) {
        if (bands) on_disk->keep_boilerplate_bands();
        feed_stored_documents(store, finder, batch, progress, [&](StoredDocuments& b) { on_disk->add(b); });
        if (seqs) *seqs = on_disk->seqs();
        NearDuplicateResult r = on_disk->finish();
        if (bands) *bands = on_disk->take_boilerplate_bands();
        return r;
    }
    // Else every sketch in memory, the stored ones taken where they serve.
    check_in_memory_fits(store, finder);
    StoredSketches sketches(store, options);
    std::vector<PrecomputedSketch*> pre;
    feed_stored_documents(store, finder, batch, progress, [&](StoredDocuments& b) {
        if (seqs) seqs->insert(seqs->end(), b.seqs.begin(), b.seqs.end());
        std::vector<uint8_t> own = finder.needs_text(b.docs.size(), b.docs.data(), b.lines.data());  // shingled again
        pre = sketches.take(b.seqs);  // with a boilerplate line: derived (line map)
        for (std::size_t i = 0; i < b.seqs.size(); ++i) own[i] = own[i] || !pre[i];
        b.read_texts(store, own);
        finder.add(b.docs.size(), b.docs.data(), pre.data(), b.lines.data());
    });
    return finder.finish();
}

// The state a run leaves (ops/dedup_state.h), for record_new_duplicates(): it covered `docs`
// documents up to seq `since`, with that boilerplate fingerprint; its spec and boilerplate line
// count are the result's. No members yet.
NewStoredDuplicates::Mark mark_of(const NearDuplicateResult& r, int64_t since, uint64_t docs,
                                  uint64_t boilerplate, bool full) {
    return {since, docs, boilerplate, {}, r.spec, full, r.boilerplate_lines, {}};
}

// The state of a run through the documents of `seqs`: the members of its clusters from document
// `from` on are added (all of them with `full`).
NewStoredDuplicates::Mark mark_of(const NearDuplicateResult& r, const std::vector<int64_t>& seqs,
                                  int64_t since, uint32_t from, bool full) {
    NewStoredDuplicates::Mark m = mark_of(r, seqs.empty() ? since : std::max(since, seqs.back()), seqs.size(),
                                          boilerplate_fingerprint(seqs, r.docs, seqs.size()), full);
    for (const auto& c : r.clusters)
        for (uint32_t k : c.members)
            if (k >= from) m.members.push_back(seqs[k]);
    std::sort(m.members.begin(), m.members.end());
    return m;
}

// A full run's result cut to the documents from first_new on: their pairs, their clusters with
// only them as members, their repeated lines.
void keep_new(NearDuplicateResult& r, uint32_t first_new) {
    std::erase_if(r.pairs, [&](const NearDuplicatePair& p) { return p.b < first_new; });
    for (auto& c : r.clusters) {
        NearDuplicateCluster kept{c.representative, {}, {}};
        for (std::size_t i = 0; i < c.members.size(); ++i)
            if (c.members[i] >= first_new)
                kept.members.push_back(c.members[i]), kept.similarity.push_back(c.similarity[i]);
        c = std::move(kept);
    }
    std::erase_if(r.clusters, [](const NearDuplicateCluster& c) { return c.members.empty(); });
    for (uint32_t k = 0; k < first_new && k < r.docs.size(); ++k)
        std::vector<RepeatedLine>().swap(r.docs[k].repeated_lines);
}

uint32_t first_after(const std::vector<int64_t>& seqs, int64_t since) {
    return static_cast<uint32_t>(std::upper_bound(seqs.begin(), seqs.end(), since) - seqs.begin());
}

// The answer when no document was added or deleted since the earlier run (the store's seqs end at
// its `since` and its count is its `docs`): no pair, cluster or repeated line; the documents
// numbered, unnamed. nullopt otherwise, or when the earlier run did not record its boilerplate
// line count (the summary reports it).
std::optional<NewStoredDuplicates> nothing_new(const Store& store, const NearDuplicateFinder& finder,
                                               const DedupState& earlier, const ProgressCallback& progress) {
    if (!earlier.boilerplate_lines || store.max_seq() > earlier.since || store.size() != earlier.docs)
        return std::nullopt;
    NewStoredDuplicates out;
    out.since = earlier.since;
    NearDuplicateResult& r = out.result;
    r.docs.resize(earlier.docs);
    r.lsh = finder.lsh_params();
    r.boilerplate_lines = *earlier.boilerplate_lines;
    r.spec = finder.describe();
    out.mark = mark_of(r, earlier.since, earlier.docs, earlier.boilerplate, false);  // as it was
    if (progress) progress(earlier.docs, earlier.docs);
    return out;
}

// The passes of only_new() (see there), then the earlier documents the result names described
// (their ids and shingle counts, describe_earlier); nullopt (with the reason in *why) when a
// full run is needed.
std::optional<NewStoredDuplicates> compare_new(const Store& store, NearDuplicateFinder& finder,
                                               BandRunDedup& on_disk, const DedupState& earlier,
                                               std::size_t total, std::size_t batch,
                                               const ProgressCallback& progress, std::string* why) {
    // Pass 1 counts every document's lines (boilerplate is per source); pass 2 reads the
    // summaries (or texts) of the new documents and of earlier ones of a source with boilerplate.
    // (Keeping pass 1's documents for pass 2, as a full run does, saved a tenth of the CPU at 1M
    // documents and tripled the peak memory: 145 -> 420 MiB.)
    const bool boilerplate = finder.options().boilerplate;
    SummarizedDocuments listed;
    const bool from_summaries =
        boilerplate && count_lines_from_summaries(store, finder, total, batch, progress, &listed);
    if (boilerplate && !from_summaries)
        for_each_stored_batch(store, total, batch, progress, [&](StoredDocuments& b) {
            finder.count_lines(b.docs.size(), b.docs.data(), b.lines.data());
        });
    const StoredBatchFn add = [&](StoredDocuments& b) { on_disk.add(b); };
    const WantFn want = [&](const StoredDocuments& b) {
        std::vector<uint8_t> w = finder.in_boilerplate_source(b.docs.size(), b.docs.data());
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = w[i] || b.seqs[i] > earlier.since;
        return w;
    };
    if (from_summaries)
        for_each_summarized_batch(store, finder, on_disk, earlier.since, std::move(listed), total, batch,
                                  progress, add);
    else
        for_each_stored_batch(store, total, batch, progress, add, want);
    NewStoredDuplicates out{on_disk.finish(), earlier.since, 0, {}, {}};
    const std::vector<int64_t>& seqs = on_disk.seqs();
    const uint32_t first_new = first_after(seqs, earlier.since);
    if (first_new != earlier.docs)
        *why = "earlier documents were deleted or replaced";
    else if (boilerplate_fingerprint(seqs, out.result.docs, first_new) != earlier.boilerplate)
        *why = "boilerplate lines of earlier documents changed";
    else if (on_disk.stored_bands_disagree())
        *why = "stored boilerplate band keys disagree with a document's set";
    if (!why->empty()) return std::nullopt;
    describe_earlier(store, out.result, seqs, first_new);
    out.new_docs = seqs.size() - first_new;
    out.mark = mark_of(out.result, seqs, earlier.since, first_new, false);
    out.mark.boilerplate_bands = on_disk.take_boilerplate_bands();
    return out;
}

// Only the new documents, through the band runs; nullopt (with the reason in *why) when a full
// run is needed. The passes read one snapshot of the store (Store::read_snapshot): pass 2 lists
// the documents pass 1 counted and the end names some of them, so a writer's commit meanwhile (a
// deletion) must not show. The count is taken before it, where the band runs' opening keeps it
// (a count inside a transaction is made again): a commit in between makes pass 1 fall back to
// the rows.
std::optional<NewStoredDuplicates> only_new(const Store& store, const NearDuplicateOptions& options,
                                            const DedupState& earlier, std::size_t batch,
                                            const ProgressCallback& progress, std::string* why) {
    NearDuplicateFinder finder(options);
    auto on_disk = BandRunDedup::open(store, finder, BandRunDedup::kOwnSetsInMemory, &earlier);
    if (!on_disk) {
        *why = "the store's band runs do not serve these options";
        return std::nullopt;
    }
    on_disk->keep_boilerplate_bands();
    if (auto none = nothing_new(store, finder, earlier, progress)) return none;
    const std::size_t total = store.size();
    std::optional<NewStoredDuplicates> out;
    store.read_snapshot(
        [&] { out = compare_new(store, finder, *on_disk, earlier, total, batch, progress, why); });
    return out;
}

// The options with the banding the store's band runs serve where they reach the asked recall at
// the threshold (store_banding: e.g. any threshold from 0.8 up), so such a run reads the runs
// instead of holding every sketch in memory. An explicit banding, or exact mode, is kept.
NearDuplicateOptions with_store_banding(const Store& store, NearDuplicateOptions o) {
    if (o.exact || o.banding != LshParams{}) return o;
    const int perms = MinHash::from_spec(o.minhash_spec)->perms();
    const LshParams serving = store_banding(stored_bandings(store, perms), perms, o.threshold, o.target_recall);
    // The banding the options choose themselves stays implicit, so their spec reads as before.
    if (serving != choose_lsh_params(o.threshold, perms, o.target_recall)) o.banding = serving;
    return o;
}

}  // namespace

NearDuplicateResult find_stored_duplicates(const Store& store, const NearDuplicateOptions& options,
                                           std::size_t batch, const ProgressCallback& progress) {
    return stored_duplicates(store, with_store_banding(store, options), batch, progress, nullptr);
}

void record_new_duplicates(Store& store, const NewStoredDuplicates::Mark& m) {
    // The band keys a chunk at a time, bound where they lie, with the state.
    store.transaction([&] {
        if (m.boilerplate_bands)
            m.boilerplate_bands->for_each_chunk(
                [&](std::size_t n, const int64_t* seqs, const std::string_view* blobs) {
                    store.put_artifacts_of_stored(kBoilerplateBandsArtifact, n, seqs, blobs);
                });
        DedupState::write(store, m.since, m.docs, m.boilerplate, m.members, m.spec, m.full,
                          m.boilerplate_lines);
    });
}

NewStoredDuplicates find_new_stored_duplicates(const Store& store, const NearDuplicateOptions& asked,
                                               std::size_t batch, const ProgressCallback& progress) {
    const NearDuplicateOptions options = with_store_banding(store, asked);
    const std::optional<DedupState> earlier =
        DedupState::read(store, NearDuplicateFinder(options).describe());
    std::string why = earlier ? "" : "no earlier run with these options recorded";
    if (earlier)
        if (auto out = only_new(store, options, *earlier, batch, progress, &why)) return std::move(*out);
    // A full run, cut to the new documents.
    std::vector<int64_t> seqs;
    std::shared_ptr<const BoilerplateBandsMade> bands;
    NewStoredDuplicates out{stored_duplicates(store, options, batch, progress, &seqs, &bands),
                            earlier ? earlier->since : 0,
                            0,
                            why,
                            {}};
    out.mark = mark_of(out.result, seqs, out.since, 0, true);
    out.mark.boilerplate_bands = std::move(bands);
    const uint32_t first_new = first_after(seqs, out.since);
    out.new_docs = seqs.size() - first_new;
    keep_new(out.result, first_new);
    return out;
}

namespace {
// The branch both run_stored_dedup()s take: only the new documents, or every one (all new).
NewStoredDuplicates find_stored_run(const Store& store, bool only_new, const NearDuplicateOptions& options,
                                    std::size_t batch, const ProgressCallback& progress) {
    if (only_new) return find_new_stored_duplicates(store, options, batch, progress);
    NewStoredDuplicates found;
    found.result = find_stored_duplicates(store, options, batch, progress);
    found.new_docs = found.result.docs.size();
    return found;
}
}  // namespace

StoredDedupRun run_stored_dedup(const std::string& dir, bool only_new, const NearDuplicateOptions& options,
                                std::size_t batch, const ProgressCallback& progress) {
    StoreOptions open;
    open.create = false;
    open.read_only = !only_new;
    open.one_thread = true;  // the run and its output read it on this thread alone
    StoredDedupRun run{std::make_shared<Store>(dir, open), {}, only_new};
    run.found = find_stored_run(*run.store, only_new, options, batch, progress);
    return run;
}

NewStoredDuplicates run_stored_dedup(Store& store, bool only_new, const NearDuplicateOptions& options,
                                     std::size_t batch, const ProgressCallback& progress) {
    NewStoredDuplicates found = find_stored_run(store, only_new, options, batch, progress);
    if (only_new) record_new_duplicates(store, found.mark);
    return found;
}

void StoredDedupRun::record() const {
    if (only_new) record_new_duplicates(*store, found.mark);
}

FileDedup find_file_duplicates(const std::vector<std::string>& paths, const NearDuplicateOptions& options,
                               const FileDedupOptions& read, const ReadProgressCallback& progress) {
    DOPPEL_CHECK(kInvalidArgument, !paths.empty(), "no files to compare");
    NearDuplicateFinder finder(options);
    FileDedup out;
    // Boilerplate needs two passes (line counts per source, then shingles); the first keeps the
    // documents in memory when they fit, so small inputs are read once.
    std::vector<std::vector<Document>> cache;
    const bool cached =
        options.boilerplate && count_lines_and_cache(finder, paths, read, progress, &out.errors, &cache);
    if (cached) {
        for (auto& d : cache) {
            finder.add(d.size(), d.data());
            std::vector<Document>().swap(d);
        }
    } else {
        for_each_file_batch(paths, read, progress, options.boilerplate ? nullptr : &out.errors,
                            [&](std::vector<Document>& d) { finder.add(d.size(), d.data()); });
    }
    out.result = finder.finish();
    return out;
}

const char* check_status_name(CheckStatus s) {
    switch (s) {
        case CheckStatus::kNew:
            return "new";
        case CheckStatus::kExact:
            return "exact";
        case CheckStatus::kNear:
            return "near";
    }
    return "?";
}

DuplicateChecker::DuplicateChecker(const Store& store, CheckOptions options)
    : store_(store),
      options_(options),
      index_(std::make_unique<NearDuplicateIndex>(store, options.threshold, options.recall)) {}

DuplicateChecker::~DuplicateChecker() = default;

std::size_t DuplicateChecker::size() const { return index_->size(); }
bool DuplicateChecker::on_disk() const { return index_->on_disk(); }

std::vector<CheckResult> DuplicateChecker::check(std::size_t n, const Document* docs) {
    std::vector<CheckResult> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(check_one(docs[i]));
    return out;
}

CheckResult DuplicateChecker::check_one(const Document& doc) {
    CheckResult r;
    r.id = doc.id;
    const std::vector<NearDuplicateMatch> matches = index_->query(doc.text, options_.partial);
    const std::string hash = content_hash(doc.text);
    // Matches come most similar first; an exact copy wins over a more similar near one.
    for (const auto& m : matches) {
        if (m.jaccard < options_.threshold) continue;
        const auto s = store_.get_by_seq(m.seq, false);
        if (!s) continue;
        const bool same = s->content_hash == hash || m.jaccard >= 1.0;
        if (r.match_id.empty() || (same && r.status != CheckStatus::kExact)) {
            r.status = same ? CheckStatus::kExact : CheckStatus::kNear;
            r.match_id = s->id;
            r.similarity = m.jaccard;
            r.containment = m.containment;
        }
    }
    if (!options_.partial) return r;
    for (const auto& m : matches) {
        if (m.jaccard >= options_.threshold) continue;
        if (const auto s = store_.get_by_seq(m.seq, false))
            r.partial.push_back({s->id, m.jaccard, m.containment});
    }
    return r;
}

}  // namespace doppel
