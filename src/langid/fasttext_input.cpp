#include "langid/fasttext_input.h"

#include <fasttext/dictionary.h>

#include <algorithm>
#include <sstream>

namespace doppel::langid_detail {

const std::vector<int32_t>& TokenIdCache::ids(const fasttext::Dictionary& dict, std::string_view label_prefix,
                                              std::string_view token) {
    if (auto it = ids_.find(token); it != ids_.end()) return it->second;
    if (ids_.size() >= kMaxTokens) ids_.clear();
    std::vector<int32_t> ids;
    // A label token adds no ids (getLine keeps it as a label, or drops it when unknown).
    if (token.substr(0, label_prefix.size()) != label_prefix) ids = dict.getSubwords(std::string(token));
    return ids_.emplace(std::string(token), std::move(ids)).first->second;
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

namespace {
bool is_separator(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}
}  // namespace

void line_input_ids(const fasttext::Dictionary& dict, std::string_view label_prefix, std::string_view text,
                    TokenIdCache& cache, std::vector<int32_t>* out) {
    out->clear();
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_separator(text[i])) ++i;
        const std::size_t begin = i;
        while (i < text.size() && !is_separator(text[i])) ++i;
        if (i == begin) break;
        const std::string_view token = text.substr(begin, i - begin);
        const std::vector<int32_t>& ids = cache.ids(dict, label_prefix, token);
        out->insert(out->end(), ids.begin(), ids.end());
        if (token == fasttext::Dictionary::EOS) return;  // a "</s>" in the text ends fastText's line
    }
    const std::vector<int32_t>& eos = cache.ids(dict, label_prefix, fasttext::Dictionary::EOS);
    out->insert(out->end(), eos.begin(), eos.end());
}

void TokenizedText::read(const fasttext::Dictionary& dict, std::string_view label_prefix, std::string_view text,
                         TokenIdCache& cache) {
    dict_ = &dict;
    label_prefix_ = label_prefix;
    text_ = text;
    tokens_.clear();
    ids_.clear();
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_separator(text[i])) ++i;
        const std::size_t begin = i;
        while (i < text.size() && !is_separator(text[i])) ++i;
        if (i == begin) break;
        const std::vector<int32_t>& ids = cache.ids(dict, label_prefix, text.substr(begin, i - begin));
        tokens_.push_back(Token{begin, i, ids_.size(), ids_.size() + ids.size()});
        ids_.insert(ids_.end(), ids.begin(), ids.end());
    }
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
            const std::vector<int32_t>& ids = cache.ids(*dict_, label_prefix_, token);
            out->insert(out->end(), ids.begin(), ids.end());
        }
        if (token == fasttext::Dictionary::EOS) return;  // a "</s>" in the text ends fastText's line
    }
    const std::vector<int32_t>& eos = cache.ids(*dict_, label_prefix_, fasttext::Dictionary::EOS);
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
