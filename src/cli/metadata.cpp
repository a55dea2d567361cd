#include "cli/metadata.h"

namespace doppel::cli {

void DocumentMetadata::add(nlohmann::json& j, const std::string& id, const std::string& suffix) {
    auto it = cache_.find(id);
    if (it == cache_.end()) {
        std::array<std::string, 3> m;
        if (store_)
            if (auto d = store_->get(id, false)) m = {d->url, d->title, d->date};
        it = cache_.emplace(id, std::move(m)).first;
    }
    static const char* const kNames[] = {"url", "title", "date"};
    for (std::size_t k = 0; k < 3; ++k)
        if (!it->second[k].empty()) j[kNames[k] + suffix] = it->second[k];
}

}  // namespace doppel::cli
