#include "cli/align_support.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "doppel/error.h"
#include "doppel/ingest/document_reader.h"

namespace doppel::cli {
namespace fs = std::filesystem;

AlignSide UnitDocument::side() const {
    AlignSide s;
    s.lang = lang;
    s.units.reserve(units.size());
    for (const Span& u : units) s.units.emplace_back(std::string_view(text).substr(u.begin, u.size()));
    return s;
}

std::unique_ptr<LanguageIdentifier> load_langid(const Globals& g) {
    const std::string path = model_path(g, "lid.176.ftz");
    if (!fs::exists(path)) return nullptr;
    return std::make_unique<LanguageIdentifier>(path);
}

UnitDocument load_document_file(const std::string& path, UnitKind kind, const LanguageIdentifier* langid,
                                Segmenter& segmenter) {
    UnitDocument d;
    d.id = fs::path(path).stem().string();
    if (kind == UnitKind::kLines) {
        std::ifstream f(path, std::ios::binary);
        if (!f) DOPPEL_THROW(kIo, path + ": cannot read the file");
        std::ostringstream ss;
        ss << f.rdbuf();
        d.text = ss.str();
        std::size_t line = 0;
        if (!validate_utf8(d.text, &line)) DOPPEL_THROW(kBadFormat, path + ":" + std::to_string(line) + ": invalid UTF-8");
    } else {
        DocumentReader reader({path});
        std::vector<Document> docs;
        std::vector<RecordError> errors;
        while (docs.empty() && reader.next_batch(1, docs, errors)) {
        }
        if (docs.empty()) DOPPEL_THROW(kNotFound, errors.empty() ? path + ": no document" : errors.front().to_string());
        d.id = docs.front().id;
        d.text = std::move(docs.front().text);
        d.lang = docs.front().lang_hint;
    }
    if (d.lang.empty() && langid) {
        // The first 32 KiB (cut at a line break) tell the language as well as the whole text.
        std::size_t end = d.text.size();
        if (end > (32u << 10)) {
            end = d.text.rfind('\n', 32u << 10);
            if (end == std::string::npos || end == 0) end = std::min<std::size_t>(d.text.size(), 32u << 10);
        }
        d.lang = langid->identify(std::string_view(d.text).substr(0, end)).lang;
    }
    d.units = split_units(d.text, kind, d.lang, segmenter);
    return d;
}

std::unique_ptr<Aligner> make_aligner(const Globals& g, const std::string& spec) {
    const std::string dir = find_models_dir(g);
    if (!spec.empty()) return Aligner::from_spec(spec, dir);
    // Without the bridge lexicon (scripts/setup.sh builds it), anchors and cognates alone.
    const bool lexicon = fs::exists(fs::path(dir) / "bridge.lex");
    return Aligner::from_spec(lexicon ? Aligner::kDefaultSpec : Aligner::kLexicalSpec, dir);
}

std::string bead_units(const Bead& b) {
    std::string s = "[";
    for (uint32_t i = b.a_begin; i < b.a_end; ++i) s += (i > b.a_begin ? ", " : "") + std::to_string(i);
    s += "]:[";
    for (uint32_t j = b.b_begin; j < b.b_end; ++j) s += (j > b.b_begin ? ", " : "") + std::to_string(j);
    return s + "]";
}

nlohmann::json bead_json(const Bead& b, const UnitDocument& a, const UnitDocument& bdoc, bool with_text) {
    nlohmann::json ja = nlohmann::json::array(), jb = nlohmann::json::array();
    for (uint32_t i = b.a_begin; i < b.a_end; ++i) ja.push_back(i);
    for (uint32_t j = b.b_begin; j < b.b_end; ++j) jb.push_back(j);
    nlohmann::json j = {{"a", ja}, {"b", jb}, {"score", b.score}, {"similarity", b.similarity}};
    if (with_text) {
        auto text = [](const UnitDocument& d, uint32_t from, uint32_t to) {
            std::string s;
            for (uint32_t k = from; k < to; ++k) {
                if (!s.empty()) s += ' ';
                s += d.text.substr(d.units[k].begin, d.units[k].size());
            }
            return s;
        };
        j["a_text"] = text(a, b.a_begin, b.a_end);
        j["b_text"] = text(bdoc, b.b_begin, b.b_end);
    }
    return j;
}

nlohmann::json pair_json(const Alignment& al) {
    std::size_t aligned = 0;
    for (const Bead& b : al.beads) aligned += b.aligned();
    return {{"score", al.score},
            {"label", pair_label_name(al.label)},
            {"coverage_a", al.coverage_a},
            {"coverage_b", al.coverage_b},
            {"quality", al.quality},
            {"document_similarity", al.document_similarity},
            {"beads", al.beads.size()},
            {"aligned_beads", aligned}};
}

}  // namespace doppel::cli
