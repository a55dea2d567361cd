// WARC input (WARC/1.0 and 1.1, ISO 28500), read by a small strict reader of our own over the
// decompressed byte stream (byte_source.h reads per-record gzip as Common Crawl writes it).
//
// A record: the version line, header fields up to a blank line, Content-Length bytes of block,
// then CRLF CRLF. `response` records carry an HTTP response: its status line and header are read
// here, its body becomes the document when it is HTML or text. `resource` and `conversion`
// records (WET files) carry the document directly. Every other record (warcinfo, request,
// metadata, revisit, ...) and every response that is not a page (a redirect, an image) is counted
// as skipped. A broken record (no version line, no Content-Length, a block that does not end in
// CRLF CRLF) is reported with its byte offset in the (decompressed) WARC stream, and reading goes
// on at the next line that starts a record.
#include <algorithm>
#include <string_view>

#include "ingest/bounded_io.h"
#include "ingest/dates.h"
#include "ingest/html_page.h"
#include "ingest/record_stream.h"
#include "ingest/text_decoding.h"

namespace doppel::ingest {
namespace {

constexpr std::size_t kMaxHeaderLine = 64 << 10;
constexpr std::size_t kMaxHeaderFields = 512;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool is_version_line(std::string_view line) { return line == "WARC/1.0" || line == "WARC/1.1"; }

// Header fields by lower-case name (the last of a repeated name wins).
struct Fields {
    std::vector<std::pair<std::string, std::string>> all;
    std::string get(std::string_view name) const {
        for (auto it = all.rbegin(); it != all.rend(); ++it)
            if (it->first == name) return it->second;
        return "";
    }
    // Parses "Name: value" lines of `block` from `pos` up to a blank line; returns the position
    // after it, or npos when there is none.
    std::size_t parse(std::string_view block, std::size_t pos) {
        while (pos < block.size()) {
            std::size_t eol = block.find('\n', pos);
            if (eol == std::string_view::npos) return std::string_view::npos;
            std::string_view line = block.substr(pos, eol - pos);
            if (line.ends_with('\r')) line.remove_suffix(1);
            pos = eol + 1;
            if (line.empty()) return pos;
            const auto colon = line.find(':');
            if (colon != std::string_view::npos)
                all.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
        }
        return std::string_view::npos;
    }
};

// A record's block, unchunked when its HTTP header says "Transfer-Encoding: chunked".
bool unchunk(std::string_view body, std::string* out) {
    out->clear();
    std::size_t pos = 0;
    for (;;) {
        const std::size_t eol = body.find('\n', pos);
        if (eol == std::string_view::npos) return false;
        const std::size_t size = std::strtoull(std::string(body.substr(pos, eol - pos)).c_str(), nullptr, 16);
        pos = eol + 1;
        if (size == 0) return true;
        if (pos + size > body.size()) return false;
        out->append(body.substr(pos, size));
        pos += size;
        if (pos < body.size() && body[pos] == '\r') ++pos;
        if (pos < body.size() && body[pos] == '\n') ++pos;
    }
}

// What a page's media type makes of it: 'h' HTML, 't' text, 0 neither.
char page_kind(std::string_view content_type) {
    const std::string t = lower(trim(content_type.substr(0, content_type.find(';'))));
    if (t.empty() || t == "text/html" || t == "application/xhtml+xml") return 'h';
    if (t == "text/plain") return 't';
    return 0;
}

class WarcStream : public RecordStream {
public:
    WarcStream(std::unique_ptr<ByteSource> source, std::string name, const ReaderOptions& options)
        : src_(std::move(source)), name_(std::move(name)), options_(options) {}

    bool next(std::vector<Document>& out, std::vector<RecordError>& errors) override;
    uint64_t consumed() const override { return src_->raw_consumed(); }

private:
    // One line without its CR LF, at most kMaxHeaderLine bytes kept; false at the end.
    bool read_line(std::string* line);
    bool find_record(std::vector<RecordError>& errors);
    bool read_header(Fields* fields, std::string* problem);
    bool read_block(std::size_t length, bool keep, std::string* block);
    bool end_of_record();
    void page(const Fields& warc, std::string& block, std::vector<Document>& out, std::vector<RecordError>& errors);
    bool http_body(std::string& block, std::string* content_type, std::string* body, std::string* skip);
    bool to_document(const Fields& warc, std::string_view content_type, std::string& body, Document& doc,
                     std::string* reason);
    void error(std::vector<RecordError>& errors, const std::string& reason) {
        errors.push_back({name_, 0, "WARC record at byte " + std::to_string(record_at_) + ": " + reason});
    }
    bool finish(std::vector<RecordError>& errors);

