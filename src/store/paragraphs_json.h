// doppel (private): the documents table's `paragraphs` column, the one home of its format.
//
// A JSON array with one array per paragraph, [begin, end, lang, confidence, inherited]
// (Paragraph's fields, document.h), written exactly as nlohmann::json's dump() writes that
// value (no spaces; the confidence, a float, as the shortest double that reads back, with ".0"
// on whole numbers, "null" when not finite; the language escaped as JSON, UTF-8 kept), so stores
// written before and after the hand-written encoder are the same byte for byte.
//
// Thread safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "doppel/document.h"

namespace doppel::store_detail {

// The column's text for `ps`. Throws nlohmann's type_error (as dump() did) on a language that is
// not valid UTF-8.
std::string paragraphs_json(const std::vector<Paragraph>& ps);
// The paragraphs of a column's text; none when it is not a JSON array.
std::vector<Paragraph> parse_paragraphs(const std::string& s);

}  // namespace doppel::store_detail
