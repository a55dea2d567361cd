#include "doppel/ingest/document_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "impl/utf8.h"

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

enum class Kind { kText, kHtml, kJsonl };

struct Input {
    std::string path;  // as given or found
    std::string id;    // document id for text and HTML files
    Kind kind = Kind::kText;
    bool missing = false;
    std::string problem;  // set when the path cannot be used at all
};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Kind kind_of(const fs::path& p) {
    const std::string ext = lower(p.extension().string());
    if (ext == ".html" || ext == ".htm") return Kind::kHtml;
    if (ext == ".jsonl" || ext == ".ndjson") return Kind::kJsonl;
    return Kind::kText;
}

// Id of a file: relative path without the last extension, '/'-separated.
std::string id_of(const fs::path& rel) {
    fs::path p = rel;
    p.replace_extension();
    return p.generic_string();
}

void strip_bom_and_crlf(std::string& s) {
    if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF &&
        static_cast<unsigned char>(s[1]) == 0xBB && static_cast<unsigned char>(s[2]) == 0xBF)
        s.erase(0, 3);
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

std::string human_size(uint64_t bytes) {
    std::ostringstream os;
    if (bytes >= (1u << 20)) os << (bytes >> 20) << " MiB";
    else if (bytes >= 1024) os << (bytes >> 10) << " KiB";
    else os << bytes << " bytes";
    return os.str();
}

}  // namespace

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
    std::string stream_name;
    std::size_t stream_line = 0;

    void expand() {
        expanded = true;
        for (const auto& raw : raw_paths) {
            if (raw == "-") {
                inputs.push_back({"-", "", Kind::kJsonl, false, ""});
                continue;
            }
            std::error_code ec;
            fs::path p(raw);
            auto st = fs::status(p, ec);
            if (ec || !fs::exists(st)) {
                inputs.push_back({raw, "", Kind::kText, true, "no such file or directory"});
                continue;
            }
            if (fs::is_directory(st)) {
                std::vector<fs::path> files;
                fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
                if (ec) {
                    inputs.push_back({raw, "", Kind::kText, true, "cannot read directory: " + ec.message()});
                    continue;
                }
                for (; it != end; it.increment(ec)) {
                    if (ec) break;
                    if (!it->is_regular_file(ec)) continue;
                    const std::string ext = lower(it->path().extension().string());
                    if (std::find(options.extensions.begin(), options.extensions.end(), ext) ==
                        options.extensions.end())
                        continue;
                    files.push_back(it->path());
                }
                std::sort(files.begin(), files.end());
                for (const auto& f : files) {
                    Input in{f.string(), id_of(fs::relative(f, p)), kind_of(f), false, ""};
                    bytes_total += fs::file_size(f, ec);
                    inputs.push_back(std::move(in));
                }
            } else {
                inputs.push_back({raw, id_of(p.filename()), kind_of(p), false, ""});
                bytes_total += fs::file_size(p, ec);
            }
        }
    }

    // Reads a whole file; returns false (with an error) when it cannot be used.
    bool read_file(const Input& in, std::string& data, std::vector<RecordError>& errors) {
        std::ifstream f(in.path, std::ios::binary);
        if (!f) {
            errors.push_back({in.path, 0, "cannot open file"});
            return false;
        }
        std::error_code ec;
        const auto size = fs::file_size(in.path, ec);
        if (!ec && size > options.max_document_bytes) {
            errors.push_back({in.path, 0, "document is " + human_size(size) + ", over the limit of " +
                                              human_size(options.max_document_bytes)});
            bytes_read += size;
            return false;
        }
        std::ostringstream ss;
        ss << f.rdbuf();
        data = ss.str();
        bytes_read += data.size();
        return true;
    }

    // Checks text shared by every input kind; returns false with an error when it is unusable.
    bool check_text(const std::string& path, std::size_t base_line, std::string& text,
                    std::vector<RecordError>& errors) {
        if (looks_binary(text, options.max_control_fraction)) {
            errors.push_back({path, base_line, "binary data, not text"});
            return false;
        }
        std::size_t line = 0, offset = 0;
        if (!validate_utf8(text, &line, &offset)) {
            errors.push_back({path, base_line ? base_line : line,
                              "invalid UTF-8 at byte " + std::to_string(offset)});
            return false;
        }
        strip_bom_and_crlf(text);
        if (is_blank(text)) {
            errors.push_back({path, base_line, "empty document"});
            return false;
        }
        return true;
    }

    // Parses one JSONL line into a document; returns false with an error on a bad record.
    bool parse_jsonl_line(std::string& line, std::size_t lineno, Document& doc,
                          std::vector<RecordError>& errors) {
        if (line.size() > options.max_document_bytes + 4096) {
            errors.push_back({stream_name, lineno, "record is " + human_size(line.size()) +
                                                       ", over the limit of " +
                                                       human_size(options.max_document_bytes)});
            return false;
        }
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
            std::string title;
            doc.text = html_to_text(html_it->get<std::string>(), &title);
            doc.title = title;
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

    bool next_batch(std::size_t max_docs, std::vector<Document>& out,
                    std::vector<RecordError>& errors) {
        if (!expanded) expand();
        std::size_t added = 0;
        while (added < max_docs) {
            if (stream) {
                std::string line;
                if (!std::getline(*stream, line)) {
                    stream = nullptr;
                    owned_stream.reset();
                    continue;
                }
                ++stream_line;
                if (stream != &std::cin && stream_name != "-") bytes_read += line.size() + 1;
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (is_blank(line)) continue;
                Document doc;
                if (parse_jsonl_line(line, stream_line, doc, errors)) {
                    out.push_back(std::move(doc));
                    ++added;
                }
                continue;
            }
            if (next_input >= inputs.size()) break;
            const Input& in = inputs[next_input++];
            if (in.missing) {
                errors.push_back({in.path, 0, in.problem});
                continue;
            }
            if (in.kind == Kind::kJsonl) {
                stream_line = 0;
                stream_name = in.path;
                if (in.path == "-") {
                    stream = &std::cin;
                } else {
                    owned_stream = std::make_unique<std::ifstream>(in.path, std::ios::binary);
                    if (!*owned_stream) {
                        errors.push_back({in.path, 0, "cannot open file"});
                        owned_stream.reset();
                        continue;
                    }
                    stream = owned_stream.get();
                }
                continue;
            }
            std::string data;
            if (!read_file(in, data, errors)) continue;
            Document doc;
            doc.id = in.id;
            doc.source = in.path;
            if (in.kind == Kind::kHtml) {
                if (looks_binary(data, options.max_control_fraction)) {
                    errors.push_back({in.path, 0, "binary data, not text"});
                    continue;
                }
                std::size_t line = 0, offset = 0;
                if (!validate_utf8(data, &line, &offset)) {
                    errors.push_back({in.path, line, "invalid UTF-8 at byte " + std::to_string(offset)});
                    continue;
                }
                doc.text = html_to_text(data, &doc.title);
            } else {
                doc.text = std::move(data);
            }
            if (!check_text(in.path, 0, doc.text, errors)) continue;
            out.push_back(std::move(doc));
            ++added;
        }
        return added > 0;
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
}

DocumentReader::~DocumentReader() = default;

bool DocumentReader::next_batch(std::size_t max_docs, std::vector<Document>& out,
                                std::vector<RecordError>& errors) {
    return impl_->next_batch(max_docs, out, errors);
}

uint64_t DocumentReader::bytes_read() const { return impl_->bytes_read; }
uint64_t DocumentReader::bytes_total() const { return impl_->bytes_total; }

std::string DocumentReader::describe() const {
    return "reader:max_bytes=" + std::to_string(impl_->options.max_document_bytes);
}

}  // namespace doppel
