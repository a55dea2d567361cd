#include "langid/fasttext_input.h"

#include <fasttext/args.h>
#include <fasttext/dictionary.h>
#include <fasttext/loss.h>
#include <fasttext/matrix.h>
#include <fasttext/model.h>

#include <algorithm>
#include <bit>
#include <sstream>

namespace doppel::langid_detail {

namespace {
// fastText keeps the pruned buckets in a protected member; a pointer to it taken in a derived
// class reads it from the model's Dictionary.
struct DictionaryInternals : fasttext::Dictionary {
    static const std::unordered_map<int32_t, int32_t>& kept_buckets(const fasttext::Dictionary& d) {
        return d.*(&DictionaryInternals::pruneidx_);
    }
    static int64_t kept_count(const fasttext::Dictionary& d) { return d.*(&DictionaryInternals::pruneidx_size_); }
};

// The same for the model's input matrix and its loss (what Model::predict uses).
struct FastTextInternals : fasttext::FastText {
    static const std::shared_ptr<fasttext::Matrix>& input(const fasttext::FastText& f) {
        return f.*(&FastTextInternals::input_);
    }
    static const std::shared_ptr<fasttext::Model>& model(const fasttext::FastText& f) {
        return f.*(&FastTextInternals::model_);
    }
};
struct ModelInternals : fasttext::Model {
    static const std::shared_ptr<fasttext::Loss>& loss(const fasttext::Model& m) {
        return m.*(&ModelInternals::loss_);
    }
};
}  // namespace

HiddenLayer::HiddenLayer(const fasttext::FastText& model) : model_(model) {
    const std::shared_ptr<fasttext::Matrix>& input = FastTextInternals::input(model);
    const std::shared_ptr<fasttext::Model>& m = FastTextInternals::model(model);
    if (!input || !m || !ModelInternals::loss(*m)) return;
    loss_ = ModelInternals::loss(*m);
    dim_ = static_cast<int32_t>(input->size(1));
    labels_ = model.getDictionary()->nlabels();
    const auto rows = static_cast<std::size_t>(input->size(0));
    if (dim_ <= 0 || rows * static_cast<std::size_t>(dim_) > kMaxTableFloats) return;
    rows_.resize(rows * static_cast<std::size_t>(dim_));
    fasttext::Vector row(dim_);
    for (std::size_t i = 0; i < rows; ++i) {
        row.zero();
        input->addRowToVector(row, static_cast<int32_t>(i));
        std::copy(row.data(), row.data() + dim_, rows_.begin() + static_cast<std::ptrdiff_t>(i * dim_));
    }
}

// FastText::predict -> Model::predict -> computeHidden (zero; add each id's row; multiply by
// 1.0 / ids.size() through Vector::mul) -> the loss's predict, each step as fastText takes it.
void HiddenLayer::predict(const std::vector<int32_t>& ids, int32_t k, float threshold,
                          fasttext::Predictions* out) const {
    if (!decoded() || k <= 0) {
        model_.predict(k, ids, *out, threshold);
        return;
    }
    if (ids.empty()) return;
    // A state per thread and model shape (fastText makes one per call); predict() reads only its
    // hidden vector (set here) and its output (the loss's own work space).
    thread_local std::unique_ptr<fasttext::Model::State> kept;
    if (!kept || kept->hidden.size() != dim_ || kept->output.size() != labels_)
        kept = std::make_unique<fasttext::Model::State>(dim_, labels_, 0);
    fasttext::Model::State& state = *kept;
    fasttext::Vector& hidden = state.hidden;
    hidden.zero();
    float* h = hidden.data();
    const auto d = static_cast<std::size_t>(dim_);
    for (const int32_t id : ids) {
        const float* r = rows_.data() + static_cast<std::size_t>(id) * d;
        for (std::size_t j = 0; j < d; ++j) h[j] += r[j];
    }
    hidden.mul(1.0 / static_cast<double>(ids.size()));
    out->reserve(static_cast<std::size_t>(k) + 1);
    loss_->predict(k, threshold, *out, state);
}

SubwordIds::SubwordIds(const fasttext::Dictionary& dict, const fasttext::Args& args)
    : dict_(dict), nwords_(dict.nwords()), minn_(args.minn), maxn_(args.maxn),
      bucket_(static_cast<uint32_t>(args.bucket)), bucket_magic_(bucket_ ? UINT64_MAX / bucket_ + 1 : 0) {
    const int64_t kept = DictionaryInternals::kept_count(dict);
    pruned_ = kept >= 0;
    if (!pruned_) return;
    // kept == 0: no n-gram has a row (every bit clear).
    std::vector<std::pair<uint32_t, int32_t>> buckets;  // (bucket, row), sorted by bucket
    for (const auto& [from, to] : DictionaryInternals::kept_buckets(dict))
        if (from >= 0 && static_cast<uint32_t>(from) < bucket_)
            buckets.emplace_back(static_cast<uint32_t>(from), to);
    std::sort(buckets.begin(), buckets.end());
    words_.assign((static_cast<std::size_t>(bucket_) + 63) / 64, BucketWord{});
    rows_.reserve(buckets.size());
    for (const auto& [from, to] : buckets) {
        words_[from / 64].kept |= uint64_t(1) << (from % 64);
        rows_.push_back(to);
    }
    uint32_t before = 0;
    for (BucketWord& w : words_) {
        w.before = before;
        before += static_cast<uint32_t>(std::popcount(w.kept));
    }
}

int32_t SubwordIds::kept_row(uint32_t bucket) const { return row_of(bucket); }

// Dictionary::computeSubwords of "<token>": every n-gram of minn..maxn code points (not the
// lone "<" or ">"), FNV-1a hashed as Dictionary::hash, modulo the buckets, kept as pushHash keeps it.
void SubwordIds::ids(std::string_view token, std::vector<int32_t>* out) const {
    out->clear();
    const std::string word(token);
    if (const int32_t id = dict_.getId(word); id >= 0) {
        const std::vector<int32_t>& sub = dict_.getSubwords(id);
        out->assign(sub.begin(), sub.end());
        return;
    }
    if (word == fasttext::Dictionary::EOS || bucket_ == 0) return;  // no n-gram buckets: none looked up
    const std::string w = fasttext::Dictionary::BOW + word + fasttext::Dictionary::EOW;
    const auto cont = [&](std::size_t j) { return (static_cast<unsigned char>(w[j]) & 0xC0) == 0x80; };
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (cont(i)) continue;
        uint32_t h = 2166136261u;
        for (std::size_t j = i, n = 1; j < w.size() && n <= static_cast<std::size_t>(maxn_); ++n) {
            do {
                h = (h ^ static_cast<uint32_t>(static_cast<int8_t>(w[j++]))) * 16777619u;
            } while (j < w.size() && cont(j));
            if (n < static_cast<std::size_t>(minn_) || (n == 1 && (i == 0 || j == w.size()))) continue;
            if (const int32_t row = row_of(bucket_of(h)); row >= 0) out->push_back(nwords_ + row);
        }
    }
}

