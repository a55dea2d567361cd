#include "doppel/ops/translations.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <malloc.h>
#include <map>
#include <numeric>
#include <unordered_map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "doppel/embed/bridge_embedder.h"
#include "doppel/embed/feature_artifacts.h"
#include "doppel/error.h"
#include "doppel/index/vector_index.h"
#include "doppel/index/vector_index_check.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/translation_stages.h"
#include "doppel/ops/translation_state.h"
#include "doppel/store/store.h"
#include "impl/clock.h"
#include "impl/parallel.h"
#include "impl/spec.h"

namespace doppel {

namespace {

using impl::Clock;
using impl::seconds_between;

// Times phases one after the other: each mark() ends one (wall and process CPU time).
class PhaseClock {
public:
    explicit PhaseClock(TranslationSearch& out) : out_(out) {}
    void mark(const std::string& name) {
        const Clock::time_point now = Clock::now();
        const double cpu = impl::process_cpu_seconds();
        out_.phases.push_back({name, seconds_between(wall_, now), cpu - cpu_});
        wall_ = now;
        cpu_ = cpu;
    }

private:
    TranslationSearch& out_;
    Clock::time_point wall_ = Clock::now();
    double cpu_ = impl::process_cpu_seconds();
};

// The documents being matched: their stored features and, per document, the forms the matcher
// takes (MatchDocument, weighted sparse vector, dense vector of dim floats).
struct Pool {
    StoredFeatures features;
    StoredVectors vectors;
    std::size_t dim = 0;
    std::vector<MatchDocument> docs;  // seq, language and URL set on loading, length on weighing
    std::vector<SparseVector> sparse;
    DenseRows dense;  // compact: a document's dense vector is mostly zeros (match/dense_rows.h)
    // Positions of the documents matched as a relative's language (regroup_relatives), not as
    // the language they were stored (and indexed) under.
    std::vector<std::size_t> regrouped;
    std::size_t size() const { return features.seqs.size(); }
};

// Debugging memory (environment DOPPEL_DEBUG_MEMORY set): at `where`, the process's resident
// and peak memory (/proc/self/status), glibc's bytes in use, and the bytes of the pool's
// structures, on stderr. Costs nothing when unset.
std::size_t sparse_bytes(const std::vector<SparseVector>& v) {
    std::size_t b = v.capacity() * sizeof(SparseVector);
    for (const SparseVector& x : v) b += x.ids.capacity() * sizeof(uint64_t) + x.weights.capacity() * sizeof(float);
    return b;
}

std::size_t used_bytes(const std::vector<SparseVector>& v) {
    std::size_t b = 0;
    for (const SparseVector& x : v) b += x.ids.size() * 12;
    return b;
}

void trace_memory(const char* where, const Pool& pool, const BridgeEmbedder& embedder,
                  const CandidateTable* table = nullptr, std::size_t links = 0) {
    static const bool on = std::getenv("DOPPEL_DEBUG_MEMORY") != nullptr;
    if (!on) return;
    std::ifstream status("/proc/self/status");
    std::string line, rss, hwm, file;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) rss = line.substr(6);
        if (line.rfind("VmHWM:", 0) == 0) hwm = line.substr(6);
        if (line.rfind("RssFile:", 0) == 0) file = line.substr(8);
    }
    const auto mib = [](std::size_t b) { return static_cast<double>(b) / (1 << 20); };
    const struct mallinfo2 mi = mallinfo2();
    std::fprintf(stderr,
                 "doppel memory: %-22s CPU %.2f s rss%s peak%s (files%s) heap in use %.0f MiB, free %.0f MiB "
                 "| counts %.0f sparse %.0f dense %.0f "
                 "df %zu entries table %.0f links %.0f MiB (sizes: counts %.0f sparse %.0f)\n",
                 where, impl::process_cpu_seconds(), rss.c_str(), hwm.c_str(), file.c_str(),
                 mib(mi.uordblks + mi.hblkhd), mib(mi.fordblks), mib(sparse_bytes(pool.features.counts)),
                 mib(sparse_bytes(pool.sparse)), mib(pool.dense.memory_bytes()),
                 embedder.frequencies() ? embedder.frequencies()->features() : 0,
                 table ? mib(table->memory_bytes()) : 0.0, mib(links * sizeof(TranslationLink)),
                 mib(used_bytes(pool.features.counts)), mib(used_bytes(pool.sparse)));
}

// Each pool document's position in table.languages (the sorted languages of the pool's documents).
std::vector<uint32_t> language_positions(const Pool& pool, const CandidateTable& table) {
    const std::vector<std::string>& names = table.languages;
    std::vector<uint32_t> at(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) {
        const auto it = std::lower_bound(names.begin(), names.end(), pool.docs[i].lang);
        DOPPEL_CHECK(kInvalidArgument, it != names.end() && *it == pool.docs[i].lang,
                     "the candidate table lacks the language " + pool.docs[i].lang);
        at[i] = static_cast<uint32_t>(it - names.begin());
    }
    return at;
}

// Whether the search and time traces below are on (environment DOPPEL_DEBUG_SEARCH set).
bool debug_search() {
    static const bool on = std::getenv("DOPPEL_DEBUG_SEARCH") != nullptr;
    return on;
}

// Debugging the search plan (environment DOPPEL_DEBUG_SEARCH set): per language, its documents,
// the languages it searches and the lists and candidates its documents hold (and of the second
// pass, the documents searched again), with the process's CPU time, on stderr. Costs nothing when
// unset. `at`: each document's position in table.languages (language_positions).
void trace_search(const char* where, const Pool& pool, const CandidateTable& table, std::span<const uint32_t> at,
                  const std::vector<char>* searched_again = nullptr) {
    if (!debug_search()) return;
    const std::size_t L = table.languages.size();
    std::vector<std::size_t> docs(L), lists(L), cands(L);
    for (std::size_t i = 0; i < pool.size(); ++i) {
        const std::size_t s = at[i];
        ++docs[s];
        for (std::size_t t = 0; t < L; ++t) {
            lists[s] += !table.of(i, t).empty();
            cands[s] += table.of(i, t).size();
        }
    }
    std::size_t total_lists = 0, total_cands = 0;
    for (std::size_t s = 0; s < L; ++s) {
        std::size_t targets = 0;
        for (std::size_t t = 0; t < L; ++t) targets += t != s && table.searches(s, t);
        std::fprintf(stderr, "doppel search: %-18s %-6s docs %6zu searches %2zu languages, lists %8zu candidates %9zu\n",
                     where, table.languages[s].c_str(), docs[s], targets, lists[s], cands[s]);
        total_lists += lists[s];
        total_cands += cands[s];
    }
    std::fprintf(stderr, "doppel search: %-18s total lists %zu candidates %zu (process CPU %.2f s)\n", where,
                 total_lists, total_cands, impl::process_cpu_seconds());
    if (searched_again)
        std::fprintf(stderr, "doppel search: %-18s %zu of %zu documents searched again\n", where,
                     static_cast<std::size_t>(std::count(searched_again->begin(), searched_again->end(), 1)),
                     pool.size());
}

// Debugging time (environment DOPPEL_DEBUG_SEARCH set, as trace_search): the process's CPU time at
// `where`, on stderr, to tell the steps of a phase apart.
void trace_cpu(const char* where) {
    if (debug_search()) std::fprintf(stderr, "doppel search: %-18s process CPU %.2f s\n", where, impl::process_cpu_seconds());
}

