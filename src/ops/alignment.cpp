#include "doppel/ops/alignment.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "doppel/error.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/store/store.h"

namespace doppel {
namespace fs = std::filesystem;

std::string UnitDocument::unit_text(std::size_t from, std::size_t to) const {
    std::string s;
    for (std::size_t k = from; k < to; ++k) {
        if (!s.empty()) s += ' ';
        s += unit(k);
    }
    return s;
}

AlignSide UnitDocument::side() const {
    AlignSide s;
    s.lang = lang;
    s.units.reserve(units.size());
    for (std::size_t i = 0; i < units.size(); ++i) s.units.push_back(unit(i));
    return s;
}

std::size_t AlignedPair::aligned_beads() const {
    std::size_t n = 0;
    for (const Bead& b : alignment.beads) n += b.aligned();
    return n;
}

UnitReader::UnitReader(UnitKind kind, const LanguageIdentifier* langid)
    : kind_(kind), langid_(langid), segmenter_(std::make_unique<Segmenter>()) {}

UnitReader::~UnitReader() = default;

UnitDocument UnitReader::from_text(std::string id, std::string text, std::string lang) {
    UnitDocument d;
    d.id = std::move(id);
    d.text = std::move(text);
    d.lang = std::move(lang);
    d.kind = kind_;
    d.units = split_units(d.text, kind_, d.lang, *segmenter_);
    return d;
}

UnitDocument UnitReader::from_store(const Store& store, const std::string& id) {
    auto d = store.get(id, true);
    if (!d) DOPPEL_THROW(kNotFound, "no document '" + id + "' in the store");
    return from_text(std::move(d->id), std::move(d->text), std::move(d->lang));
}

namespace {

// The text of a file read whole (lines mode): it must be UTF-8.
std::string read_text_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) DOPPEL_THROW(kIo, path + ": cannot read the file");
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    std::size_t line = 0;
    if (!validate_utf8(text, &line)) DOPPEL_THROW(kBadFormat, path + ":" + std::to_string(line) + ": invalid UTF-8");
    return text;
}

// The first document of a file, through the document reader.
Document read_first_document(const std::string& path) {
    DocumentReader reader({path});
    std::vector<Document> docs;
    std::vector<RecordError> errors;
    while (docs.empty() && reader.next_batch(1, docs, errors)) {
    }
    if (docs.empty()) DOPPEL_THROW(kNotFound, errors.empty() ? path + ": no document" : errors.front().to_string());
    return std::move(docs.front());
}

}  // namespace

UnitDocument UnitReader::from_file(const std::string& path) {
    std::string id, text, lang;
    if (kind_ == UnitKind::kLines) {
        id = fs::path(path).stem().string();
        text = read_text_file(path);
    } else {
        Document doc = read_first_document(path);
        id = std::move(doc.id);
        text = std::move(doc.text);
        lang = std::move(doc.lang_hint);
    }
    return from_text_identified(std::move(id), std::move(text), std::move(lang));
}

UnitDocument UnitReader::from_text_identified(std::string id, std::string text, std::string lang) {
    if (lang.empty() && langid_) lang = langid_->identify_document(text).lang;
    return from_text(std::move(id), std::move(text), std::move(lang));
}

std::unique_ptr<LanguageIdentifier> load_language_identifier(const std::string& models_dir) {
    const fs::path path = fs::path(models_dir) / "lid.176.ftz";
    if (!fs::exists(path)) return nullptr;
    return std::make_unique<LanguageIdentifier>(path.string());
}

std::unique_ptr<Aligner> make_aligner(const std::string& models_dir, const std::string& spec) {
    if (!spec.empty()) return Aligner::from_spec(spec, models_dir);
    // Without the bridge lexicon (scripts/setup.sh builds it), anchors and cognates alone; without
    // the pair dictionary (scripts/build-pairs), no direct word pairs.
    const bool lexicon = fs::exists(fs::path(models_dir) / "bridge.lex");
    const bool pairs = fs::exists(fs::path(models_dir) / "pairs.lex");
    const char* spec_used = !lexicon ? Aligner::kLexicalSpec : pairs ? Aligner::kDefaultSpec : Aligner::kBridgeSpec;
    return Aligner::from_spec(spec_used, models_dir);
}

AlignedPair align_documents(UnitDocument a, UnitDocument b, const Aligner& aligner) {
    AlignedPair p{std::move(a), std::move(b), {}};
    p.alignment = aligner.align(p.a.side(), p.b.side());
    return p;
}

AlignedPair align_stored_pair(const Store& store, const std::string& id_a, const std::string& id_b,
                              const Aligner& aligner, UnitReader& reader) {
    UnitDocument a = reader.from_store(store, id_a);
    return align_documents(std::move(a), reader.from_store(store, id_b), aligner);
}

AlignedPair align_files(const std::string& path_a, const std::string& path_b, const Aligner& aligner,
                        UnitReader& reader) {
    UnitDocument a = reader.from_file(path_a);
    return align_documents(std::move(a), reader.from_file(path_b), aligner);
}

std::vector<ScoredPair> score_pairs(std::span<const PairToScore> pairs, const Aligner& aligner, UnitReader& reader,
                                    const Store* store) {
    std::vector<ScoredPair> out(pairs.size());
    auto read = [&](const std::string& ref) { return store ? reader.from_store(*store, ref) : reader.from_file(ref); };
    std::vector<std::size_t> ok;  // pairs read, in order
    for (std::size_t k = 0; k < pairs.size(); ++k) {
        try {
            out[k].pair.a = read(pairs[k].a);
            out[k].pair.b = read(pairs[k].b);
            ok.push_back(k);
        } catch (const Error& e) {
            out[k].pair = {};
            out[k].error = e.what();
        }
    }
    std::vector<AlignSide> a(ok.size()), b(ok.size());
    for (std::size_t j = 0; j < ok.size(); ++j) {
        a[j] = out[ok[j]].pair.a.side();
        b[j] = out[ok[j]].pair.b.side();
    }
    std::vector<Alignment> al(ok.size());
    aligner.align_batch(ok.size(), a.data(), b.data(), al.data());
    for (std::size_t j = 0; j < ok.size(); ++j) out[ok[j]].pair.alignment = std::move(al[j]);
    return out;
}

}  // namespace doppel
