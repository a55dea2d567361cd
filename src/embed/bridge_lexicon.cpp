#include "doppel/embed/bridge_lexicon.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "doppel/error.h"
#include "doppel/normalize/text_keys.h"
#include "impl/mapped_file.h"
#include "impl/string_memo.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

// The first code point of a valid UTF-8 string (0 when empty).
char32_t first_code_point(std::string_view s) {
    std::size_t i = 0;
    return s.empty() ? 0 : impl::next_code_point(s, i);
}

char32_t last_code_point(std::string_view s) {
    std::size_t i = s.size();
    while (i > 0 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) --i;
    return i > 0 ? first_code_point(s.substr(i - 1)) : 0;
}

bool is_cjk(char32_t o) {
    return (0x3040 <= o && o <= 0x30FF) || (0x3400 <= o && o <= 0x4DBF) ||
           (0x4E00 <= o && o <= 0x9FFF) || (0xF900 <= o && o <= 0xFAFF) ||
           (0x0E00 <= o && o <= 0x0EFF) || (0x1780 <= o && o <= 0x17FF) ||
           (0x1000 <= o && o <= 0x109F) || (0x31F0 <= o && o <= 0x31FF) ||
           (0xFF66 <= o && o <= 0xFF9F);
}

}  // namespace

bool is_cjk_word(std::string_view word) { return is_cjk(first_code_point(word)); }

namespace lexicon_detail {
// Reads a lexicon file's parts in order (format in the header), each checked against the file's
// end: the one home of "truncated file". Blocks are read in place (the data is mapped
// page-aligned, or heap-allocated: aligned for uint32_t) and padded to 4 bytes.
class BlockReader {
public:
    BlockReader(std::string_view data, const std::string& where) : data_(data), where_(where) {}
    uint32_t u32() {
        need(4);
        uint32_t v;
        std::memcpy(&v, data_.data() + pos_, 4);
        pos_ += 4;
        return v;
    }
    const uint32_t* u32s(std::size_t n) {
        need(4 * n);
        auto p = reinterpret_cast<const uint32_t*>(data_.data() + pos_);
        pos_ += 4 * n;
        return p;
    }
    const char* bytes(std::size_t n) {
        const std::size_t padded = (n + 3) / 4 * 4;
        need(padded);
        const char* p = data_.data() + pos_;
        pos_ += padded;
        return p;
    }
    std::string_view text(std::size_t n) {
        need(n);
        const std::string_view t = data_.substr(pos_, n);
        pos_ += n;
        return t;
    }

private:
    void need(std::size_t n) const {
        if (pos_ + n > data_.size()) DOPPEL_THROW(kBadFormat, where_ + "truncated file");
    }
    std::string_view data_;
    const std::string& where_;
    std::size_t pos_ = 0;
};
}  // namespace lexicon_detail

BridgeLexicon::BridgeLexicon(const std::string& path) : path_(path) {
    if (!std::ifstream(path, std::ios::binary))
        DOPPEL_THROW(kIo, "cannot open bridge lexicon " + path + " (run scripts/build-bridge)");
    impl::MappedFile file = impl::map_file(path);
    mapping_ = std::move(file.owner);
    data_ = file.bytes;
    const std::string where = this->where();
    lexicon_detail::BlockReader in(data_, where);
    read_header(in);
    n_concepts_ = in.u32();
    concept_offsets_ = in.u32s(n_concepts_ + 1);
    concept_bytes_ = in.bytes(concept_offsets_[n_concepts_]);
    n_keys_ = in.u32();
    key_offsets_ = in.u32s(n_keys_ + 1);
    key_bytes_ = in.bytes(key_offsets_[n_keys_]);
    value_offsets_ = in.u32s(n_keys_ + 1);
    values_ = in.u32s(value_offsets_[n_keys_]);
}

