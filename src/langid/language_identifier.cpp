#include "doppel/langid/language_identifier.h"

#include <fasttext/fasttext.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "doppel/error.h"
#include "doppel/normalize/segmenter.h"
#include "impl/spec.h"
#include "impl/utf8.h"

namespace doppel {

struct LanguageIdentifier::Impl {
    fasttext::FastText model;
};

LanguageIdentifier::LanguageIdentifier(const std::string& model_path, LanguageIdOptions options)
    : impl_(std::make_unique<Impl>()), model_path_(model_path), options_(options) {
    if (!std::filesystem::exists(model_path))
        DOPPEL_THROW(kNotFound, "language model not found: " + model_path + " (run scripts/setup.sh)");
    try {
        impl_->model.loadModel(model_path);
    } catch (const std::exception& e) {
        DOPPEL_THROW(kIo, "cannot load fastText model " + model_path + ": " + e.what());
    }
}

LanguageIdentifier::~LanguageIdentifier() = default;

LanguageGuess LanguageIdentifier::identify(std::string_view text) const {
    // fastText reads one line: put the whole text on it.
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    line.push_back('\n');
    std::istringstream in(line);
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    impl_->model.predictLine(in, predictions, 1, 0.0f);
    LanguageGuess g;
    if (predictions.empty()) return g;
    std::string label = predictions[0].second;
    const std::string prefix = "__label__";
    if (label.rfind(prefix, 0) == 0) label = label.substr(prefix.size());
    g.lang = label;
    g.confidence = std::clamp(static_cast<float>(predictions[0].first), 0.0f, 1.0f);
    return g;
}

void LanguageIdentifier::identify_batch(std::size_t n, const std::string_view* texts, LanguageGuess* out) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = identify(texts[i]);
}

namespace {
int count_letters(std::string_view s) {
    int n = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const char32_t c = impl::next_code_point(s, i);
        if (u_isalpha(static_cast<UChar32>(c))) ++n;
    }
    return n;
}
}  // namespace

std::string_view language_sample(std::string_view text) {
    std::size_t cut = text.size();
    if (cut > kLanguageSampleBytes) {
        cut = text.rfind('\n', kLanguageSampleBytes);
        if (cut == std::string_view::npos || cut == 0) cut = kLanguageSampleBytes;
        while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    }
    return text.substr(0, cut);
}

void LanguageIdentifier::analyze(AnalyzedDocument* doc) const {
    const std::string& text = doc->doc.text;
    const LanguageGuess whole = identify_document(text);
    doc->lang = whole.lang;
    doc->lang_confidence = whole.confidence;
    doc->paragraphs.clear();
    doc->other_languages.clear();
    std::set<std::string> others;
    for (const Span& s : Segmenter::paragraphs(text)) {
        Paragraph p;
        p.span = s;
        const std::string_view ptext(text.data() + s.begin, s.size());
        bool inherit = count_letters(ptext) < options_.min_paragraph_letters;
        if (!inherit) {
            const LanguageGuess g = identify(ptext);
            if (g.lang.empty() || g.confidence < options_.min_paragraph_confidence) {
                inherit = true;
            } else {
                p.lang = g.lang;
                p.lang_confidence = g.confidence;
            }
        }
        if (inherit) {
            p.lang = whole.lang;
            p.lang_confidence = whole.confidence;
            p.lang_inherited = true;
        }
        if (p.lang != whole.lang) others.insert(p.lang);
        doc->paragraphs.push_back(std::move(p));
    }
    doc->other_languages.assign(others.begin(), others.end());
}

std::string LanguageIdentifier::describe() const {
    return "fasttext:lid.176,min_letters=" + std::to_string(options_.min_paragraph_letters) +
           ",min_confidence=" + impl::spec_number(options_.min_paragraph_confidence);
}

}  // namespace doppel
