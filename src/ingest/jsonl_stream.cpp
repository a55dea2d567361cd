// JSONL input: one JSON object a line (document_reader.h names the fields), read by
// scan_json_record() (ingest/json_record.h) and, where it is unsure, by nlohmann::json.
#include <nlohmann/json.hpp>

#include "ingest/bounded_io.h"
#include "ingest/json_record.h"
#include "ingest/record_stream.h"

namespace doppel::ingest {
namespace {

bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\n\r\f\v") == std::string::npos; }

class JsonlStream : public RecordStream {
public:
    JsonlStream(std::unique_ptr<ByteSource> source, std::istream* in, std::string name, const ReaderOptions& options)
        : source_(std::move(source)), owned_in_(source_ ? std::make_unique<std::istream>(source_.get()) : nullptr),
          lines_(owned_in_ ? *owned_in_ : *in, jsonl_line_limit(options)), name_(std::move(name)), options_(options) {}

    bool next(std::vector<Document>& out, std::vector<RecordError>& errors) override;
    uint64_t consumed() const override { return source_ ? source_->raw_consumed() : lines_.consumed(); }

private:
    bool finish(std::vector<RecordError>& errors, const char* why);
    bool parse_line(std::string& line, Document& doc, std::vector<RecordError>& errors);
    bool parse_json(const std::string& line, RecordFields& r, std::vector<RecordError>& errors);
    bool take_body(RecordFields& r, Document& doc, std::vector<RecordError>& errors);
    void error(std::vector<RecordError>& errors, std::string reason) {
        errors.push_back({name_, line_, std::move(reason)});
    }

    std::unique_ptr<ByteSource> source_;
    std::unique_ptr<std::istream> owned_in_;
    LineReader lines_;
    std::string name_;
    ReaderOptions options_;
    std::size_t line_ = 0;
    std::size_t records_ = 0;  // documents and bad records met
    // The line read, kept from one record to the next up to kKeptLineBytes: a line's buffer
    // grown afresh for each record was copied at each doubling, into memory never touched
    // before (the copyright corpus's records of 2 MB: 30 ms of reading's 90).
    static constexpr std::size_t kKeptLineBytes = std::size_t(8) << 20;
    std::string line_buffer_;
    bool done_ = false;
};

bool JsonlStream::finish(std::vector<RecordError>& errors, const char* why) {
    done_ = true;
    if (source_ && !source_->error().empty()) errors.push_back({name_, line_ + 1, source_->error()});
    else if (why) errors.push_back({name_, line_ + 1, why});
    else if (records_ == 0) errors.push_back({name_, 0, "no records in it"});
    return false;
}

bool JsonlStream::next(std::vector<Document>& out, std::vector<RecordError>& errors) {
    if (done_) return false;
    std::string& line = line_buffer_;
    for (;;) {
        const auto r = lines_.next(&line);
        if (r == LineReader::Result::kEnd) return finish(errors, nullptr);
        if (r == LineReader::Result::kBinary)
            return finish(errors, "binary data (a NUL byte), the rest of the file is skipped");
        // The last piece of a broken compressed stream is no record: the error says why.
        if (source_ && !source_->error().empty() && !lines_.ended_with_newline()) return finish(errors, nullptr);
        ++line_;
        if (r == LineReader::Result::kTooLong) {
            ++records_;
            error(errors, "record is " + human_size(lines_.length()) + ", over the limit of " +
                              human_size(jsonl_line_limit(options_)));
            return true;
        }
        if (is_blank(line)) continue;
        ++records_;
        Document doc;
        if (parse_line(line, doc, errors)) out.push_back(std::move(doc));
        if (line.capacity() > kKeptLineBytes) std::string().swap(line);
        return true;
    }
}

// The record's fields as nlohmann::json reads them: for the lines scan_json_record() is unsure of.
bool JsonlStream::parse_json(const std::string& line, RecordFields& r, std::vector<RecordError>& errors) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        error(errors, "malformed JSON");
        return false;
    }
    if (!j.is_object()) {
        error(errors, "a record must be a JSON object");
        return false;
    }
    for (std::size_t k = 0; k < kRecordKeys.size(); ++k) {
        auto it = j.find(kRecordKeys[k]);
        RecordField& f = r.fields[k];
        if (it == j.end()) continue;
        f.type = RecordField::Type::kOther;
        if (it->is_string()) {
            f.type = RecordField::Type::kString;
            f.value = std::move(it->get_ref<std::string&>());
        } else if (k == kKeyId && it->is_number_integer()) {
            f.type = RecordField::Type::kString;
            f.value = std::to_string(it->get<long long>());
        }
    }
    return true;
}

// "text", or "html" turned into text (and a title).
bool JsonlStream::take_body(RecordFields& r, Document& doc, std::vector<RecordError>& errors) {
    if (r[kKeyText].type == RecordField::Type::kString) {
        doc.text = std::move(r[kKeyText].value);
        return true;
    }
    if (r[kKeyHtml].type == RecordField::Type::kString) {
        std::string reason;
        if (extract_html_text(r[kKeyHtml].value, &doc.text, &doc.title, &reason, options_.extract)) return true;
        error(errors, reason);
        return false;
    }
    error(errors, "missing \"text\" (or \"html\") string");
    return false;
}

bool JsonlStream::parse_line(std::string& line, Document& doc, std::vector<RecordError>& errors) {
    std::size_t bad_line = 0, offset = 0;
    if (!validate_utf8(line, &bad_line, &offset)) {
        error(errors, "invalid UTF-8 at byte " + std::to_string(offset));
        return false;
    }
    RecordFields r;
    if (scan_json_record(line, &r) == ScanResult::kUnsure) {
        r = RecordFields{};
        if (!parse_json(line, r, errors)) return false;
    }
    if (r[kKeyId].type != RecordField::Type::kString) {
        error(errors, "missing \"id\" (a string)");
        return false;
    }
    doc.id = std::move(r[kKeyId].value);
    if (doc.id.empty()) {
        error(errors, "empty \"id\"");
        return false;
    }
    auto get_str = [&](RecordKey key) -> std::string {
        return r[key].type == RecordField::Type::kString ? std::move(r[key].value) : std::string();
    };
    if (!take_body(r, doc, errors)) return false;
    if (auto t = get_str(kKeyTitle); !t.empty()) doc.title = t;
    doc.url = get_str(kKeyUrl);
    doc.date = get_str(kKeyDate);
    doc.lang_hint = get_str(kKeyLang);
    doc.source = name_ + ":" + std::to_string(line_);
    if (doc.text.size() > options_.max_document_bytes) {
        error(errors, "text is " + human_size(doc.text.size()) + ", over the limit of " +
                          human_size(options_.max_document_bytes));
        return false;
    }
    std::size_t ignored = 0;
    std::string reason = check_document_text(doc.text, options_, &ignored);
    if (reason.empty()) return true;
    error(errors, std::move(reason));
    return false;
}

}  // namespace

std::size_t jsonl_line_limit(const ReaderOptions& options) {
    return options.max_document_bytes + (options.max_document_bytes >> 3) + 4096;
}

std::unique_ptr<RecordStream> open_jsonl_stream(std::unique_ptr<ByteSource> source, std::string name,
                                                const ReaderOptions& options) {
    return std::make_unique<JsonlStream>(std::move(source), nullptr, std::move(name), options);
}

std::unique_ptr<RecordStream> open_jsonl_stream(std::istream& in, std::string name, const ReaderOptions& options) {
    return std::make_unique<JsonlStream>(nullptr, &in, std::move(name), options);
}

}  // namespace doppel::ingest
