#include "doppel/ops/indexer.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "doppel/error.h"
#include "doppel/index/embedding_stage.h"
#include "doppel/index/near_duplicate_index.h"
#include "impl/clock.h"
#include "impl/parallel.h"
#include "impl/repeats.h"

namespace doppel {
namespace {
using impl::Clock;
using impl::seconds_between;
}  // namespace

void IndexSummary::add_seconds(const std::string& stage, double s) {
    for (auto& [name, v] : seconds)
        if (name == stage) {
            v += s;
            return;
        }
    seconds.emplace_back(stage, s);
}

std::string content_hash(std::string_view text) {
    const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                  static_cast<unsigned long long>(h.low64));
    return buf;
}

Indexer::Indexer(Store& store, const LanguageIdentifier& langid)
    : store_(store), lock_(store.dir()), langid_(&langid) {}

Indexer::Indexer(Store& store) : store_(store), lock_(store.dir()), langid_(nullptr) {}

Indexer::Indexer(Store& store, WithoutLanguages)
    : store_(store), lock_(store.dir()), langid_(nullptr), without_languages_(true) {}


AnalyzedDocument analyze_document(Document doc, const LanguageIdentifier& langid,
                                  const std::vector<std::string>& likely) {
    AnalyzedDocument a;
    a.doc = std::move(doc);
    a.content_hash = content_hash(a.doc.text);
    langid.analyze(&a, likely);
    return a;
}

AnalyzedDocument Indexer::analyze(Document doc) const {
    DOPPEL_CHECK(kInvalidArgument, langid_ != nullptr, "Indexer without a language identifier cannot analyze documents");
    if (!likely_) likely_ = langid_->likely_languages(store_.top_label_counts());
    return analyze_document(std::move(doc), *langid_, *likely_);
}

// The stored documents per top label, read once and kept up to date by add().
std::map<std::string, std::size_t>& Indexer::stored_top_labels() {
    if (!top_labels_) top_labels_ = store_.top_label_counts();
    return *top_labels_;
}

// Times of one batch (DOPPEL_DEBUG_PIPELINE): wall seconds of the writing thread's steps, of its
// waits for the other threads, and of the preparing thread's steps.
struct BatchTimes {
    double put = 0, begin = 0, stages = 0, commit = 0, writer_cpu = 0;  // the writing thread busy
    double wait_analysis = 0, wait_prepared = 0, wait_read = 0;         // ... and waiting
    double analysis = 0, prepare = 0;                                   // the preparing thread
};

struct Indexer::Pending {
    std::vector<Document> owned;  // the documents, when add_stream holds them
    std::size_t n = 0;
    Document* docs = nullptr;       // n documents (those to analyze are moved from)
    std::vector<PutStatus> status;  // per document; kSuperseded until decided
    std::vector<std::size_t> todo;  // positions of the documents to analyze and store
    std::vector<bool> absent;       // per todo: its id was not stored when the batch was begun
    std::size_t unchanged = 0;      // documents done already
    std::vector<RecordError> superseded;
    // Stored documents per top label as the batch was begun (the batches before it put): what
    // language ID decides this batch's likely languages with.
    std::map<std::string, std::size_t> stored_labels;
    // With language ID, per todo: its content hash, and the analysis of a document stored
    // earlier in the run with the same text (find_stored_copies), if any.
    std::vector<std::string> doc_hashes;  // per document, where hashed when read (hash_texts)
    std::vector<std::string> hashes;
    std::vector<std::optional<AnalyzedDocument>> known;
    std::vector<uint32_t> known_likely;
    std::vector<AnalyzedDocument> analyzed;  // of todo, in order
    std::vector<std::string> likely;         // the likely languages its fallback decisions were made among
    std::vector<std::unique_ptr<IndexStage::Prepared>> prepared;  // per stage
    std::vector<std::pair<std::string, double>> seconds;          // analysis and each stage's prepare()
    BatchTimes times;
};

namespace {

// The language evidence of a batch's texts, each text read once: first[i] is the first document
// with document i's text, whose evidence is read[slot[first[i]]].
struct BatchEvidence {
    std::vector<std::size_t> first, slot;
    std::vector<DocumentLanguageEvidence> read;

    const DocumentLanguageEvidence& of(std::size_t i) const { return read[slot[first[i]]]; }
    // Reads the texts of the batch's documents `which` (firsts), on all cores.
    void read_texts(const LanguageIdentifier& langid, const std::vector<std::size_t>& todo,
                    const Document* docs, const std::vector<std::size_t>& which) {
        std::vector<std::string_view> texts;
        for (std::size_t k : which) texts.emplace_back(docs[todo[k]].text);
        const std::size_t at = read.size();
        read.resize(at + which.size());
        langid.read_documents(texts.size(), texts.data(), read.data() + at);
        for (std::size_t j = 0; j < which.size(); ++j) slot[which[j]] = at + j;
    }
};

// The stored documents per top label, and the batch's, counted as stored (a known analysis's
// top label is the one stored with it).
std::map<std::string, std::size_t> top_labels_with(
    const std::map<std::string, std::size_t>& stored, const BatchEvidence& e,
    const std::vector<std::optional<AnalyzedDocument>>& known) {
    std::map<std::string, std::size_t> counts = stored;
    for (std::size_t i = 0; i < e.first.size(); ++i) {
        if (const auto& k = known[e.first[i]]) {
            if (!k->lang_top.empty()) ++counts[k->lang_top];
        } else if (const LanguageScores& s = e.of(i).scores; !s.labels.empty()) {
            ++counts[s.labels[0].lang];
        }
    }
    return counts;
}

// The high 64 bits of a content hash (its first 16 hex digits): run_holders_' key.
uint64_t holder_key(const std::string& hash) {
    uint64_t key = 0;
    std::from_chars(hash.data(), hash.data() + std::min<std::size_t>(hash.size(), 16), key, 16);
    return key;
}
uint64_t hint_key(const std::string& hint) { return std::hash<std::string>{}(hint); }

// At most this many texts are remembered as stored in a run (Indexer::run_holders_, 48 bytes each).
constexpr std::size_t kRunHolders = std::size_t{1} << 20;
}  // namespace

