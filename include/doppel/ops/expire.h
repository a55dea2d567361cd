// doppel: expiring documents by age, the age counted from when they were added to the store or
// from their own date (the date their input gave: a feed item's pubDate, a WARC record's
// WARC-Date, a JSONL record's "date").
//
// Usage:
//   Indexer indexer(store, langid);   // with the store's stages, so their indexes follow
//   ExpireResult r = expire_documents(indexer, store, now - 30 * 86400, ExpireBy::kPublished);
//
// Thread safety: as the Indexer's (one writer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"

namespace doppel {

// kAdded: the time the document was added (StoredDocument::added_at). kPublished: its own date,
// read as ISO 8601 / RFC 3339 or RFC 822 (a date without a zone is UTC); a document whose date is
// missing or unreadable is kept (and counted as undated).
enum class ExpireBy { kAdded, kPublished };

// "added" or "published" (throws kInvalidArgument for anything else).
ExpireBy parse_expire_by(const std::string& name);

struct ExpireResult {
    std::vector<std::string> ids;  // the documents deleted
    std::size_t undated = 0;       // kPublished: documents kept for want of a readable date
};

// Deletes the documents dated before `cutoff` (seconds since the epoch).
ExpireResult expire_documents(Indexer& indexer, const Store& store, int64_t cutoff, ExpireBy by);

}  // namespace doppel