// The magic, the format version and the JSON header (its fingerprint kept).
void BridgeLexicon::read_header(lexicon_detail::BlockReader& in) {
    const std::string where = this->where();
    if (std::memcmp(in.text(4).data(), kMagic, 4) != 0)
        DOPPEL_THROW(kBadFormat, where + "not a bridge lexicon (bad magic)");
    const uint32_t version = in.u32();
    if (version != kFormatVersion)
        DOPPEL_THROW(kVersion, where + "format version " + std::to_string(version) + ", this build reads " +
                     std::to_string(kFormatVersion) + " (rebuild it with scripts/build-bridge --force)");
    const uint32_t hlen = in.u32();
    header_ = std::string(in.text(hlen));
    const auto header = nlohmann::json::parse(header_, nullptr, false);
    if (header.is_discarded() || !header.is_object()) DOPPEL_THROW(kBadFormat, where + "header is not a JSON object");
    if (auto f = header.find("fingerprint"); f != header.end() && f->is_string())
        fingerprint_ = f->get<std::string>().substr(0, 12);
    // Every block after it has a multiple of 4 bytes, so each starts aligned for uint32_t.
    if (hlen % 4 != 0) DOPPEL_THROW(kBadFormat, where + "bad header length");
}

// Each table is checked where it is read, not all of it at loading: a start read no more of the
// file than its look-ups do (a scan of the 4.9 M concept ids was about 12 ms of every start and
// 20 MB of the file's pages), and a damaged offset or id stops a look-up with kBadFormat instead
// of a read past its table.
void BridgeLexicon::damaged(const char* what) const {
    DOPPEL_THROW(kBadFormat,
                 where() + "damaged file (" + what + "); rebuild it with scripts/build-bridge --force");
}

std::string BridgeLexicon::where() const { return "bridge lexicon " + path_ + ": "; }

std::string_view BridgeLexicon::key_at(std::size_t i) const {
    const uint32_t begin = key_offsets_[i], end = key_offsets_[i + 1];
    if (begin > end || end > key_offsets_[n_keys_]) damaged("key offset out of range");
    return {key_bytes_ + begin, end - begin};
}

std::span<const uint32_t> BridgeLexicon::concepts_at(std::size_t i) const {
    const uint32_t begin = value_offsets_[i], end = value_offsets_[i + 1];
    if (begin > end || end > value_offsets_[n_keys_]) damaged("value offset out of range");
    const std::span<const uint32_t> ids{values_ + begin, end - begin};
    for (const uint32_t id : ids)
        if (id >= n_concepts_) damaged("concept id out of range");
    return ids;
}

