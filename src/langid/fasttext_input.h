// doppel: the input of fastText's predictLine() built without a stream, with each token's ids
// cached (private to langid/).
//
// fastText (Dictionary::getLine) reads a line as tokens split at ' ', '\t', '\v', '\f', '\0'
// (and '\n', '\r', which predict() turns into spaces) up to the end-of-sentence token "</s>"
// (the one added at the line's end, or one written in the text);
// each word token gives its dictionary id and the ids of its character n-grams (hashed, then
// looked up in the pruned model's table: the costly part, about 40% of `doppel index` before
// this cache); label tokens ("__label__xx") give none. A token's ids are a function of the token
// alone, so each thread keeps them per distinct token (TokenIdCache): a paragraph's words were
// read already with its document's sample, and words repeat across documents. The ids, in the
// same order, are exactly what getLine() gives, so FastText::predict() on them gives what
// predictLine() gives, bit for bit (tests/unit/test_language_identifier.cpp compares both on
// real text).
//
// Thread safety: a TokenIdCache is used by one thread at a time, lent by a TokenIdCachePool (the
// worker threads of impl::parallel_for end with each loop: the pool keeps their caches warm);
// the Dictionary is only read.
#pragma once

#include <fasttext/fasttext.h>

#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/langid/language_identifier.h"
#include "impl/string_memo.h"

