#include "ingest/bounded_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <memory>

namespace doppel::ingest {

std::string human_size(std::size_t bytes) {
    if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 1024) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

bool read_bounded(const std::string& path, std::size_t limit, std::string* data, std::string* reason,
                  std::size_t* consumed) {
    data->clear();
    *consumed = 0;
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        *reason = std::string("cannot open file: ") + std::strerror(errno);
        return false;
    }
    constexpr std::size_t kChunk = 1 << 16;
    char buf[kChunk];
    for (;;) {
        const std::size_t n = std::fread(buf, 1, kChunk, f.get());
        *consumed += n;
        if (data->size() + n > limit) {
            data->clear();
            data->shrink_to_fit();
            *reason = "document is over the limit of " + human_size(limit);
            return false;
        }
        data->append(buf, n);
        if (n < kChunk) break;
    }
    if (std::ferror(f.get())) {
        *reason = std::string("read error: ") + std::strerror(errno);
        data->clear();
        return false;
    }
    return true;
}

bool read_bounded(std::streambuf& in, std::size_t limit, std::string* data, std::string* reason,
                  std::size_t* consumed) {
    data->clear();
    *consumed = 0;
    constexpr std::size_t kChunk = 1 << 16;
    char buf[kChunk];
    bool over = false;
    for (;;) {
        const auto n = static_cast<std::size_t>(std::max<std::streamsize>(in.sgetn(buf, kChunk), 0));
        *consumed += n;
        if (data->size() + n > limit) {
            over = true;
            std::string().swap(*data);
            break;
        }
        data->append(buf, n);
        if (n < kChunk) break;
    }
    if (over) *reason = "document is over the limit of " + human_size(limit);
    return !over;
}

bool LineReader::fill() {
    constexpr std::size_t kChunk = 1 << 16;
    buf_.resize(kChunk);
    pos_ = 0;
    std::streambuf* sb = in_.rdbuf();
    const std::streamsize n = sb ? sb->sgetn(buf_.data(), kChunk) : 0;
    buf_.resize(static_cast<std::size_t>(std::max<std::streamsize>(n, 0)));
    return !buf_.empty();
}

LineReader::Result LineReader::next(std::string* line) {
    line->clear();
    length_ = 0;
    bool too_long = false, newline = false;
    while (!newline) {
        if (pos_ >= buf_.size() && !fill()) {
            if (length_ == 0) return Result::kEnd;
            break;
        }
        const char* begin = buf_.data() + pos_;
        const std::size_t avail = buf_.size() - pos_;
        const char* nl = static_cast<const char*>(std::memchr(begin, '\n', avail));
        const std::size_t n = nl ? static_cast<std::size_t>(nl - begin) : avail;
        if (std::memchr(begin, '\0', n)) return Result::kBinary;
        newline = nl != nullptr;
        pos_ += n + newline;
        consumed_ += n + newline;
        length_ += n;
        if (too_long || length_ > limit_) {
            too_long = true;
            std::string().swap(*line);
            continue;
        }
        line->append(begin, n);
    }
    newline_ = newline;
    if (too_long) return Result::kTooLong;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return Result::kLine;
}

}  // namespace doppel::ingest