std::span<const int32_t> TokenIdCache::ids(const SubwordIds& dict, std::string_view label_prefix,
                                           std::string_view token) {
    if (const std::span<const int32_t>* found = ids_.find(token)) return *found;
    if (ids_.size() >= kMaxTokens) {
        ids_.clear();
        runs_.clear();
    }
    scratch_.clear();
    // A label token adds no ids (getLine keeps it as a label, or drops it when unknown).
    if (token.substr(0, label_prefix.size()) != label_prefix) dict.ids(token, &scratch_);
    return ids_.insert(token, runs_.add(scratch_));
}

std::unique_ptr<TokenIdCache> TokenIdCachePool::take() {
    const std::lock_guard lock(mutex_);
    if (free_.empty()) return std::make_unique<TokenIdCache>();
    std::unique_ptr<TokenIdCache> cache = std::move(free_.back());
    free_.pop_back();
    return cache;
}

void TokenIdCachePool::give_back(std::unique_ptr<TokenIdCache> cache) {
    const std::lock_guard lock(mutex_);
    free_.push_back(std::move(cache));
}

void TokenIdCachePool::clear() {
    std::vector<std::unique_ptr<TokenIdCache>> freed;
    {
        const std::lock_guard lock(mutex_);
        freed.swap(free_);
    }
}  // freed outside the lock