// Debugging (as trace_cpu): how many documents `flags` marks, at `where`.
void trace_count(const char* where, const std::vector<char>& flags) {
    if (debug_search())
        std::fprintf(stderr, "doppel search: %-18s %zu of %zu documents\n", where,
                     static_cast<std::size_t>(std::count(flags.begin(), flags.end(), 1)), flags.size());
}

// Phase 1: the bridge embedder the stored features are weighed with (the store's spec unless
// options name another), with a warning when the store's lexicon differs from the models'.
std::unique_ptr<BridgeEmbedder> open_embedder(const Store& store, const std::string& models_dir,
                                              const TranslationSearchOptions& options, TranslationSearch& out,
                                              bool& override_spec) {
    auto spec = store.meta("embedder");
    if (!spec)
        DOPPEL_THROW(kNotFound, "store " + store.dir() +
                                    (store.meta(kPurposeMeta) == "duplicates"
                                         ? " is for duplicates only (doppel index --for duplicates): no embeddings"
                                         : " has no embeddings: its documents were indexed without models/bridge.lex"));
    override_spec = !options.embedder_spec.empty() && options.embedder_spec != *spec;
    auto embedder = std::make_unique<BridgeEmbedder>(
        BridgeEmbedder::parse_spec(override_spec ? options.embedder_spec : *spec), EmbedderContext{models_dir});
    if (auto lex = store.meta("bridge.lexicon"); lex && *lex != embedder->lexicon().describe())
        out.warnings.push_back("store was indexed with " + *lex + ", models have " + embedder->lexicon().describe() +
                               " (the next doppel index on this store recomputes its features)");
    return embedder;
}

// Phase 2: the weighted, dense and length of every document from the pool's raw counts and
// their frequencies.
// On all cores (weigh and densify are const and only read the frequencies); each range of
// documents keeps its dense vectors compactly, and the ranges are joined in order. The old
// dense vectors go first (weighing again: they are not held twice).
// Each document's counts are weighed in place (they become its weighted vector: no copy, no
// new block per document to fragment the heap), so they are gone once weighed: the first
// pass reads them again for learning. before(i, old) sees each document's old weighted vector
// before it goes.
using BeforeWeighing = std::function<void(std::size_t, const SparseVector&)>;

void weigh(Pool& pool, BridgeEmbedder& embedder, DocumentFrequencies frequencies, const ProgressCallback& progress,
           const BeforeWeighing& before = nullptr) {
    const std::size_t n = pool.size(), dim = pool.dim;
    pool.dense = DenseRows();
    embedder.set_frequencies(std::make_shared<DocumentFrequencies>(std::move(frequencies)));
    constexpr std::size_t kGrain = 1024;
    std::vector<DenseRows> ranges((n + kGrain - 1) / kGrain, DenseRows::compact(dim));
    std::atomic<std::size_t> done{0};
    impl::parallel_for_ranges(n, impl::worker_count(n / kGrain + 1), kGrain, [&](std::size_t b, std::size_t e, std::size_t w) {
        std::vector<float> dense(dim);
        for (std::size_t i = b; i < e; ++i) {
            const SparseVector old = before ? std::move(pool.sparse[i]) : SparseVector();
            const float len = weigh_for_matching(embedder, std::move(pool.features.counts[i]), pool.vectors,
                                                 pool.features.seqs[i], pool.sparse[i], dense.data());
            if (before) before(i, old);
            ranges[b / kGrain].append(dense.data());
            pool.docs[i].length = len;
        }
        const std::size_t d = done += e - b;
        if (progress && w == 0) progress(d, n);  // the calling thread only: callbacks need not be thread-safe
    });
    pool.dense = DenseRows::join(std::move(ranges), dim);
}

// Phase 1, the documents without their vectors: the seqs of those with features (in seq order,
// as load_features gives them), their matching languages (regrouped, phase 1b), URLs, and the
// stored word-vector embeddings.
Pool pool_documents(const Store& store, const BridgeEmbedder& embedder, double minor_share) {
    Pool pool;
    pool.features.seqs = store.artifact_seqs(kBridgeFeaturesArtifact);
    std::unordered_map<int64_t, std::size_t> pos;
    for (std::size_t i = 0; i < pool.features.seqs.size(); ++i) pos.emplace(pool.features.seqs[i], i);
    pool.features.langs.resize(pool.features.seqs.size());
    store.scan_artifacts(kMatchingLanguageArtifact, [&](int64_t seq, std::string_view blob) {
        if (auto it = pos.find(seq); it != pos.end()) pool.features.langs[it->second] = std::string(blob);
    });
    trace_cpu("seqs and languages");
    const std::vector<std::string> stored_langs = pool.features.langs;
    if (regroup_relatives(pool.features.langs, minor_share))  // phase 1b
        for (std::size_t i = 0; i < stored_langs.size(); ++i)
            if (stored_langs[i] != pool.features.langs[i]) pool.regrouped.push_back(i);
    pool.vectors = load_vectors(store);
    pool.dim = embedder.dim();
    const std::size_t n = pool.size();
    pool.docs.resize(n);
    pool.sparse.resize(n);
    std::unordered_map<int64_t, std::string> url_of;  // the keys only: a full scan decoded every row (3/4 of this phase)
    store.scan_keys([&](const Store::DocumentKeys& d) {
        if (!d.url.empty()) url_of.emplace(d.seq, std::string(d.url));
        return true;
    });
    for (std::size_t i = 0; i < n; ++i) {
        pool.docs[i] = {pool.features.seqs[i], pool.features.langs[i], 0.0f, ""};
        if (auto it = url_of.find(pool.features.seqs[i]); it != url_of.end()) pool.docs[i].url = std::move(it->second);
    }
    trace_cpu("URLs");
    return pool;
}

// Phase 2 for every document: their counts read, the frequencies counted over them, each weighed.
void weigh_every_document(const Store& store, Pool& pool, BridgeEmbedder& embedder, const ProgressCallback& progress) {
    pool.features.counts = load_counts(store, pool.features.seqs);
    DocumentFrequencies df;
    for (const SparseVector& c : pool.features.counts) df.add(c);
    weigh(pool, embedder, std::move(df), progress);
    // The counts went as they were weighed: learning reads them again from the store (held
    // through the first search and link, they were 2 KB a document at the peak).
    std::vector<SparseVector>().swap(pool.features.counts);
}

// Incremental mode, extending a state that saved its weighing (translation_state.h): only the
// documents a step of the matcher reads are weighed, as it asks for them (Matcher::VectorsNeeded),
// their counts read from the store then; in the second pass (`learned`) rewritten first. The
// frequencies are the saved ones plus the added documents' (what counting every document gives:
// the old documents' counts, and their rewriting under the same associations, are as they were),
// set by start(). Every document's length is there before (the saved ones and the added
// documents', weighed first). The pool's dense rows are placed rows (DenseRows::placed).
class PartialWeighing {
public:
    PartialWeighing(const Store& store, Pool& pool, BridgeEmbedder& embedder)
        : store_(store), pool_(pool), embedder_(embedder) {}

