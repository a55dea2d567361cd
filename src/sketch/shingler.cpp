#include "doppel/sketch/shingler.h"

#include <unicode/uscript.h>
#define XXH_INLINE_ALL  // inlined XXH3: the per-word and per-shingle calls are short
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <sstream>

#include "doppel/error.h"
#include "impl/ascii_words.h"
#include "impl/hash_buckets.h"
#include "doppel/sketch/line_summary.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

bool no_space_script(char32_t c) {
    if (c < 0x0E00) return false;
    UErrorCode st = U_ZERO_ERROR;
    const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &st);
    return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || s == USCRIPT_THAI ||
           s == USCRIPT_LAO || s == USCRIPT_KHMER || s == USCRIPT_MYANMAR;
}

// Buffers of one thread's shingling, kept from one document to the next so that a document costs
// no allocation: fresh memory costs a page fault per 4 KiB, which on a virtual machine costs more
// than the hashing. Buffers grown past kKeptScratch values are let go after the document.
struct Scratch {
    std::vector<uint64_t> words, sorted;
    std::vector<uint32_t> start;
    std::string lower, pending, line;
};
constexpr std::size_t kKeptScratch = std::size_t{1} << 21;
// Not inlined: in a shared library each use of a thread_local costs a call to __tls_get_addr, and
// inlined, the compiler repeated that call in the word loop (3% of `index --for duplicates`).
[[gnu::noinline]] Scratch& scratch() {
    thread_local Scratch s;
    return s;
}
void trim_scratch(Scratch& s) {
    if (s.words.capacity() > kKeptScratch) std::vector<uint64_t>().swap(s.words);
    if (s.sorted.capacity() > kKeptScratch) std::vector<uint64_t>().swap(s.sorted);
    if (s.lower.capacity() > 8 * kKeptScratch) std::string().swap(s.lower);
}

// Sorts hash values (repeats kept). They are uniformly random 64-bit values, so one counting
// pass on the top bits (about one value a bucket) and an insertion sort inside each bucket beat
// std::sort (about 3x on documents of a few thousand shingles; one value a bucket instead of 8:
// 1.5-2x faster again from 155 to 5,000 values, the insertions' mispredicted branches gone). From
// 64 values on they are sorted into scratch.sorted, below in place: returns where they are (both
// vectors keep their memory).
const uint64_t* sort_into_scratch(std::vector<uint64_t>& v, Scratch& scratch) {
    const std::size_t n = v.size();
    if (n < 64) {
        std::sort(v.begin(), v.end());
        return v.data();
    }
    const int shift = 64 - impl::bucket_bits(n, 1, 20);
    std::vector<uint64_t>& out = scratch.sorted;
    impl::scatter_to_buckets(v, 64 - shift, [shift](uint64_t x) { return x >> shift; }, &out, &scratch.start);
    impl::sort_ordered_buckets(out, scratch.start, [](uint64_t x, uint64_t y) { return x < y; });
    return out.data();
}

// Sorts v in place, repeats kept.
void sort_hashes(std::vector<uint64_t>& v, Scratch& scratch) {
    const uint64_t* sorted = sort_into_scratch(v, scratch);
    if (sorted != v.data()) std::copy(sorted, sorted + v.size(), v.data());
}

// Sorts and removes repeats: sorted aside, then copied back without the repeats. With `counts`,
// the repeated values' positions and numbers go to its repeated_at and repeated_places.
void sort_unique(std::vector<uint64_t>* v, Scratch& scratch, ShingleCounts* counts = nullptr) {
    const std::size_t n = v->size();
    const uint64_t* sorted = sort_into_scratch(*v, scratch);
    // Into *v without the repeats (one pass; in place when n < 64).
    uint64_t* d = v->data();
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (m == 0 || d[m - 1] != sorted[i]) {
            d[m++] = sorted[i];
        } else if (counts) {
            const auto at = static_cast<uint32_t>(m - 1);
            if (counts->repeated_at.empty() || counts->repeated_at.back() != at) {
                counts->repeated_at.push_back(at);
                counts->repeated_places.push_back(1);
            }
            ++counts->repeated_places.back();
        }
    }
    v->resize(m);
}

