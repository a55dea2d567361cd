#include "doppel/embed/lexicon_builder.h"

#include <unicode/unistr.h>
#include <unicode/uversion.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "doppel/embed/bridge_lexicon.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/text_keys.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/normalize/stemmer.h"
#include "impl/parallel.h"
#include "impl/spec.h"
#include "impl/utf8.h"

namespace doppel {
namespace {

constexpr const char* kEntriesMagic = "#doppel-lexicon-entries";
constexpr int kEntriesVersion = 1;
constexpr double kViStripWeight = 0.8;      // "sự giúp đỡ" -> "giúp đỡ"
constexpr double kViSyllableWeight = 0.25;  // "trợ giúp" -> "giúp"
constexpr double kViSyllableMinWeight = 0.3;

// English words that name no concept in a dictionary's translations ("to meet sb").
const std::unordered_set<std::string_view>& english_stop_words() {
    static const std::unordered_set<std::string_view> s = {
        "a", "an", "the", "to", "of", "be", "in", "on", "for", "with", "by", "at", "or", "and",
        "as", "from", "into", "onto", "one", "one's", "someone", "somebody", "something", "sth",
        "sb", "oneself", "its", "it", "is", "are", "was", "were", "been", "being", "not", "no",
        "very", "that", "this", "these", "those", "up", "out", "off", "over", "about", "any",
        "some", "etc"};
    return s;
}

// Vietnamese nominalizers and classifiers ("sự giúp đỡ" is "giúp đỡ" as a noun).
const std::unordered_set<std::string_view>& vietnamese_particles() {
    static const std::unordered_set<std::string_view> s = {
        "sự", "cái", "việc", "cuộc", "con", "những", "các", "người", "nhà", "tính", "bị", "được", "làm"};
    return s;
}

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size();) {
        impl::next_code_point(s, i);
        ++n;
    }
    return n;
}

bool is_number(std::string_view w) {
    return std::all_of(w.begin(), w.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == ','; });
}

std::vector<std::string_view> split_spaces(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        std::size_t j = i;
        while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

// One entry made ready to merge: its concepts and the keys (with weights) it adds them to.
struct Prepared {
    std::vector<std::string> concepts;
    std::vector<std::pair<std::string, double>> keys;
    std::string loanword_key;  // english_loanword_key of a one-word English side, else empty
};

// One key of the lexicon being written.
struct Row {
    std::string_view key;  // "lang\tkey"
    std::vector<uint32_t> concepts;  // builder ids, best first
};

}  // namespace

struct LexiconBuilder::Impl {
    // Per-thread text tools (Segmenter and Stemmer are not thread-safe).
    struct Worker {
        Segmenter segmenter;
        Stemmer stemmer;
        std::unique_ptr<TextKeys> keys;  // made on first use (Chinese only)
    };
    struct Weighted {
        uint32_t id;
        double weight;
    };
    const LexiconBuilderOptions& options;
    Normalizer normalizer;
    std::vector<std::unique_ptr<Worker>> workers;
    std::unordered_map<std::string, std::vector<Weighted>> table;  // "lang\tkey" -> concepts
    std::unordered_map<std::string, uint32_t> concept_ids;
    std::vector<std::string> concept_names;
    std::size_t added = 0, unused = 0;

    explicit Impl(const LexiconBuilderOptions& o) : options(o) {
        const std::size_t n = impl::worker_count(~std::size_t{0}, o.threads);
        for (std::size_t w = 0; w < n; ++w) workers.push_back(std::make_unique<Worker>());
    }

    // The words of a phrase as the embedder reads text of `lang`: normalized, Chinese in
    // Simplified characters (BridgeEmbedder::features), split by the Segmenter.
    std::vector<std::string> words_of(Worker& w, std::string_view lang, std::string_view phrase, std::string& text) const {
        text = normalizer.normalize_text(phrase);
        if (lang == "zh") text = simplified(w, text);
        std::vector<std::string> out;
        for (auto sp : w.segmenter.words(text)) out.emplace_back(text.data() + sp.begin, sp.size());
        return out;
    }
    static std::string simplified(Worker& w, const std::string& text);
    std::string key_of(Worker& w, const std::string& lang, std::string_view phrase) const;
    std::vector<std::string> english_content_words(Worker& w, std::string_view english) const;
    void add_keys(Worker& w, const std::string& lang, std::string_view phrase, double weight,
                  std::vector<std::pair<std::string, double>>& out) const;
    void add_vietnamese_parts(Worker& w, std::string_view phrase, double weight,
                              std::vector<std::pair<std::string, double>>& out) const;
    Prepared prepare(Worker& w, const LexiconEntry& e) const;
    void merge(const std::string& lang, double weight, const Prepared& p);
    void add_weight(const std::string& key, const std::string& concept_name, double weight);
    std::vector<Row> ranked_rows() const;
};

