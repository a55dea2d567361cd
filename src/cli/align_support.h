// Shared by the align, score, translations and report commands: writing alignments
// (ops/alignment.h) and translation pairs (ops/translations.h) as text and JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <array>
#include <iosfwd>
#include <string>

#include "doppel/ops/alignment.h"
#include "doppel/ops/translations.h"

#include "cli/metadata.h"
#include "ops/record_json.h"

namespace doppel::cli {

// "[0, 1]:[2]"
std::string bead_units(const Bead& b);
// bead_json, pair_json, beads_json: the records' parts (ops/record_json.h, shared with the
// Python module).
using json_records::bead_json;
using json_records::beads_json;
using json_records::pair_json;

// Pairs per label, indexed by LinkLabel (translation, partial, same-story).
using LabelCounts = std::array<std::size_t, 3>;

// "id_a<TAB>id_b<TAB>score<TAB>label" (score with 4 decimals).
std::string translation_tsv(const TranslationPair& p);
// A pair's JSONL record; with an aligned pair its alignment and aligned units.
// With `meta`, the documents' url_a, title_a, date_a, url_b, ... are added.
nlohmann::json translation_json(const TranslationPair& p, const AlignedPair* aligned, DocumentMetadata* meta = nullptr);
// {"matcher": SPEC, "associations": SPEC, ...} of TranslationSearch::specs.
nlohmann::json specs_json(const TranslationSearch& found);
// The JSONL summary record: {"type":"summary","documents":N,"translation":N,...,"specs":{...}}.
nlohmann::json summary_json(const TranslationSearch& found, const LabelCounts& counts, const nlohmann::json& specs);
// Writes the pairs as TSV or JSONL lines to out; with an aligner, JSONL records of translation
// and partial pairs hold their alignment over `units` (aligned a batch at a time with
// score_pairs), and specs gets the aligner's spec and the units. Returns the pairs per label.
LabelCounts write_translations(std::ostream& out, const std::string& format, UnitKind units, const Store& store,
                               const TranslationSearch& found, const Aligner* aligner, nlohmann::json& specs);
// The summary line: counts and time per stage.
std::string summary_line(const TranslationSearch& found, const LabelCounts& counts, bool learn);

// A scored pair (doppel score): "a<TAB>b<TAB>score<TAB>label<TAB>coverage_a<TAB>coverage_b", or
// its JSONL record with the aligned beads.
std::string scored_pair_tsv(const PairToScore& refs, const AlignedPair& p);
nlohmann::json scored_pair_json(const PairToScore& refs, const AlignedPair& p, bool with_text);

}  // namespace doppel::cli
