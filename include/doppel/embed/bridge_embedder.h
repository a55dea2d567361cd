// doppel: the "bridge" embedder, doppel's default cross-language representation.
//
// A text becomes a bag of language-neutral *features*, each a hashed string:
//   c:STEM   an English concept: an English word's Snowball stem, or a concept that a word or
//            phrase of another language reaches through the bridge lexicon (bridge_lexicon.h);
//            a word that reaches k concepts gives each 1/sqrt(k). Words a language's own
//            entries miss are looked up in a closely related language's (uk, be -> ru;
//            mk -> bg; nb, nn -> no; gl -> pt). A Latin-script word the
//            lexicon does not know is read as English (untranslated terms, cognates). A Korean
//            word the lexicon does not know also reaches the English words it may be a loanword
//            of (BridgeLexicon::lookup_korean_loanword: 마우스 -> mous), weighed loanword x k^-spread.
//   n:KEY    a name key: the word transliterated to ASCII (ICU "Any-Latin; Latin-ASCII; Lower")
//            reduced to its consonant skeleton (vowels, h, w, y dropped; c, q -> k; repeats
//            collapsed; normalize/text_keys.h, SkeletonRule::kConsonants), for words the
//            lexicon does not know; keys under 3 letters are dropped (they collide by chance).
//            "Caroline" and "كارولين" both give "krln".
//   #:DIGITS a number (digits only, separators dropped; NumberRule::kLeadingDigits): "2,024"
//            and "2024" agree.
//   u:URL    a URL without scheme and "www." (UrlRule::kHostPath).
//   p:PREFIX the first 5 letters (ASCII-folded) of a Latin-script word of 6 letters or more, for
//            cognates the lexicon misses ("información", "information": "infor").
//   t:WORD   a word of a script without a lexicon entry (Han text after ICU's
//            Traditional-Simplified conversion, Korean, ...): shared verbatim.
// Numbers, names and URLs are the *anchors*: tokens that survive translation unchanged.
//
// features() gives the raw counts. weigh() turns them into a TF-IDF vector, weight
// (1 + ln tf) * idf * kind_weight with idf = ln((N + 1) / (df + 1)) + 1 over a DocumentFrequencies
// table, L2-normalized: the exact sparse form, used for rescoring. densify() folds it into dim()
// floats by signed feature hashing (feature h adds sign(h) * w to component h mod dim),
// L2-normalized again: the dense form searched with FAISS (inner product).
//
// Spec: "bridge:dim=2048" (options below; describe() lists the non-default ones).
//
// Thread safety: NOT safe for concurrent use (ICU transliterators and stemmers are reused
// between calls); the lexicon it holds may be shared. DocumentFrequencies is a plain value.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/embed/embedder.h"
#include "doppel/embed/sparse_vector.h"

namespace doppel {

struct BridgeEmbedderOptions {
    std::size_t dim = 2048;        // dense dimension (signed feature hashing)
    float concept_weight = 1.0f;   // c: features
    float name_weight = 0.2f;      // n: features
    float number_weight = 1.0f;    // #: features
    float url_weight = 1.0f;       // u: features
    float token_weight = 1.0f;     // t: features
    float prefix_weight = 0.25f;   // p: features
    float spread = 0.5f;           // a word reaching k concepts gives each k^-spread
    float loanword_weight = 1.0f;  // c: features of a Korean word's loanword concepts (0: none)
    std::string lexicon = "bridge.lex";  // file name under EmbedderContext::models_dir
};

// How many documents hold each feature (its document frequency), over `documents` documents.
// Plain value. The counts are a flat table (open addressing with linear probing, at most half
// full): a feature costs one probe and no allocation of its own, so a store's millions of
// features are counted, copied (translations' every pass) and looked up at memory speed.
struct DocumentFrequencies {
    uint64_t documents = 0;
    void add(const SparseVector& features);
    // add() of `times` documents with the same features (exact copies): one probe per feature.
    void add(const SparseVector& features, uint32_t times);
    // add() of each of `features` in turn, with the same counts (for many vectors: a store's).
    void add(std::span<const SparseVector> features);
    void remove(const SparseVector& features);
    // remove(before) then add(after) (a document's features rewritten), touching only the ids
    // that one of the two holds and the other not.
    void replace(const SparseVector& before, const SparseVector& after);
    float idf(uint64_t feature) const { return idf_of_count(count(feature)); }
    // The documents holding `feature` (0 without documents), and the idf of a feature that d
    // documents hold: log((documents + 1) / (d + 1)) + 1, or 1 without documents.
    uint32_t count(uint64_t feature) const;
    float idf_of_count(uint64_t d) const;

