// doppel (private): compounds of languages that write them as one word ("Gletscherzunge",
// "Gipfelmannschaft") split into the known words they are made of, so that each part reaches its
// dictionary translations ("Gletscher" / "glacier", "Zunge" / "langue").
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace doppel::impl {

// Languages that join compounds into one word (German, Dutch, the Scandinavian languages).
bool writes_compounds(std::string_view lang);

// The parts of `word` (normalized, lower case) that `known` accepts, the head (last part) as long
// as possible, each part at least min_part code points, at most kMaxCompoundParts parts; a part
// but the last may end in a linking element (-s-, -es-, -n-, -en-, -er-, -e-), dropped from it
// when the part is known only without it ("Expeditions|leiter": "expedition", "leiter").
// Empty when no split into known parts exists (the word itself is not tried).
std::vector<std::string> split_compound(std::string_view word, const std::function<bool(std::string_view)>& known,
                                        std::size_t min_part = 3);

constexpr std::size_t kMaxCompoundParts = 4;

}  // namespace doppel::impl
