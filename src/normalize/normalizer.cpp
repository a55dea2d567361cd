#include "doppel/normalize/normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "doppel/error.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

const icu::Normalizer2* as_icu(const void* p) { return static_cast<const icu::Normalizer2*>(p); }

bool is_arabic_mark(char32_t c) {
    return c == 0x0640 ||                    // tatweel
           (c >= 0x064B && c <= 0x065F) ||   // harakat, shadda, sukun, ...
           c == 0x0670 ||                    // superscript alef
           (c >= 0x06D6 && c <= 0x06ED);     // Quranic annotation marks
}

char32_t arabic_letter(char32_t c) {
    switch (c) {
        case 0x0622: case 0x0623: case 0x0625: case 0x0671: return 0x0627;  // alef forms
        case 0x0649: case 0x06CC: case 0x0626: return 0x064A;               // yeh forms
        case 0x0624: return 0x0648;                                         // waw with hamza
        case 0x0629: return 0x0647;                                         // ta marbuta
        default: return c;
    }
}

// Output sink that applies steps 2-4 to each code point and keeps the offset map.
struct Sink {
    const NormalizerOptions& opt;
    std::string& out;
    std::vector<uint32_t>* offsets;
    bool pending_space = false;
    uint32_t space_src = 0;  // input offset of the first space of the pending run

    void put(char32_t c, uint32_t src) {
        if (c > ' ' && c < 0x7F) {  // printable ASCII: the common case
            if (pending_space) flush_space();
            out.push_back(static_cast<char>(c));
            if (offsets) offsets->push_back(src);
            return;
        }
        put_slow(c, src);
    }

    void flush_space() {
        pending_space = false;
        if (!out.empty() && out.back() != '\n') {
            out.push_back(' ');
            if (offsets) offsets->push_back(space_src);
        }
    }

    void put_slow(char32_t c, uint32_t src) {
        if (c == '\n') {
            pending_space = false;
            while (opt.collapse_space && !out.empty() && out.back() == ' ') {
                out.pop_back();
                if (offsets) offsets->pop_back();
            }
            out.push_back('\n');
            if (offsets) offsets->push_back(src);
            return;
        }
        if (opt.collapse_space && (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' ||
                                   (c >= 0x80 && u_isUWhiteSpace(static_cast<UChar32>(c))))) {
            if (!pending_space) space_src = src;
            pending_space = true;
            return;
        }
        if (opt.ascii_digits && c >= 0x80 && u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER) {
            const int v = u_charDigitValue(static_cast<UChar32>(c));
            if (v >= 0 && v <= 9) c = static_cast<char32_t>('0' + v);
        }
        if (opt.arabic && c >= 0x0600 && c <= 0x06FF) {
            if (is_arabic_mark(c)) return;
            c = arabic_letter(c);
        }
        if (pending_space) flush_space();
        const std::size_t before = out.size();
        impl::append_utf8(out, c);
        if (offsets) offsets->insert(offsets->end(), out.size() - before, src);
    }
};

}  // namespace

Span NormalizedText::source_span(Span span) const {
    if (source_offsets.empty()) return {0, 0};
    const uint32_t n = static_cast<uint32_t>(text.size());
    const uint32_t b = std::min(span.begin, n), e = std::min(span.end, n);
    if (b >= e) return {source_offsets[b], source_offsets[b]};
    // The end is where the first character after the span's last source character begins.
    uint32_t last_src = source_offsets[e - 1];
    uint32_t j = e;
    while (j < n && source_offsets[j] == last_src) ++j;
    return {source_offsets[b], source_offsets[j]};
}

Normalizer::Normalizer(NormalizerOptions options) : options_(options), nfkc_cf_(nullptr) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status))
        DOPPEL_THROW(kIcu, std::string("ICU NFKC_Casefold unavailable: ") + u_errorName(status));
    nfkc_cf_ = n;
}

std::unique_ptr<Normalizer> Normalizer::from_spec(const std::string& spec) {
    const std::string prefix = "icu:";
    if (spec.rfind(prefix, 0) != 0) DOPPEL_THROW(kBadSpec, "unknown normalizer spec '" + spec + "' (expected icu:...)");
    NormalizerOptions o{false, false, false, false};
    std::stringstream ss(spec.substr(prefix.size()));
    std::string flag;
    while (std::getline(ss, flag, ',')) {
        if (flag == "nfkc_cf") o.nfkc_casefold = true;
        else if (flag == "digits") o.ascii_digits = true;
        else if (flag == "arabic") o.arabic = true;
        else if (flag == "space") o.collapse_space = true;
        else if (!flag.empty()) DOPPEL_THROW(kBadSpec, "unknown normalizer flag '" + flag + "' in '" + spec + "'");
    }
    return std::make_unique<Normalizer>(o);
}

std::string Normalizer::describe() const {
    std::string s = "icu:";
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (s.back() != ':') s += ',';
        s += name;
    };
    add(options_.nfkc_casefold, "nfkc_cf");
    add(options_.ascii_digits, "digits");
    add(options_.arabic, "arabic");
    add(options_.collapse_space, "space");
    return s;
}

namespace {

// One pass of Normalizer::run over a text, as phases: the ASCII fast path, letters that NFKC
// case folding leaves alone, then chunks (a code point and the following ones up to the next
// normalization boundary) through ICU, with a small cache of recent short chunks.
class NormalizeLoop {
public:
    NormalizeLoop(std::string_view text, const NormalizerOptions& options, const icu::Normalizer2* norm, Sink& sink)
        : text_(text), n_(text.size()), options_(options), norm_(norm), sink_(sink) {}