// Pure ASCII? Then NFKC case folding is ASCII lower-casing and the words are the same.
bool is_ascii(std::string_view s) {
    std::size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        acc |= w;
    }
    for (; i < s.size(); ++i) acc |= static_cast<unsigned char>(s[i]);
    return (acc & 0x8080808080808080ull) == 0;
}

// Character n-grams over the words (spaces and punctuation left out).
void char_shingles(std::string_view text, const std::vector<Span>& words, int n, std::vector<uint64_t>* out) {
    std::string joined;
    std::vector<uint32_t> starts;  // byte offset of each character in `joined`
    for (const Span& w : words) {
        std::string_view s = text.substr(w.begin, w.size());
        for (std::size_t i = 0; i < s.size();) {
            starts.push_back(static_cast<uint32_t>(joined.size() + i));
            impl::next_code_point(s, i);
        }
        joined.append(s);
    }
    if (starts.empty()) return;
    const std::size_t chars = starts.size();
    starts.push_back(static_cast<uint32_t>(joined.size()));
    if (chars <= static_cast<std::size_t>(n)) {
        out->push_back(XXH3_64bits(joined.data(), joined.size()));
        return;
    }
    out->reserve(chars - n + 1);
    for (std::size_t i = 0; i + n <= chars; ++i)
        out->push_back(XXH3_64bits(joined.data() + starts[i], starts[i + n] - starts[i]));
}

// Every run of n consecutive word hashes as one shingle (all of them as one when there are no
// more than n), sorted and unique.
void word_shingles(const std::vector<uint64_t>& wh, std::size_t n, std::vector<uint64_t>* out, Scratch& scratch,
                   ShingleCounts* counts = nullptr) {
    out->clear();
    if (wh.size() <= n) {
        out->push_back(XXH3_64bits(wh.data(), wh.size() * sizeof(uint64_t)));
        return;
    }
    out->resize(wh.size() - n + 1);
    uint64_t* o = out->data();
    for (std::size_t i = 0; i + n <= wh.size(); ++i) o[i] = XXH3_64bits(&wh[i], n * sizeof(uint64_t));
    sort_unique(out, scratch, counts);
}

// ASCII lower-casing of text into *out (same length; other bytes kept).
void ascii_lower(std::string_view text, std::string* out) {
    out->resize(text.size());
    char* o = out->data();
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        o[i] = static_cast<char>(c + (static_cast<unsigned char>(c - 'A') < 26 ? 32 : 0));
    }
}

}  // namespace

Shingler::Shingler(ShinglerOptions options, NormalizerOptions normalizer)
    : options_(options), normalizer_(normalizer) {
    DOPPEL_CHECK(kInvalidArgument, options_.n >= 1 && options_.n <= 64, "shingle n must be in 1..64");
    DOPPEL_CHECK(kInvalidArgument, options_.char_n >= 1 && options_.char_n <= 64, "shingle char_n must be in 1..64");
    DOPPEL_CHECK(kInvalidArgument, options_.min_words >= 0, "shingle min_words must be >= 0");
}

