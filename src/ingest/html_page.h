// doppel (private): the one way a page's bytes become a document's text.
//
// An .html file, a WARC response and (already UTF-8) a JSONL "html" field all go through
// page_to_text(): the bytes converted to UTF-8 from the charset the transport named (a WARC
// record's HTTP Content-Type) or else the page's own <meta charset>, checked as UTF-8, and the
// text and title extracted by extract_html_text() as options.extract says.
#pragma once

#include <cstddef>
#include <string>

#include "doppel/document.h"
#include "doppel/ingest/document_reader.h"

namespace doppel::ingest {

// `charset`: the charset named outside the page ("" for none); `meta`: whether the page's <meta>
// may name it when `charset` is "" (not when a byte-order mark decided it). `bytes` is left
// converted. Sets doc.text (not yet checked by check_document_text) and doc.title. On failure
// returns false with *reason and, for invalid UTF-8, *line (1-based; else 0).
bool page_to_text(std::string& bytes, const std::string& charset, bool meta, const ReaderOptions& options,
                  Document& doc, std::string* reason, std::size_t* line);

}  // namespace doppel::ingest
