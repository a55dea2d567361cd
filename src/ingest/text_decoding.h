// doppel (private): turning the bytes of a text file into UTF-8.
//
// doppel reads UTF-8. A file that starts with a byte-order mark of UTF-16 or UTF-32 (FF FE,
// FE FF, FF FE 00 00, 00 00 FE FF) is text in that encoding: it is converted with ICU. A UTF-8
// byte-order mark is dropped. Other files are left as they are (and checked as UTF-8 later).
#pragma once

#include <string>
#include <string_view>

namespace doppel::ingest {

// Converts *data in place. Returns false with *reason set when a marked file does not decode
// (an odd length, an unpaired surrogate). *marked (when given) says whether a byte-order mark
// named the encoding: it then wins over any charset the text itself declares, as in browsers.
bool decode_to_utf8(std::string* data, std::string* reason, bool* marked = nullptr);

// Pages (WARC responses, HTML files) name their encoding: the HTTP Content-Type header's
// charset, else a <meta charset> or <meta http-equiv="Content-Type"> near the top of the page.
// Labels are read as browsers read them (WHATWG): "iso-8859-1" and "us-ascii" are windows-1252,
// "gb2312" and "gbk" are GB18030; the result is lower case, "" when none is named. A <meta>
// that names UTF-16 or UTF-32 means UTF-8 (the page was readable as ASCII bytes to find it).
std::string charset_of_content_type(std::string_view content_type);
std::string charset_of_html(std::string_view html);  // looks at the first 4 KiB
std::string canonical_charset(std::string_view label);

// Converts `in` from `charset` (an ICU converter name or alias: windows-1256, windows-1258,
// shift_jis, gb18030, euc-kr, koi8-r...) to UTF-8 in *out. False with *reason set when ICU
// does not know the charset or `in` holds a sequence invalid in it (conversion stops there).
// The result is NFC (windows-1258 writes Vietnamese tone marks as combining characters).
bool convert_to_utf8(const std::string& charset, std::string_view in, std::string* out, std::string* reason);

}  // namespace doppel::ingest
