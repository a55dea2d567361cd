// The metadata of documents (url, title, date) in the JSONL records that name them.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "doppel/document.h"
#include "doppel/store/store.h"

namespace doppel::cli {

// Looks documents up by id: those remembered (documents read, not stored), else the store's
// (when given), each once. Not thread-safe.
class DocumentMetadata {
public:
    explicit DocumentMetadata(const Store* store = nullptr) : store_(store) {}
    void remember(const Document& d) { cache_[d.id] = {d.url, d.title, d.date}; }
    // Adds "url"+suffix, "title"+suffix, "date"+suffix to j (those that are not empty).
    void add(nlohmann::json& j, const std::string& id, const std::string& suffix = "");

private:
    const Store* store_;
    std::unordered_map<std::string, std::array<std::string, 3>> cache_;
};

}  // namespace doppel::cli