std::size_t TokenIdCachePool::size() {
    const std::lock_guard lock(mutex_);
    return free_.size();
}

namespace {
bool is_separator(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}
}  // namespace

namespace {
// Calls token(begin, end) for each token of `text` (bytes between separators), in order, until
// it returns false.
template <class Token>
void for_each_token(std::string_view text, Token&& token) {
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_separator(text[i])) ++i;
        const std::size_t begin = i;
        while (i < text.size() && !is_separator(text[i])) ++i;
        if (i == begin || !token(begin, i)) return;
    }
}
}  // namespace

void line_input_ids(const SubwordIds& dict, std::string_view label_prefix, std::string_view text,
                    TokenIdCache& cache, std::vector<int32_t>* out) {
    out->clear();
    bool ended = false;
    for_each_token(text, [&](std::size_t begin, std::size_t end) {
        const std::string_view token = text.substr(begin, end - begin);
        const std::span<const int32_t> ids = cache.ids(dict, label_prefix, token);
        out->insert(out->end(), ids.begin(), ids.end());
        ended = token == fasttext::Dictionary::EOS;  // a "</s>" in the text ends fastText's line
        return !ended;
    });
    if (ended) return;
    const std::span<const int32_t> eos = cache.ids(dict, label_prefix, fasttext::Dictionary::EOS);
    out->insert(out->end(), eos.begin(), eos.end());
}

void TokenizedText::read(const SubwordIds& dict, std::string_view label_prefix, std::string_view text,
                         TokenIdCache& cache) {
    dict_ = &dict;
    label_prefix_ = label_prefix;
    text_ = text;
    tokens_.clear();
    ids_.clear();
    for_each_token(text, [&](std::size_t begin, std::size_t end) {
        const std::span<const int32_t> ids = cache.ids(dict, label_prefix, text.substr(begin, end - begin));
        tokens_.push_back(Token{begin, end, ids_.size(), ids_.size() + ids.size()});
        ids_.insert(ids_.end(), ids.begin(), ids.end());
        return true;
    });
}

void TokenizedText::line_ids(std::size_t begin, std::size_t end, TokenIdCache& cache,
                             std::vector<int32_t>* out) const {
    out->clear();
    // The first token that ends after `begin`.
    auto it = std::partition_point(tokens_.begin(), tokens_.end(), [&](const Token& t) { return t.end <= begin; });
    for (; it != tokens_.end() && it->begin < end; ++it) {
        const std::size_t b = std::max(it->begin, begin), e = std::min(it->end, end);
        const std::string_view token = text_.substr(b, e - b);
        if (b == it->begin && e == it->end) {
            out->insert(out->end(), ids_.begin() + static_cast<std::ptrdiff_t>(it->ids_begin),
                        ids_.begin() + static_cast<std::ptrdiff_t>(it->ids_end));
        } else {
            const std::span<const int32_t> ids = cache.ids(*dict_, label_prefix_, token);
            out->insert(out->end(), ids.begin(), ids.end());
        }
        if (token == fasttext::Dictionary::EOS) return;  // a "</s>" in the text ends fastText's line
    }
    const std::span<const int32_t> eos = cache.ids(*dict_, label_prefix_, fasttext::Dictionary::EOS);
    out->insert(out->end(), eos.begin(), eos.end());
}

void line_input_ids_reference(const fasttext::Dictionary& dict, std::string_view text, std::vector<int32_t>* out) {
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    line.push_back('\n');
    std::istringstream in(line);
    std::vector<int32_t> labels;
    dict.getLine(in, *out, labels);
}

}  // namespace doppel::langid_detail
