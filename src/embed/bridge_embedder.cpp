#include "doppel/embed/bridge_embedder.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <span>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "doppel/error.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/normalize/text_keys.h"
#include "impl/spec.h"
#include "impl/string_memo.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

const std::unordered_set<std::string_view>& english_stopwords() {
    static const std::unordered_set<std::string_view> s = {
        "a", "an", "the", "to", "of", "be", "in", "on", "for", "with", "by", "at", "or", "and", "as",
        "from", "into", "is", "are", "was", "were", "been", "being", "it", "its", "this", "that",
        "these", "those", "not", "no", "if", "then", "than", "so", "but", "do", "does", "did", "has",
        "have", "had", "will", "would", "can", "could", "may", "might", "shall", "should", "must",
        "he", "she", "they", "we", "you", "i", "his", "her", "their", "our", "your", "my", "me",
        "him", "them", "us", "which", "who", "whom", "what", "when", "where", "how", "there",
        "here", "also", "all", "any", "some", "such", "each", "other", "more", "most", "only",
        "s", "t", "about", "over", "out", "up", "one"};
    return s;
}

bool is_latin_word(std::string_view w) {
    std::size_t i = 0;
    while (i < w.size()) {
        char32_t c = impl::next_code_point(w, i);
        if (c >= 0x250 && !(c >= 0x1E00 && c <= 0x1EFF)) return false;  // beyond Latin blocks
    }
    return true;
}

// The embedder's text keys (normalize/text_keys.h): document-level name, number and URL features.
constexpr SkeletonRule kSkeletonRule = SkeletonRule::kConsonants;
constexpr NumberRule kNumberRule = NumberRule::kLeadingDigits;
constexpr UrlRule kUrlRule = UrlRule::kHostPath;
// Shortest skeleton kept as a name feature.
constexpr std::size_t kMinSkeleton = 3;

// The features of words no lexicon phrase covers, per language and word: a pure function of
// both (and of the embedder's options and lexicon, fixed), so each worker computes a word's once
// (the stemmer and the skeleton were most of the embedding's time) and replays them in order:
// the features are exactly those computed afresh. A word's entries are a run of one SparseVector
// that holds every word's one after the other (a SparseVector a word cost two allocations at
// each miss, and as many frees when the embedder went).
class UncoveredWordMemo {
public:
    static constexpr std::size_t kMaxWords = 1 << 17;  // then it starts afresh
    // A word's features, valid until the next get().
    struct Features {
        std::span<const uint64_t> ids;
        std::span<const float> weights;
    };
    // compute(SparseVector& out) appends the word's features to out.
    template <class Compute>
    Features get(std::string_view lang, std::string_view word, Compute&& compute) {
        key_.assign(lang).push_back('\0');
        key_.append(word);
        if (const Run* found = memo_.find(key_)) return view(*found);
        if (memo_.size() >= kMaxWords) {
            memo_.clear();
            runs_.ids.clear();
            runs_.weights.clear();
        }
        const std::size_t begin = runs_.size();
        compute(runs_);
        return view(memo_.insert(key_, Run{begin, runs_.size() - begin}));
    }

private:
    struct Run {
        std::size_t begin = 0, size = 0;  // entries of runs_
    };
    Features view(const Run& r) const {
        return {std::span<const uint64_t>(runs_.ids).subspan(r.begin, r.size),
                std::span<const float>(runs_.weights).subspan(r.begin, r.size)};
    }
    impl::StringMemo<Run> memo_;
    SparseVector runs_;
    std::string key_;
};

}  // namespace

