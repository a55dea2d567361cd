// doppel (private): an input read record by record (JSONL lines, WARC records, feed items).
//
// The DocumentReader opens one RecordStream per such input and pulls records from it; every
// stream reads through a bounded reader, so memory stays within a record's limit whatever the
// input holds. Records that are not documents by design (a WARC request record, an image
// response) are counted in skipped(), not reported as errors.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "doppel/ingest/document_reader.h"
#include "ingest/byte_source.h"

namespace doppel::ingest {

class RecordStream {
public:
    virtual ~RecordStream() = default;
    // Reads on until one record was met (a document appended to `out`, or a RecordError to
    // `errors`); false at the end of the input, after reporting what was wrong with its end (a
    // truncated or corrupt compressed stream, no records at all).
    virtual bool next(std::vector<Document>& out, std::vector<RecordError>& errors) = 0;
    // Bytes of the input file read so far (compressed bytes for a compressed file).
    virtual uint64_t consumed() const = 0;
    // Records left out by design: reason -> count.
    const std::map<std::string, std::size_t>& skipped() const { return skipped_; }

protected:
    std::map<std::string, std::size_t> skipped_;
};

// `name` names the input in messages and Document::source. The ByteSource is opened already.
std::unique_ptr<RecordStream> open_jsonl_stream(std::unique_ptr<ByteSource> source, std::string name,
                                                const ReaderOptions& options);
// JSONL from a stream the caller owns (it must outlive the RecordStream).
std::unique_ptr<RecordStream> open_jsonl_stream(std::istream& in, std::string name, const ReaderOptions& options);
std::unique_ptr<RecordStream> open_warc_stream(std::unique_ptr<ByteSource> source, std::string name,
                                               const ReaderOptions& options);
std::unique_ptr<RecordStream> open_feed_stream(std::unique_ptr<ByteSource> source, std::string name,
                                               const ReaderOptions& options);

// The largest JSONL line kept: a document at the limit plus room for its JSON.
std::size_t jsonl_line_limit(const ReaderOptions& options);

}  // namespace doppel::ingest