    // The counts set directly (frequencies read back, or summed from parts); `documents` is the
    // caller's to set. add_count raises a feature's count by n; set_count sets it (0: drops it).
    void add_count(uint64_t feature, uint32_t n);
    void set_count(uint64_t feature, uint32_t count);
    // Room for `features` distinct features without growing.
    void reserve(std::size_t features);
    // The features held by at least one document.
    std::size_t features() const { return used_; }
    // f(feature, count) for each feature held, in no particular order.
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t k = 0; k < ids_.size(); ++k)
            if (counts_[k] != 0) f(ids_[k], counts_[k]);
    }
    // The (feature, count) pairs in ascending order of feature.
    std::vector<std::pair<uint64_t, uint32_t>> sorted() const;
    // The same documents and the same count of every feature.
    bool operator==(const DocumentFrequencies& other) const;

private:
    std::size_t home_of(uint64_t feature) const { return (feature * 0x9E3779B97F4A7C15ull) >> shift_; }
    std::size_t slot_of(uint64_t feature) const;  // its slot, or the free slot where it would go
    void count_ids(std::span<const uint64_t> ids, uint32_t n = 1);  // each count raised by n
    std::size_t claim(uint64_t feature);
    void grow_for(std::size_t features);
    void erase_slot(std::size_t k);
    void decrement(uint64_t feature);
    std::vector<uint64_t> ids_;  // a power of two of slots; a slot is free while its count is 0
    std::vector<uint32_t> counts_;
    std::size_t used_ = 0;
    int shift_ = 64;
};

class BridgeEmbedder : public Embedder {
public:
    // Loads models_dir/options.lexicon. Throws doppel::Error when it is missing or invalid.
    BridgeEmbedder(BridgeEmbedderOptions options, const EmbedderContext& ctx = {});
    // Shares an already loaded lexicon.
    BridgeEmbedder(BridgeEmbedderOptions options, std::shared_ptr<const BridgeLexicon> lexicon);
    ~BridgeEmbedder() override;

    static BridgeEmbedderOptions parse_spec(const std::string& spec);

    std::size_t dim() const override { return options_.dim; }
    std::string describe() const override;
    void embed_documents(std::size_t n, const AnalyzedDocument* docs, float* out) override;
    void embed_sentences(std::size_t n, const std::string_view* texts, const std::string* langs,
                         float* out) override;

    // Raw feature counts of a whole document (paragraph by paragraph, each in its language).
    SparseVector document_features(const AnalyzedDocument& doc);
    // The features of the document's paragraphs [first, last), each paragraph's canonical among
    // themselves, appended to `out` one after the other: document_features() of a document with
    // paragraphs is these for all of them, then SparseVector::canonicalize() (which sums each id's
    // weights in the order they came), so several embedders can compute a long document's runs of
    // paragraphs and their results be joined in order, bit for bit the same.
    void append_paragraph_features(const AnalyzedDocument& doc, std::size_t first, std::size_t last,
                                   SparseVector& out);
    // Raw feature counts of one text of language `lang` (not yet normalized: done here).
    SparseVector features(std::string_view text, const std::string& lang);
    // TF-IDF weighted, L2-normalized form of raw counts. Without frequencies (documents == 0),
    // every idf is 1.
    SparseVector weigh(SparseVector counts) const;  // weighed in place: pass an rvalue to spare a copy
    // Dense form of a weighted vector into out[dim()].
    void densify(const SparseVector& weighted, float* out) const;