struct BridgeEmbedder::Impl {
    Normalizer normalizer;
    Segmenter segmenter;
    Stemmer stemmer;
    TextKeys keys;
    UncoveredWordMemo uncovered;
    BridgeLexicon::WordMemo lexicon_words;
    // The features of texts read before (a paragraph's, a document's), a pure function of the
    // text and its language(s), like the uncovered words' above: feeds repeat paragraphs
    // (licences, boilerplate, navigation) and whole documents (copies), and a repeat's features
    // are the entries computed the first time. Keys: the language(s), '\0', the text.
    // A paragraph's entries are runs of two arenas, kept in place until the memo starts afresh
    // (a SparseVector a paragraph cost two allocations at each miss, and as many frees when the
    // embedder went; one SparseVector of every paragraph's, grown by doubling, its copies and
    // unused capacity in memory never touched before).
    struct Run {
        std::span<const uint64_t> ids;
        std::span<const float> weights;
    };
    impl::TextMemo<Run> paragraphs{4096 + 16, std::size_t(16) << 20};
    impl::Arena<uint64_t> paragraph_ids;
    impl::Arena<float> paragraph_weights;
    impl::TextMemo<SparseVector> documents{std::size_t(4) << 20, std::size_t(24) << 20};
    std::string key, document_key;
    // append_features()'s buffers, kept from one text to the next (a document's paragraphs are
    // mostly short lines: allocating them afresh was a good part of each one's cost).
    std::string text;
    SparseVector raw_features;  // document_features()' buffer
    std::vector<Span> spans;
    std::vector<std::string_view> words;
    std::vector<char> covered;
};

uint64_t BridgeEmbedder::feature_id(FeatureKind kind, std::string_view key) {
    uint64_t h = XXH3_64bits(key.data(), key.size());
    return (h >> 3) | (static_cast<uint64_t>(kind) << 61);
}

SparseVector BridgeEmbedder::with_vectors(const SparseVector& weighted, const float* v, std::size_t d, float weight) {
    DOPPEL_CHECK(kInvalidArgument, weight >= 0 && weight <= 1, "with_vectors: weight must be in [0, 1]");
    double norm = 0;
    for (std::size_t j = 0; j < d; ++j) norm += double(v[j]) * v[j];
    if (norm <= 0 || weight == 0) return weighted;
    SparseVector out = weighted;
    const float a = std::sqrt(1.0f - weight), b = static_cast<float>(std::sqrt(weight / norm));
    for (float& w : out.weights) w *= a;
    for (std::size_t j = 0; j < d; ++j) {
        if (v[j] == 0) continue;
        out.ids.push_back((static_cast<uint64_t>(FeatureKind::kVector) << 61) | j);
        out.weights.push_back(b * v[j]);
    }
    out.canonicalize();
    return out;
}

std::size_t DocumentFrequencies::slot_of(uint64_t feature) const {
    const std::size_t mask = ids_.size() - 1;
    std::size_t k = home_of(feature);
    while (counts_[k] != 0 && ids_[k] != feature) k = (k + 1) & mask;
    return k;
}

// Room for `features` at most half full: the slots doubled until then, every feature placed again.
void DocumentFrequencies::grow_for(std::size_t features) {
    if (2 * features <= ids_.size()) return;
    const std::size_t slots = std::bit_ceil(std::max<std::size_t>(2 * features, 16));
    std::vector<uint64_t> ids(slots);
    std::vector<uint32_t> counts(slots);
    std::swap(ids, ids_);
    std::swap(counts, counts_);
    shift_ = 64 - std::countr_zero(slots);
    for (std::size_t k = 0; k < ids.size(); ++k)
        if (counts[k] != 0) {
            const std::size_t j = slot_of(ids[k]);
            ids_[j] = ids[k];
            counts_[j] = counts[k];
        }
}

void DocumentFrequencies::reserve(std::size_t features) { grow_for(features); }

// The slot of `feature`, taken for it where it has none (its count still 0: the caller sets it).
std::size_t DocumentFrequencies::claim(uint64_t feature) {
    grow_for(used_ + 1);
    const std::size_t k = slot_of(feature);
    if (counts_[k] == 0) {
        ++used_;
        ids_[k] = feature;
    }
    return k;
}

void DocumentFrequencies::add_count(uint64_t feature, uint32_t n) {
    if (n != 0) counts_[claim(feature)] += n;
}

void DocumentFrequencies::set_count(uint64_t feature, uint32_t count) {
    if (count != 0) {
        counts_[claim(feature)] = count;
        return;
    }
    if (ids_.empty()) return;
    if (const std::size_t k = slot_of(feature); counts_[k] != 0) erase_slot(k);
}

// Frees slot k, and moves back into it each later feature of its run that may sit there (its
// home not cyclically in (k, j]), so every feature stays reachable from its home without
// tombstones (Knuth's deletion for linear probing).
void DocumentFrequencies::erase_slot(std::size_t k) {
    const std::size_t mask = ids_.size() - 1;
    counts_[k] = 0;
    --used_;
    for (std::size_t j = (k + 1) & mask; counts_[j] != 0; j = (j + 1) & mask) {
        const std::size_t home = home_of(ids_[j]);
        const bool stays = k <= j ? (k < home && home <= j) : (k < home || home <= j);
        if (stays) continue;
        ids_[k] = ids_[j];
        counts_[k] = counts_[j];
        counts_[j] = 0;
        k = j;
    }
}