// Language ID of a batch in two phases: every document's top labels and its paragraphs' (on all
// cores, LanguageIdentifier::read_documents: a long document in parts), then the likely languages
// that the documents whose top label is not trusted choose among, and each document's decision
// (on all cores). The likely languages are counted from the top labels of the stored documents
// and of this batch: those of the store once the batch is stored, so that settling
// (settle_languages) seldom changes a decision. A text is read once, and not at all where a
// document stored earlier in the run has it (b.known, find_stored_copies) with a decision that
// holds here: one of the text alone, or one made among the same likely languages with the
// same lang hint. Every decision is the one analyzing the document alone would make.
std::vector<AnalyzedDocument> Indexer::analyze_batch(Pending& b) const {
    DOPPEL_CHECK(kInvalidArgument, langid_ != nullptr, "Indexer without a language identifier cannot analyze documents");
    const std::size_t n = b.todo.size();
    const auto hint = [&](std::size_t i) -> const std::string& { return b.docs[b.todo[i]].lang_hint; };
    const auto of_text_alone = [&](std::size_t f) { return b.known[f] && b.known_likely[f] == kAnyLikely; };
    BatchEvidence e;
    e.first = impl::first_of_repeats(b.hashes, [&](std::size_t x, std::size_t y) {
        return b.docs[b.todo[x]].text == b.docs[b.todo[y]].text;
    });
    e.slot.assign(n, SIZE_MAX);
    // Read: the texts not known, and those known with a decision that a copy with another hint
    // does not share.
    std::vector<bool> to_read(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t f = e.first[i];
        if (!b.known[f] || (!of_text_alone(f) && hint(i) != hint(f))) to_read[f] = true;
    }
    std::vector<std::size_t> first_read;
    for (std::size_t f = 0; f < n; ++f)
        if (to_read[f]) first_read.push_back(f);
    e.read_texts(*langid_, b.todo, b.docs, first_read);
    const std::vector<std::string> likely =
        langid_->likely_languages(top_labels_with(b.stored_labels, e, b.known));
    b.likely = likely;
    // A known decision made among other likely languages is made again (its text read now).
    std::vector<std::size_t> more;
    for (std::size_t f = 0; f < n; ++f)
        if (b.known[f] && !of_text_alone(f) && run_likely_[b.known_likely[f]] != likely) {
            b.known[f].reset();
            if (!to_read[f]) more.push_back(f);
        }
    e.read_texts(*langid_, b.todo, b.docs, more);
    // Each document's decision, made once for a text and hint: a copy with its first's lang hint
    // takes the first's analysis (analyze() is a function of the evidence, the likely languages
    // and the hint; a long text's copies each assigned tens of thousands of paragraphs again).
    std::vector<std::size_t> same(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t f = e.first[i];
        same[i] = of_text_alone(f) || hint(f) == hint(i) ? f : i;
    }
    std::vector<AnalyzedDocument> analyzed(n);
    for (const bool copies : {false, true}) {
        const std::vector<std::size_t> part =
            copies ? impl::repeated_items(same) : impl::distinct_items(same);
        impl::parallel_for(part.size(), impl::worker_count(part.size()), [&](std::size_t k, std::size_t) {
            const std::size_t i = part[k];
            AnalyzedDocument& a = analyzed[i];
            a.doc = std::move(b.docs[b.todo[i]]);
            a.content_hash = std::move(b.hashes[i]);
            if (copies)
                LanguageIdentifier::copy_analysis(analyzed[same[i]], &a);
            else if (b.known[i])
                LanguageIdentifier::copy_analysis(*b.known[i], &a);
            else
                langid_->analyze(&a, e.of(i), likely);
        });
    }
    b.known.clear();
    return analyzed;
}

// The batch's texts that a document stored earlier by this Indexer holds (run_holders_), each
// looked up once and compared byte for byte: b.known gets that document's analysis, read from
// its row, and b.known_likely the likely languages its decision was made among (kAnyLikely: a
// decision of the text alone). A decision among likely languages is taken only with the same
// lang hint. Only the batch's first document of a text is looked up (analyze_batch gives its
// copies the same analysis).
void Indexer::find_stored_copies(Pending& b) const {
    const std::size_t n = b.todo.size();
    b.known.assign(n, std::nullopt);
    b.known_likely.assign(n, kAnyLikely);
    if (run_holders_.empty()) return;
    // The candidates: the first document of each text with a holder whose decision can hold.
    std::unordered_set<std::string_view> asked;
    std::unordered_map<int64_t, std::size_t> asking;  // holder seq -> its candidate
    std::vector<int64_t> seqs;
    for (std::size_t i = 0; i < n; ++i) {
        const auto it = run_holders_.find(holder_key(b.hashes[i]));
        if (it == run_holders_.end() || !asked.insert(b.hashes[i]).second) continue;
        const RunHolder& h = it->second;
        if (h.likely != kAnyLikely && h.hint != hint_key(b.docs[b.todo[i]].lang_hint)) continue;
        if (asking.emplace(h.seq, i).second) seqs.push_back(h.seq);
    }
    // Their texts compared in place (views into the rows), then the rows of the equal ones.
    std::vector<std::pair<int64_t, std::size_t>> equal;
    store_.read_texts(seqs, [&](int64_t seq, std::string_view text) {
        const std::size_t i = asking.at(seq);
        if (text == b.docs[b.todo[i]].text) equal.emplace_back(seq, i);
    });
    for (const auto& [seq, i] : equal) {
        std::optional<StoredDocument> held = store_.get_by_seq(seq, false);
        const uint32_t likely = run_holders_.at(holder_key(b.hashes[i])).likely;
        if (!held || held->content_hash != b.hashes[i] || held->lang_scores.empty() != (likely == kAnyLikely))
            continue;
        b.known[i] = as_analyzed(std::move(*held));
        b.known_likely[i] = likely;
    }
}

