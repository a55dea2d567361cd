// doppel: the cross-language bridge lexicon (models/bridge.lex, written by LexiconBuilder,
// embed/lexicon_builder.h, from the dictionary entries scripts/build-bridge extracts).
//
// The lexicon maps words and short phrases of about 40 languages to English *concepts*: a
// concept is an English word stemmed with Snowball's English stemmer ("meet" for "meeting"), so
// a German "Sitzung" and an Arabic "اجتماع" both reach "meet" and "session". Texts in different
// languages become comparable by the concepts they reach (embed/bridge_embedder.h).
//
// A *key* is a phrase of one language as doppel's Normalizer gives it (NFKC case-folded, ASCII
// digits, Arabic letter forms unified), split into words as the Segmenter does, each word
// stemmed with the language's Snowball stemmer (normalize/stemmer.h) where there is one; words
// are joined by one space, except that two adjacent CJK words (Han, kana, Thai, ...) are joined
// with nothing. Keys have at most kMaxKeyWords words. make_key() builds one; LexiconBuilder
// builds every key of the file with it, from words split by the Segmenter, so lookup finds them.
//
// Korean loanwords: English words written in Hangul (마우스 "mouse", 서버 "server") are in no
// dictionary here. The lexicon keeps them as a table of its own, language kKoreanLoanwords:
// each English headword of one content word (the English side of every entry) under its
// english_loanword_key (normalize/text_keys.h), reaching its own concept, weighed by the entries
// it occurs in (common words first). A Hangul word is looked up by its hangul_loanword_key.
// English text is read as before: nothing is added to English documents.
//
// The data comes from FreeDict dictionaries (Debian dict-freedict-*), the English-Vietnamese
// dictionary of npm tratu@2.2.0, ICU display names (countries, languages, months, weekdays),
// iso-codes and libgeonames-common catalogs; header_json() records each input's version and
// sha256.
//
// File format (little-endian): magic "DPBL", uint32 format version (kFormatVersion), uint32
// header length, JSON header (space-padded to a multiple of 4 bytes; every byte block below is
// NUL-padded likewise, so tables are 4-byte aligned); uint32 n_concepts, uint32 offsets[n_concepts + 1],
// concept bytes; uint32 n_keys, uint32 key_offsets[n_keys + 1], key bytes ("lang\tkey", sorted bytewise);
// uint32 value_offsets[n_keys + 1], uint32 values[] (concept ids, most frequent translation
// first). Loading maps the file read-only (pages are read as they are touched), checks the
// header and that each table fits in the file, and builds nothing: lookups binary-search the
// keys, and each offset and concept id is checked where it is read (a damaged one throws
// kBadFormat from that look-up).
//
// Thread safety: a BridgeLexicon is immutable after loading; all const methods may be called
// from many threads at once (each thread with its own Stemmer).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "doppel/normalize/stemmer.h"

namespace doppel {

namespace lexicon_detail {
class BlockReader;  // bridge_lexicon.cpp: reads a lexicon file's parts in order
}

// One phrase of a text found in the lexicon: words [first, first + count) reach `concepts`.
struct LexiconMatch {
    uint32_t first = 0;
    uint32_t count = 0;
    std::span<const uint32_t> concepts;  // points into the lexicon
};

class BridgeLexicon {
public:
    static constexpr char kMagic[4] = {'D', 'P', 'B', 'L'};
    static constexpr uint32_t kFormatVersion = 1;
    static constexpr int kMaxKeyWords = 4;
    // The language code of the Korean loanword table (see above), and the fewest consonant
    // classes of a key in it (loanword_key_consonants: one class would join unrelated words).
    static constexpr std::string_view kKoreanLoanwords = "ko-x-loan";
    static constexpr std::size_t kMinLoanwordConsonants = 2;

    // Loads a lexicon file. Throws doppel::Error if it is missing, truncated, not a bridge
    // lexicon (magic) or of another format version; a damaged offset or concept id inside a
    // table is found by the look-ups that read it (kBadFormat from them).
    explicit BridgeLexicon(const std::string& path);
    BridgeLexicon(const BridgeLexicon&) = delete;
    BridgeLexicon& operator=(const BridgeLexicon&) = delete;

    // Concept ids of a key (make_key) in `lang`; empty when the key is not in the lexicon.
    std::span<const uint32_t> lookup(std::string_view lang, std::string_view key) const;
    // Concept ids of one normalized word (stemmed here).
    std::span<const uint32_t> lookup_word(std::string_view lang, std::string_view word,
                                          Stemmer& stemmer) const;
    // Concept ids of the English loanword a normalized, stemmed Korean word may be (its
    // hangul_loanword_key in the kKoreanLoanwords table; when that has none, the key of the word
    // with a particle stripped down to one syllable: 셀을 -> 셀); empty when it is not all Hangul,
    // its key has fewer than kMinLoanwordConsonants classes or no English word has it.
    // Of the key's English words, those whose vowels agree most (loanword_vowel_agreement) are
    // kept, at most kMaxLoanwordConcepts, in the table's order.
    std::vector<uint32_t> lookup_korean_loanword(std::string_view hangul_word) const;
    static constexpr std::size_t kMaxLoanwordConcepts = 2;
    // What match() computes of one word of a language: its part of a key (its stem, or the word in a
    // CJK script) and the range of keys that begin with it, kept per (language, word) for the words
    // a thread matches again (words repeat across paragraphs and documents). A function of the
    // word and the lexicon it was filled from: use a memo with one lexicon only. At most kMaxWords
    // words, then it starts afresh. Thread safety: one thread at a time.
    class WordMemo {
    public:
        static constexpr std::size_t kMaxWords = 1 << 17;
        WordMemo();
        ~WordMemo();
        WordMemo(WordMemo&&) noexcept;
        WordMemo& operator=(WordMemo&&) noexcept;