void DocumentFrequencies::decrement(uint64_t feature) {
    if (ids_.empty()) return;
    const std::size_t k = slot_of(feature);
    if (counts_[k] > 1)
        --counts_[k];
    else if (counts_[k] == 1)
        erase_slot(k);
}

void DocumentFrequencies::add(const SparseVector& f) { add(f, 1); }

void DocumentFrequencies::add(const SparseVector& f, uint32_t times) {
    if (times == 0) return;
    documents += times;
    count_ids(f.ids, times);
}

void DocumentFrequencies::add(std::span<const SparseVector> features) {
    std::size_t total = 0;
    for (const SparseVector& f : features) total += f.ids.size();
    if (ids_.empty()) reserve(std::min<std::size_t>(total, 1 << 15));  // distinct ones: fewer
    for (const SparseVector& f : features) count_ids(f.ids);
    documents += features.size();
}

// A store's features fill a table past the caches, and each count was a cache miss waited for:
// the slot of the id kAhead places on is fetched while this one is counted (once there is a
// table: the empty one has no slots, and home_of() no shift).
void DocumentFrequencies::count_ids(std::span<const uint64_t> ids, uint32_t n) {
    constexpr std::size_t kAhead = 16;
    for (std::size_t j = 0; j < ids.size(); ++j) {
        if (!ids_.empty() && j + kAhead < ids.size()) {
            const std::size_t k = home_of(ids[j + kAhead]);
            __builtin_prefetch(ids_.data() + k);
            __builtin_prefetch(counts_.data() + k);
        }
        add_count(ids[j], n);
    }
}

void DocumentFrequencies::remove(const SparseVector& f) {
    if (documents > 0) --documents;
    for (uint64_t id : f.ids) decrement(id);
}

void DocumentFrequencies::replace(const SparseVector& before, const SparseVector& after) {
    if (documents == 0) {  // remove() leaves the count at 0, add() raises it
        remove(before);
        return add(after);
    }
    std::size_t i = 0, j = 0;
    const auto& a = before.ids;
    const auto& b = after.ids;
    while (i < a.size() && j < b.size()) {
        if (a[i] == b[j]) ++i, ++j;
        else if (a[i] < b[j])
            decrement(a[i++]);
        else
            add_count(b[j++], 1);
    }
    for (; i < a.size(); ++i) decrement(a[i]);
    for (; j < b.size(); ++j) add_count(b[j], 1);
}

uint32_t DocumentFrequencies::count(uint64_t feature) const {
    if (documents == 0 || ids_.empty()) return 0;
    return counts_[slot_of(feature)];
}

std::vector<std::pair<uint64_t, uint32_t>> DocumentFrequencies::sorted() const {
    std::vector<std::pair<uint64_t, uint32_t>> out;
    out.reserve(used_);
    for_each([&](uint64_t feature, uint32_t n) { out.emplace_back(feature, n); });
    std::sort(out.begin(), out.end());
    return out;
}

bool DocumentFrequencies::operator==(const DocumentFrequencies& other) const {
    if (documents != other.documents || used_ != other.used_) return false;
    bool same = true;
    for_each([&](uint64_t feature, uint32_t n) {
        same = same && !other.ids_.empty() && other.counts_[other.slot_of(feature)] == n;
    });
    return same;
}

float DocumentFrequencies::idf_of_count(uint64_t d) const {
    if (documents == 0) return 1.0f;
    return static_cast<float>(std::log((documents + 1.0) / (static_cast<double>(d) + 1.0)) + 1.0);
}

