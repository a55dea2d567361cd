// doppel: building the bridge lexicon (embed/bridge_lexicon.h) from extracted dictionary entries.
//
// An *entry* is one translation read from a dictionary: a phrase of some language, an English
// phrase it translates to, and a weight (how much this translation counts: scripts/build-bridge
// gives a dictionary's first translation of a headword 1, its r-th 1 / (1 + r / 2), a lemma pair
// 1 and a display name 2). Extracting entries from the packages is the script's job; everything
// that decides what the lexicon holds is done here, with the rules used at lookup:
//
//  - keys: the phrase normalized by the Normalizer (Chinese then written in Simplified
//    characters, as BridgeEmbedder looks Chinese up), split into words by the Segmenter (ICU
//    dictionary breaks for Han, kana, Thai, ...), then BridgeLexicon::make_key (stemmed words,
//    CJK words joined without a space). A phrase of more than BridgeLexicon::kMaxKeyWords words
//    gives no key (lookup could never find it), nor does a key of one non-CJK character;
//  - concepts: the English phrase normalized and split the same way, stop words and numbers
//    dropped; a phrase of more than max_english_words content words gives none; each content
//    word of two or more characters stemmed with the English stemmer is one concept. An entry
//    adds weight / n to each of its n concepts under its key;
//  - Vietnamese: a phrase led by a nominalizer or classifier ("sự giúp đỡ", the particle written
//    in composed form, as matched) also gives the rest ("giúp đỡ", weight x 0.8); a compound of 2
//    or 3 syllables with weight >= 0.3 also gives each syllable that is not such a particle
//    alone (weight x 0.25);
//  - Korean loanwords (embed/bridge_lexicon.h, BridgeLexicon::kKoreanLoanwords): an entry whose
//    English phrase is one content word, not capitalized (names), adds its weight to that word's
//    concept under the word's english_loanword_key (normalize/text_keys.h), whatever the phrase
//    gave (these keys count for no concept's prior below);
//  - ranking: a key keeps its max_concepts concepts (a loanword key its loanword_concepts) of highest weight x (1 + prior x ln(1 + the
//    number of keys, over all languages, that reach the concept)), ties by name: a word listed
//    late among the translations of a common English word would otherwise lose its place to
//    rare words that list it first.
//
// Entries files (read_lexicon_entries): UTF-8 text, first line "#doppel-lexicon-entries 1", then
// one entry a line, fields separated by tabs:
//     lang  phrase  english  weight  [max_concepts]
// lang is an ISO 639 code; weight a positive decimal number; max_concepts (optional, default 0
// = no limit) drops the entry when its English phrase gives more concepts than that. Empty
// lines and lines starting with '#' are skipped. A bad line is reported as a RecordError
// ("PATH:LINE: reason") and skipped.
//
// Usage:
//   LexiconBuilder builder;                       // or LexiconBuilderOptions::parse_spec(spec)
//   std::vector<RecordError> errors;              // bad lines, "PATH:LINE: reason"
//   read_lexicon_entries("entries.tsv", [&](std::span<const LexiconEntry> batch) { builder.add(batch); }, errors);
//   LexiconBuildSummary s = builder.write("models/bridge.lex", R"({"fingerprint": "...", "inputs": [...]})");
//
// Thread safety: a LexiconBuilder is not safe for concurrent use; add() itself works on several
// threads (options.threads). Memory: the table of keys and concept weights (about 0.6 GB for the
// full lexicon's 6.3 million entries; about 30 s on 2 cores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "doppel/error.h"

namespace doppel {
class BridgeLexicon;
}

namespace doppel {

struct LexiconEntry {
    std::string lang;              // ISO 639 code of `phrase` ("de", "vi")
    std::string phrase;            // a word or phrase of `lang`, as the dictionary writes it
    std::string english;           // an English translation of it
    double weight = 1.0;           // how much this translation counts (> 0)
    std::size_t max_concepts = 0;  // drop the entry when `english` gives more concepts (0: no limit)
};

// Spec string: "lexicon:max_concepts=8,prior=0.5,max_english_words=3,loanword_concepts=16"
// (describe() gives it back).
struct LexiconBuilderOptions {
    // key                default  meaning
    // max_concepts       8        concepts kept per key, best first
    // prior              0.5      weight of the common-concept prior (see the ranking above)
    // max_english_words  3        an English phrase with more content words gives no concept
    // loanword_concepts  16       concepts kept per Korean loanword key (0: no loanword table)
    // threads            0        (not in the spec) threads for add(); 0: the hardware's
    std::size_t max_concepts = 8;
    double prior = 0.5;
    std::size_t max_english_words = 3;
    std::size_t loanword_concepts = 16;
    std::size_t threads = 0;

