// TSV fields: every id or other text written to a TSV column goes through tsv_field(), so that a
// tab, line break or backslash inside it cannot split a column or a row. Escapes, as in
// PostgreSQL's text COPY format and Python's csv "escapechar": tab -> \t, newline -> \n,
// carriage return -> \r, backslash -> \\. tsv_unescape() reverses it for TSV input (score).
#pragma once

#include <string>
#include <string_view>

namespace doppel::cli {

std::string tsv_field(std::string_view s);
std::string tsv_unescape(std::string_view s);

}  // namespace doppel::cli
