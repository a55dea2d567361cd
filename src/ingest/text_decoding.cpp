#include "ingest/text_decoding.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/ucnv.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

namespace doppel::ingest {
namespace {

struct Marked {
    const char* charset;  // ICU converter name
    std::size_t bom;      // bytes of the mark
};

// The encoding a byte-order mark names, or null charset when there is none (UTF-32 first: its
// little-endian mark starts like UTF-16's).
Marked byte_order_mark(std::string_view s) {
    if (s.starts_with(std::string_view("\xFF\xFE\x00\x00", 4))) return {"UTF-32LE", 4};
    if (s.starts_with(std::string_view("\x00\x00\xFE\xFF", 4))) return {"UTF-32BE", 4};
    if (s.starts_with("\xFF\xFE")) return {"UTF-16LE", 2};
    if (s.starts_with("\xFE\xFF")) return {"UTF-16BE", 2};
    if (s.starts_with("\xEF\xBB\xBF")) return {"UTF-8", 3};
    return {nullptr, 0};
}

// Converts with ICU, stopping at the first invalid sequence. A byte of a legacy charset becomes
// at most 3 bytes of UTF-8 (and a UTF-16 unit at most 3 too), so 3x the input always fits.
bool convert(const char* charset, std::string_view in, std::string* out) {
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<UConverter, void (*)(UConverter*)> from(ucnv_open(charset, &st), &ucnv_close);
    std::unique_ptr<UConverter, void (*)(UConverter*)> to(ucnv_open("UTF-8", &st), &ucnv_close);
    if (U_FAILURE(st)) return false;
    ucnv_setToUCallBack(from.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &st);
    out->assign(in.size() * 3 + 16, '\0');
    char* target = out->data();
    const char* source = in.data();
    ucnv_convertEx(to.get(), from.get(), &target, out->data() + out->size(), &source, in.data() + in.size(),
                   nullptr, nullptr, nullptr, nullptr, true, true, &st);
    if (U_FAILURE(st)) return false;
    out->resize(static_cast<std::size_t>(target - out->data()));
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

// The token after "charset" (skipping spaces, '=' and a quote) in `s` from `pos`.
std::string charset_token(std::string_view s, std::size_t pos) {
    pos += 7;  // "charset"
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '=' || s[pos] == '"' || s[pos] == '\'')) ++pos;
    std::size_t end = pos;
    while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '-' || s[end] == '_' ||
                              s[end] == '.' || s[end] == ':'))
        ++end;
    return canonical_charset(s.substr(pos, end - pos));
}

}  // namespace

std::string canonical_charset(std::string_view label) {
    std::string l = lower(label);
    if (l == "iso-8859-1" || l == "latin1" || l == "us-ascii" || l == "ascii" || l == "iso8859-1") return "windows-1252";
    if (l == "gb2312" || l == "gbk" || l == "x-gbk") return "gb18030";
    if (l == "utf8") return "utf-8";
    return l;
}

std::string charset_of_content_type(std::string_view content_type) {
    const std::string l = lower(content_type);
    const auto at = l.find("charset");
    return at == std::string::npos ? std::string() : charset_token(l, at);
}

std::string charset_of_html(std::string_view html) {
    const std::string l = lower(html.substr(0, 4096));
    for (std::size_t at = l.find("<meta"); at != std::string::npos; at = l.find("<meta", at + 5)) {
        const std::size_t end = std::min(l.find('>', at), l.size());
        const std::size_t cs = l.find("charset", at);
        if (cs >= end) continue;
        // A page read as bytes that found its <meta> is not UTF-16/32: browsers read such a
        // label as UTF-8 (WHATWG's prescan), as a page "saved as Unicode" with a byte-order
        // mark has been converted already.
        const std::string charset = charset_token(l.substr(0, end), cs);
        return charset.starts_with("utf-16") || charset.starts_with("utf-32") ? "utf-8" : charset;
    }
    return "";
}

bool convert_to_utf8(const std::string& charset, std::string_view in, std::string* out, std::string* reason) {
    if (convert(charset.c_str(), in, out)) {
        // windows-1258 writes Vietnamese tones as combining marks: compose them (NFC).
        UErrorCode st = U_ZERO_ERROR;
        const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(st);
        if (U_SUCCESS(st) && !nfc->isNormalizedUTF8(*out, st)) {
            std::string composed;
            icu::StringByteSink<std::string> sink(&composed);
            st = U_ZERO_ERROR;
            nfc->normalizeUTF8(0, *out, sink, nullptr, st);
            if (U_SUCCESS(st)) out->swap(composed);
        }
        return true;
    }
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<UConverter, void (*)(UConverter*)> probe(ucnv_open(charset.c_str(), &st), &ucnv_close);
    *reason = U_FAILURE(st) ? "unknown charset '" + charset + "'"
                            : "text does not decode as " + charset + " (an invalid byte sequence)";
    return false;
}

bool decode_to_utf8(std::string* data, std::string* reason, bool* marked) {
    const Marked m = byte_order_mark(*data);
    if (marked) *marked = m.charset != nullptr;
    if (!m.charset) return true;
    if (m.bom == 3) {
        data->erase(0, 3);
        return true;
    }
    std::string out;
    if (!convert(m.charset, std::string_view(*data).substr(m.bom), &out)) {
        *reason = std::string("text marked as ") + m.charset + " does not decode";
        return false;
    }
    data->swap(out);
    return true;
}

}  // namespace doppel::ingest
