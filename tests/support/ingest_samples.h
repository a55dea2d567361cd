// Sample inputs for the ingest tests, written by the tests themselves: gzip and zstd copies,
// legacy-encoded pages (produced with ICU), WARC records and feeds. Header-only: tests that use
// it link doppel_private_deps (zlib, zstd, ICU).
#pragma once

#include <unicode/normalizer2.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <zlib.h>
#include <zstd.h>

#include <stdexcept>
#include <string>

namespace doppel::test {

inline const std::string kEnglishNews =
    "The Ministry of Health announced today a new national vaccination campaign against seasonal influenza in "
    "all provinces. A spokesperson said the campaign will last two months and targets older people, children "
    "and health workers.";
inline const std::string kArabicNews =
    "أعلنت وزارة الصحة اليوم عن إطلاق حملة وطنية جديدة للتطعيم ضد الإنفلونزا الموسمية في جميع المحافظات. "
    "وقال المتحدث باسم الوزارة إن الحملة ستستمر لمدة شهرين وتستهدف كبار السن والأطفال والعاملين في القطاع الصحي.";
inline const std::string kVietnameseNews =
    "Bộ Y tế hôm nay công bố chiến dịch tiêm chủng quốc gia mới phòng chống cúm mùa tại tất cả các tỉnh thành. "
    "Người phát ngôn của bộ cho biết chiến dịch sẽ kéo dài hai tháng và hướng tới người cao tuổi, trẻ em và "
    "nhân viên y tế.";

// One gzip member holding `data`.
inline std::string gzip_bytes(const std::string& data) {
    z_stream zs{};
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflate");
    std::string out(deflateBound(&zs, data.size()) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int ret = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (ret != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
    return out;
}

inline std::string zstd_bytes(const std::string& data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
    if (ZSTD_isError(n)) throw std::runtime_error("zstd");
    out.resize(n);
    return out;
}

// UTF-8 text in a legacy charset, every character mapped (throws otherwise). For windows-1258
// the text is first put in the form that charset writes: letters with circumflex, breve and horn
// precomposed, tone marks as combining characters.
inline std::string to_legacy(const std::string& charset, const std::string& utf8) {
    UErrorCode st = U_ZERO_ERROR;
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(utf8);
    if (charset == "windows-1258") {
        const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(st);
        const icu::UnicodeString d = nfd->normalize(u, st);
        icu::UnicodeString out;
        for (int32_t i = 0; i < d.length();) {
            UChar32 base = d.char32At(i);
            i += U16_LENGTH(base);
            icu::UnicodeString marks;
            for (UChar32 m; i < d.length() && nfd->getCombiningClass(m = d.char32At(i)) != 0; i += U16_LENGTH(m)) {
                const UChar32 c = (m == 0x302 || m == 0x306 || m == 0x31B) ? nfd->composePair(base, m) : U_SENTINEL;
                if (c >= 0) base = c;
                else marks.append(m);
            }
            out.append(base).append(marks);
        }
        u = out;
    }
    UConverter* conv = ucnv_open(charset.c_str(), &st);
    ucnv_setFromUCallBack(conv, UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &st);
    std::string bytes(static_cast<std::size_t>(u.length()) * 4 + 16, '\0');
    const int32_t n = ucnv_fromUChars(conv, bytes.data(), static_cast<int32_t>(bytes.size()), u.getBuffer(), u.length(), &st);
    ucnv_close(conv);
    if (U_FAILURE(st)) throw std::runtime_error("text does not map to " + charset);
    bytes.resize(static_cast<std::size_t>(n));
    return bytes;
}

inline std::string http_response(const std::string& status, const std::string& content_type, const std::string& body) {
    return "HTTP/1.1 " + status + "\r\nContent-Type: " + content_type + "\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nServer: test\r\n\r\n" + body;
}

// One WARC/1.0 record (content_type: the record's Content-Type header).
inline std::string warc_record(const std::string& type, const std::string& uri, const std::string& block,
                               const std::string& date = "2024-03-01T10:00:00Z",
                               const std::string& content_type = "application/http; msgtype=response") {
    static int serial = 0;
    return "WARC/1.0\r\nWARC-Type: " + type + "\r\nWARC-Target-URI: " + uri + "\r\nWARC-Date: " + date +
           "\r\nWARC-Record-ID: <urn:uuid:0000-" + std::to_string(++serial) + ">\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(block.size()) + "\r\n\r\n" + block + "\r\n\r\n";
}

// A crawl as Common Crawl writes it: every record its own gzip member.
inline std::string sample_warc_gz() {
    const std::string en = "<html><head><title>Flu campaign</title></head><body><nav>Home | News</nav><p>" +
                           kEnglishNews + "</p></body></html>";
    const std::string ar = "<html><head><title>حملة التطعيم</title></head><body><p>" + kArabicNews + "</p></body></html>";
    const std::string vi = "<html><head><meta charset=\"windows-1258\"><title>Tiêm chủng</title></head><body><p>" +
                           kVietnameseNews + "</p></body></html>";
    const std::string records[] = {
        warc_record("warcinfo", "", "software: test\r\n", "2024-03-01T10:00:00Z", "application/warc-fields"),
        warc_record("request", "https://news.example/en/flu", "GET /en/flu HTTP/1.1\r\nHost: news.example\r\n\r\n",
                    "2024-03-01T10:00:00Z", "application/http; msgtype=request"),
        warc_record("response", "https://news.example/en/flu",
                    http_response("200 OK", "text/html; charset=utf-8", en), "2024-03-01T10:00:00Z"),
        warc_record("response", "https://news.example/ar/flu",
                    http_response("200 OK", "text/html; charset=windows-1256", to_legacy("windows-1256", ar)),
                    "2024-03-02T11:30:00Z"),
        warc_record("response", "https://vi.news.example/flu",
                    http_response("200 OK", "text/html", to_legacy("windows-1258", vi)), "2024-03-03T12:00:00Z"),
        warc_record("response", "https://news.example/logo.png", http_response("200 OK", "image/png", "\x89PNG....")),
        warc_record("response", "https://news.example/old", http_response("301 Moved", "text/html", "moved")),
        warc_record("metadata", "https://news.example/en/flu", "fetchTimeMs: 12\r\n", "2024-03-01T10:00:00Z",
                    "application/warc-fields"),
    };
    std::string out;
    for (const auto& r : records) out += gzip_bytes(r);
    return out;
}

}  // namespace doppel::test