void BridgeEmbedder::set_frequencies(std::shared_ptr<const DocumentFrequencies> df) {
    df_ = std::move(df);
    idf_by_count_.clear();
    idf_slots_.clear();
    if (!df_) return;
    idf_documents_ = df_->documents;
    idf_by_count_.resize(std::min<uint64_t>(df_->documents + 1, uint64_t(1) << 16));
    for (std::size_t d = 0; d < idf_by_count_.size(); ++d) idf_by_count_[d] = df_->idf_of_count(d);
    // The idf weigh() took through count() and idf_by_count_, per feature (count() is 0 for all
    // without documents: then no table, every look-up goes that way).
    const auto idf_of_count = [&](uint32_t d) { return d < idf_by_count_.size() ? idf_by_count_[d] : df_->idf_of_count(d); };
    idf_missing_ = idf_of_count(0);
    if (df_->documents == 0) return;
    const std::size_t slots = std::bit_ceil(std::max<std::size_t>(2 * df_->features(), 16));
    idf_shift_ = 64 - std::countr_zero(slots);
    idf_slots_.assign(slots, IdfSlot{});
    df_->for_each([&](uint64_t id, uint32_t d) {
        std::size_t k = idf_home(id);
        while (idf_slots_[k].used) k = (k + 1) & (slots - 1);
        idf_slots_[k] = {id, idf_of_count(d), 1};
    });
}

float BridgeEmbedder::idf_of(uint64_t feature) const {
    if (idf_slots_.empty() || idf_documents_ != df_->documents) {
        const uint32_t d = df_->count(feature);
        return d < idf_by_count_.size() && idf_documents_ == df_->documents ? idf_by_count_[d] : df_->idf_of_count(d);
    }
    const std::size_t mask = idf_slots_.size() - 1;
    for (std::size_t k = idf_home(feature);; k = (k + 1) & mask) {
        const IdfSlot& slot = idf_slots_[k];
        if (!slot.used) return idf_missing_;
        if (slot.id == feature) return slot.idf;
    }
}

BridgeEmbedder::BridgeEmbedder(BridgeEmbedderOptions options, const EmbedderContext& ctx)
    : BridgeEmbedder(options, std::make_shared<const BridgeLexicon>(ctx.models_dir + "/" + options.lexicon)) {}

BridgeEmbedder::BridgeEmbedder(BridgeEmbedderOptions options, std::shared_ptr<const BridgeLexicon> lexicon)
    : options_(std::move(options)), lexicon_(std::move(lexicon)), impl_(std::make_unique<Impl>()) {
    DOPPEL_CHECK(kInvalidArgument, options_.dim >= 8 && options_.dim <= 65536, "bridge: dim must be in [8, 65536]");
}

BridgeEmbedder::~BridgeEmbedder() = default;

BridgeEmbedderOptions BridgeEmbedder::parse_spec(const std::string& spec) {
    auto p = impl::parse_spec(spec);
    if (p.name != "bridge") DOPPEL_THROW(kBadSpec, "not a bridge spec: '" + spec + "'");
    BridgeEmbedderOptions o;
    p.take_number("dim", o.dim);
    p.take_number("concept", o.concept_weight);
    p.take_number("name", o.name_weight);
    p.take_number("number", o.number_weight);
    p.take_number("url", o.url_weight);
    p.take_number("token", o.token_weight);
    p.take_number("spread", o.spread);
    p.take_number("prefix", o.prefix_weight);
    p.take_number("loanword", o.loanword_weight);
    p.take("lexicon", o.lexicon);
    p.check_empty();
    return o;
}

std::string BridgeEmbedder::describe() const {
    BridgeEmbedderOptions d;
    std::ostringstream s;
    s << "bridge:dim=" << options_.dim;
    auto f = [&](const char* k, float v, float dv) {
        if (v != dv) s << ',' << k << '=' << v;
    };
    f("concept", options_.concept_weight, d.concept_weight);
    f("name", options_.name_weight, d.name_weight);
    f("number", options_.number_weight, d.number_weight);
    f("url", options_.url_weight, d.url_weight);
    f("token", options_.token_weight, d.token_weight);
    f("spread", options_.spread, d.spread);
    f("prefix", options_.prefix_weight, d.prefix_weight);
    f("loanword", options_.loanword_weight, d.loanword_weight);
    if (options_.lexicon != d.lexicon) s << ",lexicon=" << options_.lexicon;
    return s.str();
}

const char* fallback_language(std::string_view lang) {
    static const std::pair<std::string_view, const char*> kFallback[] = {
        {"uk", "ru"}, {"be", "ru"}, {"mk", "bg"}, {"nb", "no"}, {"nn", "no"}, {"gl", "pt"}};
    for (auto& [l, f] : kFallback)
        if (l == lang) return f;
    return nullptr;
}