    // The frequencies used by embed_documents / embed_sentences (none: idf 1).
    void set_frequencies(std::shared_ptr<const DocumentFrequencies> df);
    std::shared_ptr<const DocumentFrequencies> frequencies() const { return df_; }
    // The language a document is matched under: its language, with "zh" split into "zh" and
    // "zh-Hant" (Traditional characters), which are translations of each other in practice.
    std::string matching_language(const AnalyzedDocument& doc);
    // The kind of a feature hash is kept in its top 3 bits (anchors are numbers, names, URLs).
    // kVector: component j of a dense embedding of another backend, joined by with_vectors().
    enum class FeatureKind : uint8_t { kConcept = 0, kName = 1, kNumber = 2, kUrl = 3, kToken = 4, kPrefix = 5, kVector = 6 };
    static FeatureKind kind_of(uint64_t feature) { return static_cast<FeatureKind>(feature >> 61); }
    static bool is_anchor(uint64_t feature) {
        auto k = kind_of(feature);
        return k == FeatureKind::kName || k == FeatureKind::kNumber || k == FeatureKind::kUrl;
    }
    static uint64_t feature_id(FeatureKind kind, std::string_view key);
    // Joins a weighted bridge vector (L2-normalized) with the L2-normalized dense embedding
    // v[0..d) of another backend ("vectors": aligned word vectors): the bridge weights are
    // scaled by sqrt(1 - weight), and component j of v becomes feature (kVector, j) scaled by
    // sqrt(weight). The dot product of two joined vectors is then
    //     (1 - weight) * bridge cosine + weight * cosine of the dense embeddings,
    // and densify() folds the joined vector like any other. An all-zero v (no known word)
    // leaves the bridge part alone, unscaled.
    static SparseVector with_vectors(const SparseVector& weighted, const float* v, std::size_t d, float weight);
    const BridgeLexicon& lexicon() const { return *lexicon_; }
    std::shared_ptr<const BridgeLexicon> lexicon_ptr() const { return lexicon_; }
    const BridgeEmbedderOptions& options() const { return options_; }

private:
    struct Impl;
    struct FeatureSink;
    // features() of `text` appended to `out` (the entries before stay as they are): from a memo
    // of the texts this embedder read before, else computed (compute_features) and kept.
    void append_features(std::string_view text, const std::string& lang, SparseVector& out);
    void compute_features(std::string_view text, const std::string& lang, SparseVector& out);
    // The phases of features(): lexicon phrases (marking the words they cover), then each word
    // left uncovered.
    void emit_lexicon_concepts(const std::string& lang, std::span<const std::string_view> words,
                               std::vector<char>& covered, FeatureSink& emit);
    void emit_uncovered_word(std::string_view word, const std::string& lang, FeatureSink& emit);

    BridgeEmbedderOptions options_;
    std::shared_ptr<const BridgeLexicon> lexicon_;
    std::shared_ptr<const DocumentFrequencies> df_;
    // df_->idf_of_count(d) for the counts d below its size, computed at set_frequencies() (weigh()
    // looks up an idf per feature: the logarithm was most of it), valid while df_'s documents are
    // idf_documents_.
    std::vector<float> idf_by_count_;
    uint64_t idf_documents_ = 0;
    // Each feature of df_ with the idf weigh() gives it, in open addressing (linear probing, a
    // power of two of slots, at most half full), built at set_frequencies() with idf_by_count_:
    // one flat look-up a feature instead of df_'s count and idf_by_count_
    // (a fifth of the second pass's weighing). A feature not there has idf_missing_ (count 0).
    // Valid as idf_by_count_ is: the frequencies are handed over at set_frequencies(), const.
    struct IdfSlot {
        uint64_t id = 0;
        float idf = 0;
        uint32_t used = 0;
    };
    std::vector<IdfSlot> idf_slots_;
    int idf_shift_ = 64;
    std::size_t idf_home(uint64_t feature) const { return (feature * 0x9E3779B97F4A7C15ull) >> idf_shift_; }
    float idf_missing_ = 1.0f;
    float idf_of(uint64_t feature) const;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
