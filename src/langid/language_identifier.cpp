#include "doppel/langid/language_identifier.h"

#include <fasttext/fasttext.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "doppel/error.h"
#include "doppel/langid/language_relatives.h"
#include "doppel/langid/script_evidence.h"
#include "doppel/normalize/segmenter.h"
#include "impl/option_keys.h"
#include "impl/parallel.h"
#include "impl/parts.h"
#include "impl/spec.h"
#include "impl/utf8.h"
#include "langid/fasttext_input.h"

namespace doppel {

namespace {
struct LidModel {
    fasttext::FastText model;
    std::shared_ptr<const fasttext::Dictionary> dict;
    std::string label_prefix;         // "__label__"
    std::vector<std::string> labels;  // per label id, without label_prefix
    std::unique_ptr<langid_detail::SubwordIds> subwords;  // of dict
    std::unique_ptr<langid_detail::HiddenLayer> hidden;   // of model
    mutable langid_detail::TokenIdCachePool token_ids;
};
}  // namespace

struct LanguageIdentifier::Impl : LidModel {};

LanguageIdentifier::LanguageIdentifier(const std::string& model_path, LanguageIdOptions options)
    : impl_(std::make_unique<Impl>()), model_path_(model_path), options_(options) {
    if (!std::filesystem::exists(model_path))
        DOPPEL_THROW(kNotFound, "language model not found: " + model_path + " (run scripts/setup.sh)");
    try {
        impl_->model.loadModel(model_path);
        impl_->dict = impl_->model.getDictionary();
        impl_->label_prefix = impl_->model.getArgs().label;
        impl_->subwords = std::make_unique<langid_detail::SubwordIds>(*impl_->dict, impl_->model.getArgs());
        impl_->hidden = std::make_unique<langid_detail::HiddenLayer>(impl_->model);
        for (int32_t i = 0; i < impl_->dict->nlabels(); ++i) {
            const std::string label = impl_->dict->getLabel(i);
            const bool prefixed = label.rfind(impl_->label_prefix, 0) == 0;
            impl_->labels.push_back(prefixed ? label.substr(impl_->label_prefix.size()) : label);
        }
    } catch (const std::exception& e) {
        DOPPEL_THROW(kIo, "cannot load fastText model " + model_path + ": " + e.what());
    }
}

LanguageIdentifier::~LanguageIdentifier() = default;

namespace {
// fastText's top k labels of a text from its input ids (langid/fasttext_input.h), without
// "__label__", best first, corrected by the text's script (langid/script_evidence.h).
std::vector<LanguageGuess> predict_ids(const LidModel& impl, const std::vector<int32_t>& ids, std::string_view text,
                                       int k) {
    fasttext::Predictions predictions;
    impl.hidden->predict(ids, k, 0.0f, &predictions);
    std::vector<LanguageGuess> out;
    out.reserve(predictions.size());
    for (const auto& [log_p, label] : predictions)
        out.push_back(LanguageGuess{impl.labels[static_cast<std::size_t>(label)],
                                    std::clamp(static_cast<float>(std::exp(log_p)), 0.0f, 1.0f)});
    apply_script_evidence(text, &out);  // kana / Hangul / Han rule some labels out
    return out;
}

// The same for a text (one line). The model's input is built from a cache of token ids lent by
// the model's pool: what predictLine() reads, without its stream.
std::vector<LanguageGuess> predict(const LidModel& impl, std::string_view text, int k) {
    thread_local std::vector<int32_t> ids;
    {
        langid_detail::TokenIdCachePool::Lease cache(impl.token_ids);
        langid_detail::line_input_ids(*impl.subwords, impl.label_prefix, text, *cache, &ids);
    }
    return predict_ids(impl, ids, text, k);
}
}  // namespace

LanguageGuess LanguageIdentifier::identify(std::string_view text) const {
    auto top = predict(*impl_, text, 1);
    return top.empty() ? LanguageGuess{} : std::move(top[0]);
}

void LanguageIdentifier::identify_batch(std::size_t n, const std::string_view* texts, LanguageGuess* out) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = identify(texts[i]);
}

