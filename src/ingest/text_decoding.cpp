#include "ingest/text_decoding.h"

#include <unicode/ucnv.h>

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

// Converts with ICU, stopping at the first invalid sequence.
bool convert(const char* charset, std::string_view in, std::string* out) {
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<UConverter, void (*)(UConverter*)> from(ucnv_open(charset, &st), &ucnv_close);
    std::unique_ptr<UConverter, void (*)(UConverter*)> to(ucnv_open("UTF-8", &st), &ucnv_close);
    if (U_FAILURE(st)) return false;
    ucnv_setToUCallBack(from.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &st);
    out->assign(in.size() * 2 + 16, '\0');
    char* target = out->data();
    const char* source = in.data();
    ucnv_convertEx(to.get(), from.get(), &target, out->data() + out->size(), &source, in.data() + in.size(),
                   nullptr, nullptr, nullptr, nullptr, true, true, &st);
    if (U_FAILURE(st)) return false;
    out->resize(static_cast<std::size_t>(target - out->data()));
    return true;
}

}  // namespace

bool decode_to_utf8(std::string* data, std::string* reason) {
    const Marked m = byte_order_mark(*data);
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