    // A pass begins: nothing weighed; the frequencies `saved` plus those of the added documents
    // (rewritten with `learned` when given); the added documents weighed, the others' lengths
    // set from `lengths`.
    void start(const DocumentFrequencies& saved, std::span<const float> lengths, std::span<const char> added,
               const FeatureAssociations* learned) {
        learned_ = learned;
        for (std::size_t i = 0; i < weighed_.size(); ++i)
            if (weighed_[i]) pool_.sparse[i] = SparseVector();
        weighed_.assign(pool_.size(), 0);
        pool_.dense = DenseRows::placed(pool_.size(), pool_.dim);
        std::vector<uint32_t> news;
        for (std::size_t i = 0; i < pool_.size(); ++i)
            if (added[i]) news.push_back(static_cast<uint32_t>(i));
            else pool_.docs[i].length = lengths[i];
        DocumentFrequencies df = saved;
        for (SparseVector& c : read_counts(news)) df.add(c);
        embedder_.set_frequencies(std::make_shared<DocumentFrequencies>(std::move(df)));
        (*this)(news);
    }
    // Weighs the documents of `positions` not weighed yet in this pass.
    void operator()(std::span<const uint32_t> positions) {
        std::vector<uint32_t> todo;
        for (uint32_t i : positions)
            if (!weighed_[i]) {
                weighed_[i] = 1;
                todo.push_back(i);
            }
        std::sort(todo.begin(), todo.end());  // in seq order: the store's pages are read in order
        constexpr std::size_t kChunk = 2048;
        std::vector<float> dense;
        for (std::size_t c = 0; c < todo.size(); c += kChunk) {
            const std::span<const uint32_t> part = std::span(todo).subspan(c, std::min(kChunk, todo.size() - c));
            std::vector<SparseVector> counts = read_counts(part);
            dense.assign(part.size() * pool_.dim, 0.0f);
            impl::parallel_for_ranges(part.size(), impl::worker_count(part.size() / 64 + 1), 64,
                                      [&](std::size_t b, std::size_t e, std::size_t) {
                for (std::size_t j = b; j < e; ++j) {
                    const uint32_t i = part[j];
                    pool_.docs[i].length = weigh_for_matching(embedder_, std::move(counts[j]), pool_.vectors,
                                                              pool_.docs[i].seq, pool_.sparse[i], dense.data() + j * pool_.dim);
                }
            });
            for (std::size_t j = 0; j < part.size(); ++j) pool_.dense.place(part[j], dense.data() + j * pool_.dim);
        }
        count_ += todo.size();
        if (debug_search())
            std::fprintf(stderr, "doppel search: weighed %zu (%zu in all) of %zu documents, process CPU %.2f s\n", todo.size(),
                         count_, pool_.size(), impl::process_cpu_seconds());
    }
    // Documents weighed, over every pass.
    std::size_t count() const { return count_; }

private:
    // The stored counts of documents `positions` (rewritten in the second pass), in that order.
    std::vector<SparseVector> read_counts(std::span<const uint32_t> positions) const {
        std::vector<int64_t> seqs;
        seqs.reserve(positions.size());
        for (uint32_t i : positions) seqs.push_back(pool_.docs[i].seq);
        std::vector<SparseVector> counts = load_counts(store_, seqs, false);
        if (learned_)
            for (std::size_t j = 0; j < counts.size(); ++j)
                counts[j] = learned_->apply(counts[j], pool_.features.langs[positions[j]]);
        return counts;
    }
    const Store& store_;
    Pool& pool_;
    BridgeEmbedder& embedder_;
    const FeatureAssociations* learned_ = nullptr;
    std::vector<char> weighed_;
    std::size_t count_ = 0;
};

// A sample of the pool's dense vectors (every stride-th), to train an approximate index on.
std::vector<float> sample_dense(const Pool& pool, std::size_t want) {
    const std::size_t stride = std::max<std::size_t>(1, pool.size() / want);
    std::vector<float> x((pool.size() + stride - 1) / stride * pool.dim);
    for (std::size_t i = 0; i < pool.size(); i += stride) pool.dense.copy(i, x.data() + i / stride * pool.dim);
    return x;
}

// Adds the dense vectors of each language's members (positions in the pool) to `index`, in
// chunks (FAISS adds a chunk in parallel). With `prepare`, each language is prepared on its first
// chunk, spread over the whole language, so an approximate index trains the language's lists on
// a sample of all of it, sized for all of it (as `index` does); else members go in their order.
void add_by_language(VectorIndex& index, const Pool& pool,
                     const std::map<std::string, std::vector<std::size_t>>& by_lang, bool prepare) {
    constexpr std::size_t kChunk = 4096;
    std::vector<int64_t> seqs;
    std::vector<float> x;
    for (const auto& [lang, members] : by_lang) {
        std::vector<std::size_t> order(members.size());
        if (prepare) order = VectorIndex::spread_order(members.size(), kChunk);
        else std::iota(order.begin(), order.end(), std::size_t{0});
        for (std::size_t c = 0; c < members.size(); c += kChunk) {
            const std::size_t end = std::min(members.size(), c + kChunk);
            seqs.clear();
            x.resize((end - c) * pool.dim);
            for (std::size_t j = c; j < end; ++j) {
                const std::size_t d = members[order[j]];
                seqs.push_back(pool.docs[d].seq);
                pool.dense.copy(d, x.data() + (j - c) * pool.dim);
            }
            if (prepare && c == 0) index.prepare_language(lang, members.size(), seqs.size(), x.data());
            index.add(lang, seqs.size(), seqs.data(), x.data());
        }
    }
}

// Phase 3: an index of the pool's dense vectors (other than the stored ones) in memory, of the
// same FAISS factory as `index`, which it replaces. With `retrain` false an approximate index
// keeps its trained projection and centroids (the second pass: vectors of the same space).
void index_in_memory(VectorIndex& index, const Pool& pool, bool retrain) {
    if (retrain) {
        const std::string factory = index.factory();
        index = VectorIndex(pool.dim, factory);  // the old one goes first: a large index is not held twice
        if (index.needs_training(pool.size())) {
            const std::vector<float> sample = sample_dense(pool, 32768);
            index.prepare(pool.size(), sample.size() / pool.dim, sample.data());
        }
    } else {
        index = index.empty_like();
    }
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i = 0; i < pool.size(); ++i) by_lang[pool.docs[i].lang].push_back(i);
    add_by_language(index, pool, by_lang, true);
}

// The stored index with the regrouped documents (Pool::regrouped) moved to the language they
// are matched as: removed from their stored language's part and added to their relative's (its
// trained lists; the projection is the store's, trained on every language). Training the whole
// index again for them cost a third of the match's CPU on a 26-language store (9 documents moved).
// `read`: the languages read (VectorIndex::LoadOptions; all by default); a partial load moves
// documents into those only (no part of another language is made).
VectorIndex load_stored_index(const Store& store, const Pool& pool, const VectorIndex::LoadOptions& read = {}) {
    VectorIndex index = VectorIndex::load(store.dir(), read);
    if (pool.regrouped.empty() || !index.can_remove()) return index;
    std::vector<int64_t> seqs;
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i : pool.regrouped) {
        seqs.push_back(pool.docs[i].seq);
        if (!read.languages || read.languages->count(pool.docs[i].lang)) by_lang[pool.docs[i].lang].push_back(i);
    }
    index.remove(seqs.size(), seqs.data());
    add_by_language(index, pool, by_lang, false);
    return index;
}