    private:
        friend class BridgeLexicon;
        struct Word {
            std::string part;
            std::size_t keys_begin = 0, keys_end = 0;
            bool starts_cjk = false, ends_cjk = false;
        };
        struct Words;  // "lang\0word" -> Word
        std::unique_ptr<Words> words_;
        std::string key_;
        // The keys of each language met ("lang\t" prefix ranges: a search of the whole lexicon).
        std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>> languages_;
    };
    // Greedy longest match of a sequence of normalized words of `lang` against the keys: at
    // each position the longest phrase (up to kMaxKeyWords words) found wins; words found in no
    // key are skipped. Matches come in text order and do not overlap.
    // With a memo (WordMemo) the words' stems and key ranges found before are taken from it; the
    // matches are the same.
    std::vector<LexiconMatch> match(std::string_view lang, std::span<const std::string_view> words,
                                    Stemmer& stemmer, WordMemo* memo = nullptr) const;

    // The key of normalized words of `lang` (stemmed, joined as described above).
    static std::string make_key(std::string_view lang, std::span<const std::string_view> words,
                                Stemmer& stemmer);

    std::string_view concept_name(uint32_t id) const;  // the English stem
    std::size_t concept_count() const { return n_concepts_; }
    std::size_t key_count() const { return n_keys_; }
    // True when the lexicon has keys of `lang`.
    bool has_language(std::string_view lang) const;
    // The JSON header: inputs with versions and sha256, keys per language, build fingerprint.
    const std::string& header_json() const { return header_; }
    const std::string& path() const { return path_; }
    // "bridge.lex:v1:<first 12 hex digits of the fingerprint>"
    std::string describe() const;

private:
    using KeyRange = std::pair<std::size_t, std::size_t>;  // keys [first, second)
    std::string_view key_at(std::size_t i) const;
    std::span<const uint32_t> concepts_at(std::size_t i) const;  // of key i
    // The first key in `[lo, hi)` not below `key`.
    std::size_t lower_bound(std::string_view key, std::size_t lo, std::size_t hi) const;
    // The keys within `within` that begin with `prefix`.
    KeyRange prefix_range(std::string_view prefix, KeyRange within) const;
    // The keys that begin with `prefix` ("lang\t"), kept in `memo` (when given) per language.
    KeyRange language_range(std::string_view prefix, WordMemo* memo) const;
    // The concepts of a whole key ("lang\tkey") if it is within `within`.
    std::span<const uint32_t> concepts_of(std::string_view full_key, KeyRange within) const;
    // match()'s longest phrase at the start of `read` (words as read_word() read them): its
    // length in words (0: none) and concepts.
    std::pair<std::size_t, std::span<const uint32_t>> longest_phrase(
        std::span<const WordMemo::Word* const> read, std::string& key, std::size_t head) const;
    // Word `word` of `lang` as match() reads it; `language`: the keys of `lang`.
    WordMemo::Word read_word(std::string_view lang, std::string_view word, KeyRange language, Stemmer& stemmer) const;
    // The constructor's part: the file's magic, version and JSON header.
    void read_header(lexicon_detail::BlockReader& in);
    // Throws kBadFormat: the file is damaged (`what`), found by a look-up.
    [[noreturn]] void damaged(const char* what) const;
    std::string where() const;  // "bridge lexicon PATH: ", every error's beginning
    std::string path_, header_, fingerprint_;
    std::shared_ptr<const void> mapping_;  // the file, mapped read-only (impl/mapped_file.h)
    std::string_view data_;
    const uint32_t* concept_offsets_ = nullptr;
    const char* concept_bytes_ = nullptr;
    const uint32_t* key_offsets_ = nullptr;
    const char* key_bytes_ = nullptr;
    const uint32_t* value_offsets_ = nullptr;
    const uint32_t* values_ = nullptr;
    std::size_t n_concepts_ = 0, n_keys_ = 0;
};

// True when the first code point of a UTF-8 word belongs to a script written without spaces
// (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar).
bool is_cjk_word(std::string_view word);

// A closely related language whose lexicon entries serve words a language's own entries miss
// (languages with few or no dictionary entries of their own: Ukrainian -> Russian, Norwegian
// Bokmål -> Norwegian, ...), or nullptr. BridgeEmbedder looks those words up there.
const char* fallback_language(std::string_view lang);

}  // namespace doppel
