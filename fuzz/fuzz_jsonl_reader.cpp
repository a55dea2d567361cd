// libFuzzer target: the JSONL reader on arbitrary bytes (records, HTML records, limits).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "doppel/ingest/document_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    doppel::ReaderOptions options;
    options.max_document_bytes = 1 << 16;
    doppel::DocumentReader reader(in, "fuzz", options);
    std::vector<doppel::Document> docs;
    std::vector<doppel::RecordError> errors;
    while (reader.next_batch(16, docs, errors)) docs.clear();
    return 0;
}