// Chinese text in Simplified characters, as the embedder looks Chinese up (the one converter of
// normalize/text_keys.h).
std::string LexiconBuilder::Impl::simplified(Worker& w, const std::string& text) {
    if (!w.keys) w.keys = std::make_unique<TextKeys>();
    return w.keys->simplified_chinese(text);
}

// The key of a phrase, as BridgeLexicon::match builds it from the embedder's words.
std::string LexiconBuilder::Impl::key_of(Worker& w, const std::string& lang, std::string_view phrase) const {
    std::string text;
    const std::vector<std::string> words = words_of(w, lang, phrase, text);
    if (words.empty() || words.size() > static_cast<std::size_t>(BridgeLexicon::kMaxKeyWords)) return {};
    std::vector<std::string_view> views(words.begin(), words.end());
    std::string key = BridgeLexicon::make_key(lang, views, w.stemmer);
    if (key.empty() || (code_points(key) < 2 && !is_cjk_word(key))) return {};
    return key;
}

// The words of an English phrase that name concepts: not stop words, not numbers.
std::vector<std::string> LexiconBuilder::Impl::english_content_words(Worker& w, std::string_view english) const {
    std::string text;
    std::vector<std::string> content;
    for (auto& word : words_of(w, "en", english, text))
        if (!english_stop_words().count(word) && !is_number(word)) content.push_back(std::move(word));
    return content;
}

// The key of `phrase` and, for Vietnamese, of its parts (see the header), depth first.
void LexiconBuilder::Impl::add_keys(Worker& w, const std::string& lang, std::string_view phrase, double weight,
                                    std::vector<std::pair<std::string, double>>& out) const {
    std::string key = key_of(w, lang, phrase);
    if (key.empty()) return;
    out.emplace_back(std::move(key), weight);
    if (lang == "vi") add_vietnamese_parts(w, phrase, weight, out);
}

void LexiconBuilder::Impl::add_vietnamese_parts(Worker& w, std::string_view phrase, double weight,
                                                std::vector<std::pair<std::string, double>>& out) const {
    // Particles are matched as the dictionary writes them (composed forms): also splitting
    // tratu's decomposed entries was measured worse (para-dev vi F1 0.933 against 0.937).
    auto is_particle = [](std::string_view s) { return vietnamese_particles().count(s) > 0; };
    if (const auto sp = phrase.find(' '); sp != std::string_view::npos && is_particle(phrase.substr(0, sp))) {
        add_keys(w, "vi", phrase.substr(sp + 1), weight * kViStripWeight, out);
        return;
    }
    if (weight < kViSyllableMinWeight) return;
    const auto syllables = split_spaces(phrase);
    if (syllables.size() < 2 || syllables.size() > 3) return;
    for (auto s : syllables)
        if (!is_particle(s)) add_keys(w, "vi", s, weight * kViSyllableWeight, out);
}

Prepared LexiconBuilder::Impl::prepare(Worker& w, const LexiconEntry& e) const {
    Prepared p;
    const std::vector<std::string> content = english_content_words(w, e.english);
    if (content.size() > options.max_english_words) return {};
    for (const auto& word : content)
        if (code_points(word) > 1) p.concepts.push_back(w.stemmer.stem("en", word));
    if (p.concepts.empty() || (e.max_concepts > 0 && p.concepts.size() > e.max_concepts)) return {};
    add_keys(w, e.lang, e.phrase, e.weight, p.keys);
    // A capitalized English side is a name (a country, a language, a city): Korean writes names
    // by other rules, and ICU's Korean display names have them.
    const bool name = !e.english.empty() && e.english[0] >= 'A' && e.english[0] <= 'Z';
    if (content.size() == 1 && options.loanword_concepts > 0 && !name) {
        p.loanword_key = english_loanword_key(content[0]);
        if (loanword_key_consonants(p.loanword_key) < BridgeLexicon::kMinLoanwordConsonants) p.loanword_key.clear();
    }
    return p;
}

// Each key of the entry adds its weight, shared among the concepts, to each concept.
// The English word of a one-word English side also adds the entry's weight to its own concept
// under its Korean loanword key (however many keys the phrase gave).
void LexiconBuilder::Impl::merge(const std::string& lang, double weight, const Prepared& p) {
    ++added;
    if (!p.loanword_key.empty()) add_weight(std::string(BridgeLexicon::kKoreanLoanwords) + '\t' + p.loanword_key, p.concepts[0], weight);
    if (p.keys.empty()) {
        ++unused;
        return;
    }
    for (const auto& [key, key_weight] : p.keys) {
        const std::string full = lang + '\t' + key;
        const double share = key_weight / static_cast<double>(p.concepts.size());
        for (const auto& c : p.concepts) add_weight(full, c, share);
    }
}

