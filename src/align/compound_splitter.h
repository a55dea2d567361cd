// doppel (private): compounds of languages that write them as one word ("Gletscherzunge",
// "Gipfelmannschaft") split into the known words they are made of, so that each part reaches its
// dictionary translations ("Gletscher" / "glacier", "Zunge" / "langue").
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/spec.h"

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

// The spec keys of an encoder that splits compounds (pairs, bridge), split=0|1 and part=N: the
// one home of their parsing, check and description.
// Takes split and part from p (unset keys keep their values).
void take_compound_keys(ParsedSpec& p, bool& split, int& min_part);
// Throws kBadSpec, naming the encoder, when min_part is below 1.
void check_compound_part(const char* encoder, int min_part);
// "split=0,part=3".
std::string describe_compound_keys(bool split, int min_part);

}  // namespace doppel::impl