// Phase 3 for the stored index (`check`: check_vector_index's): used when it is in step with the store (index/vector_index_check.h)
// and the options keep the store's embedder (with regrouped documents moved, load_stored_index;
// an index that cannot remove them is built again); otherwise built in memory for this run,
// saying why.
VectorIndex stored_or_rebuilt_index(const Store& store, const Pool& pool, const VectorIndexCheck& check,
                                    bool override_spec, std::vector<std::string>& warnings, bool& stored) {
    stored = check.in_step && !override_spec;
    if (stored) {
        VectorIndex index = load_stored_index(store, pool);
        if (pool.regrouped.empty() || index.can_remove()) return index;
        stored = false;
    }
    std::string factory = "auto";  // the store's, where it names one
    if (auto m = store.meta("vector_index"); m && !VectorIndex::factory_of(*m).empty())
        factory = VectorIndex::factory_of(*m);
    if (!check.in_step)
        warnings.push_back(check.problem + ": built in memory for this run (doppel index or doppel verify --repair "
                           "on the store saves it)");
    VectorIndex index(pool.dim, factory);
    index_in_memory(index, pool, true);
    return index;
}

// Phase 5c, before: the stored index read again (regrouped documents moved, as on the first
// read), the parts of the languages `read` names only (the second pass searches those:
// searched_languages). It was let go after the first search (idle through learning and
// weighing: 213 MiB of 100,000 documents), so it is checked against the store again, as on the
// first read (the files of the parts read hashed).
VectorIndex reread_index(const Store& store, const Pool& pool, const VectorIndex::LoadOptions& read) {
    const VectorIndexCheck check = check_vector_index(store, read);
    DOPPEL_CHECK(kStore, check.in_step, "store " + store.dir() + " changed during doppel translations: " + check.problem);
    return load_stored_index(store, pool, read);
}

// Phase 4: word associations learned from the first pass's confident links.
FeatureAssociations learn_associations(const Pool& pool, const std::vector<TranslationLink>& links,
                                       const FeatureAssociationOptions& options) {
    return FeatureAssociations::learn(pool.features.counts, pool.features.langs, confident_pairs(links, options), options);
}

// Phase 5a: the associations applied to every document's raw counts; which documents they
// changed (flags). The frequencies follow: derived from the first pass's, each changed document's
// old counts taken out and its new ones put in (what counting the rewritten pool gives).
// A block of documents at a time (on all cores, then their frequencies in document order), so
// that a block's new counts take the memory the previous block's old ones gave back: all of them
// held at once until the end took ~100 MiB of fresh pages at 100,000 documents, most of the
// rewrite's time in page faults.
std::vector<char> rewrite(Pool& pool, const FeatureAssociations& learned, DocumentFrequencies& df) {
    const std::size_t n = pool.size();
    constexpr std::size_t kBlock = 8192;
    std::vector<char> changed(n, 0);
    std::vector<SparseVector> before(std::min(n, kBlock));
    for (std::size_t from = 0; from < n; from += kBlock) {
        const std::size_t to = std::min(n, from + kBlock);
        impl::parallel_for_ranges(to - from, impl::worker_count((to - from) / 1024 + 1), 1024,
                                  [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t i = from + b; i < from + e; ++i) {
                // A language the associations leave alone (English) keeps its counts, not copied.
                if (!learned.rewrites(pool.features.langs[i])) continue;
                SparseVector after = learned.apply(pool.features.counts[i], pool.features.langs[i]);
                if (after.ids == pool.features.counts[i].ids && after.weights == pool.features.counts[i].weights) continue;
                changed[i] = 1;
                before[i - from] = std::exchange(pool.features.counts[i], std::move(after));
            }
        });
        for (std::size_t i = from; i < to; ++i)
            if (changed[i]) {
                df.replace(before[i - from], pool.features.counts[i]);
                before[i - from] = SparseVector();
            }
    }
    return changed;
}

// Phase 5b: of the rewritten documents (rewritten[i]), those searched again (search): the ones
// the rewrite moved (the cosine of their weighted vectors before and after under
// rematch_similarity; moved[i], for rewritten documents) but those the first pass linked (translation or partial) with a margin of
// rematch_margin or more (spared: their version is among their candidates already). The others
// keep their first-pass candidates, rescored. A similarity above 1 searches every document
// again, as the second pass of doppel.dask does.
struct SecondSearch {
    std::vector<char> search, spared;
};

SecondSearch documents_to_search(const std::vector<float>& moved, const std::vector<char>& rewritten,
                                 const std::vector<TranslationLink>& first, const FeatureAssociationOptions& options) {
    const std::size_t n = rewritten.size();
    SecondSearch out{std::vector<char>(n, options.rematch_similarity > 1), std::vector<char>(n, 0)};
    if (options.rematch_similarity > 1) return out;
    for (std::size_t i = 0; i < n; ++i) out.search[i] = rewritten[i] && moved[i] < options.rematch_similarity;
    if (options.rematch_margin <= 0) return out;
    for (const TranslationLink& l : first)
        if (l.label != LinkLabel::kSameStory && l.margin >= options.rematch_margin)
            for (std::size_t d : {l.a, l.b})
                if (out.search[d]) out.search[d] = 0, out.spared[d] = 1;
    return out;
}

// Phase 5b: the second pass's plan for rewritten documents (languages_searched_again,
// translation_stages.h); with DOPPEL_DEBUG_SEARCH, the rewritten languages that search every
// language again (no pivot among the languages they search) are named.
std::vector<char> plan_searched_again(const CandidateTable& table, const FeatureAssociations& learned,
                                      const FeatureAssociationOptions& options) {
    std::vector<char> again = languages_searched_again(table, learned, options);
    if (!debug_search()) return again;
    const std::size_t L = table.languages.size();
    std::string names;
    for (std::size_t a = 0; a < L; ++a)
        if (learned.rewrites(table.languages[a]) && (again.empty() || again[a * L + a] == Matcher::kSearchList))
            names += " " + table.languages[a];
    std::fprintf(stderr, "doppel search: second pass        rewritten, searched again in every language:%s\n",
                 names.empty() ? " none" : names.c_str());
    return again;
}

// With learn:rematch_rewritten=0, the documents of the languages not searched again count as
// spared (second_pass_labels): between two of them the lists are the first pass's, rescored.
// `at`: each document's position in the table's L languages (language_positions).
void spare_kept_lists(std::span<const uint32_t> at, std::size_t L, const std::vector<char>& again,
                      std::vector<char>& spared) {
    if (again.empty()) return;
    for (std::size_t i = 0; i < at.size(); ++i) spared[i] |= again[at[i] * L + at[i]] == Matcher::kKeepList;
}

// Phase 5c: the languages (flags, of the table's L) whose vectors the second pass's search
// reads: those some language searches again (`again`: plan_searched_again); empty for all (no
// plan, or the found search on: search_found() reads every language of a found pair).
std::vector<char> searched_languages(std::size_t L, const std::vector<char>& again,
                                     const TranslationSearchOptions& options) {
    if (again.empty() || options.matcher.found_only_ratio > 0) return {};
    std::vector<char> searched(L);
    for (std::size_t u = 0; u < again.size(); ++u) searched[u % L] |= again[u] == Matcher::kSearchList;
    return searched;
}