// Where a text's features are collected, in order (canonicalize() sums repeats).
struct BridgeEmbedder::FeatureSink {
    SparseVector& out;
    void operator()(FeatureKind kind, std::string_view key, float weight) {
        out.ids.push_back(BridgeEmbedder::feature_id(kind, key));
        out.weights.push_back(weight);
    }
};

// The lexicon phrase of each word (English concepts, each weighted by the number of senses to
// the power -spread), first in the text's language, then, for the words its entries miss, in a
// close relative's; marks the words covered.
void BridgeEmbedder::emit_lexicon_concepts(const std::string& lang, std::span<const std::string_view> words,
                                           std::vector<char>& covered, FeatureSink& emit) {
    auto take = [&](const std::string& l, std::size_t offset, std::span<const std::string_view> ws) {
        for (const auto& m : lexicon_->match(l, ws, impl_->stemmer, &impl_->lexicon_words)) {
            const float w = std::pow(static_cast<float>(m.concepts.size()), -options_.spread);
            for (uint32_t c : m.concepts) emit(FeatureKind::kConcept, lexicon_->concept_name(c), w);
            for (uint32_t j = m.first; j < m.first + m.count; ++j) covered[offset + j] = 1;
        }
    };
    take(lang, 0, words);
    const char* fb = fallback_language(lang);
    if (!fb) return;
    std::size_t i = 0;
    while (i < words.size()) {
        if (covered[i]) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < words.size() && !covered[j]) ++j;
        take(fb, i, words.subspan(i, j - i));
        i = j;
    }
}

// A word no lexicon phrase covered: read as English when in Latin script (untranslated words,
// cognates), as a Korean stem and its loanword concepts in Korean, as itself otherwise, with a
// name skeleton where one can be made.
void BridgeEmbedder::emit_uncovered_word(std::string_view w, const std::string& lang, FeatureSink& emit) {
    if (is_latin_word(w)) {
        std::string ascii = impl_->keys.latin_to_ascii(w);
        if (english_stopwords().count(ascii) || ascii.size() < 2) return;
        emit(FeatureKind::kConcept, impl_->stemmer.stem("en", ascii), 1.0f);
        if (ascii.size() >= 6) emit(FeatureKind::kPrefix, std::string_view(ascii).substr(0, 5), 1.0f);
        std::string sk = name_skeleton(ascii, kSkeletonRule);
        if (sk.size() >= kMinSkeleton) emit(FeatureKind::kName, sk, 1.0f);
    } else if (lang == "ko") {
        // Without its particle (문서를, 문서에서 -> 문서), so the second pass can learn it;
        // and the English words it may be a loanword of (마우스 -> mouse).
        const std::string stem = impl_->stemmer.stem(lang, w);
        emit(FeatureKind::kToken, stem, 1.0f);
        if (!lexicon_ || options_.loanword_weight <= 0) return;
        const std::vector<uint32_t> loan = lexicon_->lookup_korean_loanword(stem);
        const float lw = options_.loanword_weight * std::pow(static_cast<float>(loan.size()), -options_.spread);
        for (uint32_t c : loan) emit(FeatureKind::kConcept, lexicon_->concept_name(c), lw);
    } else if (is_cjk_word(w) || lang == "zh") {
        emit(FeatureKind::kToken, w, 1.0f);
    } else {
        std::string sk = name_skeleton(impl_->keys.ascii_latin(w), kSkeletonRule);
        if (sk.size() >= kMinSkeleton) emit(FeatureKind::kName, sk, 1.0f);
        emit(FeatureKind::kToken, w, 1.0f);
    }
}

SparseVector BridgeEmbedder::features(std::string_view raw, const std::string& lang) {
    SparseVector out;
    append_features(raw, lang, out);
    return out;
}

void BridgeEmbedder::append_features(std::string_view raw, const std::string& lang, SparseVector& out) {
    std::string& key = impl_->key;
    key.assign(lang).push_back('\0');
    key.append(raw);
    if (const Impl::Run* known = impl_->paragraphs.find(key)) {
        out.ids.insert(out.ids.end(), known->ids.begin(), known->ids.end());
        out.weights.insert(out.weights.end(), known->weights.begin(), known->weights.end());
        return;
    }
    const std::size_t from = out.size();
    compute_features(raw, lang, out);
    const std::size_t n = out.size() - from, restarts = impl_->paragraphs.restarts();
    Impl::Run* kept = impl_->paragraphs.keep(key, Impl::Run{}, 12 * n);
    if (!kept) return;
    if (impl_->paragraphs.restarts() != restarts) impl_->paragraph_ids.clear(), impl_->paragraph_weights.clear();
    *kept = Impl::Run{impl_->paragraph_ids.add(std::span<const uint64_t>(out.ids).subspan(from)),
                      impl_->paragraph_weights.add(std::span<const float>(out.weights).subspan(from))};
}

