#include "ingest/byte_source.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

namespace doppel::ingest {
namespace {
constexpr std::size_t kChunk = 1 << 16;

bool ends_with_lower(std::string_view s, std::string_view suffix) {
    if (s.size() < suffix.size()) return false;
    for (std::size_t i = 0; i < suffix.size(); ++i) {
        char c = s[s.size() - suffix.size() + i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != suffix[i]) return false;
    }
    return true;
}
}  // namespace

Compression sniff_compression(std::string_view head) {
    if (head.starts_with("\x1F\x8B")) return Compression::kGzip;
    if (head.starts_with("\x28\xB5\x2F\xFD")) return Compression::kZstd;
    return Compression::kNone;
}

const char* compression_name(Compression c) {
    switch (c) {
        case Compression::kGzip: return "gzip";
        case Compression::kZstd: return "zstd";
        default: return "none";
    }
}

std::string_view compression_suffix(std::string_view path) {
    for (std::string_view s : {".gz", ".zst", ".zstd"})
        if (ends_with_lower(path, s)) return s;
    return {};
}

struct ByteSource::Codec {
    z_stream zs{};
    bool zs_ready = false;
    ZSTD_DCtx* zstd = nullptr;
    bool unit_open = false;  // inside a gzip member or zstd frame
    bool pending = false;    // the last call filled the output: the codec may hold more
    ~Codec() {
        if (zs_ready) inflateEnd(&zs);
        if (zstd) ZSTD_freeDCtx(zstd);
    }
};

ByteSource::ByteSource() : codec_(std::make_unique<Codec>()) {}

ByteSource::~ByteSource() {
    if (file_ && owns_file_) std::fclose(file_);
}

bool ByteSource::open(const std::string& path, std::string* reason) {
    owns_file_ = path != "-";
    file_ = owns_file_ ? std::fopen(path.c_str(), "rb") : stdin;
    if (!file_) {
        *reason = std::string("cannot open file: ") + std::strerror(errno);
        return false;
    }
    refill_input();
    if (std::ferror(file_)) {
        *reason = std::string("read error: ") + std::strerror(errno);
        return false;
    }
    compression_ = sniff_compression(std::string_view(in_).substr(in_pos_));
    if (compression_ == Compression::kGzip) {
        codec_->zs_ready = inflateInit2(&codec_->zs, 16 + MAX_WBITS) == Z_OK;
    } else if (compression_ == Compression::kZstd) {
        codec_->zstd = ZSTD_createDCtx();
    }
    if (compression_ != Compression::kNone && !codec_->zs_ready && !codec_->zstd) {
        *reason = "cannot start the decompressor";
        return false;
    }
    return true;
}

bool ByteSource::refill_input() {
    if (eof_ || !file_) return false;
    in_.resize(kChunk);
    in_pos_ = 0;
    const std::size_t n = std::fread(in_.data(), 1, kChunk, file_);
    in_.resize(n);
    raw_consumed_ += n;
    if (n < kChunk) {
        eof_ = true;  // fread stops short only at the end or on an error: an error is never an end
        if (std::ferror(file_)) fail("read error after byte " + std::to_string(raw_consumed_) + ": " + std::strerror(errno));
    }
    return n > 0;
}

void ByteSource::fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
}

std::string_view ByteSource::peek() {
    if (gptr() == egptr()) underflow();
    return std::string_view(gptr(), static_cast<std::size_t>(egptr() - gptr()));
}

ByteSource::int_type ByteSource::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!error_.empty()) return traits_type::eof();
    out_.resize(kChunk);
    const std::size_t n = decode(out_.data(), kChunk);
    if (n == 0) return traits_type::eof();
    produced_ += n;
    setg(out_.data(), out_.data(), out_.data() + n);
    return traits_type::to_int_type(*gptr());
}

std::size_t ByteSource::decode(char* out, std::size_t cap) {
    switch (compression_) {
        case Compression::kGzip: return decode_gzip(out, cap);
        case Compression::kZstd: return decode_zstd(out, cap);
        default: break;
    }
    if (in_pos_ == in_.size() && !refill_input()) return 0;
    const std::size_t n = std::min(cap, in_.size() - in_pos_);
    std::memcpy(out, in_.data() + in_pos_, n);
    in_pos_ += n;
    return n;
}

std::size_t ByteSource::decode_gzip(char* out, std::size_t cap) {
    Codec& c = *codec_;
    const auto at = [&] { return std::to_string(raw_consumed_ - (in_.size() - in_pos_)); };
    std::size_t produced = 0;
    while (produced == 0) {
        if (!c.pending && in_pos_ == in_.size() && !refill_input()) {
            if (c.unit_open) fail("truncated gzip stream: the file ends inside a member (at byte " + at() + ")");
            return 0;
        }
        if (!c.unit_open) {
            if (static_cast<unsigned char>(in_[in_pos_]) != 0x1F) {
                fail("not gzip data after the last member (at byte " + at() + ")");
                return 0;
            }
            inflateReset(&c.zs);
            c.unit_open = true;
        }
        c.zs.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
        c.zs.avail_in = static_cast<uInt>(in_.size() - in_pos_);
        c.zs.next_out = reinterpret_cast<Bytef*>(out);
        c.zs.avail_out = static_cast<uInt>(cap);
        const int ret = inflate(&c.zs, Z_NO_FLUSH);
        in_pos_ = in_.size() - c.zs.avail_in;
        produced = cap - c.zs.avail_out;
        c.pending = c.zs.avail_out == 0;
        if (ret == Z_STREAM_END) {
            c.unit_open = false;
            c.pending = false;
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            fail(std::string("corrupt gzip data at byte ") + at() + ": " + (c.zs.msg ? c.zs.msg : "inflate failed"));
            return produced;
        }
    }
    return produced;
}

std::size_t ByteSource::decode_zstd(char* out, std::size_t cap) {
    Codec& c = *codec_;
    const auto at = [&] { return std::to_string(raw_consumed_ - (in_.size() - in_pos_)); };
    std::size_t produced = 0;
    while (produced == 0) {
        if (!c.pending && in_pos_ == in_.size() && !refill_input()) {
            if (c.unit_open) fail("truncated zstd stream: the file ends inside a frame (at byte " + at() + ")");
            return 0;
        }
        ZSTD_inBuffer in{in_.data(), in_.size(), in_pos_};
        ZSTD_outBuffer o{out, cap, 0};
        const std::size_t ret = ZSTD_decompressStream(c.zstd, &o, &in);
        in_pos_ = in.pos;
        produced = o.pos;
        if (ZSTD_isError(ret)) {
            fail(std::string("corrupt zstd data at byte ") + at() + ": " + ZSTD_getErrorName(ret));
            return produced;
        }
        c.unit_open = ret != 0;
        c.pending = o.pos == cap;
    }
    return produced;
}

}  // namespace doppel::ingest
