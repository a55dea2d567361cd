#include "cli/metadata.h"

#include "ops/record_json.h"

namespace doppel::cli {

void DocumentMetadata::add(nlohmann::json& j, const std::string& id, const std::string& suffix) {
    auto it = cache_.find(id);
    if (it == cache_.end()) {
        std::array<std::string, 3> m;
        if (store_)
            if (auto d = store_->get(id, false)) m = {d->url, d->title, d->date};
        it = cache_.emplace(id, std::move(m)).first;
    }
    json_records::add_metadata(j, suffix, it->second[0], it->second[1], it->second[2]);
}

}  // namespace doppel::cli