// Phase 5c: the stored index's parts the second pass reads (`searched`: searched_languages of
// the table's `languages`).
VectorIndex::LoadOptions searched_parts(const std::vector<std::string>& languages, const std::vector<char>& searched) {
    VectorIndex::LoadOptions read;
    if (searched.empty()) return read;
    read.languages.emplace();
    for (std::size_t t = 0; t < languages.size(); ++t)
        if (searched[t]) read.languages->insert(languages[t]);
    return read;
}

// Phase 5c: of the changed documents, those whose vectors the second pass's search reads: the
// documents of the `searched` languages (searched_languages; all when empty). `at`: as for
// spare_kept_lists.
std::vector<char> searched_languages_only(std::span<const uint32_t> at, const std::vector<char>& searched,
                                          std::vector<char> changed) {
    if (searched.empty()) return changed;
    for (std::size_t i = 0; i < at.size(); ++i) changed[i] &= searched[at[i]];
    return changed;
}

// Matching allocates on every core and frees on another (a range's vectors weighed on a worker,
// the old ones freed by the main thread). glibc gives each thread an arena, and memory freed in
// one is not reused by allocations in another, so the peak grew with the arenas: one arena for
// the whole process. 100,000 documents (scripts/scale-translations' store, load 8-12): peak RSS
// 1,306 -> 1,130 MiB (two arenas: 1,238), CPU 132 -> 106 s, the same links. Set before the
// call starts any thread (an arena made earlier stays).
// And blocks of 1 MiB or more mapped on their own, given back when freed: link()'s
// per-language-pair vectors (tens of MiB) otherwise stayed in the heap as holes the next phase
// could not use. 100,000 documents (load 4-8): peak RSS 1,338 -> 1,235 MiB, CPU 114.1 -> 88.7 s
// (load 10-13 before), the same links. (Was the CLI's until every front end got it here.)
void share_one_heap() {
#ifdef __GLIBC__
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

// Gives the heap's free pages back to the system. glibc keeps freed small blocks (the
// per-document vectors) as holes in its heap, resident, and the large blocks of later phases
// (link()'s, mapped on their own) do not go there: at 100,000 documents 450 MiB once the
// counts were freed.
void release_free_heap() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

// Phase 5c: the changed documents' dense vectors replaced in the index (removed and added again
// per language); an index that cannot remove (HNSW) is built again from every vector.
void reindex_changed(VectorIndex& index, const Pool& pool, const std::vector<char>& changed) {
    if (!index.can_remove()) return index_in_memory(index, pool, false);
    std::vector<int64_t> gone;
    std::map<std::string, std::vector<std::size_t>> by_lang;
    for (std::size_t i = 0; i < pool.size(); ++i)
        if (changed[i]) {
            gone.push_back(pool.docs[i].seq);
            by_lang[pool.docs[i].lang].push_back(i);
        }
    if (gone.empty()) return;
    index.remove(gone.size(), gone.data());
    add_by_language(index, pool, by_lang, false);
}

// Incremental mode: a fingerprint of each document's lists (their candidates and similarities
// in every language), to tell after an update whose lists it changed (Matcher::relink).
std::vector<uint64_t> list_fingerprints(const CandidateTable& table) {
    const auto mix = [](uint64_t h, uint64_t v) {  // splitmix64's finalizer over h ^ v
        uint64_t z = (h ^ v) + 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    };
    const std::size_t n = table.documents(), L = table.languages.size();
    std::vector<uint64_t> out(n);
    impl::parallel_for_ranges(n, impl::worker_count(n / 4096 + 1), 4096, [&](std::size_t b, std::size_t e, std::size_t) {
        for (std::size_t i = b; i < e; ++i) {
            uint64_t h = 0;
            for (std::size_t t = 0; t < L; ++t) {
                h = mix(h, (uint64_t{t} << 32) | table.of(i, t).size());
                for (const MatchCandidate& c : table.of(i, t)) {
                    uint32_t bits = 0;
                    std::memcpy(&bits, &c.sim, sizeof bits);
                    h = mix(h, (uint64_t{c.other} << 32) | bits);
                }
            }
            out[i] = h;
        }
    });
    return out;
}

// The links of a pass. In incremental mode `state` keeps what the next run's relink needs; with
// a previous state (`before`: its lists' fingerprints, list_fingerprints) only the documents
// whose lists changed, and the added ones, are linked again (Matcher::relink).
std::vector<TranslationLink> link_pass(const Matcher& matcher, const Pool& pool, const CandidateTable& table,
                                       const std::vector<uint64_t>* before, std::span<const char> added,
                                       LinkState* state) {
    if (!before) return matcher.link(pool.docs, pool.sparse, table, state);
    const std::vector<uint64_t> after = list_fingerprints(table);
    std::vector<char> changed(pool.size());
    for (std::size_t i = 0; i < changed.size(); ++i) changed[i] = added[i] || after[i] != (*before)[i];
    trace_count("lists changed", changed);
    return matcher.relink(pool.docs, pool.sparse, table, changed, *state);
}

// Phase 5: the pool's features rewritten with the associations and weighed again (every
// document: the frequencies moved), and matched again: the changed documents searched again, the
// others keeping their first-pass candidates, rescored (Matcher::update_candidates), then linked,
// the second pass's rule applied (second_pass_labels). `reread`: the store the index is read
// from again before re-indexing (it was let go after the first search); null: `index` is kept.
// `at`: each document's position in table.languages (language_positions).
std::vector<TranslationLink> second_pass(Pool& pool, BridgeEmbedder& embedder, VectorIndex& index, const Store* reread,
                                         const FeatureAssociations& learned, const std::vector<TranslationLink>& first,
                                         CandidateTable& table, std::span<const uint32_t> at, LinkState* keep,
                                         const TranslationSearchOptions& options, const ProgressCallback& progress) {
    DocumentFrequencies df = *embedder.frequencies();
    std::vector<char> rewritten = rewrite(pool, learned, df);
    trace_cpu("rewrite");
    release_free_heap();
    trace_memory("rewritten", pool, embedder, &table, first.size());
    // Weighed for the last time (the counts go as they are weighed), a rewritten document's old
    // and new weighted vectors compared as they pass (no copy of the old ones).
    std::vector<float> moved(pool.size(), 1.0f);
    weigh(pool, embedder, std::move(df), progress, [&](std::size_t i, const SparseVector& old) {
        if (rewritten[i]) moved[i] = dot(old, pool.sparse[i]);
    });
    std::vector<SparseVector>().swap(pool.features.counts);
    SecondSearch search = documents_to_search(moved, rewritten, first, options.associations);
    release_free_heap();
    trace_memory("weighed again", pool, embedder, &table, first.size());
    const std::vector<char> again = plan_searched_again(table, learned, options.associations);
    const std::vector<char> searched = searched_languages(table.languages.size(), again, options);
    if (reread) index = reread_index(*reread, pool, searched_parts(table.languages, searched));
    reindex_changed(index, pool,
                    searched_languages_only(at, searched,
                                            options.associations.rematch_similarity > 1 ? search.search : rewritten));
    const Matcher matcher(options.matcher);
    trace_memory("reindexed", pool, embedder, &table, first.size());
    matcher.update_candidates(index, pool.docs, pool.dense, pool.sparse, search.search, table, again);
    spare_kept_lists(at, table.languages.size(), again, search.spared);
    // Searched for the last time: the vectors go (the index keeps its kind and training, so
    // describe() is unchanged), and so do the dense rows.
    index = index.empty_like();
    pool.dense = DenseRows();
    release_free_heap();
    trace_memory("candidates again", pool, embedder, &table, first.size());
    trace_search("second pass", pool, table, at, &search.search);
    std::vector<TranslationLink> links = matcher.link(pool.docs, pool.sparse, table, keep);
    if (!options.incremental) table = CandidateTable();  // incremental mode saves it
    trace_memory("linked again", pool, embedder, &table, first.size() + links.size());
    second_pass_labels(links, first, options, search.spared);
    return links;
}

// Phase 5, incremental mode (translations.h): the previous second-pass table kept, the added
// documents' first-pass lists (first) taken as theirs; the features rewritten and weighed as in
// second_pass(), the added documents' lists rescored and the added documents offered to the
// others' (Matcher::merge_candidates), then linked again where lists changed (`state`: the
// previous second pass's, link_pass) and the second pass's rule applied. `again`:
// plan_searched_again(); an added rewritten document's lists it drops are not taken.
// `reweigh` weighs the pool for the second pass: every document rewritten and weighed
// (rewrite_and_weigh), or a PartialWeighing started, then asked by `need`. `at`: each document's
// position in table.languages (language_positions).
std::vector<TranslationLink> second_pass_extended(Pool& pool, const std::function<void()>& reweigh, const VectorsNeeded& need,
                                                  const std::vector<TranslationLink>& first_links,
                                                  const CandidateTable& first, std::span<const char> added,
                                                  CandidateTable& table, std::span<const uint32_t> at, LinkState& state,
                                                  const std::vector<char>& again,
                                                  const TranslationSearchOptions& options) {
    const std::vector<uint64_t> before = list_fingerprints(table);
    reweigh();
    trace_cpu("weighed again");
    const std::size_t L = table.languages.size();
    for (std::size_t i = 0; i < pool.size(); ++i) {  // as second_pass() drops a rewritten document's
        const std::span<const char> row = Matcher::again_row(again, L, at[i]);
        for (std::size_t t = 0; added[i] && t < L; ++t)
            if (!Matcher::drops_list(row, !row.empty() && row[at[i]] != Matcher::kSearchList, t))
                table.edit(i, t).assign(first.of(i, t));
    }
    const Matcher matcher(options.matcher, need);
    matcher.merge_candidates(pool.docs, pool.dense, pool.sparse, added, table, true);  // old lists keep their scores
    trace_search("second pass", pool, table, at);
    std::vector<TranslationLink> links = link_pass(matcher, pool, table, &before, added, &state);
    trace_cpu("linked again");
    second_pass_labels(links, first_links, options, {});
    return links;
}

// Phase 5a of an extended run weighing every document: the features rewritten with the
// associations, the frequencies following (rewrite), every document weighed again.
void rewrite_and_weigh(Pool& pool, BridgeEmbedder& embedder, const FeatureAssociations& learned,
                       const ProgressCallback& progress) {
    DocumentFrequencies df = *embedder.frequencies();
    rewrite(pool, learned, df);
    trace_cpu("rewritten");
    weigh(pool, embedder, std::move(df), progress);
    std::vector<SparseVector>().swap(pool.features.counts);  // weighed for the last time
}

// Each pool document's length (MatchDocument::length) as weighed last.
std::vector<float> lengths_of(const Pool& pool) {
    std::vector<float> out(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) out[i] = pool.docs[i].length;
    return out;
}

// Incremental mode: the run's specs as one string; a state is extended under the same only.
std::string run_specs(const TranslationSearch& out, double minor_share) {
    std::string s;
    for (const auto& [what, spec] : out.specs) s += what + "=" + spec + "\n";
    return s + "minor_relative_share=" + impl::spec_number(minor_share);
}

// Incremental mode: the previous run's tables placed onto the pool, and which documents were
// added since (added[i] != 0).
struct Previous {
    CandidateTable first, second;
    FeatureAssociations associations;  // the second pass's
    LinkState first_links, second_links;
    TranslationState::Weighing first_weighing, second_weighing;  // lengths placed; empty: not saved
    std::vector<char> added;
    std::size_t count = 0;  // added documents
};

// A saved weighing placed onto the pool (lengths follow their documents); empty stays empty.
TranslationState::Weighing place_weighing(TranslationState::Weighing w, std::span<const uint32_t> moved, std::size_t n) {
    if (w.lengths.empty()) return w;
    std::vector<float> lengths(n, 0.0f);
    for (std::size_t i = 0; i < moved.size(); ++i) lengths[moved[i]] = w.lengths[i];
    w.lengths = std::move(lengths);
    return w;
}

// The previous state when the store only gained documents since it was saved (same specs and
// languages, every document of the state in the pool under the same matching language); else
// nullopt, with why in warnings.
std::optional<Previous> previous_state(const Store& store, const Pool& pool, const std::string& specs,
                                       std::vector<std::string>& warnings) {
    const std::string path = (std::filesystem::path(store.dir()) / kTranslationStateFile).string();
    const auto refuse = [&](const std::string& why) {
        warnings.push_back("incremental: " + why + ": every document matched (its state saved for the next run)");
        return std::nullopt;
    };
    std::optional<TranslationState> state;
    try {
        state = load_translation_state(path);
    } catch (const Error& e) {
        return refuse(std::string(e.code() == ErrorCode::kVersion ? "the saved state is of another format ("
                                                                   : "the saved state is unreadable (") +
                      e.what() + ")");
    }
    if (!state) return refuse("no saved state in the store yet");
    if (state->specs != specs) return refuse("the saved state was made with other specs");
    if (state->first.languages != Matcher::languages_of(pool.docs)) return refuse("the store's languages changed");
    std::unordered_map<int64_t, std::size_t> at;
    for (std::size_t i = 0; i < pool.size(); ++i) at.emplace(pool.docs[i].seq, i);
    std::vector<uint32_t> moved(state->seqs.size());  // saved document i is pool document moved[i]
    for (std::size_t i = 0; i < state->seqs.size(); ++i) {
        auto it = at.find(state->seqs[i]);
        if (it == at.end()) return refuse("documents were deleted or replaced since the saved state");
        if (pool.docs[it->second].lang != state->first.languages[state->langs[i]])
            return refuse("documents changed language since the saved state");
        moved[i] = static_cast<uint32_t>(it->second);
    }
    Previous p;
    p.first = place_table(state->first, moved, pool.size());
    if (state->second.documents() > 0) p.second = place_table(state->second, moved, pool.size());
    p.associations = std::move(state->associations);
    p.first_links = place_links(std::move(state->first_links), moved);
    p.second_links = place_links(std::move(state->second_links), moved);
    p.first_weighing = place_weighing(std::move(state->first_weighing), moved, pool.size());
    p.second_weighing = place_weighing(std::move(state->second_weighing), moved, pool.size());
    p.added.assign(pool.size(), 1);
    for (uint32_t i : moved) p.added[i] = 0;
    p.count = pool.size() - state->seqs.size();
    return p;
}

// Incremental mode: this run's state saved in the store (translation_state.h).
// What a run leaves for the next beside its first-pass table: the second pass's table and associations.
struct SecondPassState {
    CandidateTable table;
    FeatureAssociations associations;
    LinkState links;
    TranslationState::Weighing weighing;
};

// `at`: each document's position in first.languages (language_positions).
void save_state(const Store& store, const Pool& pool, std::span<const uint32_t> at, std::string specs,
                CandidateTable first, LinkState first_links, TranslationState::Weighing first_weighing,
                SecondPassState second) {
    TranslationState s;
    s.specs = std::move(specs);
    for (const MatchDocument& d : pool.docs) s.seqs.push_back(d.seq);
    s.langs.assign(at.begin(), at.end());
    s.first = std::move(first);
    s.second = std::move(second.table);
    s.associations = std::move(second.associations);
    s.first_links = std::move(first_links);
    s.second_links = std::move(second.links);
    s.first_weighing = std::move(first_weighing);
    s.second_weighing = std::move(second.weighing);
    save_translation_state((std::filesystem::path(store.dir()) / kTranslationStateFile).string(), s);
}

// Phase 6: the links as pairs of stored ids, sorted by (id_a, id_b).
std::vector<TranslationPair> to_pairs(const Store& store, const Pool& pool, const std::vector<TranslationLink>& links) {
    std::unordered_map<int64_t, std::pair<std::string, std::string>> meta;  // seq -> (id, lang)
    store.scan([&](const StoredDocument& d) {
        meta[d.seq] = {d.id, d.lang};
        return true;
    }, false, false);  // no text, no paragraphs
    std::vector<std::string> ids(pool.size()), langs(pool.size());
    for (std::size_t i = 0; i < pool.size(); ++i) std::tie(ids[i], langs[i]) = meta[pool.docs[i].seq];
    return translation_pairs(links, ids, langs);
}

// Phase 3, the first pass: every document searched, or in incremental mode with a usable
// previous state, the previous lists kept and rescored and only the added documents searched.
CandidateTable first_pass(const Matcher& matcher, const VectorIndex& index, const Pool& pool, Previous* previous) {
    if (!previous) return matcher.candidates(index, pool.docs, pool.dense, pool.sparse);
    CandidateTable table = std::move(previous->first);
    matcher.update_candidates(index, pool.docs, pool.dense, pool.sparse, previous->added, table, {}, true);  // old lists keep their scores
    return table;
}

// Phases 4 and 5: associations learned from the first pass's links and, when there are any, the
// second pass. In incremental mode with a previous second pass, that pass is extended with the
// associations it was made with (learning reads every link: their being learned again from
// a store 1/40 larger changes little). `table` is the first pass's; `second` becomes the
// second pass's table and associations when the state is to be saved. `reread`: as for
// second_pass(); `at`: each document's position in table.languages (language_positions).
std::vector<TranslationLink> learn_and_match_again(Pool& pool, BridgeEmbedder& embedder, VectorIndex& index,
                                                   const Store* reread, std::vector<TranslationLink> links,
                                                   CandidateTable& table, std::span<const uint32_t> at,
                                                   Previous* previous, PartialWeighing* partial,
                                                   SecondPassState& second, const TranslationSearchOptions& options,
                                                   TranslationSearch& out, PhaseClock& clock,
                                                   const ProgressCallback& progress) {
    trace_cpu("counts read again");
    const bool extend = previous && previous->second.documents() > 0;
    const FeatureAssociations learned =
        extend ? std::move(previous->associations) : learn_associations(pool, links, options.associations);
    out.associations = learned.size();
    clock.mark("learn");
    trace_memory("learned", pool, embedder, &table, links.size());
    if (learned.size() == 0) return links;
    if (extend) {
        second.table = std::move(previous->second);
        second.links = std::move(previous->second_links);
        const auto reweigh = [&] {
            if (!partial) return rewrite_and_weigh(pool, embedder, learned, progress);
            const TranslationState::Weighing& saved = previous->second_weighing;
            partial->start(saved.frequencies, saved.lengths, previous->added, &learned);
        };
        const std::vector<char> again = plan_searched_again(second.table, learned, options.associations);
        links = second_pass_extended(pool, reweigh, partial ? VectorsNeeded(std::ref(*partial)) : VectorsNeeded(), links,
                                     table, previous->added, second.table, at, second.links, again, options);
    } else if (options.incremental) {
        second.table = table;  // the first pass's table is saved too
        links = second_pass(pool, embedder, index, reread, learned, links, second.table, at, &second.links, options,
                            progress);
    } else {
        links = second_pass(pool, embedder, index, reread, learned, links, table, at, nullptr, options, progress);
    }
    clock.mark("match again");
    if (options.incremental) {
        second.associations = learned;
        second.weighing = {*embedder.frequencies(), lengths_of(pool)};
    }
    return links;
}

// Incremental mode: whether a run may weigh only the documents it reads (PartialWeighing) when
// its state allows: documents matched as stored (none regrouped), no word-vector embeddings
// (read per document from every one), no same-story pairs (every candidate pair a link) and
// no found search (matcher.h).
bool may_weigh_partially(const Pool& pool, const TranslationSearchOptions& options) {
    return pool.regrouped.empty() && pool.vectors.by_seq.empty() && !options.matcher.same_story &&
           options.matcher.found_only_ratio <= 0;
}

// A state of version 3 (without its weighing, translation_state.h): the weighing it would hold,
// counted from the stored counts of its documents (the pool's but the added), in one pass that
// holds no document's counts: each pass's frequencies and lengths (the second pass's over the
// counts rewritten with the saved associations, as that pass rewrote them). A scan of every
// document, but no weighing: the run then weighs what it reads, and saves version 4.
void count_saved_weighing(const Store& store, const Pool& pool, Previous& previous) {
    const bool second = previous.second.documents() > 0;
    TranslationState::Weighing first_w, second_w;
    first_w.lengths.assign(pool.size(), 0.0f);
    if (second) second_w.lengths.assign(pool.size(), 0.0f);
    std::unordered_map<int64_t, std::size_t> at;
    for (std::size_t i = 0; i < pool.size(); ++i) at.emplace(pool.docs[i].seq, i);
    store.scan_artifacts(kBridgeFeaturesArtifact, [&](int64_t seq, std::string_view blob) {
        const auto it = at.find(seq);
        if (it == at.end() || previous.added[it->second]) return;
        const SparseVector counts = SparseVector::deserialize(blob);
        first_w.frequencies.add(counts);
        first_w.lengths[it->second] = matching_length(counts);
        if (!second) return;
        const SparseVector rewritten = previous.associations.apply(counts, pool.features.langs[it->second]);
        second_w.frequencies.add(rewritten);
        second_w.lengths[it->second] = matching_length(rewritten);
    });
    trace_cpu("weighing counted");
    previous.first_weighing = std::move(first_w);
    previous.second_weighing = std::move(second_w);
}

// Phase 2 of an incremental run that may weigh partially: with a previous state that saved its
// weighing (and, when learning, a second pass: extended with its associations), a
// PartialWeighing started on the first pass's; else every document weighed (null).
std::unique_ptr<PartialWeighing> weigh_for_run(const Store& store, Pool& pool, BridgeEmbedder& embedder,
                                               Previous* previous, const TranslationSearchOptions& options,
                                               const ProgressCallback& progress) {
    if (previous && previous->first_weighing.lengths.empty() && (!options.learn || previous->second.documents() > 0))
        count_saved_weighing(store, pool, *previous);
    if (previous && !previous->first_weighing.lengths.empty() &&
        (!options.learn || (previous->second.documents() > 0 && !previous->second_weighing.lengths.empty()))) {
        auto partial = std::make_unique<PartialWeighing>(store, pool, embedder);
        partial->start(previous->first_weighing.frequencies, previous->first_weighing.lengths, previous->added, nullptr);
        return partial;
    }
    weigh_every_document(store, pool, embedder, progress);
    return nullptr;
}

}  // namespace

