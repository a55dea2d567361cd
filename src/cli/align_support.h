// Shared by the align and score commands: loading a document as units, building the aligner,
// writing alignments.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/common.h"
#include "doppel/align/aligner.h"
#include "doppel/align/units.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/normalize/segmenter.h"

namespace doppel::cli {

struct UnitDocument {
    std::string id;
    std::string text;
    std::string lang;
    std::vector<Span> units;
    AlignSide side() const;  // views into text: keep this object alive
};

// The language identifier when models/lid.176.ftz is there, else null (languages then unknown).
std::unique_ptr<LanguageIdentifier> load_langid(const Globals& g);

// Reads a file as the CLI reads inputs: in lines mode the raw text (one unit a non-blank line),
// otherwise through the document reader (HTML and JSONL turned into text; the first record).
// Throws doppel::Error when the file cannot be read.
UnitDocument load_document_file(const std::string& path, UnitKind kind, const LanguageIdentifier* langid,
                                Segmenter& segmenter);

// The aligner from a spec string; when empty Aligner::kDefaultSpec, or kLexicalSpec when the
// models folder has no bridge.lex.
std::unique_ptr<Aligner> make_aligner(const Globals& g, const std::string& spec);

// "[0, 1]:[2]"
std::string bead_units(const Bead& b);
nlohmann::json bead_json(const Bead& b, const UnitDocument& a, const UnitDocument& bdoc, bool with_text);
nlohmann::json pair_json(const Alignment& al);

}  // namespace doppel::cli
