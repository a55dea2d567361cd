#include "doppel/ingest/document_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "impl/spec.h"
#include "impl/utf8.h"
#include "ingest/bounded_io.h"
#include "ingest/html_page.h"
#include "ingest/input_walk.h"
#include "ingest/record_stream.h"
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

// Binary: a NUL byte in the first 8 KiB, or too many control characters there. One pass without
// branches (the compiler vectorizes it): counting at the first NUL instead saved nothing on text.
bool looks_binary(const std::string& s, double max_control_fraction) {
    const std::size_t n = std::min<std::size_t>(s.size(), 8192);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    uint32_t control = 0, nul = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char c = p[i];
        nul += c == 0;
        control += (c < 0x20) & (c != '\n') & (c != '\r') & (c != '\t') & (c != '\f');
    }
    if (nul) return true;
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
    std::vector<std::string> notes;

    // The input being read record by record, if any.
    std::unique_ptr<ingest::RecordStream> stream;
    std::string stream_name;
    bool counts_bytes = false;  // a file whose size is in bytes_total

    void expand() {
        expanded = true;
        inputs = ingest::expand_inputs(raw_paths, options.extensions, &bytes_total);
    }

    // Checks text shared by every input kind; returns false with an error when it is unusable.
    bool check_text(const std::string& path, std::string& text, std::vector<RecordError>& errors) {
        std::size_t line = 0;
        std::string reason = check_document_text(text, options, &line);
        if (reason.empty()) return true;
        errors.push_back({path, line, std::move(reason)});
        return false;
    }

    // Opens a file (decompressing) and reads it as its content or name says.
    void open_input(const Input& in, std::vector<Document>& out, std::vector<RecordError>& errors) {
        if (in.path == "-" && ::fcntl(STDIN_FILENO, F_GETFD) == -1) {
            errors.push_back({"-", 0, "standard input is closed"});
            return;
        }
        auto source = std::make_unique<ingest::ByteSource>();
        std::string reason;
        if (!source->open(in.path, &reason)) {
            errors.push_back({in.path, 0, reason});
            return;
        }
        const InputKind kind = source->peek().starts_with("WARC/1.") ? InputKind::kWarc : in.kind;
        stream_name = in.path;
        counts_bytes = in.path != "-";
        if (kind == InputKind::kJsonl) stream = ingest::open_jsonl_stream(std::move(source), in.path, options);
        else if (kind == InputKind::kWarc) stream = ingest::open_warc_stream(std::move(source), in.path, options);
        else if (kind == InputKind::kFeed) stream = ingest::open_feed_stream(std::move(source), in.path, options);
        else read_document(in, *source, out, errors);
    }

    void close_stream() {
        if (counts_bytes) bytes_read += stream->consumed();
        std::size_t total = 0;
        std::string what;
        for (const auto& [reason, n] : stream->skipped()) {
            total += n;
            what += (what.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
        }
        if (total) notes.push_back(stream_name + ": " + std::to_string(total) + " records are not documents (" + what + ")");
        stream.reset();
    }

    // A text or HTML file as one document.
    void read_document(const Input& in, ingest::ByteSource& source, std::vector<Document>& out,
                       std::vector<RecordError>& errors) {
        std::string data, reason;
        std::size_t consumed = 0;
        bool marked = false;
        const bool ok = ingest::read_bounded(source, options.max_document_bytes, &data, &reason, &consumed);
        bytes_read += source.raw_consumed();
        if (!source.error().empty()) reason = source.error();
        else if (ok && !ingest::decode_to_utf8(&data, &reason, &marked)) data.clear();
        if (!ok || !reason.empty()) {
            errors.push_back({in.path, 0, reason});
            return;
        }
        Document doc;
        doc.id = in.id;
        doc.source = in.path;
        if (in.kind == InputKind::kHtml ? html_document(in.path, data, marked, doc, errors)
                                        : (doc.text = std::move(data), check_text(in.path, doc.text, errors)))
            out.push_back(std::move(doc));
    }

    // A page: converted from the charset its <meta> names (unless a byte-order mark named one,
    // `marked`), then its text extracted.
    bool html_document(const std::string& path, std::string& data, bool marked, Document& doc,
                       std::vector<RecordError>& errors) {
        std::string reason;
        std::size_t line = 0;
        if (looks_binary(data, options.max_control_fraction)) reason = "binary data, not text";
        else if (ingest::page_to_text(data, marked ? "utf-8" : "", !marked, options, doc, &reason, &line))
            return check_text(path, doc.text, errors);
        errors.push_back({path, line, reason});
        return false;
    }

    bool next_batch(std::size_t max_docs, std::vector<Document>& out, std::vector<RecordError>& errors,
                    std::size_t max_bytes) {
        if (!expanded) expand();
        const std::size_t before = out.size();
        std::size_t bytes = 0, counted = before;
        auto count_bytes = [&] {
            for (; counted < out.size(); ++counted) bytes += out[counted].text.size();
        };
        while (out.size() - before < max_docs && bytes < max_bytes) {
            if (stream) {
                if (!stream->next(out, errors)) close_stream();
                count_bytes();
                continue;
            }
            if (next_input >= inputs.size()) break;
            const Input& in = inputs[next_input++];
            if (!in.problem.empty()) errors.push_back({in.path, 0, in.problem});
            else open_input(in, out, errors);
            count_bytes();
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
    impl_->stream_name = name;
    impl_->stream = ingest::open_jsonl_stream(in, std::move(name), impl_->options);
}

DocumentReader::~DocumentReader() = default;

bool DocumentReader::next_batch(std::size_t max_docs, std::vector<Document>& out,
                                std::vector<RecordError>& errors, std::size_t max_bytes) {
    return impl_->next_batch(max_docs, out, errors, max_bytes);
}

uint64_t DocumentReader::bytes_read() const {
    const bool live = impl_->stream && impl_->counts_bytes;
    return impl_->bytes_read + (live ? impl_->stream->consumed() : 0);
}
std::vector<std::string> DocumentReader::notes() const { return impl_->notes; }
uint64_t DocumentReader::bytes_total() const { return impl_->bytes_total; }

std::string DocumentReader::describe() const { return impl_->options.describe(); }

const char* html_extract_name(HtmlExtract extract) { return extract == HtmlExtract::kAll ? "all" : "article"; }

ReaderOptions ReaderOptions::from_spec(const std::string& spec) {
    impl::ParsedSpec p = impl::parse_spec(spec);
    DOPPEL_CHECK(kBadSpec, p.name == "reader", "spec '" + spec + "': expected reader:...");
    ReaderOptions o;
    double bytes = 0;
    if (p.take_double("max_bytes", bytes)) {
        DOPPEL_CHECK(kBadSpec, bytes >= 1, "spec '" + spec + "': max_bytes must be at least 1");
        o.max_document_bytes = static_cast<std::size_t>(bytes);
    }
    if (std::string e; p.take("extract", e)) {
        DOPPEL_CHECK(kBadSpec, e == "article" || e == "all", "spec '" + spec + "': extract must be article or all");
        o.extract = e == "all" ? HtmlExtract::kAll : HtmlExtract::kArticle;
    }
    p.check_empty();
    return o;
}

std::string ReaderOptions::describe() const {
    return "reader:max_bytes=" + std::to_string(max_document_bytes) + ",extract=" + html_extract_name(extract);
}

}  // namespace doppel