namespace {

// One run of find_stored_translations, phase by phase (each marks its PhaseClock phase): the
// pool loaded and weighed, the vector index read or rebuilt (and an incremental run's state
// read), the first pass, the second (learned associations), then the pairs and the state saved.
class StoredTranslationRun {
public:
    StoredTranslationRun(const Store& store, const std::string& models_dir,
                         const TranslationSearchOptions& options, const ProgressCallback& progress)
        : store_(store), models_dir_(models_dir), options_(options), progress_(progress) {}

    TranslationSearch run() {
        const auto t0 = Clock::now();
        load_and_weigh();
        const auto t1 = Clock::now();
        read_index_and_state();
        const auto t2 = Clock::now();
        match();
        const auto t3 = Clock::now();
        if (options_.incremental) first_weighing_ = {*embedder_->frequencies(), lengths_of(pool_)};
        if (options_.learn) {
            learn_and_match();
            out_.learn_seconds = seconds_between(t3, Clock::now());
        }
        finish();
        out_.documents = pool_.size();
        out_.features_seconds = seconds_between(t0, t1);
        out_.index_seconds = seconds_between(t1, t2);
        out_.match_seconds = seconds_between(t2, t3);
        return std::move(out_);
    }

private:
    // The embedder and the pool; every document weighed, but where an incremental run may weigh
    // only the documents it reads (decided once its state is read).
    void load_and_weigh() {
        embedder_ = open_embedder(store_, models_dir_, options_, out_, override_spec_);
        pool_ = pool_documents(store_, *embedder_, options_.minor_relative_share);
        check_ = check_vector_index(store_);
        trace_cpu("index checked");
        may_defer_ =
            options_.incremental && check_.in_step && !override_spec_ && may_weigh_partially(pool_, options_);
        if (!may_defer_) weigh_every_document(store_, pool_, *embedder_, progress_);
        clock_.mark("load and weigh");
        trace_memory("loaded and weighed", pool_, *embedder_);
    }

