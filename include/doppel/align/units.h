// doppel: cutting a document into the units the aligner places.
//
// A unit is one of:
//  - kLines: every non-blank line, trimmed (for text that is already split one sentence or
//    segment a line, as in parallel corpora); units are numbered from 0 in file order, blank
//    lines skipped.
//  - kSentences: ICU sentences in the document's language, never crossing a line break.
//  - kParagraphs: runs of non-blank lines separated by blank lines; in a text without blank lines
//    (HTML extracted by ingest gives one line a block) every line is a paragraph.
//
// Thread safety: split_units uses the Segmenter it is given (one per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"
#include "doppel/normalize/segmenter.h"

namespace doppel {

enum class UnitKind { kLines, kSentences, kParagraphs };

// "lines", "sentences", "paragraphs"; throws doppel::Error on anything else.
UnitKind parse_unit_kind(const std::string& name);
const char* unit_kind_name(UnitKind kind);

// Byte spans of the units of `text`, in order. `lang` picks the sentence rules (may be empty).
std::vector<Span> split_units(std::string_view text, UnitKind kind, const std::string& lang, Segmenter& segmenter);

}  // namespace doppel