void LexiconBuilder::Impl::add_weight(const std::string& key, const std::string& concept_name, double weight) {
    auto& row = table[key];
    auto [it, fresh] = concept_ids.try_emplace(concept_name, static_cast<uint32_t>(concept_names.size()));
    if (fresh) concept_names.push_back(concept_name);
    const uint32_t id = it->second;
    auto hit = std::find_if(row.begin(), row.end(), [id](const Weighted& x) { return x.id == id; });
    if (hit == row.end()) row.push_back({id, weight});
    else hit->weight += weight;
}

// ---- writing ----------------------------------------------------------------------------------
namespace {

void put32(std::ofstream& out, uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); }

void pad(std::ofstream& out, std::size_t n, char fill) {
    for (; n % 4 != 0; ++n) out.put(fill);
}

template <class Strings>
void write_strings(std::ofstream& out, const Strings& items) {
    uint32_t pos = 0;
    for (const auto& s : items) {
        put32(out, pos);
        pos += static_cast<uint32_t>(s.size());
    }
    put32(out, pos);
    for (const auto& s : items) out.write(s.data(), static_cast<std::streamsize>(s.size()));
    pad(out, pos, '\0');
}

}  // namespace

// The header: the extractor's JSON object with the builder's fields added, space-padded.
static std::string header_text(const std::string& extractor_json, const LexiconBuilder& b,
                               const LexiconBuildSummary& s) {
    auto j = nlohmann::json::parse(extractor_json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) DOPPEL_THROW(kBadFormat, "lexicon header: not a JSON object");
    j["format"] = BridgeLexicon::kFormatVersion;
    j["builder"] = b.describe();
    j["keys_per_language"] = s.keys_per_language;
    j["concepts"] = s.concepts;
    j["max_concepts_per_key"] = b.options().max_concepts;
    std::string h = j.dump();
    while (h.size() % 4 != 0) h.push_back(' ');
    return h;
}

// Ranks every key's concepts (weight x common-concept prior) and sorts the keys bytewise.
std::vector<Row> LexiconBuilder::Impl::ranked_rows() const {
    auto is_loanword = [](std::string_view key) {
        return key.starts_with(BridgeLexicon::kKoreanLoanwords) && key.size() > BridgeLexicon::kKoreanLoanwords.size() &&
               key[BridgeLexicon::kKoreanLoanwords.size()] == '\t';
    };
    // The prior counts dictionary keys only: the loanword table leaves every language's ranking as it was.
    std::vector<std::size_t> reach(concept_names.size(), 0);
    for (const auto& [key, row] : table)
        if (!is_loanword(key))
            for (const auto& c : row) ++reach[c.id];
    std::vector<Row> rows;
    rows.reserve(table.size());
    std::vector<std::pair<double, uint32_t>> scored;
    for (const auto& [key, row] : table) {
        scored.clear();
        for (const auto& c : row)
            scored.emplace_back(-c.weight * (1.0 + options.prior * std::log1p(static_cast<double>(reach[c.id]))), c.id);
        std::sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
            return a.first != b.first ? a.first < b.first : concept_names[a.second] < concept_names[b.second];
        });
        Row r{key, {}};
        const std::size_t keep = is_loanword(key) ? options.loanword_concepts : options.max_concepts;
        for (std::size_t i = 0; i < scored.size() && i < keep; ++i) r.concepts.push_back(scored[i].second);
        rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.key < b.key; });
    return rows;
}

// Renumbers the concepts the rows use, in order of first use; returns their names.
static std::vector<std::string_view> renumber_concepts(std::vector<Row>& rows, const std::vector<std::string>& names) {
    std::vector<uint32_t> id(names.size(), UINT32_MAX);
    std::vector<std::string_view> used;
    for (auto& r : rows)
        for (auto& c : r.concepts) {
            if (id[c] == UINT32_MAX) {
                id[c] = static_cast<uint32_t>(used.size());
                used.push_back(names[c]);
            }
            c = id[c];
        }
    return used;
}