    void read_index_and_state() {
        index_.emplace(
            stored_or_rebuilt_index(store_, pool_, check_, override_spec_, out_.warnings, stored_));
        out_.specs = {{"matcher", options_.matcher.describe()},
                      {"associations", options_.learn ? options_.associations.describe() : "none"},
                      {"embedder", embedder_->describe()},
                      {"vector_index", index_->describe()}};
        specs_ = options_.incremental ? run_specs(out_, options_.minor_relative_share) : "";
        trace_cpu("index read");
        if (options_.incremental) previous_ = previous_state(store_, pool_, specs_, out_.warnings);
        trace_cpu("state read");
        out_.extended = previous_.has_value();
        out_.added = previous_ ? previous_->count : 0;
        if (may_defer_) partial_ = weigh_for_run(store_, pool_, *embedder_, previous(), options_, progress_);
        clock_.mark("index");
        trace_memory("index", pool_, *embedder_);
    }

    // The first pass: candidates (table_, kept: the second pass updates it) and their links.
    void match() {
        const Matcher matcher(options_.matcher,
                              partial_ ? VectorsNeeded(std::ref(*partial_)) : VectorsNeeded());
        const std::vector<uint64_t> before =
            previous_ ? list_fingerprints(previous_->first) : std::vector<uint64_t>();
        table_ = first_pass(matcher, *index_, pool_, previous());
        if (!partial_) pool_.dense = DenseRows();  // the second pass weighs every document again
        // A stored index goes until the second pass re-indexes (read again then); describe() is kept.
        reread_ = options_.learn && stored_;
        if (reread_) index_ = index_->empty_like();
        trace_memory("candidates", pool_, *embedder_, &table_);
        at_ = language_positions(pool_, table_);  // every pass's tables have these languages
        trace_search("first pass", pool_, table_, at_);
        if (previous_) first_links_ = std::move(previous_->first_links);  // incremental mode saves it
        links_ = link_pass(matcher, pool_, table_, previous_ ? &before : nullptr,
                           previous_ ? previous_->added : std::vector<char>(),
                           options_.incremental ? &first_links_ : nullptr);
        trace_cpu("linked");
        clock_.mark("match");
        trace_memory("linked", pool_, *embedder_, &table_, links_.size());
    }

