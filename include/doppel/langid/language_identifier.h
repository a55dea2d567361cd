// doppel: language identification with fastText's lid.176 model.
//
// identify() gives the most probable language of a text as an ISO 639-1 code where one exists
// (fastText's label without "__label__": "en", "vi", "ar", "zh", "ceb") and its probability.
// analyze_paragraphs() labels a document and each of its paragraphs; lines too short to be
// identified reliably (lid.176 calls "Comment (0)" French) take the document's language instead.
//
// Spec string: "fasttext:lid.176,min_letters=20,min_confidence=0.5" (describe()); the model file is passed explicitly, the library
// never looks for it.
//
// Thread safety: after construction, identify() and analyze() are const and may be called from
// many threads at once.
#pragma once

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

struct LanguageIdOptions {
    // A paragraph with fewer letters than this inherits the document's language.
    int min_paragraph_letters = 20;
    // A paragraph whose best guess is below this probability inherits the document's language.
    float min_paragraph_confidence = 0.5f;
};

// A document's main language is identified from its first kLanguageSampleBytes (cut at a line
// end): enough for a reliable guess, and bounded for huge documents.
inline constexpr std::size_t kLanguageSampleBytes = 64 * 1024;
// The part of `text` its main language is identified from: all of it up to
// kLanguageSampleBytes, else its beginning up to the last line end within them (or exactly
// kLanguageSampleBytes when there is none), never cutting a UTF-8 sequence.
std::string_view language_sample(std::string_view text);

class LanguageIdentifier {
public:
    // Loads a fastText model (lid.176.ftz or lid.176.bin). Throws doppel::Error if the file is
    // missing or not a fastText model.
    explicit LanguageIdentifier(const std::string& model_path, LanguageIdOptions options = {});
    ~LanguageIdentifier();
    LanguageIdentifier(const LanguageIdentifier&) = delete;
    LanguageIdentifier& operator=(const LanguageIdentifier&) = delete;

    LanguageGuess identify(std::string_view text) const;
    // The main language of a whole document: identify(language_sample(text)).
    LanguageGuess identify_document(std::string_view text) const { return identify(language_sample(text)); }
    void identify_batch(std::size_t n, const std::string_view* texts, LanguageGuess* out) const;

    // Sets doc->lang, doc->lang_confidence, doc->paragraphs (with languages) and
    // doc->other_languages from doc->doc.text.
    void analyze(AnalyzedDocument* doc) const;

    // "fasttext:lid.176,min_letters=20,min_confidence=0.5": the model and the paragraph rules.
    std::string describe() const;
    const std::string& model_path() const { return model_path_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string model_path_;
    LanguageIdOptions options_;
};

}  // namespace doppel