// Remembers the texts of the batch just put (run_holders_), with the likely languages `likely`
// that their fallback decisions were made among.
void Indexer::note_holders(const std::vector<PutStatus>& put, const std::vector<int64_t>& seqs,
                           const std::vector<AnalyzedDocument>& analyzed,
                           const std::vector<std::string>& likely) {
    for (std::size_t i = 0; i < put.size() && run_holders_.size() < kRunHolders; ++i) {
        if (put[i] != PutStatus::kAdded && put[i] != PutStatus::kReplaced) continue;
        RunHolder h{seqs[i], kAnyLikely, hint_key(analyzed[i].doc.lang_hint)};
        if (!analyzed[i].lang_scores.empty()) {
            if (run_likely_.empty() || run_likely_.back() != likely) run_likely_.push_back(likely);
            h.likely = static_cast<uint32_t>(run_likely_.size() - 1);
        }
        run_holders_.try_emplace(holder_key(analyzed[i].content_hash), h);
    }
}

// Settling: every document the fallback decided is decided again among the likely languages of
// the store as it is now (LanguageIdentifier::choose_stored); those whose language or confidence
// changes are analyzed again and updated in place, with the artifacts that depend on their
// languages (IndexStage::relabeled), a batch per transaction. The store's kSettledMeta records
// the rule and the likely languages of the last settling, so an unchanged store costs a count.
std::size_t Indexer::settle_languages(IndexSummary* summary) {
    if (!langid_) return 0;
    const auto t = Clock::now();
    const std::vector<std::string> likely = langid_->likely_languages(store_.top_label_counts());
    std::string mark = langid_->describe() + ";settled:likely=";
    for (const auto& l : likely) mark += l + "+";
    if (store_.meta(Store::kSettledMeta) == mark) return 0;
    std::vector<int64_t> seqs;
    std::vector<LanguageGuess> guesses;
    for (const Store::LanguageDecision& d : decisions_to_settle(likely)) {
        LanguageGuess g = langid_->choose_stored(d.lang_scores, likely);
        if (g.lang == d.lang && g.confidence == d.lang_confidence) continue;
        seqs.push_back(d.seq);
        guesses.push_back(std::move(g));
    }
    constexpr std::size_t kBatch = 256;
    for (std::size_t b = 0; b < seqs.size(); b += kBatch)
        relabel(std::min(kBatch, seqs.size() - b), seqs.data() + b, guesses.data() + b);
    // A relabeled holder's row holds a decision among the store's likely languages now, not its
    // batch's: the run's holders decided by the fallback are not taken any more.
    if (!seqs.empty())
        std::erase_if(run_holders_, [](const auto& h) { return h.second.likely != kAnyLikely; });
    store_.set_meta(Store::kSettledMeta, mark);
    likely_.reset();
    decided_with_.clear();  // every fallback decision is now made among `likely`
    decided_likely_.clear();
    if (summary) {
        summary->relabeled += seqs.size();
        summary->add_seconds("settle", seconds_between(t, Clock::now()));
    }
    return seqs.size();
}

// The stored fallback decisions that settling among `likely` may change: all but those this
// Indexer wrote among the same likely languages (choose() of the same scores gives them again).
std::vector<Store::LanguageDecision> Indexer::decisions_to_settle(const std::vector<std::string>& likely) const {
    if (decided_with_.empty()) return store_.fallback_decisions();
    std::vector<int64_t> unknown;
    for (int64_t seq : store_.fallback_seqs()) {
        const auto it = decided_with_.find(seq);
        if (it == decided_with_.end() || decided_likely_[it->second] != likely) unknown.push_back(seq);
    }
    return store_.fallback_decisions(unknown);
}

// Notes the fallback decisions of a batch just put (added or replaced rows) and the likely
// languages they were made among.
void Indexer::note_decisions(const std::vector<PutStatus>& put, const std::vector<int64_t>& seqs,
                             const std::vector<AnalyzedDocument>& analyzed, const std::vector<std::string>& likely) {
    if (decided_likely_.empty() || decided_likely_.back() != likely) decided_likely_.push_back(likely);
    for (std::size_t i = 0; i < put.size(); ++i)
        if ((put[i] == PutStatus::kAdded || put[i] == PutStatus::kReplaced) && !analyzed[i].lang_scores.empty())
            decided_with_[seqs[i]] = decided_likely_.size() - 1;
        else if (put[i] == PutStatus::kReplaced)
            decided_with_.erase(seqs[i]);
}

// Documents seqs[0, n) analyzed again with the languages `guesses` and updated in place, in one
// transaction with their stages' artifacts.
void Indexer::relabel(std::size_t n, const int64_t* seqs, const LanguageGuess* guesses) {
    std::vector<AnalyzedDocument> docs;
    std::vector<int64_t> found;
    std::vector<const LanguageGuess*> gs;
    for (std::size_t i = 0; i < n; ++i)
        if (auto d = store_.get_by_seq(seqs[i])) {
            docs.push_back(as_analyzed(std::move(*d)));
            found.push_back(seqs[i]);
            gs.push_back(guesses + i);
        }
    impl::parallel_for(docs.size(), impl::worker_count(docs.size()),
                       [&](std::size_t i, std::size_t) { langid_->analyze(&docs[i], *gs[i]); });
    store_.transaction([&] {
        store_.update_languages(docs.size(), found.data(), docs.data());
        for (auto& stage : stages_) stage->relabeled(store_, docs.size(), found.data(), docs.data());
    });
}

namespace {

// The positions in docs[0, n) of the last document of each id, in order. The earlier ones of an
// id would be stored and replaced within one transaction, their artifacts then naming a row that
// is gone; each is described in `superseded` with the source of the one that replaces it.
std::vector<std::size_t> last_of_each_id(std::size_t n, const Document* docs,
                                         std::vector<RecordError>* superseded) {
    std::unordered_map<std::string_view, std::size_t> last;
    for (std::size_t i = 0; i < n; ++i) last[docs[i].id] = i;
    std::vector<std::size_t> kept;
    kept.reserve(last.size());
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = last[docs[i].id];
        if (j == i) {
            kept.push_back(i);
        } else if (superseded) {
            superseded->push_back(RecordError{docs[i].source, 0,
                                              "id '" + docs[i].id + "' given again at " + docs[j].source +
                                                  ": the later record replaces this one"});
        }
    }
    return kept;
}

