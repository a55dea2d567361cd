// doppel: language identification with fastText's lid.176 model.
//
// identify() gives the most probable language of a text as an ISO 639-1 code where one exists
// (fastText's label without "__label__": "en", "vi", "ar", "zh", "ceb") and its probability.
// analyze() labels a document and each of its paragraphs; lines too short to be identified
// reliably (lid.176 calls "Comment (0)" French) take the document's language instead.
//
// Short texts: on a UI string or a one-line paragraph lid.176's top label is often a rare
// relative or a neighbour (Asturian for Spanish, Cebuano, Wu Chinese, "sh" for Croatian). A
// document's top label is trusted when the document has at least short_letters letters and the
// label at least min_doc_confidence; otherwise the label is chosen among the likely languages
// (choose()): the languages that are the model's top label (AnalyzedDocument::lang_top) of at
// least likely_docs documents and likely_share of them (likely_languages()), and the fixed
// `likely` list; the
// record's own "lang" (Document::lang_hint) decides alone when it or a relative is among the
// top labels. The model's top max_labels probabilities are restricted to that
// set and renormalised; a label outside it counts for a likely member of its family
// (langid/language_relatives.h: Occitan for Catalan). When none of the likely languages is
// among them, or the best has less than min_likely_ratio of the top label's probability, the
// top label stays (a text that is plainly of another language).
//
// The rule is a function of the set of documents, not of their order: the likely languages are
// counted from top labels (each a function of one text), and a document decided by the fallback
// keeps what it was decided from (AnalyzedDocument::lang_scores, encode_language_scores()) so
// that it can be decided again (choose_stored()) when the set changes. `doppel index` settles
// every such document at the end of a run (ops/indexer.h); a pool-wide pass elsewhere does the
// same: count lang_top over the pool, likely_languages(counts), then choose_stored() for every
// document with lang_scores and analyze(doc, guess) the ones whose guess changed.
//
// Spec string (describe(), parse_spec()):
//   "fasttext:lid.176,min_letters=20,min_confidence=0.5,short_letters=100,min_doc_confidence=0.9,
//    likely_docs=5,likely_share=0,min_likely_ratio=0.1,likely=,hint=1,max_labels=20"
// The model file is passed explicitly; the library never looks for it.
//
// Thread safety: after construction, identify() and analyze() are const and may be called from
// many threads at once.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"

namespace doppel {

struct LanguageGuess {
    std::string lang;       // "" when the text holds nothing to identify
    float confidence = 0;   // probability in [0, 1]
};

// Every text's top labels, best first, and its count of letters: what choose() decides from.
struct LanguageScores {
    std::vector<LanguageGuess> labels;  // at most max_labels, probabilities in [0, 1]
    std::size_t letters = 0;
};

struct LanguageIdOptions {                // spec key     default  meaning
    int min_paragraph_letters = 20;       // min_letters      20   a paragraph with fewer letters
                                          //                       inherits the document's language
    float min_paragraph_confidence = 0.5f;// min_confidence  0.5   a paragraph guessed below this
                                          //                       inherits the document's language
    std::size_t short_letters = 100;      // short_letters   100   a document with fewer letters is
                                          //                       short: its top label not trusted
    float min_doc_confidence = 0.9f;      // min_doc_confidence 0.9  a top label below this is not
                                          //                       trusted
    std::size_t likely_docs = 5;          // likely_docs       5   documents a language needs in
                                          //                       the store and batch to be likely
                                          //                       (0: none from there)
    float likely_share = 0.0f;            // likely_share      0   and this share of their documents
    float min_likely_ratio = 0.1f;        // min_likely_ratio 0.1  the best likely language needs this
                                          //                       share of the top label's probability
    std::vector<std::string> likely;      // likely           ""   languages always likely,
                                          //                       '+'-separated ("en+de")
    bool use_hint = true;                 // hint              1   the record's "lang" is likely
    std::size_t max_labels = 20;          // max_labels       20   labels of the model considered

    // "fasttext:lid.176,key=value,..." (keys above; missing keys keep their defaults). Throws
    // doppel::Error (kBadSpec) on another name, an unknown key or a bad value.
    static LanguageIdOptions parse_spec(const std::string& spec);
    std::string describe() const;  // parse_spec(describe()) gives these options back
};

// A document's main language is identified from its first kLanguageSampleBytes (cut at a line
// end): enough for a reliable guess, and bounded for huge documents.
inline constexpr std::size_t kLanguageSampleBytes = 64 * 1024;
// The part of `text` its main language is identified from: all of it up to
// kLanguageSampleBytes, else its beginning up to the last line end within them (or exactly
// kLanguageSampleBytes when there is none), never cutting a UTF-8 sequence.
std::string_view language_sample(std::string_view text);

// A text longer than this is read by read_documents() in parts of about this size, each on
// whichever thread is free (a 2 MB licence bundle otherwise keeps one core busy alone).
inline constexpr std::size_t kLanguagePartBytes = 256 * 1024;

// What a fallback decision is made from, as AnalyzedDocument::lang_scores keeps it: the labels,
// the letters and the record's lang hint (JSON; probabilities round-trip exactly). "" for a text
// without labels. decode_language_scores() reads it back; throws doppel::Error (kBadFormat) on
// anything else.
std::string encode_language_scores(const LanguageScores& scores, std::string_view hint);
LanguageScores decode_language_scores(std::string_view encoded, std::string* hint);

// What analyze() reads from a document's text (LanguageIdentifier::read_document): the scores of
// its sample (score_document()) and the model's top label of each paragraph (identify()), "" for
// a paragraph with fewer than min_paragraph_letters letters. A function of the text alone.
struct DocumentLanguageEvidence {
    LanguageScores scores;
    std::vector<Span> paragraphs;          // Segmenter::paragraphs(text)
    std::vector<LanguageGuess> guesses;    // per paragraph
};

class LanguageIdentifier {
public:
    // Loads a fastText model (lid.176.ftz or lid.176.bin). Throws doppel::Error if the file is
    // missing or not a fastText model.
    explicit LanguageIdentifier(const std::string& model_path, LanguageIdOptions options = {});
    ~LanguageIdentifier();
    LanguageIdentifier(const LanguageIdentifier&) = delete;
    LanguageIdentifier& operator=(const LanguageIdentifier&) = delete;

