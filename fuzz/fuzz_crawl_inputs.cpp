// libFuzzer target: the WARC and feed readers (and the gzip/zstd streams under them) on arbitrary
// bytes. The first byte picks the file name the bytes are read under (the reader sniffs
// compression and WARC by content, feeds by name), the rest is the file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "doppel/ingest/document_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const char* const kNames[] = {"x.warc", "x.rss", "x.atom", "x.jsonl.gz", "x.html"};
    const std::string path = "/tmp/doppel-fuzz-" + std::to_string(::getpid()) + "-" + kNames[data[0] % 5];
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    doppel::ReaderOptions options;
    options.max_document_bytes = 1 << 16;
    doppel::DocumentReader reader({path}, options);
    std::vector<doppel::Document> docs;
    std::vector<doppel::RecordError> errors;
    while (reader.next_batch(16, docs, errors)) docs.clear();
    ::unlink(path.c_str());
    return 0;
}
