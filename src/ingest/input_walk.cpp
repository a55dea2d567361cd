#include "ingest/input_walk.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "ingest/byte_source.h"

namespace doppel::ingest {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Id of a file: relative path without the last extension (and without a compression suffix
// before it: "a/b.html.gz" -> "a/b"), '/'-separated.
std::string id_of(const fs::path& rel) {
    std::string s = rel.generic_string();
    s.resize(s.size() - compression_suffix(s).size());
    fs::path p = s;
    p.replace_extension();
    return p.generic_string();
}

Input problem(std::string path, std::string reason) {
    Input in;
    in.path = std::move(path);
    in.problem = std::move(reason);
    return in;
}

// Walks one directory tree. Folders are identified by (device, inode), so a link that leads back
// into the tree is reported instead of walked again.
class TreeWalk {
public:
    TreeWalk(const fs::path& root, const std::vector<std::string>& extensions) : root_(root), extensions_(extensions) {}

    void run(std::vector<Input>& out, uint64_t* bytes_total) {
        visit(root_);
        std::sort(found_.begin(), found_.end(), [](const Input& a, const Input& b) { return a.path < b.path; });
        for (auto& in : found_) {
            std::error_code ec;
            if (in.problem.empty()) *bytes_total += fs::file_size(in.path, ec);
            out.push_back(std::move(in));
        }
    }

private:
    void visit(const fs::path& dir) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) {
            found_.push_back(problem(dir.string(), std::string("cannot read folder: ") + std::strerror(errno)));
            return;
        }
        if (!seen_.insert({st.st_dev, st.st_ino}).second) {
            found_.push_back(problem(dir.string(), "folder already walked (a loop of links), skipped"));
            return;
        }
        std::error_code ec;
        fs::directory_iterator it(dir, ec), end;
        if (ec) {
            found_.push_back(problem(dir.string(), "cannot read folder: " + ec.message()));
            return;
        }
        for (; it != end; it.increment(ec)) {
            if (ec) {
                found_.push_back(problem(dir.string(), "cannot read folder: " + ec.message()));
                return;
            }
            entry(it->path());
        }
    }

    void entry(const fs::path& p) {
        std::error_code ec;
        const fs::file_status link = fs::symlink_status(p, ec);
        const fs::file_status st = fs::status(p, ec);
        if (ec) {
            found_.push_back(problem(p.string(), "cannot use it: " + ec.message()));
        } else if (fs::is_directory(st)) {
            if (fs::is_symlink(link)) found_.push_back(problem(p.string(), "link to a folder, not followed"));
            else visit(p);
        } else if (!fs::is_regular_file(st)) {
            found_.push_back(problem(p.string(), "not a regular file, skipped"));
        } else if (std::find(extensions_.begin(), extensions_.end(), type_extension(p.string())) ==
                   extensions_.end()) {
            found_.push_back(problem(p.string(), "unknown file type '" + p.extension().string() + "', skipped"));
        } else {
            found_.push_back({p.string(), id_of(fs::relative(p, root_)), kind_of(p.string()), ""});
        }
    }

    fs::path root_;
    const std::vector<std::string>& extensions_;
    std::set<std::pair<dev_t, ino_t>> seen_;
    std::vector<Input> found_;
};

}  // namespace

std::string type_extension(const std::string& path) {
    const std::string_view suffix = compression_suffix(path);
    return lower(fs::path(path.substr(0, path.size() - suffix.size())).extension().string());
}

InputKind kind_of(const std::string& path) {
    const std::string ext = type_extension(path);
    if (ext == ".html" || ext == ".htm") return InputKind::kHtml;
    if (ext == ".jsonl" || ext == ".ndjson") return InputKind::kJsonl;
    if (ext == ".warc") return InputKind::kWarc;
    if (ext == ".rss" || ext == ".atom" || ext == ".xml") return InputKind::kFeed;
    return InputKind::kText;
}

std::vector<Input> expand_inputs(const std::vector<std::string>& paths, const std::vector<std::string>& extensions,
                                 uint64_t* bytes_total) {
    std::vector<Input> out;
    for (const auto& raw : paths) {
        if (raw == "-") {
            out.push_back({"-", "", InputKind::kJsonl, ""});
            continue;
        }
        std::error_code ec;
        const fs::file_status st = fs::status(raw, ec);
        if (ec || !fs::exists(st)) {
            const bool loop = ec.value() == ELOOP;
            out.push_back(problem(raw, loop ? "a loop of symbolic links" : ec && ec.value() != ENOENT
                                                                              ? "cannot use it: " + ec.message()
                                                                              : "no such file or directory"));
        } else if (fs::is_directory(st)) {
            TreeWalk(raw, extensions).run(out, bytes_total);
        } else {
            out.push_back({raw, id_of(fs::path(raw).filename()), kind_of(raw), ""});
            if (fs::is_regular_file(st)) *bytes_total += fs::file_size(raw, ec);
        }
    }
    return out;
}

}  // namespace doppel::ingest