namespace {
int count_letters(std::string_view s) {
    int n = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {  // ASCII: exactly A-Z and a-z are letters (u_isalpha)
            n += (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
            ++i;
            continue;
        }
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

LanguageScores LanguageIdentifier::score(std::string_view text) const {
    LanguageScores s;
    s.labels = predict(*impl_, text, static_cast<int>(std::max<std::size_t>(1, options_.max_labels)));
    s.letters = static_cast<std::size_t>(count_letters(text));
    return s;
}

bool LanguageIdentifier::trusted(const LanguageScores& s) const {
    return s.letters >= options_.short_letters && !s.labels.empty() &&
           s.labels[0].confidence >= options_.min_doc_confidence;
}

namespace {
// "pt_BR", "nb-NO", "sr@latin" -> "pt", "no", "sr": the language part of a record's "lang", as
// lid.176 labels it.
std::string hint_language(std::string_view hint) {
    std::string h(hint.substr(0, hint.find_first_of("_-@.")));
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::string(lid_language(h));
}

// The likely language a label counts for: itself, or the likely member of its family (the
// family's home first, when several are likely); "" when neither.
std::string_view counts_for(std::string_view label, const std::set<std::string, std::less<>>& likely) {
    if (likely.count(label)) return label;
    const std::string_view home = language_family(label);
    if (home != label && likely.count(home)) return home;
    for (std::string_view r : relatives_of(label))
        if (likely.count(r)) return r;
    return {};
}
}  // namespace

LanguageGuess LanguageIdentifier::choose(const LanguageScores& s, const std::vector<std::string>& likely,
                                         std::string_view hint) const {
    if (s.labels.empty()) return {};
    if (trusted(s)) return s.labels[0];
    std::set<std::string, std::less<>> set(likely.begin(), likely.end());
    set.insert(options_.likely.begin(), options_.likely.end());
    if (options_.use_hint && !hint.empty()) {
        // The record's own language decides when it or a relative is among the top labels.
        const std::string h = hint_language(hint);
        if (std::any_of(s.labels.begin(), s.labels.end(),
                        [&](const LanguageGuess& g) { return g.lang == h || are_relatives(g.lang, h); }))
            set = {h};
    }
    std::map<std::string_view, float> mass;  // per likely language: its labels' probability
    float total = 0;
    for (const LanguageGuess& g : s.labels) {
        const std::string_view as = counts_for(g.lang, set);
        if (as.empty()) continue;
        mass[as] += g.confidence;
        total += g.confidence;
    }
    if (mass.empty() || total <= 0) return s.labels[0];
    auto best = mass.begin();
    for (auto it = mass.begin(); it != mass.end(); ++it)
        if (it->second > best->second) best = it;
    // A likely language far below the top label: the text is plainly of another language.
    if (best->second < options_.min_likely_ratio * s.labels[0].confidence) return s.labels[0];
    return LanguageGuess{std::string(best->first), std::clamp(best->second / total, 0.0f, 1.0f)};
}

void LanguageIdentifier::release_caches() const { impl_->token_ids.clear(); }

std::vector<std::string> LanguageIdentifier::likely_languages(const std::map<std::string, std::size_t>& counts) const {
    std::vector<std::string> out;
    if (options_.likely_docs == 0) return out;
    std::size_t total = 0;
    for (const auto& [lang, n] : counts) total += n;
    for (const auto& [lang, n] : counts)
        if (!lang.empty() && n >= options_.likely_docs &&
            static_cast<double>(n) >= options_.likely_share * static_cast<double>(total))
            out.push_back(lang);
    return out;
}

void LanguageIdentifier::analyze(AnalyzedDocument* doc, const std::vector<std::string>& likely) const {
    analyze(doc, read_document(doc->doc.text), likely);
}

void LanguageIdentifier::analyze(AnalyzedDocument* doc, const DocumentLanguageEvidence& evidence,
                                 const std::vector<std::string>& likely) const {
    const LanguageScores& scores = evidence.scores;
    assign_paragraphs(doc, choose(scores, likely, doc->doc.lang_hint), evidence.paragraphs, evidence.guesses);
    doc->lang_top = scores.labels.empty() ? std::string() : scores.labels[0].lang;
    doc->lang_scores = scores.labels.empty() || trusted(scores) ? std::string()
                                                                : encode_language_scores(scores, doc->doc.lang_hint);
}

// Every field of `from` by name: a structured binding must name all of AnalyzedDocument's members,
// so a field added there stops the build here until it is copied below (or said to be the copy's
// own, as the document and its content hash are).
void LanguageIdentifier::copy_analysis(const AnalyzedDocument& from, AnalyzedDocument* to) {
    [[maybe_unused]] const auto& [doc, lang, lang_confidence, paragraphs, other_languages, content_hash,
                                  lang_top, lang_scores] = from;
    to->lang = lang;
    to->lang_confidence = lang_confidence;
    to->paragraphs = paragraphs;
    to->other_languages = other_languages;
    to->lang_top = lang_top;
    to->lang_scores = lang_scores;
}

namespace {
// The guesses of paragraphs [first, last) of e.paragraphs (spans are offsets in `text`):
// identify() of each paragraph with enough letters, or what the memo kept for its text (a
// paragraph's guess is a function of its text: its ids are line_input_ids() of it). Only the
// paragraphs the memo lacks are read: from `tokens` (the TokenizedText of text[0, ...): a
// document's sample) where they cover the paragraph, else from the paragraph alone (the same ids;
// feeds repeat most of their lines, and looking every token of a text up first was most of
// language ID's cost past its sample).
void guess_paragraphs(const LidModel& impl, const LanguageIdOptions& options, std::string_view text,
                      const langid_detail::TokenizedText* tokens, langid_detail::TokenIdCache& cache,
                      std::size_t first, std::size_t last, DocumentLanguageEvidence& e) {
    thread_local std::vector<int32_t> ids;
    for (std::size_t i = first; i < last; ++i) {
        const Span& s = e.paragraphs[i];
        const std::string_view ptext = text.substr(s.begin, s.size());
        if (const auto* known = cache.texts.paragraphs.find(ptext)) {
            e.guesses[i] = LanguageGuess{known->first, known->second};
            continue;
        }
        if (count_letters(ptext) >= options.min_paragraph_letters) {
            if (tokens && tokens->covers(s.end))
                tokens->line_ids(s.begin, s.end, cache, &ids);
            else
                langid_detail::line_input_ids(*impl.subwords, impl.label_prefix, ptext, cache, &ids);
            auto top = predict_ids(impl, ids, ptext, 1);
            if (!top.empty()) e.guesses[i] = std::move(top[0]);
        }
        cache.texts.paragraphs.keep(ptext, {e.guesses[i].lang, e.guesses[i].confidence}, e.guesses[i].lang.size());
    }
}

// The scores of a document's sample from `tokens`, a TokenizedText of text[0, ...) covering it.
LanguageScores sample_scores(const LidModel& impl, const LanguageIdOptions& options, std::string_view sample,
                             const langid_detail::TokenizedText& tokens, langid_detail::TokenIdCache& cache) {
    thread_local std::vector<int32_t> ids;
    LanguageScores scores;
    tokens.line_ids(0, sample.size(), cache, &ids);
    scores.labels = predict_ids(impl, ids, sample, static_cast<int>(std::max<std::size_t>(1, options.max_labels)));
    scores.letters = static_cast<std::size_t>(count_letters(sample));
    return scores;
}

std::size_t evidence_bytes(const DocumentLanguageEvidence& e) {
    return e.paragraphs.size() * (sizeof(Span) + sizeof(LanguageGuess));
}
}  // namespace

// One pass over the sample's tokens (TokenizedText): its scores and the guesses of the
// paragraphs in it from the same token ids, each token looked up in the cache once; the
// paragraphs past it that the memo lacks read alone; what score_document() and identify() of
// each paragraph give, bit for bit.
DocumentLanguageEvidence LanguageIdentifier::read_document(std::string_view text) const {
    thread_local langid_detail::TokenizedText tokens;
    langid_detail::TokenIdCachePool::Lease cache(impl_->token_ids);
    if (const DocumentLanguageEvidence* known = (*cache).texts.documents.find(text)) return *known;
    const std::string_view sample = language_sample(text);
    tokens.read(*impl_->subwords, impl_->label_prefix, sample, *cache);
    DocumentLanguageEvidence e;
    e.scores = sample_scores(*impl_, options_, sample, tokens, *cache);
    e.paragraphs = Segmenter::paragraphs(text);
    e.guesses.resize(e.paragraphs.size());
    guess_paragraphs(*impl_, options_, text, &tokens, *cache, 0, e.paragraphs.size(), e);
    (*cache).texts.documents.keep(text, e, evidence_bytes(e));
    return e;
}

namespace {
// A piece of read_documents()' work: a whole text (read_document), the sample of a long one, or
// a run of a long one's paragraphs.
struct LanguagePart {
    enum Kind { kWhole, kSample, kParagraphs } kind = kWhole;
    std::size_t text = 0;                // which text
    std::size_t first = 0, last = 0;     // kParagraphs: its paragraphs
    std::size_t bytes = 0;               // about the work: the bytes read
};

// The parts of a long text whose paragraphs are known: its sample, then runs of paragraphs of
// about kLanguagePartBytes.
void long_text_parts(std::size_t t, std::string_view text, const std::vector<Span>& paragraphs,
                     std::vector<LanguagePart>* parts) {
    parts->push_back(LanguagePart{LanguagePart::kSample, t, 0, 0, language_sample(text).size()});
    for (const auto& [first, last] :
         impl::runs_of(paragraphs.size(), kLanguagePartBytes, [&](std::size_t i) { return paragraphs[i]; }))
        parts->push_back(LanguagePart{LanguagePart::kParagraphs, t, first, last,
                                      paragraphs[last - 1].end - paragraphs[first].begin});
}
}  // namespace

void LanguageIdentifier::read_documents(std::size_t n, const std::string_view* texts,
                                        DocumentLanguageEvidence* out) const {
    // Plan: a short text is one part; a long one already read (the memo) is done, else its
    // paragraphs are found here and it is cut into parts.
    std::vector<LanguagePart> parts;
    std::vector<std::size_t> split;  // the long texts read in parts
    {
        langid_detail::TokenIdCachePool::Lease cache(impl_->token_ids);
        for (std::size_t t = 0; t < n; ++t) {
            if (texts[t].size() <= kLanguagePartBytes) {
                parts.push_back(LanguagePart{LanguagePart::kWhole, t, 0, 0, texts[t].size()});
            } else if (const DocumentLanguageEvidence* known = (*cache).texts.documents.find(texts[t])) {
                out[t] = *known;
            } else {
                out[t].paragraphs = Segmenter::paragraphs(texts[t]);
                out[t].guesses.assign(out[t].paragraphs.size(), LanguageGuess{});
                long_text_parts(t, texts[t], out[t].paragraphs, &parts);
                split.push_back(t);
            }
        }
    }
    impl::largest_first(parts);
    impl::parallel_for(parts.size(), impl::worker_count(parts.size()), [&](std::size_t k, std::size_t) {
        const LanguagePart& p = parts[k];
        const std::string_view text = texts[p.text];
        if (p.kind == LanguagePart::kWhole) {
            out[p.text] = read_document(text);
            return;
        }
        thread_local langid_detail::TokenizedText tokens;
        langid_detail::TokenIdCachePool::Lease cache(impl_->token_ids);
        if (p.kind == LanguagePart::kSample) {
            const std::string_view sample = language_sample(text);
            tokens.read(*impl_->subwords, impl_->label_prefix, sample, *cache);
            out[p.text].scores = sample_scores(*impl_, options_, sample, tokens, *cache);
            return;
        }
        guess_paragraphs(*impl_, options_, text, nullptr, *cache, p.first, p.last, out[p.text]);
    });
    langid_detail::TokenIdCachePool::Lease cache(impl_->token_ids);
    for (std::size_t t : split) (*cache).texts.documents.keep(texts[t], out[t], evidence_bytes(out[t]));
}

LanguageGuess LanguageIdentifier::choose_stored(std::string_view lang_scores,
                                                const std::vector<std::string>& likely) const {
    std::string hint;
    const LanguageScores s = decode_language_scores(lang_scores, &hint);
    return choose(s, likely, hint);
}

namespace {
// `s` as a JSON string: as it is between quotes when it is plain printable ASCII (language codes),
// else escaped (and checked as UTF-8) by nlohmann::json.
void append_json_string(std::string& out, std::string_view s) {
    const bool plain = std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; });
    if (!plain) {
        out += nlohmann::json(std::string(s)).dump();
        return;
    }
    out += '"';
    out += s;
    out += '"';
}
}  // namespace

// Written directly, in the form nlohmann::json's dump() gave (keys in order, no spaces): a JSON
// document of 20 labels built and dumped cost about 30 us a document, as much as the rest of
// assigning its languages (most of the copyright corpus's documents are decided by the
// fallback, so their scores are kept). Each probability is the float widened to double, in the
// shortest form that reads back as that double (to_chars; null where it is not finite, as
// nlohmann wrote it), so it reads back exactly.
std::string encode_language_scores(const LanguageScores& scores, std::string_view hint) {
    if (scores.labels.empty()) return {};
    std::string out = "{\"hint\":";
    append_json_string(out, hint);
    out += ",\"labels\":[";
    char number[32];
    for (std::size_t i = 0; i < scores.labels.size(); ++i) {
        const LanguageGuess& g = scores.labels[i];
        out += i ? ",[" : "[";
        append_json_string(out, g.lang);
        out += ',';
        const auto p = static_cast<double>(g.confidence);
        if (std::isfinite(p))
            out.append(number, std::to_chars(number, number + sizeof number, p).ptr);
        else
            out += "null";
        out += ']';
    }
    out += "],\"letters\":";
    out += std::to_string(scores.letters);
    out += '}';
    return out;
}

namespace {
// A reader of the form encode_language_scores() writes, byte by byte: each take_*() consumes
// what it expects and says whether it was there.
class ScoresReader {
public:
    explicit ScoresReader(std::string_view s) : s_(s) {}
    bool take(std::string_view literal) {
        if (!s_.starts_with(literal)) return false;
        s_.remove_prefix(literal.size());
        return true;
    }
    // A string of plain printable ASCII between quotes (append_json_string's plain case).
    bool take_plain_string(std::string& out) {
        if (!take("\"")) return false;
        const std::size_t end = s_.find_first_of("\"\\");
        if (end == std::string_view::npos || s_[end] != '"') return false;
        const std::string_view body = s_.substr(0, end);
        if (!std::all_of(body.begin(), body.end(), [](char c) { return c >= 0x20 && c < 0x7F; }))
            return false;
        out.assign(body);
        s_.remove_prefix(end + 1);
        return true;
    }
    template <class T>
    bool take_number(T& out) {
        const auto [ptr, ec] = std::from_chars(s_.data(), s_.data() + s_.size(), out);
        if (ec != std::errc() || ptr == s_.data()) return false;
        s_.remove_prefix(static_cast<std::size_t>(ptr - s_.data()));
        return true;
    }
    bool done() const { return s_.empty(); }

private:
    std::string_view s_;
};

// The scores as encode_language_scores() writes them (plain strings, finite numbers, no
// spaces), read without a JSON parser: settling a store's fallback decisions decodes every
// one, and nlohmann::json's parse was half of that. Anything else: nullopt (the parser reads it).
std::optional<LanguageScores> decode_written_scores(std::string_view encoded, std::string* hint) {
    ScoresReader r(encoded);
    LanguageScores s;
    std::string h;
    if (!r.take("{\"hint\":") || !r.take_plain_string(h) || !r.take(",\"labels\":[")) return std::nullopt;
    for (bool first = true; !r.take("]"); first = false) {
        LanguageGuess g;
        double p = 0;
        if ((!first && !r.take(",")) || !r.take("[") || !r.take_plain_string(g.lang) || !r.take(",") ||
            !r.take_number(p) || !std::isfinite(p) || !r.take("]"))
            return std::nullopt;
        g.confidence = static_cast<float>(p);
        s.labels.push_back(std::move(g));
    }
    if (!r.take(",\"letters\":") || !r.take_number(s.letters) || !r.take("}") || !r.done())
        return std::nullopt;
    if (hint) *hint = std::move(h);
    return s;
}
}  // namespace

LanguageScores decode_language_scores(std::string_view encoded, std::string* hint) {
    if (std::optional<LanguageScores> written = decode_written_scores(encoded, hint))
        return std::move(*written);
    LanguageScores s;
    const auto j = nlohmann::json::parse(encoded, nullptr, false);
    try {
        DOPPEL_CHECK(kBadFormat, j.is_object(), "stored language scores are not a JSON object");
        for (const auto& e : j.at("labels"))
            s.labels.push_back(LanguageGuess{e.at(0).get<std::string>(), static_cast<float>(e.at(1).get<double>())});
        s.letters = j.at("letters").get<std::size_t>();
        if (hint) *hint = j.at("hint").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        DOPPEL_THROW(kBadFormat, std::string("stored language scores: ") + e.what());
    }
    return s;
}

void LanguageIdentifier::analyze(AnalyzedDocument* doc, const LanguageGuess& whole) const {
    const DocumentLanguageEvidence e = read_document(doc->doc.text);
    assign_paragraphs(doc, whole, e.paragraphs, e.guesses);
}

// The document's language and its paragraphs': a paragraph without a guess (too few letters) or
// guessed below min_paragraph_confidence inherits the document's.
void LanguageIdentifier::assign_paragraphs(AnalyzedDocument* doc, const LanguageGuess& whole,
                                           const std::vector<Span>& spans,
                                           const std::vector<LanguageGuess>& guesses) const {
    doc->lang = whole.lang;
    doc->lang_confidence = whole.confidence;
    doc->paragraphs.clear();
    doc->paragraphs.reserve(spans.size());  // grown by doubling, a long document's were copied a few times
    doc->other_languages.clear();
    std::set<std::string> others;
    for (std::size_t i = 0; i < spans.size(); ++i) {
        Paragraph p;
        p.span = spans[i];
        const LanguageGuess& g = guesses[i];
        if (g.lang.empty() || g.confidence < options_.min_paragraph_confidence) {
            p.lang = whole.lang;
            p.lang_confidence = whole.confidence;
            p.lang_inherited = true;
        } else {
            p.lang = g.lang;
            p.lang_confidence = g.confidence;
        }
        if (p.lang != whole.lang) others.insert(p.lang);
        doc->paragraphs.push_back(std::move(p));
    }
    doc->other_languages.assign(others.begin(), others.end());
}

namespace {
// LanguageIdOptions' keys, in describe()'s order: the numbers, then (after the list of likely
// languages) the hint and the labels.
constexpr impl::OptionKey<LanguageIdOptions> kNumberKeys[] = {
    {"min_letters", &LanguageIdOptions::min_paragraph_letters},
    {"min_confidence", &LanguageIdOptions::min_paragraph_confidence},
    {"short_letters", &LanguageIdOptions::short_letters},
    {"min_doc_confidence", &LanguageIdOptions::min_doc_confidence},
    {"likely_docs", &LanguageIdOptions::likely_docs},
    {"likely_share", &LanguageIdOptions::likely_share},
    {"min_likely_ratio", &LanguageIdOptions::min_likely_ratio},
};
constexpr impl::OptionKey<LanguageIdOptions> kLaterKeys[] = {
    {"hint", &LanguageIdOptions::use_hint},
    {"max_labels", &LanguageIdOptions::max_labels},
};
}  // namespace

LanguageIdOptions LanguageIdOptions::parse_spec(const std::string& spec) {
    // "fasttext:lid.176,key=value,...": the model's name first (the only one), then the keys.
    std::string rest = spec;
    for (const std::string head : {"fasttext:lid.176,", "fasttext:lid.176", "fasttext:"})
        if (rest.rfind(head, 0) == 0) {
            rest = "fasttext:" + rest.substr(head.size());
            break;
        }
    impl::ParsedSpec p = impl::parse_spec(rest);
    if (p.name != "fasttext")
        DOPPEL_THROW(kBadSpec, "language-ID spec '" + spec + "': expected fasttext:lid.176,key=value,...");
    LanguageIdOptions o;
    impl::take_options(p, kNumberKeys, o);
    impl::take_options(p, kLaterKeys, o);
    std::string list;
    if (p.take("likely", list))
        for (std::size_t b = 0; b < list.size();) {
            std::size_t e = list.find('+', b);
            if (e == std::string::npos) e = list.size();
            if (e > b) o.likely.push_back(list.substr(b, e - b));
            b = e + 1;
        }
    p.check_empty();
    return o;
}

std::string LanguageIdOptions::describe() const {
    std::string likely_list;
    for (const auto& l : likely) likely_list += (likely_list.empty() ? "" : "+") + l;
    std::string s = "fasttext:lid.176,";
    impl::append_options(s, kNumberKeys, *this);
    s.append(",likely=").append(likely_list).push_back(',');
    impl::append_options(s, kLaterKeys, *this);
    return s;
}

}  // namespace doppel
