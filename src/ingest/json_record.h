// doppel (private): the fields of one JSONL record, read fast for the forms nearly every input has.
//
// A JSONL record is a JSON object; a Document takes the string values of a few of its keys
// (document_reader.h: id, text, html, title, url, date, lang). scan_json_record() reads them in
// one pass over the line, with no tree and each taken string unescaped once, about 20 times
// faster than a general parser. It answers only where it is sure: for anything it does not read
// itself (not an object, malformed JSON, a key with escapes, a taken key given twice, a number
// with an exponent or more than 18 digits before the point, nesting deeper than 64, an id that
// is a number) it answers kUnsure, and the caller parses the line with nlohmann::json, which
// gives the verdict and the error message. So every line it reads, it reads exactly as
// nlohmann::json would (same strings, same acceptance); the UTF-8 of the line must be checked
// before (JSONL lines are: JsonlStream validates them first).
//
// Thread safety: a pure function.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace doppel::ingest {

// The keys a record is read for, in this order.
inline constexpr std::array<std::string_view, 7> kRecordKeys = {"id", "text", "html", "title", "url", "date", "lang"};
enum RecordKey { kKeyId, kKeyText, kKeyHtml, kKeyTitle, kKeyUrl, kKeyDate, kKeyLang };

struct RecordField {
    enum class Type { kAbsent, kString, kOther };  // kOther: a value of another JSON type
    Type type = Type::kAbsent;
    std::string value;  // the string, unescaped (kString)
};

struct RecordFields {
    std::array<RecordField, kRecordKeys.size()> fields;
    RecordField& operator[](RecordKey k) { return fields[k]; }
};

enum class ScanResult { kRead, kUnsure };

// Reads `line` (valid UTF-8, without its line break) into *out (cleared first) and returns
// kRead, or returns kUnsure (see above; *out is then unspecified).
ScanResult scan_json_record(std::string_view line, RecordFields* out);

}  // namespace doppel::ingest