namespace doppel::langid_detail {

// The ids Dictionary::getSubwords(token) gives, computed as it computes them (the word's id and
// stored subwords when it is in the dictionary, else the hashes of its character n-grams kept by
// the pruned model) with the n-gram hash carried from each n-gram to the next and the pruned
// buckets in a rank table instead of fastText's hash map (two look-ups per n-gram there): what a
// cache miss costs. Immutable after construction: any number of threads.
//
// The rank table: a bit per bucket (kept or not), in words of 64 buckets each with the count of
// kept buckets before it, and the rows of the kept buckets in bucket order; a kept bucket's row
// is rows_[rank of the word + kept buckets before it in its word]. lid.176.ftz keeps about a
// tenth of its 2,000,000 buckets: about 0.5 MB of words and 0.4 MB of rows, built at each load
// where a row per bucket was 8 MB of memory written (and faulted in) first.
class SubwordIds {
public:
    SubwordIds(const fasttext::Dictionary& dict, const fasttext::Args& args);
    void ids(std::string_view token, std::vector<int32_t>* out) const;
    const fasttext::Dictionary& dictionary() const { return dict_; }
    // The row of n-gram bucket `bucket` (< the model's buckets) after pruning, or -1 where the
    // model keeps none; the bucket itself in a model that is not pruned.
    int32_t kept_row(uint32_t bucket) const;

private:
    struct BucketWord {
        uint64_t kept = 0;   // bit j: bucket 64 * word + j is kept
        uint32_t before = 0; // kept buckets in the words before
    };
    // h % bucket_ without a division (a miss takes one per n-gram): Lemire, Kaser and Kurz's
    // "faster remainder by direct computation" (2019), exact for every 32-bit h and divisor
    // (not called without buckets: ids() looks no n-gram up then).
    uint32_t bucket_of(uint32_t h) const {
        __extension__ using u128 = unsigned __int128;  // GCC and Clang's, without -Wpedantic's note
        return static_cast<uint32_t>((static_cast<u128>(bucket_magic_ * h) * bucket_) >> 64);
    }
    int32_t row_of(uint32_t bucket) const {  // kept_row(), inlined in ids()
        if (!pruned_) return static_cast<int32_t>(bucket);
        const BucketWord& w = words_[bucket / 64];
        const uint64_t bit = uint64_t(1) << (bucket % 64);
        if (!(w.kept & bit)) return -1;
        return rows_[w.before + static_cast<uint32_t>(std::popcount(w.kept & (bit - 1)))];
    }
    const fasttext::Dictionary& dict_;
    int32_t nwords_ = 0, minn_ = 0, maxn_ = 0;
    uint32_t bucket_ = 0;
    uint64_t bucket_magic_ = 0;       // UINT64_MAX / bucket_ + 1 (bucket_of)
    bool pruned_ = false;             // the model keeps only some buckets
    std::vector<BucketWord> words_;   // pruned: a word per 64 buckets
    std::vector<int32_t> rows_;       // pruned: the kept buckets' rows, in bucket order
};

// What a thread identified before, per text: the top label (and its confidence) of each
// paragraph, and the whole evidence of each document. Both are functions of the text and of the
// identifier's options (fixed per identifier, whose pool holds the memos): feeds repeat
// paragraphs (licences, boilerplate) and whole documents (copies), and a repeat's result is the
// one computed the first time. Kept with the token ids: lent to one thread at a time alike.
struct TextMemos {
    using Label = std::pair<std::string, float>;
    impl::TextMemo<Label> paragraphs{4096, std::size_t(8) << 20};
    impl::TextMemo<DocumentLanguageEvidence> documents{std::size_t(4) << 20, std::size_t(24) << 20};
};

class TokenIdCache {
public:
    TextMemos texts;
    // At most this many distinct tokens are kept; the cache starts afresh past it.
    static constexpr std::size_t kMaxTokens = 1 << 18;
    // The ids of one token (what Dictionary::getLine adds for it), valid until the next call
    // (the cache may start afresh then).
    std::span<const int32_t> ids(const SubwordIds& dict, std::string_view label_prefix, std::string_view token);

private:
    impl::StringMemo<std::span<const int32_t>> ids_;  // into runs_
    impl::Arena<int32_t> runs_;                       // every kept token's ids, packed
    std::vector<int32_t> scratch_;                    // a miss's ids, before they are kept
};

// Caches lent to the threads that predict, each to one thread at a time, and kept between calls.
// Measured and left out: a second level shared by the pool's caches (behind a mutex) so that a
// token one cache computed is copied by the others. On the copyright corpus (2 cores) the caches
// compute 88 k token ids without it and 76 k with it (-14%), but the process grew by 12 MB and
// took no less CPU: on the virtual machines doppel is measured on, fresh memory costs more than
// the misses it saves (touching 256 MB of new heap: 0.04-0.46 s with huge pages, 1.2-1.5 s
// without). The embedder's paragraph memos alike (84 k -> 78 k paragraphs computed, +28 MB).
class TokenIdCachePool {
public:
    // A cache for the caller alone until the lease ends.
    class Lease {
    public:
        explicit Lease(TokenIdCachePool& pool) : pool_(pool), cache_(pool.take()) {}
        ~Lease() { pool_.give_back(std::move(cache_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        TokenIdCache& operator*() { return *cache_; }

    private:
        TokenIdCachePool& pool_;
        std::unique_ptr<TokenIdCache> cache_;
    };

    // Frees the caches not lent at the moment; how many it holds.
    void clear();
    std::size_t size();

private:
    std::unique_ptr<TokenIdCache> take();
    void give_back(std::unique_ptr<TokenIdCache> cache);
    std::mutex mutex_;
    std::vector<std::unique_ptr<TokenIdCache>> free_;
};

// The ids fastText reads from `text` as one line (newlines read as spaces), appended to *out
// after clearing it.
void line_input_ids(const SubwordIds& dict, std::string_view label_prefix, std::string_view text,
                    TokenIdCache& cache, std::vector<int32_t>* out);

// A text's tokens, each with its ids, read once so that the ids of any part of the text (a
// document's sample, each of its paragraphs) are gathered without looking its tokens up again:
// line_ids(begin, end) gives what line_input_ids() gives for that part, a token cut by the
// part's ends looked up as cut. The text must outlive the uses of what read() read. One thread.
class TokenizedText {
public:
    void read(const SubwordIds& dict, std::string_view label_prefix, std::string_view text,
              TokenIdCache& cache);
    void line_ids(std::size_t begin, std::size_t end, TokenIdCache& cache, std::vector<int32_t>* out) const;
    // Whether a part ending at `end` lies within the text read (line_ids() of it is defined).
    bool covers(std::size_t end) const { return dict_ != nullptr && end <= text_.size(); }

private:
    struct Token {
        std::size_t begin, end;        // bytes of the text
        std::size_t ids_begin, ids_end;  // its ids in ids_
    };
    const SubwordIds* dict_ = nullptr;
    std::string_view label_prefix_, text_;
    std::vector<Token> tokens_;
    std::vector<int32_t> ids_;
};

// fastText's predictions from a text's input ids with the hidden layer computed from the input
// matrix's rows decoded once. Model::computeHidden adds each id's row to the hidden vector; in a
// quantized model (lid.176.ftz) each add decodes the row from its product-quantizer codes
// (fastText's addcode: element j += norm * centroid[j], the product rounded before the add), most
// of what a prediction cost. The rows are decoded by fastText's own addRowToVector into a zero
// vector (0 + p = p: the same rounded products), then added in the same order, so the hidden
// vector, and the loss's predictions from it, are bit for bit those of FastText::predict
// (tests/unit/test_language_identifier.cpp compares both on real text). A model whose table
// would pass kMaxTableFloats predicts through fastText as it is. Immutable after construction:
// any number of threads; the model must outlive it.
class HiddenLayer {
public:
    static constexpr std::size_t kMaxTableFloats = std::size_t(1) << 24;  // 64 MiB
    explicit HiddenLayer(const fasttext::FastText& model);
    // What model.predict(k, ids, *out, threshold) gives (appended to *out, as there).
    void predict(const std::vector<int32_t>& ids, int32_t k, float threshold,
                 fasttext::Predictions* out) const;
    bool decoded() const { return !rows_.empty(); }

private:
    const fasttext::FastText& model_;
    std::shared_ptr<const fasttext::Loss> loss_;
    int32_t dim_ = 0, labels_ = 0;
    std::vector<float> rows_;  // row i of the input matrix at [i * dim_, (i + 1) * dim_)
};

// The same through fastText's own reader (a stream and Dictionary::getLine): the reference the
// test compares line_input_ids() with.
void line_input_ids_reference(const fasttext::Dictionary& dict, std::string_view text, std::vector<int32_t>* out);

}  // namespace doppel::langid_detail