// The documents of a store for duplicates only: content hash, no language analysis.
std::vector<AnalyzedDocument> hash_only(const std::vector<std::size_t>& todo, Document* docs) {
    std::vector<AnalyzedDocument> analyzed(todo.size());
    impl::parallel_for(todo.size(), impl::worker_count(todo.size() / 16 + 1), [&](std::size_t i, std::size_t) {
        analyzed[i].doc = std::move(docs[todo[i]]);
        analyzed[i].content_hash = content_hash(analyzed[i].doc.text);
    });
    return analyzed;
}

void count_status(PutStatus s, IndexSummary& summary) {
    if (s == PutStatus::kAdded)
        ++summary.added;
    else if (s == PutStatus::kReplaced)
        ++summary.replaced;
    else if (s == PutStatus::kUnchanged)
        ++summary.unchanged;
}

}  // namespace

void Indexer::add_stage(std::unique_ptr<IndexStage> stage) {
    for (auto& kind : stage->artifact_kinds())
        if (std::find(kinds_.begin(), kinds_.end(), kind) == kinds_.end()) kinds_.push_back(kind);
    stages_.push_back(std::move(stage));
}

namespace {

// The documents one stage is given: the added and replaced ones, and the unchanged ones stored
// without one of the stage's artifacts (by an interrupted older build, or before the stage was
// configured), which it completes.
struct StageInput {
    std::vector<int64_t> seqs;
    std::vector<const AnalyzedDocument*> docs;
};

StageInput stage_input(const Store& store, const IndexStage& stage, const std::vector<PutStatus>& put,
                       const std::vector<int64_t>& seqs, const std::vector<AnalyzedDocument>& analyzed,
                       std::set<int64_t>& completed) {
    std::vector<int64_t> unchanged;
    for (std::size_t i = 0; i < put.size(); ++i)
        if (put[i] == PutStatus::kUnchanged) unchanged.push_back(seqs[i]);
    std::set<int64_t> incomplete;
    if (!unchanged.empty())
        for (const auto& kind : stage.artifact_kinds())
            for (int64_t s : store.documents_missing(kind, unchanged)) incomplete.insert(s);
    StageInput in;
    for (std::size_t i = 0; i < put.size(); ++i) {
        if (put[i] == PutStatus::kUnchanged && !incomplete.count(seqs[i])) continue;
        if (put[i] == PutStatus::kUnchanged) completed.insert(seqs[i]);
        in.seqs.push_back(seqs[i]);
        in.docs.push_back(&analyzed[i]);
    }
    return in;
}

}  // namespace

void Indexer::run_stages(const std::vector<PutStatus>& put, const std::vector<int64_t>& seqs,
                         const std::vector<AnalyzedDocument>& analyzed,
                         std::vector<std::unique_ptr<IndexStage::Prepared>>* prepared,
                         IndexSummary* summary) {
    std::set<int64_t> completed;
    for (std::size_t s = 0; s < stages_.size(); ++s) {
        IndexStage& stage = *stages_[s];
        const StageInput in = stage_input(store_, stage, put, seqs, analyzed, completed);
        if (in.seqs.empty()) continue;
        std::vector<AnalyzedDocument> copies;  // a stage takes a contiguous array: copy a subset
        if (in.docs.size() < analyzed.size())
            for (const AnalyzedDocument* d : in.docs) copies.push_back(*d);
        const AnalyzedDocument* docs = copies.empty() ? analyzed.data() : copies.data();
        std::unique_ptr<IndexStage::Prepared> work;
        if (prepared && s < prepared->size()) work = std::move((*prepared)[s]);
        auto t = Clock::now();
        stage.add_prepared(store_, in.seqs.size(), in.seqs.data(), docs, std::move(work));
        if (summary) {
            summary->add_seconds(stage.name(), seconds_between(t, Clock::now()));
            for (auto& w : stage.take_warnings()) summary->warnings.push_back(std::move(w));
        }
    }
    if (summary) summary->completed += completed.size();
}

// Records the artifact kinds this Indexer's stages write (joined with those recorded before), so
// `doppel verify` knows what every document should have.
void Indexer::record_artifact_kinds() {
    if (kinds_recorded_ || kinds_.empty()) return;
    std::vector<std::string> kinds = split_kinds(store_.meta(kArtifactKindsMeta).value_or(""));
    for (const auto& k : kinds_)
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    std::sort(kinds.begin(), kinds.end());
    std::string joined;
    for (const auto& k : kinds) joined += (joined.empty() ? "" : ",") + k;
    store_.set_meta(kArtifactKindsMeta, joined);
    kinds_recorded_ = true;
}

std::vector<std::string> split_kinds(const std::string& joined) {
    std::vector<std::string> kinds;
    std::size_t start = 0;
    while (start < joined.size()) {
        std::size_t comma = joined.find(',', start);
        if (comma == std::string::npos) comma = joined.size();
        if (comma > start) kinds.push_back(joined.substr(start, comma - start));
        start = comma + 1;
    }
    return kinds;
}