std::size_t BridgeLexicon::lower_bound(std::string_view key, std::size_t lo, std::size_t hi) const {
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (key_at(mid) < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

BridgeLexicon::KeyRange BridgeLexicon::prefix_range(std::string_view prefix, KeyRange within) const {
    const std::size_t lo = lower_bound(prefix, within.first, within.second);
    if (lo == within.second || !key_at(lo).starts_with(prefix)) return {lo, lo};
    // The keys with the prefix follow lo; their count is usually small: gallop, then bisect.
    std::size_t in = lo, step = 1;  // key_at(in) has the prefix
    while (in + step < within.second && key_at(in + step).starts_with(prefix)) {
        in += step;
        step *= 2;
    }
    std::size_t a = in + 1, b = std::min(in + step, within.second);  // the end is in [a, b]
    while (a < b) {
        const std::size_t mid = a + (b - a) / 2;
        if (key_at(mid).starts_with(prefix)) a = mid + 1;
        else b = mid;
    }
    return {lo, a};
}

std::span<const uint32_t> BridgeLexicon::concepts_of(std::string_view full_key, KeyRange within) const {
    const std::size_t i = lower_bound(full_key, within.first, within.second);
    if (i < within.second && key_at(i) == full_key) return concepts_at(i);
    return {};
}

std::span<const uint32_t> BridgeLexicon::lookup(std::string_view lang, std::string_view key) const {
    std::string full;
    full.reserve(lang.size() + 1 + key.size());
    full.append(lang).push_back('\t');
    full.append(key);
    return concepts_of(full, {0, n_keys_});
}

bool BridgeLexicon::has_language(std::string_view lang) const {
    std::string prefix(lang);
    prefix.push_back('\t');
    const KeyRange r = prefix_range(prefix, {0, n_keys_});
    return r.first < r.second;
}

std::string BridgeLexicon::make_key(std::string_view lang, std::span<const std::string_view> words,
                                    Stemmer& stemmer) {
    std::string key;
    std::string prev;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string part = is_cjk_word(words[i]) ? std::string(words[i]) : stemmer.stem(lang, words[i]);
        if (i > 0 && !(is_cjk(first_code_point(part)) && is_cjk(last_code_point(prev)))) key += ' ';
        key += part;
        prev = std::move(part);
    }
    return key;
}

std::span<const uint32_t> BridgeLexicon::lookup_word(std::string_view lang, std::string_view word,
                                                     Stemmer& stemmer) const {
    std::string_view w[1] = {word};
    return lookup(lang, make_key(lang, w, stemmer));
}

std::vector<uint32_t> BridgeLexicon::lookup_korean_loanword(std::string_view hangul_word) const {
    auto find = [&](std::string_view word) -> std::span<const uint32_t> {
        const std::string key = hangul_loanword_key(word);
        if (loanword_key_consonants(key) < kMinLoanwordConsonants) return {};
        return lookup(kKoreanLoanwords, key);
    };
    std::string word(hangul_word);
    auto found = find(word);
    if (found.empty()) {
        const std::string shorter = Stemmer::korean_stem(hangul_word, 1);
        if (shorter.size() < word.size()) {
            found = find(shorter);
            word = shorter;
        }
    }
    std::vector<std::size_t> agree(found.size());
    std::size_t best = 0;
    for (std::size_t i = 0; i < found.size(); ++i)
        best = std::max(best, agree[i] = loanword_vowel_agreement(word, concept_name(found[i])));
    std::vector<uint32_t> out;
    for (std::size_t i = 0; i < found.size() && out.size() < kMaxLoanwordConcepts; ++i)
        if (agree[i] == best) out.push_back(found[i]);
    return out;
}

// A word's entry by "lang\0word": open addressing over a flat table, the keys in an arena, the
// entries where they stay until clear() (impl/string_memo.h), instead of std::unordered_map's
// node per word and bucket chain per look-up.
struct BridgeLexicon::WordMemo::Words : impl::StringMemo<Word> {};

BridgeLexicon::WordMemo::WordMemo() : words_(std::make_unique<Words>()) {}
BridgeLexicon::WordMemo::~WordMemo() = default;
BridgeLexicon::WordMemo::WordMemo(WordMemo&&) noexcept = default;
BridgeLexicon::WordMemo& BridgeLexicon::WordMemo::operator=(WordMemo&&) noexcept = default;

BridgeLexicon::WordMemo::Word BridgeLexicon::read_word(std::string_view lang, std::string_view word, KeyRange language,
                                                       Stemmer& stemmer) const {
    WordMemo::Word w;
    w.part = is_cjk_word(word) ? std::string(word) : stemmer.stem(lang, word);
    w.starts_cjk = is_cjk(first_code_point(w.part));
    w.ends_cjk = is_cjk(last_code_point(w.part));
    std::string prefix(lang);
    prefix.push_back('\t');
    prefix += w.part;
    std::tie(w.keys_begin, w.keys_end) = prefix_range(prefix, language);
    return w;
}

BridgeLexicon::KeyRange BridgeLexicon::language_range(std::string_view prefix, WordMemo* memo) const {
    if (!memo) return prefix_range(prefix, {0, n_keys_});
    for (const auto& [lang, range] : memo->languages_)
        if (lang == prefix) return range;
    const KeyRange range = prefix_range(prefix, {0, n_keys_});
    memo->languages_.emplace_back(std::string(prefix), range);
    return range;
}

// The longest phrase of the words `read` starts with (up to kMaxKeyWords of them) that is a key
// with concepts: its length (0 when none) and concepts. The keys that begin with the phrase of
// the first n words narrow as n grows (those of the first word: its memo's range); once none is
// left, no longer phrase is a key, since its key begins with that one. A key sorts before the
// keys it is a prefix of, so the phrase of n words is a key when it is the first of its range.
// `key` holds "lang\t" in its first `head` bytes.
std::pair<std::size_t, std::span<const uint32_t>> BridgeLexicon::longest_phrase(
    std::span<const WordMemo::Word* const> read, std::string& key, std::size_t head) const {
    std::pair<std::size_t, std::span<const uint32_t>> best{0, {}};
    KeyRange range{read[0]->keys_begin, read[0]->keys_end};
    key.resize(head);
    key += read[0]->part;
    const std::size_t max_n = std::min<std::size_t>(kMaxKeyWords, read.size());
    for (std::size_t n = 1; n <= max_n; ++n) {
        if (n > 1) {
            if (!(read[n - 1]->starts_cjk && read[n - 2]->ends_cjk)) key += ' ';
            key += read[n - 1]->part;
            range = prefix_range(key, range);
        }
        if (range.first == range.second) break;
        if (key_at(range.first) != key) continue;
        const std::span<const uint32_t> c = concepts_at(range.first);
        if (!c.empty()) best = {n, c};
    }
    return best;
}

// Every key of a phrase starting at word i begins with "lang\t" and the first word's part: the
// search for the longest phrase (longest_phrase) runs within the keys with that prefix (none for
// most words), that range within the language's keys, and a memo keeps each word's part and
// range. The matches are the same as looking each phrase up in the whole lexicon, longest first.
std::vector<LexiconMatch> BridgeLexicon::match(std::string_view lang,
                                               std::span<const std::string_view> words,
                                               Stemmer& stemmer, WordMemo* memo) const {
    std::vector<LexiconMatch> out;
    std::string key(lang);
    key.push_back('\t');
    const std::size_t head = key.size();
    const KeyRange language = language_range(key, memo);
    // Stem each word once; keys are built from the stems.
    std::vector<WordMemo::Word> fresh;
    std::vector<const WordMemo::Word*> read(words.size());
    if (!memo) fresh.reserve(words.size());
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (!memo) {
            read[i] = &fresh.emplace_back(read_word(lang, words[i], language, stemmer));
            continue;
        }
        memo->key_.assign(lang).push_back('\0');
        memo->key_.append(words[i]);
        const WordMemo::Word* found = memo->words_->find(memo->key_);
        if (!found) {
            if (memo->words_->size() >= WordMemo::kMaxWords) {
                // Start afresh: the words read so far for this call are read again (their entries
                // went). A call of as many words as the memo holds could fill it again: without it.
                memo->words_->clear();
                return match(lang, words, stemmer, words.size() < WordMemo::kMaxWords ? memo : nullptr);
            }
            found = &memo->words_->insert(memo->key_, read_word(lang, words[i], language, stemmer));
        }
        read[i] = found;
    }
    std::size_t i = 0;
    while (i < words.size()) {
        const auto [best, best_c] = longest_phrase(std::span(read).subspan(i), key, head);
        if (best > 0) {
            out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(best), best_c});
            i += best;
        } else {
            ++i;
        }
    }
    return out;
}

std::string_view BridgeLexicon::concept_name(uint32_t id) const {
    if (id >= n_concepts_) DOPPEL_THROW(kInvalidArgument, "concept id out of range");
    const uint32_t begin = concept_offsets_[id], end = concept_offsets_[id + 1];
    if (begin > end || end > concept_offsets_[n_concepts_]) damaged("concept offset out of range");
    return {concept_bytes_ + begin, end - begin};
}

std::string BridgeLexicon::describe() const {
    return "bridge.lex:v" + std::to_string(kFormatVersion) + ":" + fingerprint_;
}

}  // namespace doppel
