#include "ingest/html_page.h"

#include "ingest/text_decoding.h"

namespace doppel::ingest {

bool page_to_text(std::string& bytes, const std::string& charset_named, bool meta,
                  const ReaderOptions& options, Document& doc, std::string* reason, std::size_t* line) {
    *line = 0;
    const std::string charset = charset_named.empty() && meta ? charset_of_html(bytes) : charset_named;
    if (!charset.empty() && charset != "utf-8") {
        std::string converted;
        if (!convert_to_utf8(charset, bytes, &converted, reason)) return false;
        bytes.swap(converted);
    }
    std::size_t offset = 0;
    if (!validate_utf8(bytes, line, &offset)) {
        *reason = "invalid UTF-8 at byte " + std::to_string(offset) +
                  (charset.empty() ? " (no charset named)" : "");
        return false;
    }
    *line = 0;
    return extract_html_text(bytes, &doc.text, &doc.title, reason, options.extract);
}

}  // namespace doppel::ingest