static void write_file(const std::string& path, const std::string& header, const std::vector<std::string_view>& concepts,
                       const std::vector<Row>& rows) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) DOPPEL_THROW(kIo, "cannot write " + path);
    out.write(BridgeLexicon::kMagic, 4);
    put32(out, BridgeLexicon::kFormatVersion);
    put32(out, static_cast<uint32_t>(header.size()));
    out << header;
    put32(out, static_cast<uint32_t>(concepts.size()));
    write_strings(out, concepts);
    put32(out, static_cast<uint32_t>(rows.size()));
    std::vector<std::string_view> keys;
    keys.reserve(rows.size());
    for (const auto& r : rows) keys.push_back(r.key);
    write_strings(out, keys);
    uint32_t n = 0;
    put32(out, 0);
    for (const auto& r : rows) put32(out, n += static_cast<uint32_t>(r.concepts.size()));
    for (const auto& r : rows)
        for (uint32_t c : r.concepts) put32(out, c);
    out.close();
    if (!out) DOPPEL_THROW(kIo, "cannot write " + path);
}

// ---- LexiconBuilder ---------------------------------------------------------------------------
LexiconBuilderOptions LexiconBuilderOptions::parse_spec(const std::string& spec) {
    auto p = impl::parse_spec(spec);
    DOPPEL_CHECK(kBadSpec, p.name == LexiconBuilder::kName, "lexicon builder spec must start with 'lexicon': " + spec);
    LexiconBuilderOptions o;
    p.take_number("max_concepts", o.max_concepts);
    p.take_double("prior", o.prior);
    p.take_number("max_english_words", o.max_english_words);
    p.take_number("loanword_concepts", o.loanword_concepts);
    p.check_empty();
    DOPPEL_CHECK(kBadSpec, o.max_concepts > 0 && o.max_english_words > 0 && o.prior >= 0,
                 "lexicon builder spec out of range: " + spec);
    return o;
}

std::string LexiconBuilderOptions::describe() const {
    return std::string(LexiconBuilder::kName) + ":max_concepts=" + std::to_string(max_concepts) +
           ",prior=" + impl::spec_number(prior) + ",max_english_words=" + std::to_string(max_english_words) +
           ",loanword_concepts=" + std::to_string(loanword_concepts);
}

LexiconBuilder::LexiconBuilder(LexiconBuilderOptions options)
    : options_(options), impl_(std::make_unique<Impl>(options_)) {}

LexiconBuilder::~LexiconBuilder() = default;

void LexiconBuilder::add(std::span<const LexiconEntry> entries) {
    std::vector<Prepared> prepared(entries.size());
    const std::size_t workers = impl::worker_count(entries.size(), impl_->workers.size());
    impl::parallel_for(entries.size(), workers, [&](std::size_t i, std::size_t w) {
        prepared[i] = impl_->prepare(*impl_->workers[w], entries[i]);
    });
    for (std::size_t i = 0; i < entries.size(); ++i) impl_->merge(entries[i].lang, entries[i].weight, prepared[i]);
}

std::size_t LexiconBuilder::entries_added() const { return impl_->added; }
std::size_t LexiconBuilder::entries_unused() const { return impl_->unused; }

std::string LexiconBuilder::key_of(const std::string& lang, const std::string& phrase) const {
    return impl_->key_of(*impl_->workers[0], lang, phrase);
}

std::string LexiconBuilder::describe() const {
    return options_.describe() + " rules=" + std::to_string(kRulesVersion) + " normalizer=" +
           impl_->normalizer.describe() + " segmenter=" + impl_->workers[0]->segmenter.describe() +
           " icu=" + U_ICU_VERSION;
}

LexiconBuildSummary LexiconBuilder::write(const std::string& path, const std::string& header_json) const {
    std::vector<Row> rows = impl_->ranked_rows();
    const std::vector<std::string_view> concepts = renumber_concepts(rows, impl_->concept_names);
    LexiconBuildSummary s;
    s.keys = rows.size();
    s.concepts = concepts.size();
    for (const auto& r : rows) ++s.keys_per_language[std::string(r.key.substr(0, r.key.find('\t')))];
    const std::string tmp = path + ".tmp";
    write_file(tmp, header_text(header_json, *this, s), concepts, rows);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) DOPPEL_THROW(kIo, "cannot rename " + tmp + " to " + path + ": " + ec.message());
    return s;
}

// ---- entries files ----------------------------------------------------------------------------
namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> f;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string_view::npos; start = tab + 1)
        f.push_back(line.substr(start, tab - start));
    f.push_back(line.substr(start));
    return f;
}

bool parse_number(std::string_view s, double& v) {
    std::string str(s);
    char* end = nullptr;
    v = std::strtod(str.c_str(), &end);
    return !str.empty() && end == str.c_str() + str.size() && std::isfinite(v);
}