    std::unique_ptr<ByteSource> src_;
    std::string name_;
    ReaderOptions options_;
    uint64_t record_at_ = 0;      // offset of the record being read
    std::string pending_;         // a version line met while looking for the end of the last record
    uint64_t pending_at_ = 0;     // its offset
    bool quiet_ = false;          // skipping a broken record: reported already
    std::size_t records_ = 0;
    bool done_ = false;
};

bool WarcStream::read_line(std::string* line) {
    line->clear();
    for (;;) {
        const auto c = src_->sbumpc();
        if (c == std::char_traits<char>::eof()) return !line->empty();
        if (c == '\n') break;
        if (line->size() < kMaxHeaderLine) line->push_back(static_cast<char>(c));
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
}

// Moves to the next version line (skipping blank lines; anything else is reported once and
// skipped up to the next version line). False at the end of the stream.
bool WarcStream::find_record(std::vector<RecordError>& errors) {
    std::string line;
    bool reported = false;
    for (;;) {
        uint64_t at = src_->position();
        if (!pending_.empty()) {
            line.swap(pending_);
            pending_.clear();
            at = pending_at_;
        } else if (!read_line(&line)) {
            return false;
        }
        if (is_version_line(line)) {
            record_at_ = at;
            quiet_ = false;
            return true;
        }
        if (line.empty() || reported || quiet_) continue;
        record_at_ = at;
        error(errors, line.starts_with("WARC/") ? "WARC version '" + line.substr(0, 16) + "' is not 1.0 or 1.1"
                                                : "no WARC version line; skipped to the next record");
        reported = true;
    }
}

bool WarcStream::read_header(Fields* fields, std::string* problem) {
    std::string line, text;
    for (std::size_t n = 0; n <= kMaxHeaderFields; ++n) {
        if (!read_line(&line)) return *problem = "the file ends inside the WARC header", false;
        if (line.empty()) {
            fields->parse(text += "\n", 0);
            return true;
        }
        text += line + "\n";
    }
    *problem = "more than " + std::to_string(kMaxHeaderFields) + " WARC header fields";
    return false;
}

bool WarcStream::read_block(std::size_t length, bool keep, std::string* block) {
    block->clear();
    char buf[1 << 16];
    while (length > 0) {
        const auto want = static_cast<std::streamsize>(std::min(length, sizeof buf));
        const std::streamsize n = src_->sgetn(buf, want);
        if (n <= 0) return false;
        if (keep) block->append(buf, static_cast<std::size_t>(n));
        length -= static_cast<std::size_t>(n);
    }
    return true;
}

// The two CR LF after a block; a version line met instead is kept for the next record.
bool WarcStream::end_of_record() {
    std::string line;
    for (int k = 0; k < 2; ++k) {
        const uint64_t at = src_->position();
        if (!read_line(&line)) return k > 0;
        if (!line.empty()) {
            if (is_version_line(line)) pending_ = line, pending_at_ = at;
            return false;
        }
    }
    return true;
}

bool WarcStream::finish(std::vector<RecordError>& errors) {
    done_ = true;
    if (!src_->error().empty()) errors.push_back({name_, 0, src_->error()});
    else if (records_ == 0) errors.push_back({name_, 0, "no WARC records in it"});
    return false;
}

bool WarcStream::next(std::vector<Document>& out, std::vector<RecordError>& errors) {
    if (done_) return false;
    if (!find_record(errors)) return finish(errors);
    ++records_;
    Fields fields;
    std::string problem, block;
    if (!read_header(&fields, &problem)) {
        error(errors, problem);
        return quiet_ = true;
    }
    const std::string length = fields.get("content-length");
    if (length.empty() || length.size() > 15 || length.find_first_not_of("0123456789") != std::string::npos) {
        error(errors, "no valid Content-Length; skipped to the next record");
        return quiet_ = true;
    }
    const std::size_t n = std::stoull(length);
    const std::string type = fields.get("warc-type");
    const bool wanted = type == "response" || type == "resource" || type == "conversion";
    const bool keep = wanted && n <= options_.max_document_bytes + kMaxHeaderLine;
    if (!read_block(n, keep, &block)) {
        error(errors, "the file ends inside the record's block of " + length + " bytes");
        return finish(errors);
    }
    if (!end_of_record()) {
        error(errors, "the block of " + length + " bytes is not followed by CRLF CRLF (a wrong Content-Length?)");
        return quiet_ = true;
    }
    if (!wanted) ++skipped_["WARC " + (type.empty() ? std::string("untyped") : type) + " records"];
    else if (!keep) error(errors, "block is " + human_size(n) + ", over the limit of " + human_size(options_.max_document_bytes));
    else page(fields, block, out, errors);
    return true;
}

// The HTTP response in a block: *body and *content_type, or false with *skip (a response that
// is no page) or *problem set.
bool http_response(std::string& block, std::string* content_type, std::string* body, std::string* skip,
                   std::string* problem) {
    const std::size_t eol = block.find('\n');
    const auto space = block.find(' ');
    if (!block.starts_with("HTTP/") || eol == std::string::npos || space > eol) {
        *problem = "the response block is not an HTTP response";
        return false;
    }
    const int status = std::atoi(block.c_str() + space + 1);
    Fields http;
    const std::size_t start = http.parse(block, eol + 1);
    if (start == std::string::npos) {
        *problem = "the HTTP header has no end";
        return false;
    }
    *content_type = http.get("content-type");
    const std::string encoding = lower(http.get("content-encoding"));
    if (status < 200 || status > 299) *skip = "HTTP responses with a status other than 2xx";
    else if (!page_kind(*content_type)) *skip = "HTTP responses neither HTML nor text";
    else if (!encoding.empty() && encoding != "identity") *skip = "HTTP responses with a compressed body";
    if (!skip->empty()) return false;
    if (lower(http.get("transfer-encoding")).find("chunked") == std::string::npos) {
        *body = block.substr(start);
    } else if (!unchunk(std::string_view(block).substr(start), body)) {
        *problem = "broken chunked HTTP body";
        return false;
    }
    return true;
}

void WarcStream::page(const Fields& warc, std::string& block, std::vector<Document>& out,
                      std::vector<RecordError>& errors) {
    std::string content_type, body, skip, problem;
    const std::string type = warc.get("warc-type");
    if (type == "response") {
        if (!http_response(block, &content_type, &body, &skip, &problem)) {
            if (!skip.empty()) ++skipped_[skip];
            else error(errors, problem);
            return;
        }
    } else {
        content_type = warc.get("content-type");
        if (!page_kind(content_type)) {
            ++skipped_["WARC " + type + " records neither HTML nor text"];
            return;
        }
        body.swap(block);
    }
    Document doc;
    if (to_document(warc, content_type, body, doc, &problem)) out.push_back(std::move(doc));
    else error(errors, problem);
}

// The page's text in UTF-8 (charset from the HTTP header, else the page's <meta>, else UTF-8)
// and the record's metadata.
bool WarcStream::to_document(const Fields& warc, std::string_view content_type, std::string& body, Document& doc,
                             std::string* reason) {
    const std::string charset = charset_of_content_type(content_type);
    std::size_t line = 0;
    if (page_kind(content_type) == 'h') {
        if (!page_to_text(body, charset, true, options_, doc, reason, &line)) return false;
    } else if (!charset.empty() && charset != "utf-8") {
        if (!convert_to_utf8(charset, body, &doc.text, reason)) return false;
    } else {
        doc.text.swap(body);
    }
    if (doc.text.size() > options_.max_document_bytes)
        return *reason = "text is over the limit of " + human_size(options_.max_document_bytes), false;
    if (std::string r = check_document_text(doc.text, options_); !r.empty()) return *reason = r, false;
    auto bare = [](std::string v) { return v.size() > 1 && v.front() == '<' && v.back() == '>' ? v.substr(1, v.size() - 2) : v; };
    doc.url = bare(warc.get("warc-target-uri"));
    doc.id = doc.url.empty() ? bare(warc.get("warc-record-id")) : doc.url;
    if (doc.id.empty()) return *reason = "no WARC-Target-URI or WARC-Record-ID", false;
    doc.date = normalize_date(warc.get("warc-date"));
    doc.source = name_ + "@" + std::to_string(record_at_);
    return true;
}

}  // namespace

std::unique_ptr<RecordStream> open_warc_stream(std::unique_ptr<ByteSource> source, std::string name,
                                               const ReaderOptions& options) {
    return std::make_unique<WarcStream>(std::move(source), std::move(name), options);
}

}  // namespace doppel::ingest
