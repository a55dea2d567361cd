// Writes small lexicons for tests: bridge lexicons in the documented format
// (embed/bridge_lexicon.h) and word-pair dictionaries in scripts/build-pairs' format
// (align/pair_encoder.h); and the unit tokens the aligner's encoders take.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "doppel/align/unit_encoder.h"
#include "doppel/embed/bridge_lexicon.h"

namespace doppel::test {

// concepts: English stems; entries: "lang\tkey" -> concept ids.
inline std::string tiny_lexicon(const std::vector<std::string>& concepts,
                                const std::map<std::string, std::vector<uint32_t>>& entries,
                                uint32_t version = BridgeLexicon::kFormatVersion) {
    auto put32 = [](std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
    std::string s(BridgeLexicon::kMagic, 4);
    put32(s, version);
    std::string hdr = R"({"fingerprint": "0123456789abcdef", "format": 1})";
    while (hdr.size() % 4) hdr.push_back(' ');
    put32(s, static_cast<uint32_t>(hdr.size()));
    s += hdr;
    auto block = [&](const std::vector<std::string>& items) {
        uint32_t pos = 0;
        for (auto& i : items) {
            put32(s, pos);
            pos += static_cast<uint32_t>(i.size());
        }
        put32(s, pos);
        for (auto& i : items) s += i;
        while (s.size() % 4) s.push_back('\0');
    };
    put32(s, static_cast<uint32_t>(concepts.size()));
    block(concepts);
    std::vector<std::string> keys;
    for (auto& [k, v] : entries) keys.push_back(k);  // std::map: sorted bytewise
    put32(s, static_cast<uint32_t>(keys.size()));
    block(keys);
    uint32_t n = 0;
    put32(s, 0);
    for (auto& [k, v] : entries) put32(s, n += static_cast<uint32_t>(v.size()));
    for (auto& [k, v] : entries)
        for (uint32_t id : v) put32(s, id);
    return s;
}

// A pairs dictionary: the header build-pairs writes (no inputs), then one
// "lang\tlang\tword\tword" line per entry of `pairs`.
inline std::string tiny_pairs(const std::vector<std::string>& pairs) {
    std::string s = "#doppel-pairs 1\n{\"inputs\": []}\n";
    for (const std::string& p : pairs) s += p + "\n";
    return s;
}

// A unit of these (already folded) tokens, as the encoders take it.
inline UnitTokens unit_tokens(std::vector<std::string> words) {
    UnitTokens t;
    t.tokens = std::move(words);
    return t;
}

}  // namespace doppel::test
