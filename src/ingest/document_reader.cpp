#include "doppel/ingest/document_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "impl/utf8.h"
#include "ingest/bounded_io.h"
#include "ingest/input_walk.h"
#include "ingest/text_decoding.h"

namespace doppel {
namespace fs = std::filesystem;

bool validate_utf8(const std::string& text, std::size_t* line, std::size_t* byte_offset) {
    const std::size_t ok = impl::valid_utf8_prefix(text);
    if (ok == text.size()) return true;
    if (byte_offset) *byte_offset = ok;
    if (line) *line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + ok, '\n'));
    return false;
}

namespace {

using ingest::human_size;
using ingest::Input;
using ingest::InputKind;

// CR LF and lone CR line ends become LF.
void normalize_line_ends(std::string& s) {
    if (s.find('\r') == std::string::npos) return;
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else {
            out.push_back(s[i]);
        }
    }
    s.swap(out);
}

bool is_blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    });
}

// Binary: a NUL byte in the first 8 KiB, or too many control characters there.
bool looks_binary(const std::string& s, double max_control_fraction) {
    const std::size_t n = std::min<std::size_t>(s.size(), 8192);
    std::size_t control = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == 0) return true;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++control;
    }
    return n > 0 && static_cast<double>(control) / static_cast<double>(n) > max_control_fraction;
}

}  // namespace

std::string check_document_text(std::string& text, const ReaderOptions& options, std::size_t* line) {
    if (line) *line = 0;
    if (text.size() > options.max_document_bytes)
        return "text is " + human_size(text.size()) + ", over the limit of " +
               human_size(options.max_document_bytes);
    if (looks_binary(text, options.max_control_fraction)) return "binary data, not text";
    std::size_t offset = 0;
    if (!validate_utf8(text, line, &offset)) return "invalid UTF-8 at byte " + std::to_string(offset);
    normalize_line_ends(text);
    if (is_blank(text)) return "empty document";
    return "";
}

struct DocumentReader::Impl {
    ReaderOptions options;
    std::vector<Input> inputs;
    std::size_t next_input = 0;
    bool expanded = false;
    std::vector<std::string> raw_paths;
    uint64_t bytes_read = 0;
    uint64_t bytes_total = 0;

    // The JSONL stream being read, if any.
    std::unique_ptr<std::ifstream> owned_stream;
    std::istream* stream = nullptr;
    std::unique_ptr<ingest::LineReader> lines;
    std::string stream_name;
    std::size_t stream_line = 0;
    std::size_t stream_records = 0;  // documents and bad records met in the stream
    bool counts_bytes = false;       // a file whose size is in bytes_total

    void expand() {
        expanded = true;
        inputs = ingest::expand_inputs(raw_paths, options.extensions, &bytes_total);
    }

    // The largest JSONL line kept: a document at the limit plus room for its JSON.
    std::size_t line_limit() const { return options.max_document_bytes + (options.max_document_bytes >> 3) + 4096; }

    // Checks text shared by every input kind; returns false with an error when it is unusable.
    bool check_text(const std::string& path, std::size_t base_line, std::string& text,
                    std::vector<RecordError>& errors) {
        std::size_t line = 0;
        std::string reason = check_document_text(text, options, &line);
        if (reason.empty()) return true;
        errors.push_back({path, base_line ? base_line : line, std::move(reason)});
        return false;
    }

    // Parses one JSONL line into a document; returns false with an error on a bad record.
    bool parse_jsonl_line(std::string& line, std::size_t lineno, Document& doc,
                          std::vector<RecordError>& errors) {
        std::size_t bad_line = 0, offset = 0;
        if (!validate_utf8(line, &bad_line, &offset)) {
            errors.push_back({stream_name, lineno, "invalid UTF-8 at byte " + std::to_string(offset)});
            return false;
        }
        nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) {
            errors.push_back({stream_name, lineno, "malformed JSON"});
            return false;
        }
        if (!j.is_object()) {
            errors.push_back({stream_name, lineno, "a record must be a JSON object"});
            return false;
        }
        auto id_it = j.find("id");
        if (id_it == j.end() || !(id_it->is_string() || id_it->is_number_integer())) {
            errors.push_back({stream_name, lineno, "missing \"id\" (a string)"});
            return false;
        }
        doc.id = id_it->is_string() ? id_it->get<std::string>() : std::to_string(id_it->get<long long>());
        if (doc.id.empty()) {
            errors.push_back({stream_name, lineno, "empty \"id\""});
            return false;
        }
        auto get_str = [&](const char* key) -> std::string {
            auto it = j.find(key);
            return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        auto text_it = j.find("text");
        auto html_it = j.find("html");
        if (text_it != j.end() && text_it->is_string()) {
            doc.text = text_it->get<std::string>();
        } else if (html_it != j.end() && html_it->is_string()) {
            std::string reason;
            if (!extract_html_text(html_it->get_ref<const std::string&>(), &doc.text, &doc.title, &reason)) {
                errors.push_back({stream_name, lineno, reason});
                return false;
            }
        } else {
            errors.push_back({stream_name, lineno, "missing \"text\" (or \"html\") string"});
            return false;
        }
        if (auto t = get_str("title"); !t.empty()) doc.title = t;
        doc.url = get_str("url");
        doc.date = get_str("date");
        doc.lang_hint = get_str("lang");
        doc.source = stream_name + ":" + std::to_string(lineno);
        if (doc.text.size() > options.max_document_bytes) {
            errors.push_back({stream_name, lineno, "text is " + human_size(doc.text.size()) +
                                                       ", over the limit of " +
                                                       human_size(options.max_document_bytes)});
            return false;
        }
        return check_text(stream_name, lineno, doc.text, errors);
    }

