#include "doppel/match/store_matching.h"

#include "doppel/error.h"
#include "doppel/store/store.h"

namespace doppel {

NearDuplicateResult find_stored_duplicates(const Store& store, const NearDuplicateOptions& options,
                                           std::size_t batch, const ProgressCallback& progress) {
    NearDuplicateFinder finder(options);
    const std::size_t total = store.size();
    auto for_each_batch = [&](const std::function<void(std::vector<Document>&)>& fn) {
        std::vector<Document> docs;
        std::size_t done = 0;
        store.scan([&](const StoredDocument& s) {
            Document d;
            d.id = s.id;
            d.text = s.text;
            d.source = s.source;
            d.url = s.url;
            docs.push_back(std::move(d));
            if (docs.size() >= batch) {
                fn(docs);
                done += docs.size();
                docs.clear();
                if (progress) progress(done, total);
            }
            return true;
        });
        if (!docs.empty()) fn(docs);
    };
    if (options.boilerplate) for_each_batch([&](std::vector<Document>& d) { finder.count_lines(d.size(), d.data()); });
    for_each_batch([&](std::vector<Document>& d) { finder.add(d.size(), d.data()); });
    return finder.finish();
}

}  // namespace doppel