void BridgeEmbedder::compute_features(std::string_view raw, const std::string& lang, SparseVector& out) {
    const std::size_t from = out.size();
    FeatureSink emit{out};
    std::string& text = impl_->text;
    impl_->normalizer.normalize_text(raw, &text);
    if (lang == "zh") text = impl_->keys.simplified_chinese(text);
    // URLs first (the word splitter cuts them apart).
    for (const std::string& url : url_keys(text, kUrlRule)) emit(FeatureKind::kUrl, url, 1.0f);
    impl_->segmenter.words(text, &impl_->spans);
    std::vector<std::string_view>& words = impl_->words;
    words.clear();
    for (auto sp : impl_->spans) words.emplace_back(text.data() + sp.begin, sp.size());

    std::vector<char>& covered = impl_->covered;
    covered.assign(words.size(), 0);
    if (lang != "en" && lexicon_)
        emit_lexicon_concepts(lang, words, covered, emit);
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (const auto number = number_key(words[i], kNumberRule)) {
            emit(FeatureKind::kNumber, *number, 1.0f);
            continue;
        }
        if (covered[i]) continue;
        const UncoveredWordMemo::Features f = impl_->uncovered.get(lang, words[i], [&](SparseVector& runs) {
            FeatureSink sink{runs};
            emit_uncovered_word(words[i], lang, sink);
        });
        out.ids.insert(out.ids.end(), f.ids.begin(), f.ids.end());
        out.weights.insert(out.weights.end(), f.weights.begin(), f.weights.end());
    }
    out.canonicalize(from);
}

// Each paragraph's features, canonical among themselves, appended one after the other, then
// summed over the document.
SparseVector BridgeEmbedder::document_features(const AnalyzedDocument& doc) {
    if (doc.paragraphs.empty() && !doc.doc.text.empty()) return features(doc.doc.text, doc.lang);
    // The key: the number of paragraphs, each one's span and language, then the text (a copy's
    // features are the same). Its buffer is kept from one document to the next (a long
    // document's key in memory allocated afresh cost a page fault per 4 KiB).
    std::string& key = impl_->document_key;
    key.clear();
    const uint64_t count = doc.paragraphs.size();
    key.append(reinterpret_cast<const char*>(&count), sizeof(count));
    for (const auto& p : doc.paragraphs) {
        key.append(reinterpret_cast<const char*>(&p.span.begin), sizeof(p.span.begin));
        key.append(reinterpret_cast<const char*>(&p.span.end), sizeof(p.span.end));
        key.append(p.lang.empty() ? doc.lang : p.lang).push_back(',');
    }
    key.push_back('\0');
    key.append(doc.doc.text);
    if (const SparseVector* known = impl_->documents.find(key)) return *known;
    // The paragraphs' features are gathered in a buffer kept from one document to the next
    // (grown afresh by doubling for each document, they were mostly memory never touched
    // before), then summed; the sums are copied out at their size.
    SparseVector& raw = impl_->raw_features;
    raw.ids.clear();
    raw.weights.clear();
    append_paragraph_features(doc, 0, doc.paragraphs.size(), raw);
    raw.canonicalize();
    SparseVector all = raw;
    impl_->documents.keep(key, all, 12 * all.size());
    return all;
}

void BridgeEmbedder::append_paragraph_features(const AnalyzedDocument& doc, std::size_t first, std::size_t last,
                                               SparseVector& out) {
    for (std::size_t i = first; i < last; ++i) {
        const Paragraph& p = doc.paragraphs[i];
        std::string_view t(doc.doc.text.data() + p.span.begin, p.span.size());
        append_features(t, p.lang.empty() ? doc.lang : p.lang, out);
    }
}

