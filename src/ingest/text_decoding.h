// doppel (private): turning the bytes of a text file into UTF-8.
//
// doppel reads UTF-8. A file that starts with a byte-order mark of UTF-16 or UTF-32 (FF FE,
// FE FF, FF FE 00 00, 00 00 FE FF) is text in that encoding: it is converted with ICU. A UTF-8
// byte-order mark is dropped. Other files are left as they are (and checked as UTF-8 later).
#pragma once

#include <string>

namespace doppel::ingest {

// Converts *data in place. Returns false with *reason set when a marked file does not decode
// (an odd length, an unpaired surrogate).
bool decode_to_utf8(std::string* data, std::string* reason);

}  // namespace doppel::ingest