    void open_stream(const Input& in, std::vector<RecordError>& errors) {
        stream_line = 0;
        stream_records = 0;
        stream_name = in.path;
        counts_bytes = in.path != "-";
        if (in.path == "-") {
            if (::fcntl(STDIN_FILENO, F_GETFD) == -1) {
                errors.push_back({"-", 0, "standard input is closed"});
                return;
            }
            stream = &std::cin;
        } else {
            owned_stream = std::make_unique<std::ifstream>(in.path, std::ios::binary);
            if (!*owned_stream) {
                errors.push_back({in.path, 0, "cannot open file"});
                owned_stream.reset();
                return;
            }
            stream = owned_stream.get();
        }
        lines = std::make_unique<ingest::LineReader>(*stream, line_limit());
    }

    void close_stream(std::vector<RecordError>& errors, const char* why) {
        if (why) errors.push_back({stream_name, stream_line + 1, why});
        else if (stream_records == 0) errors.push_back({stream_name, 0, "no records in it"});
        if (counts_bytes) bytes_read += lines->consumed();
        stream = nullptr;
        lines.reset();
        owned_stream.reset();
    }

    // The next record of the open stream: true when one was read (good or bad), false at its end.
    bool next_stream_record(std::vector<Document>& out, std::vector<RecordError>& errors) {
        std::string line;
        for (;;) {
            const auto r = lines->next(&line);
            if (r == ingest::LineReader::Result::kEnd) {
                close_stream(errors, nullptr);
                return false;
            }
            if (r == ingest::LineReader::Result::kBinary) {
                close_stream(errors, "binary data (a NUL byte), the rest of the file is skipped");
                return false;
            }
            ++stream_line;
            if (r == ingest::LineReader::Result::kTooLong) {
                ++stream_records;
                errors.push_back({stream_name, stream_line, "record is " + human_size(lines->length()) +
                                                                 ", over the limit of " + human_size(line_limit())});
                return true;
            }
            if (is_blank(line)) continue;
            ++stream_records;
            Document doc;
            if (parse_jsonl_line(line, stream_line, doc, errors)) out.push_back(std::move(doc));
            return true;
        }
    }

    // A text or HTML file as one document; false (with an error) when it cannot be used.
    bool read_document_file(const Input& in, Document& doc, std::vector<RecordError>& errors) {
        std::string data, reason;
        std::size_t consumed = 0;
        const bool ok = ingest::read_bounded(in.path, options.max_document_bytes, &data, &reason, &consumed);
        bytes_read += consumed;
        if (ok && !ingest::decode_to_utf8(&data, &reason)) data.clear();
        if (!ok || !reason.empty()) {
            errors.push_back({in.path, 0, reason});
            return false;
        }
        doc.id = in.id;
        doc.source = in.path;
        if (in.kind != InputKind::kHtml) {
            doc.text = std::move(data);
            return check_text(in.path, 0, doc.text, errors);
        }
        if (looks_binary(data, options.max_control_fraction)) {
            errors.push_back({in.path, 0, "binary data, not text"});
            return false;
        }
        std::size_t line = 0, offset = 0;
        if (!validate_utf8(data, &line, &offset)) {
            errors.push_back({in.path, line, "invalid UTF-8 at byte " + std::to_string(offset)});
            return false;
        }
        if (!extract_html_text(data, &doc.text, &doc.title, &reason)) {
            errors.push_back({in.path, 0, reason});
            return false;
        }
        return check_text(in.path, 0, doc.text, errors);
    }

    bool next_batch(std::size_t max_docs, std::vector<Document>& out, std::vector<RecordError>& errors) {
        if (!expanded) expand();
        const std::size_t before = out.size();
        while (out.size() - before < max_docs) {
            if (stream) {
                next_stream_record(out, errors);
                continue;
            }
            if (next_input >= inputs.size()) break;
            const Input& in = inputs[next_input++];
            if (!in.problem.empty()) {
                errors.push_back({in.path, 0, in.problem});
            } else if (in.kind == InputKind::kJsonl) {
                open_stream(in, errors);
            } else {
                Document doc;
                if (read_document_file(in, doc, errors)) out.push_back(std::move(doc));
            }
        }
        return out.size() > before;
    }
};

DocumentReader::DocumentReader(std::vector<std::string> paths, ReaderOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->raw_paths = std::move(paths);
}

DocumentReader::DocumentReader(std::istream& in, std::string name, ReaderOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->expanded = true;
    impl_->stream = &in;
    impl_->stream_name = std::move(name);
    impl_->lines = std::make_unique<ingest::LineReader>(in, impl_->line_limit());
}

DocumentReader::~DocumentReader() = default;

bool DocumentReader::next_batch(std::size_t max_docs, std::vector<Document>& out,
                                std::vector<RecordError>& errors) {
    return impl_->next_batch(max_docs, out, errors);
}

uint64_t DocumentReader::bytes_read() const {
    const bool live = impl_->stream && impl_->counts_bytes && impl_->lines;
    return impl_->bytes_read + (live ? impl_->lines->consumed() : 0);
}
uint64_t DocumentReader::bytes_total() const { return impl_->bytes_total; }

std::string DocumentReader::describe() const {
    return "reader:max_bytes=" + std::to_string(impl_->options.max_document_bytes);
}

}  // namespace doppel
