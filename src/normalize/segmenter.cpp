#include "doppel/normalize/segmenter.h"

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>

#include <span>

#include "doppel/error.h"
#include "impl/string_memo.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

bool is_space_byte(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Scripts written without spaces between words, handled by ICU's dictionary break iterator.
bool needs_dictionary(char32_t c) {
    if (c < 0x0E00) return false;
    UErrorCode st = U_ZERO_ERROR;
    const UScriptCode s = uscript_getScript(static_cast<UChar32>(c), &st);
    return s == USCRIPT_HAN || s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || s == USCRIPT_THAI ||
           s == USCRIPT_LAO || s == USCRIPT_KHMER || s == USCRIPT_MYANMAR;
}

bool is_word_char(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    const auto cat = U_GET_GC_MASK(static_cast<UChar32>(c));
    return (cat & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK | U_GC_NL_MASK)) != 0;
}

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }

void trim(std::string_view text, uint32_t& b, uint32_t& e) {
    while (b < e && (is_space_byte(text[b]) || text[b] == '\n')) ++b;
    while (e > b && (is_space_byte(text[e - 1]) || text[e - 1] == '\n')) --e;
}

}  // namespace

struct Segmenter::Impl {
    std::map<std::string, std::unique_ptr<icu::BreakIterator>> sentence_iters;
    std::unique_ptr<icu::BreakIterator> word_iter;

    icu::BreakIterator* sentence_iter(const std::string& lang) {
        auto& it = sentence_iters[lang];
        if (!it) {
            UErrorCode st = U_ZERO_ERROR;
            it.reset(icu::BreakIterator::createSentenceInstance(
                lang.empty() ? icu::Locale::getRoot() : icu::Locale(lang.c_str()), st));
            if (U_FAILURE(st)) DOPPEL_THROW(kIcu, std::string("ICU sentence iterator: ") + u_errorName(st));
        }
        return it.get();
    }
    icu::BreakIterator* words() {
        if (!word_iter) {
            UErrorCode st = U_ZERO_ERROR;
            word_iter.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), st));
            if (U_FAILURE(st)) DOPPEL_THROW(kIcu, std::string("ICU word iterator: ") + u_errorName(st));
        }
        return word_iter.get();
    }

    // The words of a run of dictionary script, text[begin, end), appended to out.
    void dictionary_words(std::string_view text, std::size_t begin, std::size_t end, std::vector<Span>& out);
    // What ICU's dictionary found in runs read before, per run: a pure function of the run's
    // text, which the iterator is given alone. Runs repeat: the shingler segments a document of
    // Chinese or Japanese twice (once to find it is written without spaces, then for its
    // character shingles), and feeds repeat their lines; the dictionary is most of the time of
    // segmenting such text. Each run's words (offsets from its start) are a run of run_words,
    // kept until the memo starts afresh.
    impl::TextMemo<std::span<const Span>> runs{4096, std::size_t(4) << 20};
    impl::Arena<Span> run_words;
    std::vector<Span> found;  // dictionary_words()' buffer: a run's words as ICU gives them
};

void Segmenter::Impl::dictionary_words(std::string_view text, std::size_t begin, std::size_t end,
                                       std::vector<Span>& out) {
    const std::string_view run = text.substr(begin, end - begin);
    const auto append = [&](std::span<const Span> words) {
        for (const Span& w : words)
            out.push_back({static_cast<uint32_t>(begin + w.begin), static_cast<uint32_t>(begin + w.end)});
    };
    if (const std::span<const Span>* known = runs.find(run)) {
        append(*known);
        return;
    }
    found.clear();
    icu::BreakIterator* it = words();
    UErrorCode st = U_ZERO_ERROR;
    UText* ut = utext_openUTF8(nullptr, run.data(), static_cast<int64_t>(run.size()), &st);
    if (U_FAILURE(st)) DOPPEL_THROW(kIcu, std::string("ICU utext: ") + u_errorName(st));
    it->setText(ut, st);
    int32_t prev = it->first();
    for (int32_t pos = it->next(); pos != icu::BreakIterator::DONE; pos = it->next()) {
        if (it->getRuleStatus() != UBRK_WORD_NONE)
            found.push_back({static_cast<uint32_t>(prev), static_cast<uint32_t>(pos)});
        prev = pos;
    }
    utext_close(ut);
    append(found);
    // Kept for the next time; the words go with the memo when it starts afresh.
    const std::size_t restarts = runs.restarts();
    std::span<const Span>* kept = runs.keep(run, {}, found.size() * sizeof(Span));
    if (!kept) return;
    if (runs.restarts() != restarts) run_words.clear();
    *kept = run_words.add(found);
}