    void run() {
        std::size_t i = 0;
        while (i < n_) {
            if (put_ascii(i)) continue;
            const std::size_t start = i;
            std::size_t j = i;
            impl::next_code_point(text_, j);
            if (!options_.nfkc_casefold) {
                put_code_point(start);
            } else if (!put_inert(start, j)) {
                j = chunk_end(j);
                put_chunk(start, j - start);
            }
            i = j;
        }
    }

private:
    struct CacheEntry {
        uint64_t key = 0;  // chunk bytes, with the length in the top byte (never 0 when used)
        int n = 0;
        char32_t out[4];
    };
    static constexpr std::size_t kMaxCachedChunk = 7;

    // ASCII fast path: NFKC_Casefold of ASCII is ASCII lower-casing, unless a combining mark
    // follows (it changes the composition: ICU handles that case). Advances i when it put one.
    bool put_ascii(std::size_t& i) {
        const auto b = static_cast<unsigned char>(text_[i]);
        if (b >= 0x80) return false;
        if (options_.nfkc_casefold && i + 1 < n_ && static_cast<unsigned char>(text_[i + 1]) >= 0xCC) return false;
        char c = static_cast<char>(b);
        if (options_.nfkc_casefold && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        sink_.put(static_cast<char32_t>(static_cast<unsigned char>(c)), static_cast<uint32_t>(i));
        ++i;
        return true;
    }

    void put_code_point(std::size_t start) {
        std::size_t k = start;
        sink_.put(impl::next_code_point(text_, k), static_cast<uint32_t>(start));
    }

    // Most letters of most scripts are inert under NFKC_Casefold (unchanged, with boundaries on
    // both sides): emitted without a round trip through ICU.
    bool put_inert(std::size_t start, std::size_t next) {
        std::size_t k = start;
        const char32_t c0 = impl::next_code_point(text_, k);
        if (!norm_->isInert(static_cast<UChar32>(c0))) return false;
        if (next < n_ && static_cast<unsigned char>(text_[next]) >= 0x80 &&
            !norm_->hasBoundaryBefore(static_cast<UChar32>(impl::next_code_point(text_, k))))
            return false;
        sink_.put(c0, static_cast<uint32_t>(start));
        return true;
    }

    // The end of the chunk whose second code point starts at j.
    std::size_t chunk_end(std::size_t j) const {
        while (j < n_) {
            std::size_t k = j;
            const char32_t c = impl::next_code_point(text_, k);
            if (norm_->hasBoundaryBefore(static_cast<UChar32>(c))) break;
            j = k;
        }
        return j;
    }

    // Short chunks (a precomposed letter, a letter and its marks) repeat a lot: cached.
    void put_chunk(std::size_t start, std::size_t len) {
        CacheEntry* entry = nullptr;
        uint64_t key = 0;
        if (len <= kMaxCachedChunk) {
            __builtin_memcpy(&key, text_.data() + start, len);
            key |= static_cast<uint64_t>(len) << 56;
            entry = &cache_[(key * 0x9E3779B97F4A7C15ull) >> 56];
            if (entry->key == key) {
                for (int k = 0; k < entry->n; ++k) sink_.put(entry->out[k], static_cast<uint32_t>(start));
                return;
            }
        }
        const int produced = normalize_chunk(start, len);
        if (entry && produced <= 4) {
            entry->key = key;
            entry->n = produced;
            std::copy(buf_, buf_ + produced, entry->out);
        }
    }

    // Through ICU; returns how many code points came out (the first four kept in buf_).
    int normalize_chunk(std::size_t start, std::size_t len) {
        chunk_ = icu::UnicodeString::fromUTF8(icu::StringPiece(text_.data() + start, static_cast<int32_t>(len)));
        UErrorCode status = U_ZERO_ERROR;
        norm_->normalize(chunk_, normalized_, status);
        if (U_FAILURE(status)) normalized_ = chunk_;
        int produced = 0;
        for (int32_t k = 0; k < normalized_.length();) {
            const UChar32 c = normalized_.char32At(k);
            sink_.put(static_cast<char32_t>(c), static_cast<uint32_t>(start));
            if (produced < 4) buf_[produced] = static_cast<char32_t>(c);
            ++produced;
            k += U16_LENGTH(c);
        }
        return produced;
    }

    std::string_view text_;
    std::size_t n_;
    const NormalizerOptions& options_;
    const icu::Normalizer2* norm_;
    Sink& sink_;
    icu::UnicodeString chunk_, normalized_;
    std::array<CacheEntry, 256> cache_{};
    char32_t buf_[4];
};

}  // namespace

void Normalizer::run(std::string_view text, std::string& out, std::vector<uint32_t>* offsets) const {
    out.clear();
    out.reserve(text.size());
    if (offsets) {
        offsets->clear();
        offsets->reserve(text.size() + 1);
    }
    Sink sink{options_, out, offsets};
    NormalizeLoop(text, options_, as_icu(nfkc_cf_), sink).run();
    // Trailing spaces at the end are dropped; leading ones were never emitted.
    if (offsets) offsets->push_back(static_cast<uint32_t>(text.size()));
}

NormalizedText Normalizer::normalize(std::string_view text) const {
    NormalizedText r;
    run(text, r.text, &r.source_offsets);
    return r;
}

void Normalizer::normalize_batch(std::size_t n, const std::string_view* texts, NormalizedText* out) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = normalize(texts[i]);
}

std::string Normalizer::normalize_text(std::string_view text) const {
    std::string out;
    run(text, out, nullptr);
    return out;
}

}  // namespace doppel