    static LexiconBuilderOptions parse_spec(const std::string& spec);
    std::string describe() const;
};

// What write() wrote.
struct LexiconBuildSummary {
    std::size_t keys = 0;
    std::size_t concepts = 0;
    std::map<std::string, std::size_t> keys_per_language;
};

class LexiconBuilder {
public:
    static constexpr const char* kName = "lexicon";
    // The version of the rules above: bump it when a change makes the same entries give another
    // lexicon (scripts/build-bridge rebuilds when describe() changes).
    static constexpr uint32_t kRulesVersion = 3;

    explicit LexiconBuilder(LexiconBuilderOptions options = {});
    ~LexiconBuilder();
    LexiconBuilder(const LexiconBuilder&) = delete;
    LexiconBuilder& operator=(const LexiconBuilder&) = delete;

    // Adds a batch of entries (order matters only for floating-point sums, as in any batch
    // split). Entries that give no key or no concept are counted in entries_unused().
    void add(std::span<const LexiconEntry> entries);
    std::size_t entries_added() const;
    std::size_t entries_unused() const;

    // Writes the lexicon file (BridgeLexicon's format, version BridgeLexicon::kFormatVersion)
    // through a temporary file renamed into place. `header_json` is a JSON object from the
    // extractor (its "inputs" with versions and sha256, its "fingerprint"); the builder adds
    // "format", "builder", "keys_per_language", "concepts" and "max_concepts_per_key". Throws
    // doppel::Error (kBadFormat for a header that is not a JSON object, kIo).
    LexiconBuildSummary write(const std::string& path, const std::string& header_json = "{}") const;

    // The key a phrase of `lang` gets (as the embedder looks it up); empty when it gives none.
    std::string key_of(const std::string& lang, const std::string& phrase) const;

    // The options' spec, the rules version and the text rules it uses, e.g.
    // "lexicon:max_concepts=8,prior=0.5,max_english_words=3 rules=1 normalizer=icu:... icu=74.2".
    std::string describe() const;
    const LexiconBuilderOptions& options() const { return options_; }

private:
    struct Impl;
    LexiconBuilderOptions options_;
    std::unique_ptr<Impl> impl_;
};

// Reads an entries file (format above) in batches of `batch` entries, calling `sink` for each;
// bad lines go to `errors` and are skipped. Returns the number of entries read. Throws
// doppel::Error when the file cannot be opened (kIo) or lacks the first line (kBadFormat,
// kVersion for another version).
std::size_t read_lexicon_entries(const std::string& path,
                                 const std::function<void(std::span<const LexiconEntry>)>& sink,
                                 std::vector<RecordError>& errors, std::size_t batch = 1 << 16);

// Coverage of a language's text by a lexicon: the share of its content words that a lexicon
// phrase of that language covers, the words read as BridgeEmbedder reads them (normalized,
// Chinese in Simplified characters, split by the Segmenter, greedy longest match of
// BridgeLexicon::match). Content words: words of two or more characters (any CJK word) that are
// not numbers. Words the language's entries miss count as covered when its fallback_language's
// entries have them (one word at a time: the embedder also matches the relative's phrases), and
// a Korean word when the loanword table has it (BridgeLexicon::lookup_korean_loanword).
struct LexiconCoverage {
    std::size_t words = 0;    // content words seen
    std::size_t covered = 0;  // of them, covered by a lexicon phrase
    double share() const { return words ? static_cast<double>(covered) / static_cast<double>(words) : 0.0; }
};

// Counts coverage text by text. Not thread-safe (one per thread); the lexicon must outlive it.
class LexiconCoverageCounter {
public:
    explicit LexiconCoverageCounter(const BridgeLexicon& lexicon);
    ~LexiconCoverageCounter();
    // Adds the content words of `text`, of language `lang`, to `into`.
    void add(const std::string& lang, std::string_view text, LexiconCoverage& into);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