// The positions in `kept` of documents stored already with the same text and every artifact of
// the stages: nothing is to be done for them, so they are not analyzed again (a re-run over a
// folder costs a hash and a lookup per unchanged document). The documents of the batch being
// written (`writing`, in add_stream's pipeline: its rows are put, its artifacts and commit still
// to come) count as not done: their ids' rows are what that batch changes. Not done is always
// safe: such a document is analyzed and put, found unchanged, and completed only where it lacks
// an artifact. (*absent)[i]: kept[i]'s id is not stored (nor put by `writing`, whose rows are
// read here): Store::put need not look it up again. A text's content hash is the one hashed when
// it was read (b.doc_hashes, with language ID), else computed here.
std::vector<bool> Indexer::done_already(const std::vector<std::size_t>& kept, const Pending& b,
                                        const Pending* writing, std::vector<bool>* absent) const {
    const Document* docs = b.docs;
    std::unordered_set<std::string_view> written;
    if (writing)
        for (const AnalyzedDocument& a : writing->analyzed) written.insert(a.doc.id);
    std::vector<bool> done(kept.size(), false);
    std::vector<std::string_view> ids;
    ids.reserve(kept.size());
    for (std::size_t k : kept) ids.push_back(docs[k].id);
    const std::vector<Store::StoredVersion> stored = store_.versions(ids);
    absent->assign(kept.size(), false);
    std::vector<int64_t> seqs;
    std::vector<std::size_t> where;
    for (std::size_t i = 0; i < kept.size(); ++i) {
        (*absent)[i] = stored[i].seq == 0;
        if (stored[i].seq != 0 && !written.count(ids[i]) &&
            stored[i].content_hash ==
                (b.doc_hashes.size() == b.n ? b.doc_hashes[kept[i]] : content_hash(docs[kept[i]].text))) {
            seqs.push_back(stored[i].seq);
            where.push_back(i);
        }
    }
    std::set<int64_t> incomplete;
    for (const auto& kind : kinds_)
        for (int64_t s : store_.documents_missing(kind, seqs)) incomplete.insert(s);
    for (std::size_t j = 0; j < seqs.size(); ++j) done[where[j]] = !incomplete.count(seqs[j]);
    return done;
}

// The content hash of each of the batch's texts (Pending::doc_hashes), on all cores.
void Indexer::hash_texts(Pending& b) {
    b.doc_hashes.resize(b.n);
    impl::parallel_for(b.n, impl::worker_count(b.n / 16 + 1),
                       [&](std::size_t i, std::size_t) { b.doc_hashes[i] = content_hash(b.docs[i].text); });
}

void Indexer::begin_batch(Pending& b, const Pending* writing) {
    const auto t = Clock::now();
    const std::vector<std::size_t> kept = last_of_each_id(b.n, b.docs, &b.superseded);
    b.status.assign(b.n, PutStatus::kSuperseded);
    const bool languages = langid_ && !without_languages_;
    if (languages && b.doc_hashes.size() != b.n) hash_texts(b);  // Indexer::add: not hashed when read
    std::vector<bool> absent;
    const std::vector<bool> done = done_already(kept, b, writing, &absent);
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (!done[i]) {
            b.todo.push_back(kept[i]);
            b.absent.push_back(absent[i]);
            continue;
        }
        b.status[kept[i]] = PutStatus::kUnchanged;
        ++b.unchanged;
    }
    if (languages) {
        b.stored_labels = stored_top_labels();
        b.hashes.resize(b.todo.size());
        for (std::size_t i = 0; i < b.todo.size(); ++i) b.hashes[i] = std::move(b.doc_hashes[b.todo[i]]);
        b.doc_hashes.clear();
        find_stored_copies(b);
    }
    b.times.begin = seconds_between(t, Clock::now());
}

void Indexer::analyze_pending(Pending& b) const {
    const auto t = Clock::now();
    b.analyzed = without_languages_ ? hash_only(b.todo, b.docs) : analyze_batch(b);
    b.times.analysis = seconds_between(t, Clock::now());
    b.seconds.emplace_back(without_languages_ ? "hash" : "analyze", b.times.analysis);
}

// Every stage's prepare() on the analyzed batch, the stages side by side (each stage's own loop
// over the documents ends in a tail of its longest ones, which the other's work fills), and the
// seconds each took (they count as the stage's, and overlap the writing of this batch or the one
// before).
void Indexer::prepare_pending(Pending& b) {
    const auto t0 = Clock::now();
    const std::size_t k = stages_.size();
    b.prepared.resize(k);
    std::vector<double> seconds(k);
    impl::parallel_for(k, k, [&](std::size_t s, std::size_t) {
        const auto t = Clock::now();
        b.prepared[s] = stages_[s]->prepare(b.analyzed.size(), b.analyzed.data());
        seconds[s] = seconds_between(t, Clock::now());
    });
    for (std::size_t s = 0; s < k; ++s) b.seconds.emplace_back(stages_[s]->name(), seconds[s]);
    b.times.prepare = seconds_between(t0, Clock::now());
}

// The documents and every stage's artifacts in one transaction: all visible, or none.
std::vector<PutStatus> Indexer::write_batch(Pending& b, int64_t now, IndexSummary* summary,
                                            const std::function<void()>& before_stages) {
    std::vector<int64_t> seqs;
    std::vector<PutStatus> put;
    auto t = Clock::now();
    BatchTimes& times = b.times;
    try {
        store_.transaction([&] {
            put = store_.put(b.analyzed.size(), b.analyzed.data(), now, &seqs, &b.absent);
            // Counted now, for the next batch's language ID (begun in before_stages).
            if (langid_ && !without_languages_)
                for (std::size_t i = 0; i < put.size(); ++i)
                    if (put[i] == PutStatus::kAdded || put[i] == PutStatus::kReplaced)
                        ++stored_top_labels()[b.analyzed[i].lang_top];
            // Before the next batch is begun (before_stages), which looks its texts up there.
            if (langid_ && !without_languages_) note_holders(put, seqs, b.analyzed, b.likely);
            times.put = seconds_between(t, Clock::now());
            before_stages();
            if (summary) {  // in the order the steps first ran: analysis, store, the stages
                summary->add_seconds(b.seconds.front().first, b.seconds.front().second);
                summary->add_seconds("store", times.put);
                for (std::size_t i = 1; i < b.seconds.size(); ++i)
                    summary->add_seconds(b.seconds[i].first, b.seconds[i].second);
            }
            t = Clock::now();
            run_stages(put, seqs, b.analyzed, &b.prepared, summary);
            record_artifact_kinds();
            record_run_meta();
            times.stages = seconds_between(t, Clock::now());
            t = Clock::now();
        });
    } catch (...) {
        top_labels_.reset();  // counted with the rolled back batch: read again
        run_holders_.clear();  // some may have been rolled back
        throw;
    }
    times.commit = seconds_between(t, Clock::now());
    // With language ID, the next batch's pages take the memory freed, not new memory. A store for
    // duplicates keeps its cache: a new one's is small (Store::use_journal), and an existing one's
    // holds the id index's and the tables' inner pages, read again by every batch of a feed.
    if (langid_ && !without_languages_) store_.release_cache();
    run_meta_recorded_ = true;  // committed with the batch
    likely_.reset();
    if (langid_ && !without_languages_) note_decisions(put, seqs, b.analyzed, b.likely);
    for (std::size_t i = 0; i < b.todo.size(); ++i) b.status[b.todo[i]] = put[i];
    if (summary) {
        summary->unchanged += b.unchanged;
        for (PutStatus s : put) count_status(s, *summary);
        for (auto& e : b.superseded) summary->superseded.push_back(std::move(e));
    }
    return std::move(b.status);
}