Segmenter::Segmenter() : impl_(std::make_unique<Impl>()) {}
Segmenter::~Segmenter() = default;

std::vector<Span> Segmenter::paragraphs(std::string_view text) {
    std::vector<Span> out;
    uint32_t start = 0;
    const auto n = static_cast<uint32_t>(text.size());
    for (uint32_t i = 0; i <= n; ++i) {
        if (i == n || text[i] == '\n') {
            uint32_t b = start, e = i;
            trim(text, b, e);
            if (b < e) out.push_back({b, e});
            start = i + 1;
        }
    }
    return out;
}

std::vector<Span> Segmenter::sentences(std::string_view text, const std::string& lang) {
    std::vector<Span> out;
    icu::BreakIterator* it = impl_->sentence_iter(lang);
    for (const Span& p : paragraphs(text)) {
        UErrorCode st = U_ZERO_ERROR;
        UText* ut = utext_openUTF8(nullptr, text.data() + p.begin, p.size(), &st);
        if (U_FAILURE(st)) DOPPEL_THROW(kIcu, std::string("ICU utext: ") + u_errorName(st));
        it->setText(ut, st);
        int32_t prev = it->first();
        for (int32_t pos = it->next(); pos != icu::BreakIterator::DONE; pos = it->next()) {
            uint32_t b = p.begin + static_cast<uint32_t>(prev), e = p.begin + static_cast<uint32_t>(pos);
            trim(text, b, e);
            if (b < e) out.push_back({b, e});
            prev = pos;
        }
        utext_close(ut);
    }
    return out;
}

std::vector<Span> Segmenter::words(std::string_view text) {
    std::vector<Span> out;
    words(text, &out);
    return out;
}

void Segmenter::words(std::string_view text, std::vector<Span>* out_spans) {
    std::vector<Span>& out = *out_spans;
    out.clear();
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        std::size_t j = i;
        const char32_t c = impl::next_code_point(text, j);
        if (!is_word_char(c)) {
            i = j;
            continue;
        }
        if (needs_dictionary(c)) {
            // Collect the run of dictionary-script (and mark) characters; let ICU split it.
            std::size_t e = j;
            while (e < n) {
                std::size_t k = e;
                const char32_t d = impl::next_code_point(text, k);
                if (!(needs_dictionary(d) || (U_GET_GC_MASK(static_cast<UChar32>(d)) & U_GC_M_MASK))) break;
                e = k;
            }
            impl_->dictionary_words(text, i, e, out);
            i = e;
            continue;
        }
        // A run of word characters; '.' or ',' between digits and an apostrophe between letters
        // stay inside.
        std::size_t e = j;
        char32_t last = c;
        while (e < n) {
            std::size_t k = e;
            const char32_t d = impl::next_code_point(text, k);
            if (is_word_char(d) && !needs_dictionary(d)) {
                last = d;
                e = k;
                continue;
            }
            if ((d == '.' || d == ',') && is_digit(last) && k < n && is_digit(static_cast<unsigned char>(text[k]))) {
                e = k;
                continue;
            }
            if ((d == '\'' || d == 0x2019) && !is_digit(last) && k < n) {
                std::size_t m = k;
                const char32_t after = impl::next_code_point(text, m);
                if (is_word_char(after) && !is_digit(after) && !needs_dictionary(after)) {
                    e = k;
                    continue;
                }
            }
            break;
        }
        out.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(e)});
        i = e;
    }
}

}  // namespace doppel
