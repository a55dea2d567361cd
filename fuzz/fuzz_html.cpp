// libFuzzer target: HTML text extraction (the markup pre-scan, gumbo, the tree walk).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "doppel/ingest/document_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view html(reinterpret_cast<const char*>(data), size);
    std::string text, title, reason;
    doppel::HtmlLimits limits;
    limits.max_depth = 256;
    doppel::extract_html_text(html, &text, &title, &reason, doppel::HtmlExtract::kArticle, limits);
    return 0;
}