std::unique_ptr<Shingler> Shingler::from_spec(const std::string& spec) {
    ShinglerOptions o;
    const auto colon = spec.find(':');
    const std::string kind = spec.substr(0, colon);
    if (kind == "word")
        o.kind = ShinglerOptions::Kind::kWord;
    else if (kind == "char")
        o.kind = ShinglerOptions::Kind::kChar;
    else
        DOPPEL_THROW(kBadSpec, "unknown shingle kind in spec '" + spec + "' (expected word: or char:)");
    if (colon != std::string::npos) {
        std::stringstream ss(spec.substr(colon + 1));
        std::string item;
        while (std::getline(ss, item, ',')) {
            const auto eq = item.find('=');
            DOPPEL_CHECK(kBadSpec, eq != std::string::npos, "bad shingle spec item '" + item + "' in '" + spec + "'");
            const std::string key = item.substr(0, eq);
            int value = 0;
            try {
                value = std::stoi(item.substr(eq + 1));
            } catch (const std::exception&) {
                DOPPEL_THROW(kBadSpec, "bad number in shingle spec '" + spec + "'");
            }
            if (key == "n")
                o.n = value;
            else if (key == "char_n" && o.kind == ShinglerOptions::Kind::kWord)
                o.char_n = value;
            else if (key == "min_words" && o.kind == ShinglerOptions::Kind::kWord)
                o.min_words = value;
            else
                DOPPEL_THROW(kBadSpec, "unknown shingle spec key '" + key + "' in '" + spec + "'");
        }
    }
    return std::make_unique<Shingler>(o);
}

std::string Shingler::describe() const {
    if (options_.kind == ShinglerOptions::Kind::kChar) return "char:n=" + std::to_string(options_.n);
    return "word:n=" + std::to_string(options_.n) + ",char_n=" + std::to_string(options_.char_n) +
           ",min_words=" + std::to_string(options_.min_words);
}

uint64_t Shingler::line_hash(std::string_view line) {
    std::size_t b = 0, e = line.size();
    auto space = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
    };
    while (b < e && space(line[b])) ++b;
    while (e > b && space(line[e - 1])) --e;
    if (b == e) return 0;
    return XXH3_64bits(line.data() + b, e - b) | 1;
}

std::string Shingler::normalize(std::string_view text) const {
    const NormalizerOptions& o = normalizer_.options();
    if (!o.nfkc_casefold || !o.collapse_space) return normalizer_.normalize_text(text);
    // Fast path with the same words: an ASCII line only needs lower-casing (space runs need no
    // collapsing for the word scanner, and normalization never crosses a line break); runs of
    // lines with other characters go through the Normalizer.
    std::string out;
    out.reserve(text.size() + 1);
    std::size_t pos = 0, pending = std::string_view::npos;  // start of non-ASCII lines to normalize
    auto flush = [&](std::size_t end) {
        if (pending == std::string_view::npos) return;
        out += normalizer_.normalize_text(text.substr(pending, end - pending));
        out.push_back('\n');
        pending = std::string_view::npos;
    };
    while (pos < text.size()) {
        const void* p = std::memchr(text.data() + pos, '\n', text.size() - pos);
        const std::size_t nl = p ? static_cast<const char*>(p) - text.data() : text.size();
        std::string_view line = text.substr(pos, nl - pos);
        if (is_ascii(line)) {
            flush(pos);
            const std::size_t at = out.size();
            out.append(line);
            for (std::size_t i = at; i < out.size(); ++i)
                if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<char>(out[i] + 32);
            out.push_back('\n');
        } else if (pending == std::string_view::npos) {
            pending = pos;
        }
        pos = nl + 1;
    }
    flush(text.size());
    return out;
}

void Shingler::shingle(std::string_view text, Segmenter& segmenter, std::vector<uint64_t>* out,
                       const LineHashSet* skip, std::size_t* skipped) const {
    if (skipped) *skipped = 0;
    if (fused_word_shingles(text, segmenter, out, skip, skipped)) return;
    if (skipped) *skipped = 0;
    if (skip && !skip->empty()) {
        std::string kept;
        kept.reserve(text.size());
        std::size_t pos = 0;
        while (pos < text.size()) {
            std::size_t nl = text.find('\n', pos);
            if (nl == std::string_view::npos) nl = text.size();
            std::string_view line = text.substr(pos, nl - pos);
            if (!skip->count(line_hash(line))) {
                kept.append(line);
                kept.push_back('\n');
            } else if (skipped) {
                ++*skipped;
            }
            pos = nl + 1;
        }
        shingle_normalized(normalize(kept), segmenter, out);
        return;
    }
    shingle_normalized(normalize(text), segmenter, out);
}