std::vector<PutStatus> Indexer::add(std::size_t n, Document* docs, int64_t now, IndexSummary* summary) {
    DOPPEL_CHECK(kInvalidArgument, langid_ != nullptr || without_languages_,
                 "Indexer without a language identifier cannot add documents");
    Pending b;
    b.n = n;
    b.docs = docs;
    begin_batch(b, nullptr);
    analyze_pending(b);
    // The stages prepare the batch on other threads while its documents are written.
    auto prepared = impl::in_background([&] { prepare_pending(b); });
    return write_batch(b, now, summary, [&] { prepared.get(); });
}

namespace {

// add_stream's batch times on stderr, one line a batch and their total at the end, when the
// environment sets DOPPEL_DEBUG_PIPELINE: the writing thread's busy and waiting seconds against
// the preparing thread's show the overlap, whatever the machine's load.
class PipelineTrace {
public:
    void batch(std::size_t n, const BatchTimes& t) {
        if (!on_) return;
        print("batch " + std::to_string(batches_++), n, t);
        documents_ += n;
        total_.put += t.put, total_.begin += t.begin, total_.stages += t.stages, total_.commit += t.commit;
        total_.writer_cpu += t.writer_cpu, total_.wait_analysis += t.wait_analysis;
        total_.wait_prepared += t.wait_prepared, total_.wait_read += t.wait_read;
        total_.analysis += t.analysis, total_.prepare += t.prepare;
    }
    void finish() const {
        if (on_)
            print("total of " + std::to_string(batches_) + " batches in " +
                      std::to_string(seconds_between(start_, Clock::now())) + " s wall",
                  documents_, total_);
    }

private:
    static void print(const std::string& what, std::size_t n, const BatchTimes& t) {
        std::fprintf(
            stderr,
            "pipeline %s: %zu docs; writer busy %.3f s (put %.3f, begin next %.3f, stages %.3f, "
            "commit %.3f; thread cpu %.3f), waited %.3f s (analysis %.3f, prepared %.3f, read %.3f); "
            "preparing %.3f s (analysis %.3f, prepare %.3f)\n",
            what.c_str(), n, t.put + t.begin + t.stages + t.commit, t.put, t.begin, t.stages, t.commit,
            t.writer_cpu, t.wait_analysis + t.wait_prepared + t.wait_read, t.wait_analysis, t.wait_prepared,
            t.wait_read, t.analysis + t.prepare, t.analysis, t.prepare);
    }
    const bool on_ = std::getenv("DOPPEL_DEBUG_PIPELINE") != nullptr;
    const Clock::time_point start_ = Clock::now();
    BatchTimes total_;
    std::size_t batches_ = 0, documents_ = 0;
};

}  // namespace

// A batch's analysis and prepare(), on a task of its own; `analyzed` is ready first. The batch's
// analysis runs while the batch before it is still being prepared (`before`): its prepare()
// waits for that one's, since a stage prepares one batch at a time (index/index_stage.h).
struct Indexer::Preparing {
    std::shared_future<void> analyzed;
    std::shared_future<void> prepared;
};

Indexer::Preparing Indexer::start_preparing(Pending& b, const Preparing* before) {
    auto ready = std::make_shared<std::promise<void>>();
    Preparing p;
    p.analyzed = ready->get_future().share();
    std::shared_future<void> previous = before ? before->prepared : std::shared_future<void>{};
    p.prepared = impl::in_background([this, &b, ready, previous] {
                     try {
                         analyze_pending(b);
                     } catch (...) {
                         ready->set_exception(std::current_exception());
                         throw;
                     }
                     ready->set_value();
                     if (previous.valid()) previous.wait();  // its failure is the writer's to rethrow
                     prepare_pending(b);
                 }).share();
    return p;
}

// add_stream's loop, batch k on the writing (calling) thread while a task prepares batch k+1:
//   wait for k's analysis; put k; [wait for k+1's reading; begin k+1; start preparing it (its
//   analysis beside k's prepare()); wait for k's prepare()]; k's stages' add; commit; done(k);
//   free k and read k+2 on the reading thread.
void Indexer::add_stream(const BatchSource& next, int64_t now, IndexSummary* summary, const BatchDone& done) {
    DOPPEL_CHECK(kInvalidArgument, langid_ != nullptr || without_languages_,
                 "Indexer without a language identifier cannot add documents");
    auto read = [&]() -> std::unique_ptr<Pending> {
        auto b = std::make_unique<Pending>();
        if (!next(b->owned)) return nullptr;
        b->n = b->owned.size();
        b->docs = b->owned.data();
        // With language ID, hashed here, on the reading thread: begin_batch runs on the writing one.
        if (langid_ && !without_languages_) hash_texts(*b);
        return b;
    };
    PipelineTrace trace;
    std::unique_ptr<Pending> cur = read();
    if (!cur) return;
    begin_batch(*cur, nullptr);
    Preparing preparing = start_preparing(*cur, nullptr);
    auto reading = impl::in_background(read);
    while (cur) {
        const double cpu0 = impl::thread_cpu_seconds();
        BatchTimes& times = cur->times;
        std::unique_ptr<Pending> ahead;
        Preparing ahead_preparing;
        std::exception_ptr ahead_error;  // thrown once this batch is committed
        // Inside this batch's transaction, once its documents are put: the next batch begun (the
        // store as this batch leaves it, its own documents excepted) and its preparing started.
        auto begin_next = [&] {
            try {
                auto t = Clock::now();
                ahead = reading.get();
                times.wait_read = seconds_between(t, Clock::now());
                if (ahead) {
                    begin_batch(*ahead, cur.get());
                    times.begin = ahead->times.begin;
                    ahead_preparing = start_preparing(*ahead, &preparing);
                }
            } catch (...) {
                ahead_error = std::current_exception();
                ahead.reset();
            }
            const auto t = Clock::now();
            preparing.prepared.get();
            times.wait_prepared = seconds_between(t, Clock::now());
        };
        const auto t = Clock::now();
        preparing.analyzed.get();
        times.wait_analysis = seconds_between(t, Clock::now());
        std::vector<PutStatus> status;
        if (cur->n == 0)
            begin_next();
        else
            status = write_batch(*cur, now, summary, begin_next);
        times.writer_cpu = impl::thread_cpu_seconds() - cpu0;
        done(status);
        trace.batch(cur->n, times);
        if (ahead_error) std::rethrow_exception(ahead_error);
        std::unique_ptr<Pending> written = std::move(cur);
        cur = std::move(ahead);
        preparing = std::move(ahead_preparing);
        if (cur)
            reading = impl::in_background([&read, old = std::move(written)]() mutable {
                old.reset();  // batch k's texts freed off the writing thread
                return read();
            });
    }
    trace.finish();
}

