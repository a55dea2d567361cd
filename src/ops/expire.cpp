#include "doppel/ops/expire.h"

#include "ingest/dates.h"

namespace doppel {

ExpireBy parse_expire_by(const std::string& name) {
    if (name == "added") return ExpireBy::kAdded;
    if (name == "published") return ExpireBy::kPublished;
    DOPPEL_THROW(kInvalidArgument, "expire --by: '" + name + "' is not 'added' or 'published'");
}

ExpireResult expire_documents(Indexer& indexer, const Store& store, int64_t cutoff, ExpireBy by) {
    ExpireResult r;
    if (by == ExpireBy::kAdded) {
        r.ids = indexer.expire(cutoff);
        return r;
    }
    store.scan([&](const StoredDocument& d) {
        const auto t = ingest::parse_date(d.date);
        if (!t) ++r.undated;
        else if (*t < cutoff) r.ids.push_back(d.id);
        return true;
    }, false);
    indexer.remove(r.ids);
    return r;
}

}  // namespace doppel