void Shingler::shingle_normalized(std::string_view text, Segmenter& segmenter,
                                  std::vector<uint64_t>* out) const {
    out->clear();
    const std::vector<Span> words = segmenter.words(text);
    if (words.empty()) return;
    if (options_.kind == ShinglerOptions::Kind::kChar) {
        char_shingles(text, words, options_.n, out);
        sort_unique(out, scratch());
        return;
    }
    bool use_chars = words.size() < static_cast<std::size_t>(options_.min_words);
    if (!use_chars) {
        // Mostly a script written without spaces? Judge by the first character of each word.
        std::size_t spaceless = 0, total = 0;
        for (const Span& w : words) {
            const auto b0 = static_cast<unsigned char>(text[w.begin]);
            total += w.size();
            if (b0 < 0xE0) continue;  // ASCII, Latin, Greek, Cyrillic, Arabic, Hebrew...: spaced
            std::size_t i = w.begin;
            if (no_space_script(impl::next_code_point(text, i))) spaceless += w.size();
        }
        use_chars = spaceless * 2 > total;
    }
    if (use_chars) {
        char_shingles(text, words, options_.char_n, out);
        sort_unique(out, scratch());
        return;
    }
    std::vector<uint64_t> wh(words.size());
    for (std::size_t i = 0; i < words.size(); ++i)
        wh[i] = XXH3_64bits(text.data() + words[i].begin, words[i].size());
    word_shingles(wh, static_cast<std::size_t>(options_.n), out, scratch());
}

// shingle() in one pass over the lines for word shingles with the default normalization: an
// ASCII line is lower-cased and split into words right away (the words normalize() and the
// Segmenter give it: no word crosses a line break), a run of other lines goes through the
// Normalizer and the Segmenter as in normalize(). Returns false, having written nothing that
// counts, for a document that gets character shingles (few words, or mostly a script without
// spaces): shingle() then takes the general path. With `counts`, the shingles' ShingleCounts.
bool Shingler::fused_word_shingles(std::string_view text, Segmenter& segmenter, std::vector<uint64_t>* out,
                                   const LineHashSet* skip, std::size_t* skipped, ShingleCounts* counts) const {
    const NormalizerOptions& o = normalizer_.options();
    if (counts) *counts = ShingleCounts();
    if (options_.kind != ShinglerOptions::Kind::kWord || !o.nfkc_casefold || !o.collapse_space) return false;
    const bool skipping = skip && !skip->empty();
    Scratch& sc = scratch();
    std::vector<uint64_t>& wh = sc.words;
    wh.clear();
    std::size_t spaceless = 0, total = 0;
    std::string& pending = sc.pending;  // the run of non-ASCII lines, as normalize() cuts it
    pending.clear();
    auto flush = [&] {
        if (pending.empty()) return;
        const std::string piece = normalizer_.normalize_text(pending) + '\n';
        for (const Span& w : segmenter.words(piece)) {
            wh.push_back(XXH3_64bits(piece.data() + w.begin, w.size()));
            total += w.size();
            std::size_t i = w.begin;
            if (static_cast<unsigned char>(piece[i]) >= 0xE0 && no_space_script(impl::next_code_point(piece, i)))
                spaceless += w.size();
        }
        pending.clear();
    };
    // The ASCII lines' words are read from the text lower-cased as a whole (normalize() lower-cases
    // them; no word crosses a line break, so an ASCII text is one run of words).
    ascii_lower(text, &sc.lower);
    const std::string_view lower = sc.lower;
    auto add_words = [&](std::size_t begin, std::size_t end) {
        const std::string_view run = lower.substr(begin, end - begin);
        impl::for_each_lower_ascii_word(run, [&](std::size_t b, std::size_t e) {
            wh.push_back(XXH3_64bits(run.data() + b, e - b));
            total += e - b;
        });
    };
    if (!skipping && is_ascii(text)) {
        add_words(0, text.size());
    } else {
        for (std::size_t pos = 0; pos < text.size();) {
            const void* p = std::memchr(text.data() + pos, '\n', text.size() - pos);
            const std::size_t nl = p ? static_cast<const char*>(p) - text.data() : text.size();
            const std::string_view line = text.substr(pos, nl - pos);
            const std::size_t begin = pos;
            pos = nl + 1;
            if (skipping && skip->count(line_hash(line))) {
                if (skipped) ++*skipped;
                continue;
            }
            if (!is_ascii(line)) {
                pending.append(line);
                if (skipping || nl < text.size()) pending.push_back('\n');  // the line break normalize() sees
                continue;
            }
            flush();
            add_words(begin, nl);
        }
        flush();
    }
    out->clear();
    const auto n = static_cast<std::size_t>(options_.n);
    const bool words = wh.size() >= static_cast<std::size_t>(options_.min_words) && spaceless * 2 <= total;
    const bool done = wh.empty() || words;
    if (counts && words && spaceless == 0 && wh.size() > n) {
        counts->valid = true;
        counts->words = wh.size();
    }
    if (!wh.empty() && words) word_shingles(wh, n, out, sc, counts && counts->valid ? counts : nullptr);
    trim_scratch(sc);
    return done;
}