SparseVector BridgeEmbedder::weigh(SparseVector counts) const {
    SparseVector v = std::move(counts);
    // The idf table of a store's features is past the caches: the slot of the feature kAhead
    // places on is fetched while this one is weighed (as DocumentFrequencies::add counts).
    constexpr std::size_t kAhead = 8;
    const bool table = df_ && !idf_slots_.empty();
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (table && i + kAhead < v.size())
            __builtin_prefetch(idf_slots_.data() + idf_home(v.ids[i + kAhead]));
        float kw = 1.0f;
        switch (kind_of(v.ids[i])) {
            case FeatureKind::kConcept: kw = options_.concept_weight; break;
            case FeatureKind::kName: kw = options_.name_weight; break;
            case FeatureKind::kNumber: kw = options_.number_weight; break;
            case FeatureKind::kUrl: kw = options_.url_weight; break;
            case FeatureKind::kToken: kw = options_.token_weight; break;
            case FeatureKind::kPrefix: kw = options_.prefix_weight; break;
            case FeatureKind::kVector: break;
        }
        // Sublinear term frequency; a fractional count (a word spread over several concepts)
        // stays as it is.
        float c = v.weights[i];
        float tf = c >= 1.0f ? 1.0f + std::log(c) : std::max(c, 0.0f);
        const float idf = df_ ? idf_of(v.ids[i]) : 1.0f;
        v.weights[i] = tf * kw * idf;
    }
    v.normalize();
    return v;
}

namespace {
// f(j) for each bit j set in words, ascending.
template <class F>
void for_each_bit(const std::vector<uint64_t>& words, F f) {
    for (std::size_t w = 0; w < words.size(); ++w)
        for (uint64_t bits = words[w]; bits != 0; bits &= bits - 1) f(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
}
}  // namespace

void BridgeEmbedder::densify(const SparseVector& w, float* out) const {
    // The components a feature touched, marked: the norm sums their squares in component order,
    // as a sum over every component does (the others are +0, which adds nothing exactly), and
    // only they are scaled; a few hundred of the 2,048 (the sum over all, one dependent double
    // addition a component, was most of this).
    thread_local std::vector<uint64_t> touched;
    touched.assign((options_.dim + 63) / 64, 0);
    std::fill(out, out + options_.dim, 0.0f);
    for (std::size_t i = 0; i < w.size(); ++i) {
        uint64_t h = XXH3_64bits(&w.ids[i], 8);
        float sign = (h >> 63) ? -1.0f : 1.0f;
        const std::size_t j = h % options_.dim;
        out[j] += sign * w.weights[i];
        touched[j / 64] |= uint64_t{1} << (j % 64);
    }
    double n = 0;
    for_each_bit(touched, [&](std::size_t j) { n += double(out[j]) * out[j]; });
    if (n > 0) {
        float inv = static_cast<float>(1.0 / std::sqrt(n));
        for_each_bit(touched, [&](std::size_t j) { out[j] *= inv; });
    }
}

void BridgeEmbedder::embed_documents(std::size_t n, const AnalyzedDocument* docs, float* out) {
    for (std::size_t i = 0; i < n; ++i) densify(weigh(document_features(docs[i])), out + i * options_.dim);
}

void BridgeEmbedder::embed_sentences(std::size_t n, const std::string_view* texts, const std::string* langs,
                                     float* out) {
    for (std::size_t i = 0; i < n; ++i) densify(weigh(features(texts[i], langs[i])), out + i * options_.dim);
}

std::string BridgeEmbedder::matching_language(const AnalyzedDocument& doc) {
    if (doc.lang != "zh") return doc.lang;
    // Traditional when a good share of its Han characters change under Traditional-Simplified.
    std::string_view t(doc.doc.text);
    std::size_t cut = std::min<std::size_t>(t.size(), 6000);
    while (cut < t.size() && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) ++cut;
    std::string sample(t.substr(0, cut));
    std::string simp = impl_->keys.simplified_chinese(sample);
    std::size_t han = 0, changed = 0, i = 0, j = 0;
    while (i < sample.size() && j < simp.size()) {
        char32_t a = impl::next_code_point(sample, i), b = impl::next_code_point(simp, j);
        if (a >= 0x4E00 && a <= 0x9FFF) {
            ++han;
            changed += a != b;
        }
    }
    return han > 0 && changed * 20 > han ? "zh-Hant" : "zh";
}

}  // namespace doppel
