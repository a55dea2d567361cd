// libFuzzer target: the normalizer (with its offset map) and the segmenter on valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "doppel/ingest/document_reader.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (!doppel::validate_utf8(text)) return 0;  // the stages take valid UTF-8 (the reader checks)
    static const doppel::Normalizer normalizer;
    static doppel::Segmenter segmenter;
    const doppel::NormalizedText n = normalizer.normalize(text);
    if (n.source_offsets.size() != n.text.size() + 1) std::abort();  // one offset a byte, plus the end
    segmenter.words(n.text);
    segmenter.sentences(n.text);
    return 0;
}