void Shingler::shingle_counted(std::string_view text, Segmenter& segmenter, std::vector<uint64_t>* out,
                               ShingleCounts* counts) const {
    if (fused_word_shingles(text, segmenter, out, nullptr, nullptr, counts)) return;
    *counts = ShingleCounts();
    shingle_normalized(normalize(text), segmenter, out);
}

void Shingler::line_word_hashes(std::string_view line, Segmenter& segmenter, std::vector<uint64_t>* out) const {
    if (is_ascii(line)) {
        std::string& lower = scratch().line;
        ascii_lower(line, &lower);
        impl::for_each_lower_ascii_word(lower, [&](std::size_t b, std::size_t e) { out->push_back(XXH3_64bits(lower.data() + b, e - b)); });
        return;
    }
    const std::string piece = normalizer_.normalize_text(line) + '\n';
    for (const Span& w : segmenter.words(piece)) out->push_back(XXH3_64bits(piece.data() + w.begin, w.size()));
}

namespace {

// A text's lines against the lines to leave out, for Shingler::shingle_without; the words of a
// line are split on demand and kept.
class LineWords {
public:
    enum State : uint8_t { kUntouched, kLeftOut, kNear };  // kNear: kept, within n - 1 words of a left-out word
    LineWords(const Shingler& shingler, std::string_view text, Segmenter& segmenter)
        : shingler_(shingler), text_(text), segmenter_(segmenter) {}
    // Finds the lines in `skip`: the number of them; those holding words are kLeftOut.
    std::size_t cut(const LineHashSet& skip, uint64_t* words_left_out);
    // Marks kNear the kept lines within n - 1 words of each kLeftOut line.
    void mark_near(std::size_t n);
    // Calls fn(words, left_out) for each run of lines kLeftOut or kNear: the words of those lines
    // in order, and whether each is on a left-out line.
    template <class Fn>
    void for_each_island(Fn fn);

private:
    std::span<const uint64_t> words(std::size_t line);
    const Shingler& shingler_;
    std::string_view text_;
    Segmenter& segmenter_;
    std::vector<uint32_t> begin_;  // offset of each line (one more entry: the text's end + 1)
    std::vector<State> state_;
    std::vector<uint32_t> from_, to_;  // by line: its words in split_ (from_ > to_: not split yet)
    std::vector<uint64_t> split_;
    // A bitmap of the skipped lines' hashes, tried before the set (most lines are not in it).
    std::vector<uint64_t> bits_;
};

std::size_t LineWords::cut(const LineHashSet& skip, uint64_t* words_left_out) {
    std::size_t found = 0;
    std::vector<std::size_t> out;
    constexpr uint64_t kBits = 1 << 12;
    bits_.assign(kBits / 64, skip.size() > kBits / 8 ? ~uint64_t{0} : 0);  // many lines: no use
    if (skip.size() <= kBits / 8)
        for (uint64_t h : skip) bits_[(h % kBits) / 64] |= uint64_t{1} << (h % 64);
    for_each_line(text_, [&](std::string_view line) {
        const uint64_t h = Shingler::line_hash(line);
        if ((bits_[(h % kBits) / 64] >> (h % 64) & 1) && skip.count(h)) out.push_back(begin_.size());
        begin_.push_back(static_cast<uint32_t>(line.data() - text_.data()));
    });
    begin_.push_back(static_cast<uint32_t>(text_.size() + 1));
    state_.assign(begin_.size() - 1, kUntouched);
    from_.assign(begin_.size() - 1, 1);
    to_.assign(begin_.size() - 1, 0);
    *words_left_out = 0;
    for (std::size_t l : out) {
        ++found;
        *words_left_out += words(l).size();
        if (!words(l).empty()) state_[l] = kLeftOut;  // a line without words changes nothing
    }
    return found;
}

std::span<const uint64_t> LineWords::words(std::size_t l) {
    if (from_[l] > to_[l]) {
        from_[l] = static_cast<uint32_t>(split_.size());
        shingler_.line_word_hashes(text_.substr(begin_[l], begin_[l + 1] - 1 - begin_[l]), segmenter_, &split_);
        to_[l] = static_cast<uint32_t>(split_.size());
    }
    return std::span<const uint64_t>(split_).subspan(from_[l], to_[l] - from_[l]);
}

void LineWords::mark_near(std::size_t n) {
    const std::size_t lines = state_.size();
    for (std::size_t l = 0; l < lines; ++l) {
        if (state_[l] != kLeftOut) continue;
        std::size_t need = n - 1;
        for (std::size_t b = l; b-- > 0 && need > 0 && state_[b] != kLeftOut;) {
            state_[b] = kNear;
            need -= std::min(need, words(b).size());
        }
        need = n - 1;
        for (std::size_t a = l + 1; a < lines && need > 0 && state_[a] != kLeftOut; ++a) {
            state_[a] = kNear;
            need -= std::min(need, words(a).size());
        }
    }
}

template <class Fn>
void LineWords::for_each_island(Fn fn) {
    std::vector<uint64_t> w;
    std::vector<uint8_t> out;
    for (std::size_t l = 0; l <= state_.size(); ++l) {
        if (l < state_.size() && state_[l] != kUntouched) {
            const std::span<const uint64_t> lw = words(l);
            w.insert(w.end(), lw.begin(), lw.end());
            out.insert(out.end(), lw.size(), state_[l] == kLeftOut);
            continue;
        }
        if (!w.empty()) fn(w, out);
        w.clear();
        out.clear();
    }
}

// *all without the shingles in `gone` (sorted) all of whose places it holds, into *out (those
// into *removed when given). False when `gone` does not fit the counts (a shingle not in the
// set, or with more places than it has).
bool drop_gone(const uint64_t* all, std::size_t n_all, const ShingleCounts& counts, const std::vector<uint64_t>& gone,
               std::vector<uint64_t>* out, std::vector<uint64_t>* removed) {
    out->clear();
    std::size_t g = 0, r = 0;
    for (std::size_t i = 0; i < n_all; ++i) {
        if (g < gone.size() && gone[g] < all[i]) return false;
        uint32_t touched = 0;
        for (; g < gone.size() && gone[g] == all[i]; ++g) ++touched;
        if (touched == 0) {
            out->push_back(all[i]);
            continue;
        }
        while (r < counts.repeated_at.size() && counts.repeated_at[r] < i) ++r;
        const uint32_t places = r < counts.repeated_at.size() && counts.repeated_at[r] == i ? counts.repeated_places[r] : 1;
        if (touched > places) return false;
        if (touched < places)
            out->push_back(all[i]);
        else if (removed)
            removed->push_back(all[i]);
    }
    return g == gone.size();
}

}  // namespace