    void learn_and_match() {
        if (!partial_) pool_.features.counts = load_counts(store_, pool_.features.seqs);
        links_ = learn_and_match_again(pool_, *embedder_, *index_, reread_ ? &store_ : nullptr,
                                       std::move(links_), table_, at_, previous(), partial_.get(), second_,
                                       options_, out_, clock_, progress_);
    }

    // The pairs, and an incremental run's state (the pairs stand without it: the next run is then
    // a full one).
    void finish() {
        Matcher(options_.matcher).limit_same_story(links_);  // again: the second pass relabels links
        out_.pairs = to_pairs(store_, pool_, links_);
        if (options_.incremental) {
            try {
                save_state(store_, pool_, at_, specs_, std::move(table_), std::move(first_links_),
                           std::move(first_weighing_), std::move(second_));
            } catch (const Error& e) {
                out_.warnings.push_back(std::string("incremental: the state was not saved (") + e.what() +
                                        ")");
            }
        }
        clock_.mark("pairs");
        trace_memory("pairs", pool_, *embedder_, nullptr, links_.size());
    }

    Previous* previous() { return previous_ ? &*previous_ : nullptr; }

    const Store& store_;
    const std::string& models_dir_;
    const TranslationSearchOptions& options_;
    const ProgressCallback& progress_;
    TranslationSearch out_;
    PhaseClock clock_{out_};
    bool override_spec_ = false, may_defer_ = false, stored_ = false, reread_ = false;
    std::unique_ptr<BridgeEmbedder> embedder_;
    Pool pool_;
    VectorIndexCheck check_;
    std::optional<VectorIndex> index_;  // from read_index_and_state() on
    std::string specs_;
    std::optional<Previous> previous_;
    std::unique_ptr<PartialWeighing> partial_;
    CandidateTable table_;
    std::vector<uint32_t> at_;
    LinkState first_links_;
    std::vector<TranslationLink> links_;
    TranslationState::Weighing first_weighing_;  // incremental mode saves it
    SecondPassState second_;
};

}  // namespace

TranslationSearch find_stored_translations(const Store& store, const std::string& models_dir,
                                           const TranslationSearchOptions& options,
                                           const ProgressCallback& progress) {
    share_one_heap();
    return StoredTranslationRun(store, models_dir, options, progress).run();
}

}  // namespace doppel
