// libFuzzer target: the JSONL reader on arbitrary bytes (records, HTML records, limits); and on
// every line, the fast record reader (ingest/json_record.h) against nlohmann::json: a line it
// reads must be one nlohmann::json reads the same way (it aborts otherwise).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "doppel/ingest/document_reader.h"
#include "ingest/json_record.h"

namespace {

void check_fast_reader(const std::string& line) {
    using doppel::ingest::RecordField;
    doppel::ingest::RecordFields fast;
    if (!doppel::validate_utf8(line) ||
        doppel::ingest::scan_json_record(line, &fast) != doppel::ingest::ScanResult::kRead)
        return;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();  // read what nlohmann::json rejects
    for (std::size_t k = 0; k < doppel::ingest::kRecordKeys.size(); ++k) {
        const auto it = j.find(doppel::ingest::kRecordKeys[k]);
        const RecordField& f = fast.fields[k];
        const auto type = it == j.end()        ? RecordField::Type::kAbsent
                          : it->is_string()    ? RecordField::Type::kString
                                               : RecordField::Type::kOther;
        if (f.type != type || (type == RecordField::Type::kString && f.value != it->get<std::string>()))
            std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    std::istringstream in(bytes);
    doppel::ReaderOptions options;
    options.max_document_bytes = 1 << 16;
    doppel::DocumentReader reader(in, "fuzz", options);
    std::vector<doppel::Document> docs;
    std::vector<doppel::RecordError> errors;
    while (reader.next_batch(16, docs, errors)) docs.clear();
    std::istringstream lines(bytes);
    for (std::string line; std::getline(lines, line);) check_fast_reader(line);
    return 0;
}