bool Shingler::shingle_without(std::string_view text, const uint64_t* all, std::size_t n_all,
                               const ShingleCounts& counts, const LineHashSet& skip, Segmenter& segmenter,
                               std::vector<uint64_t>* out, std::size_t* skipped, std::vector<uint64_t>* removed,
                               std::vector<uint64_t>* added) const {
    if (skipped) *skipped = 0;
    if (removed) removed->clear();
    if (added) added->clear();
    if (!counts.valid) return false;
    const auto n = static_cast<std::size_t>(options_.n);
    // Phase 1: the lines left out, split into words.
    LineWords lines(*this, text, segmenter);
    uint64_t words_out = 0;
    const std::size_t found = lines.cut(skip, &words_out);
    if (words_out > counts.words ||
        counts.words - words_out < std::max(static_cast<uint64_t>(options_.min_words), uint64_t{n} + 1))
        return false;
    if (skipped) *skipped = found;
    // Phase 2: the places touching a left-out word go (`gone`); the runs of n words left that
    // cross left-out words come (`across`). Both lie within n - 1 words of a left-out word.
    lines.mark_near(n);
    std::vector<uint64_t> gone, across, kept;
    std::vector<std::size_t> kept_at;
    lines.for_each_island([&](const std::vector<uint64_t>& w, const std::vector<uint8_t>& left_out) {
        kept.clear();
        kept_at.clear();
        std::size_t run = 0;  // left-out words among w[i, i + n)
        for (std::size_t i = 0; i < w.size(); ++i) {
            run += left_out[i];
            if (i >= n) run -= left_out[i - n];
            if (i + 1 >= n && run > 0) gone.push_back(XXH3_64bits(&w[i + 1 - n], n * sizeof(uint64_t)));
            if (left_out[i]) continue;
            kept.push_back(w[i]);
            kept_at.push_back(i);
            const std::size_t k = kept.size();
            if (k >= n && kept_at[k - 1] - kept_at[k - n] != n - 1)
                across.push_back(XXH3_64bits(&kept[k - n], n * sizeof(uint64_t)));
        }
    });
    // Phase 3: the set without the gone shingles, with the new ones.
    sort_hashes(gone, scratch());
    if (!drop_gone(all, n_all, counts, gone, out, removed)) return false;
    sort_hashes(across, scratch());
    if (added) *added = across;
    const std::size_t k = out->size();
    out->insert(out->end(), across.begin(), across.end());
    std::inplace_merge(out->begin(), out->begin() + static_cast<std::ptrdiff_t>(k), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    return true;
}

uint64_t shingle_set_hash(const uint64_t* shingles, std::size_t n) { return XXH3_64bits(shingles, n * sizeof(uint64_t)); }

ShingleOverlap shingle_overlap(const uint64_t* a, std::size_t na, const uint64_t* b, std::size_t nb) {
    ShingleOverlap o;
    std::size_t i = 0, j = 0;
    uint32_t common = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            ++i;
        else if (b[j] < a[i])
            ++j;
        else {
            ++common;
            ++i;
            ++j;
        }
    }
    o.common = common;
    const std::size_t uni = na + nb - common;
    o.jaccard = uni ? static_cast<double>(common) / static_cast<double>(uni) : 0.0;
    const std::size_t small = std::min(na, nb);
    o.containment = small ? static_cast<double>(common) / static_cast<double>(small) : 0.0;
    return o;
}

}  // namespace doppel