// Parses one entry line; returns the reason it is bad, or empty.
std::string parse_entry(std::string_view line, LexiconEntry& e) {
    if (impl::valid_utf8_prefix(line) != line.size()) return "invalid UTF-8";
    const auto f = split_tabs(line);
    if (f.size() < 4 || f.size() > 5) return "expected 4 or 5 tab-separated fields, got " + std::to_string(f.size());
    if (f[0].empty() || f[0].find(' ') != std::string_view::npos) return "bad language code '" + std::string(f[0]) + "'";
    if (f[1].empty() || f[2].empty()) return "empty phrase";
    double weight = 0, max_concepts = 0;
    if (!parse_number(f[3], weight) || weight <= 0) return "weight must be a positive number";
    if (f.size() == 5 && (!parse_number(f[4], max_concepts) || max_concepts < 0 || max_concepts != std::floor(max_concepts)))
        return "max_concepts must be a whole number >= 0";
    e = {std::string(f[0]), std::string(f[1]), std::string(f[2]), weight, static_cast<std::size_t>(max_concepts)};
    return {};
}

void check_entries_magic(const std::string& path, const std::string& first) {
    const std::string magic = kEntriesMagic;
    if (first.rfind(magic + " ", 0) != 0)
        DOPPEL_THROW(kBadFormat, path + ": not a lexicon entries file (first line must be '" + magic + " " +
                                     std::to_string(kEntriesVersion) + "')");
    if (first.substr(magic.size() + 1) != std::to_string(kEntriesVersion))
        DOPPEL_THROW(kVersion, path + ": entries format '" + first.substr(magic.size() + 1) + "', this build reads " +
                                   std::to_string(kEntriesVersion));
}

}  // namespace

std::size_t read_lexicon_entries(const std::string& path,
                                 const std::function<void(std::span<const LexiconEntry>)>& sink,
                                 std::vector<RecordError>& errors, std::size_t batch) {
    std::ifstream in(path, std::ios::binary);
    if (!in) DOPPEL_THROW(kIo, "cannot open " + path);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    check_entries_magic(path, line);
    std::vector<LexiconEntry> entries;
    std::size_t line_no = 1, n = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        LexiconEntry e;
        if (std::string why = parse_entry(line, e); !why.empty()) {
            errors.push_back({path, line_no, why});
            continue;
        }
        entries.push_back(std::move(e));
        if (entries.size() >= batch) {
            sink(entries);
            n += entries.size();
            entries.clear();
        }
    }
    if (!entries.empty()) sink(entries);
    return n + entries.size();
}

struct LexiconCoverageCounter::Impl {
    explicit Impl(const BridgeLexicon& l) : lexicon(l) {}
    const BridgeLexicon& lexicon;
    Normalizer normalizer;
    Segmenter segmenter;
    Stemmer stemmer;
    std::unique_ptr<TextKeys> keys;  // made on first use (Chinese only)
};

LexiconCoverageCounter::LexiconCoverageCounter(const BridgeLexicon& lexicon)
    : impl_(std::make_unique<Impl>(lexicon)) {}
LexiconCoverageCounter::~LexiconCoverageCounter() = default;

void LexiconCoverageCounter::add(const std::string& lang, std::string_view raw, LexiconCoverage& into) {
    std::string text = impl_->normalizer.normalize_text(raw);
    if (lang == "zh") {
        if (!impl_->keys) impl_->keys = std::make_unique<TextKeys>();
        text = impl_->keys->simplified_chinese(text);
    }
    std::vector<std::string_view> words;
    for (auto sp : impl_->segmenter.words(text)) words.emplace_back(text.data() + sp.begin, sp.size());
    std::vector<char> covered(words.size(), 0);
    for (const auto& m : impl_->lexicon.match(lang, words, impl_->stemmer))
        std::fill(covered.begin() + m.first, covered.begin() + m.first + m.count, 1);
    if (lang == "ko")  // as the embedder: a Hangul word may be an English loanword
        for (std::size_t i = 0; i < words.size(); ++i)
            if (!covered[i] && !impl_->lexicon.lookup_korean_loanword(impl_->stemmer.stem(lang, words[i])).empty())
                covered[i] = 1;
    if (const char* fb = fallback_language(lang))  // as the embedder: the relative's entries, word by word
        for (std::size_t i = 0; i < words.size(); ++i)
            if (!covered[i] && !impl_->lexicon.lookup_word(fb, words[i], impl_->stemmer).empty()) covered[i] = 1;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (is_number(words[i]) || (code_points(words[i]) < 2 && !is_cjk_word(words[i]))) continue;
        ++into.words;
        into.covered += covered[i];
    }
}

}  // namespace doppel