    // The model's top label of a text (no fallback).
    LanguageGuess identify(std::string_view text) const;
    // The main language of a whole document: identify(language_sample(text)).
    LanguageGuess identify_document(std::string_view text) const { return identify(language_sample(text)); }
    void identify_batch(std::size_t n, const std::string_view* texts, LanguageGuess* out) const;

    // The top max_labels labels of a text, and its letters; score_document() of its sample.
    LanguageScores score(std::string_view text) const;
    LanguageScores score_document(std::string_view text) const { return score(language_sample(text)); }
    // Whether a text's top label is taken as it is (enough letters and confidence).
    bool trusted(const LanguageScores& scores) const;
    // The language of a text: the top label when trusted, else the best of `likely` (with the
    // options' list and `hint`, when hint is on), renormalised (see the top of this file).
    LanguageGuess choose(const LanguageScores& scores, const std::vector<std::string>& likely,
                         std::string_view hint = {}) const;
    // Decides again from what a fallback decision was made from (AnalyzedDocument::lang_scores):
    // choose(its scores, likely, its hint). Throws doppel::Error (kBadFormat) on a bad encoding.
    LanguageGuess choose_stored(std::string_view lang_scores, const std::vector<std::string>& likely) const;
    // The likely languages of a set of documents: those with at least likely_docs documents and
    // likely_share of all documents in `counts` (documents per language: the model's top labels,
    // AnalyzedDocument::lang_top, of the store's documents and the batch's), sorted.
    std::vector<std::string> likely_languages(const std::map<std::string, std::size_t>& counts) const;

    // Sets doc->lang, doc->lang_confidence, doc->paragraphs (with languages),
    // doc->other_languages, doc->lang_top and doc->lang_scores from doc->doc.text; the document's
    // language is choose()n among `likely` (and the options' list and hint).
    void analyze(AnalyzedDocument* doc, const std::vector<std::string>& likely = {}) const;
    // The evidence analyze() decides from: the sample's tokens read once (each token's model
    // input looked up once for the sample and its paragraphs), and only the paragraphs past it
    // that no earlier text had (a per-thread memo of paragraph guesses) read on their own.
    DocumentLanguageEvidence read_document(std::string_view text) const;
    // read_document() of each of texts[0, n) into out[0, n), on all cores. A text longer than
    // kLanguagePartBytes is read in parts taken by different threads (its sample's scores, then
    // runs of its paragraphs of about kLanguagePartBytes each), so that one long document does not
    // hold a batch up while the other cores wait; the evidence is the same bit for bit (a
    // paragraph's guess and the sample's scores are functions of their own text). The largest
    // parts are taken first.
    void read_documents(std::size_t n, const std::string_view* texts, DocumentLanguageEvidence* out) const;
    // The same from the document's read_document() computed already.
    void analyze(AnalyzedDocument* doc, const DocumentLanguageEvidence& evidence,
                 const std::vector<std::string>& likely) const;
    // What analyze() set in `from` (every field but doc and content_hash) copied into `to`: the
    // analysis of a copy of from's text with the same hint, made among the same likely languages.
    static void copy_analysis(const AnalyzedDocument& from, AnalyzedDocument* to);
    // The same with the document's language given (choose()n by the caller from score_document());
    // sets neither lang_top nor lang_scores.
    void analyze(AnalyzedDocument* doc, const LanguageGuess& whole) const;

    // Lets go of the per-thread memos the calls above keep (each token's model input, the guesses
    // of paragraphs and the evidence of documents read before: tens of MB once a few MB of text
    // are read). They only spare work on text that repeats; the next call makes them again.
    // Memos lent to a call in progress on another thread are kept.
    void release_caches() const;

    // "fasttext:lid.176,min_letters=20,...": the model and the rules (LanguageIdOptions::describe).
    std::string describe() const { return options_.describe(); }
    const LanguageIdOptions& options() const { return options_; }
    const std::string& model_path() const { return model_path_; }

private:
    void assign_paragraphs(AnalyzedDocument* doc, const LanguageGuess& whole, const std::vector<Span>& spans,
                           const std::vector<LanguageGuess>& guesses) const;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string model_path_;
    LanguageIdOptions options_;
};

}  // namespace doppel