std::size_t Indexer::complete_stored(IndexSummary* summary) {
    std::set<int64_t> incomplete;
    for (const auto& kind : kinds_)
        for (int64_t s : store_.documents_missing(kind)) incomplete.insert(s);
    const std::vector<int64_t> seqs(incomplete.begin(), incomplete.end());
    constexpr std::size_t kBatch = 256;
    for (std::size_t b = 0; b < seqs.size(); b += kBatch) {
        std::vector<AnalyzedDocument> docs;
        std::vector<int64_t> batch;
        for (std::size_t i = b; i < std::min(seqs.size(), b + kBatch); ++i)
            if (auto d = store_.get_by_seq(seqs[i])) {
                docs.push_back(as_analyzed(std::move(*d)));
                batch.push_back(seqs[i]);
            }
        const std::vector<PutStatus> put(docs.size(), PutStatus::kUnchanged);
        store_.transaction([&] {
            run_stages(put, batch, docs, nullptr, summary);
            record_artifact_kinds();
        });
    }
    return seqs.size();
}

std::size_t Indexer::remove(const std::vector<std::string>& ids) {
    std::vector<int64_t> seqs;
    for (const int64_t seq : store_.remove(ids))
        if (seq) seqs.push_back(seq);
    if (seqs.empty()) return 0;
    top_labels_.reset();
    likely_.reset();
    settle_languages(nullptr);  // before removed(): the embedding stage then saves the moved documents too
    for (auto& stage : stages_) stage->removed(store_, seqs.size(), seqs.data());
    return seqs.size();
}

std::vector<std::string> Indexer::expire(int64_t cutoff) {
    std::vector<int64_t> seqs;
    std::vector<std::string> ids = store_.expire(cutoff, &seqs);
    if (seqs.empty()) return ids;
    top_labels_.reset();
    likely_.reset();
    settle_languages(nullptr);
    for (auto& stage : stages_) stage->removed(store_, seqs.size(), seqs.data());
    return ids;
}

void Indexer::finish(IndexSummary* summary) {
    settle_languages(summary);
    // Language ID's memos serve no more of this run: their memory is taken again by the stages'
    // flush (the embedding's reads every stored feature vector back), not memory never touched.
    if (langid_) langid_->release_caches();
    for (auto& stage : stages_) {
        auto t = Clock::now();
        stage->flush(store_);
        if (summary) {
            summary->add_seconds(stage->name() + " flush", seconds_between(t, Clock::now()));
            for (auto& w : stage->take_warnings()) summary->warnings.push_back(std::move(w));
        }
    }
    if (!run_meta_recorded_ || store_.meta("specs") != specs()) {
        run_meta_recorded_ = false;
        store_.transaction([&] { record_run_meta(); });
        run_meta_recorded_ = true;
    }
}

std::string Indexer::specs() const {
    std::string out = language_spec();
    for (const auto& stage : stages_) out.append(";").append(stage->describe());
    return out;
}

// Inside a write transaction, until one that wrote them is committed (run_meta_recorded_): the
// purpose open_indexer() left to record, and the specs (a function of the configuration alone).
void Indexer::record_run_meta() {
    if (run_meta_recorded_) return;
    if (purpose_to_record_) store_.set_meta(kPurposeMeta, *purpose_to_record_);
    store_.set_meta("specs", specs());
}

// The language identifier's spec, or without one the part of the recorded specs before the
// first stage's.
std::string Indexer::language_spec() const {
    if (langid_) return langid_->describe();
    if (without_languages_) return "no-language-id";
    const std::string recorded = store_.meta("specs").value_or("");
    return recorded.substr(0, recorded.find(';'));
}

std::string store_purpose(const Store& store, const std::string& requested) {
    DOPPEL_CHECK(kInvalidArgument, requested.empty() || requested == "all" || requested == "duplicates",
                 "store purpose '" + requested + "': expected all or duplicates");
    const std::optional<std::string> recorded = store.meta(kPurposeMeta);
    if (requested.empty()) return recorded.value_or("all");
    DOPPEL_CHECK(kInvalidArgument, !recorded || *recorded == requested,
                 store.dir() + ": the store is for " + *recorded + " (doppel index --for " + *recorded +
                     "), not " + requested + ": index into a new store");
    return requested;
}

IndexConfig config_for_purpose(IndexConfig config, const std::string& purpose) {
    if (purpose == "duplicates") {
        config.embeddings = false;
        config.language_id = false;
    }
    return config;
}

IndexStages open_index_stages(const IndexConfig& config) {
    IndexStages out;
    if (config.near_duplicates) {
        NearDuplicateIndexOptions o;
        o.extra_band_thresholds = config.dedup_thresholds;
        o.dropped_band_thresholds = config.dropped_dedup_thresholds;
        out.stages.push_back(std::make_unique<NearDuplicateStage>(o));
    }
    if (!config.embeddings) return out;
    const std::string lexicon = (std::filesystem::path(config.models_dir) / "bridge.lex").string();
    if (!std::filesystem::exists(lexicon)) {
        out.warnings.push_back(lexicon +
                               " missing (run scripts/build-bridge): no embeddings for translations");
        return out;
    }
    EmbeddingStageOptions options;
    options.index = config.vector_index;
    options.vectors = config.vectors;
    options.vectors_weight = config.vectors_weight;
    out.stages.push_back(std::make_unique<EmbeddingStage>(options, EmbedderContext{config.models_dir}));
    return out;
}

std::unique_ptr<Indexer> open_indexer(Store& store, const LanguageIdentifier* langid) {
    const std::string purpose = store_purpose(store, langid ? "all" : "duplicates");
    auto indexer = langid ? std::make_unique<Indexer>(store, *langid)
                          : std::make_unique<Indexer>(store, Indexer::WithoutLanguages{});
    if (!store.meta(kPurposeMeta)) indexer->record_purpose(purpose);  // with its first write
    return indexer;
}

namespace {
// Whether a run's first batch is read smaller (kFirstBatchShare): for duplicates, no cap given.
bool smaller_first(const IndexRunOptions& options, bool with_languages, bool first_batch) {
    return first_batch && !with_languages && !options.batch && !options.batch_bytes;
}
}  // namespace

std::size_t index_batch_size(const IndexRunOptions& options, bool with_languages, bool first_batch) {
    if (options.batch) return options.batch;
    if (with_languages) return kLanguageBatch;
    return smaller_first(options, with_languages, first_batch) ? kDuplicatesBatch / kFirstBatchShare
                                                               : kDuplicatesBatch;
}

std::size_t index_batch_bytes(const IndexRunOptions& options, bool with_languages, bool first_batch) {
    if (options.batch_bytes) return options.batch_bytes;
    if (with_languages) return kLanguageBatchBytes;
    return smaller_first(options, with_languages, first_batch) ? kDuplicatesBatchBytes / kFirstBatchShare
                                                               : kDuplicatesBatchBytes;
}

IndexRun index_paths(Store& store, const LanguageIdentifier& langid,
                     std::vector<std::unique_ptr<IndexStage>> stages, const std::vector<std::string>& paths,
                     const IndexRunOptions& options, const IndexProgressCallback& progress) {
    return index_paths(store, &langid, std::move(stages), paths, options, progress);
}

IndexRun index_paths(Store& store, const LanguageIdentifier* langid,
                     std::vector<std::unique_ptr<IndexStage>> stages, const std::vector<std::string>& paths,
                     const IndexRunOptions& options, const IndexProgressCallback& progress) {
    const std::unique_ptr<Indexer> indexer_ptr = open_indexer(store, langid);
    Indexer& indexer = *indexer_ptr;
    // A store for duplicates is written with a rollback journal, each new page once, where no
    // other connection has it open (Store::use_journal; its readers, check and dedup, read in
    // short transactions, while a store for all has long ones, such as translations' scans); the
    // log is turned on again at the end (use_wal, below).
    if (!langid) store.use_journal();
    for (auto& stage : stages) indexer.add_stage(std::move(stage));
    DocumentReader reader(paths, options.reader);
    const int64_t now = options.now ? options.now : static_cast<int64_t>(std::time(nullptr));
    IndexRun run;
    bool first = true;  // the first batch may be read smaller (kFirstBatchShare)
    // Batches read (and parsed) on the pipeline's reading thread, not yet committed; their
    // errors, bytes and time are counted once they are (add_stream never runs next and done at once).
    struct ReadBatch {
        std::vector<RecordError> errors;
        double seconds = 0;
        uint64_t bytes_read = 0, bytes_total = 0, text_bytes = 0;
        std::size_t docs = 0;
    };
    std::deque<ReadBatch> reads;
    auto next = [&](std::vector<Document>& docs) {
        ReadBatch b;
        const auto t = Clock::now();
        const std::size_t batch = index_batch_size(options, langid != nullptr, first);
        const std::size_t batch_bytes = index_batch_bytes(options, langid != nullptr, first);
        first = false;
        const bool more = reader.next_batch(batch, docs, b.errors, batch_bytes) || !b.errors.empty();
        b.seconds = seconds_between(t, Clock::now());
        b.bytes_read = reader.bytes_read();
        b.bytes_total = reader.bytes_total();
        b.docs = docs.size();
        for (const Document& d : docs) b.text_bytes += d.text.size();
        if (more) reads.push_back(std::move(b));
        return more;
    };
    auto done = [&](const std::vector<PutStatus>&) {
        ReadBatch b = std::move(reads.front());
        reads.pop_front();
        run.summary.add_seconds("read", b.seconds);
        run.errors.insert(run.errors.end(), b.errors.begin(), b.errors.end());
        run.read += b.docs;
        run.text_bytes += b.text_bytes;
        for (auto& e : run.summary.superseded) run.errors.push_back(std::move(e));
        run.summary.superseded.clear();
        if (progress) progress(run, b.bytes_read, b.bytes_total);
    };
    run.summary.add_seconds("read", 0);  // the first step named
    indexer.add_stream(next, now, &run.summary, done);
    if (run.summary.completed > 0)
        run.summary.warnings.push_back(std::to_string(run.summary.completed) +
                                       " stored documents lacked some of their sketches or features (an "
                                       "interrupted run of an older build, or a stage added since): completed");
    indexer.finish(&run.summary);
    for (auto& note : reader.notes()) run.summary.warnings.push_back(std::move(note));  // WARC records left out
    if (options.count_stored) run.stored = store.size();
    store.use_wal();  // a store written with a rollback journal (StoreOptions::journal_at_creation, Store::use_journal)
    return run;
}

}  // namespace doppel
