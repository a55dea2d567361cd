// doppel (private): an options struct's spec keys in one table, which both its parse_spec() and
// its describe() go through, so that a key is written once: one added to the table is parsed
// and described, in the table's order, and parse_spec(describe()) gives the options back.
//
//     constexpr impl::OptionKey<FooOptions> kFooKeys[] = {{"k", &FooOptions::k}, ...};
//     impl::take_options(parsed, kFooKeys, o);                    // in parse_spec()
//     impl::append_options(s, kFooKeys, o);                       // in describe()
//
// A field is an integer, a bool ("1" or "0") or a floating-point number (written by the
// caller's number format: the classes' specs differ there, and a describe() string is recorded
// in stores, so it must not change). Not installed.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <variant>

#include "impl/spec.h"

namespace doppel::impl {

template <class Options>
struct OptionKey {
    using Field = std::variant<int Options::*, std::size_t Options::*, bool Options::*, float Options::*,
                               double Options::*>;
    const char* key;
    Field field;
};

// Each key's value taken out of `p` into `o`; a key the spec lacks leaves the field as it is.
template <class Options, std::size_t N>
void take_options(ParsedSpec& p, const OptionKey<Options> (&keys)[N], Options& o) {
    for (const OptionKey<Options>& k : keys)
        std::visit([&](auto field) { p.take_number(k.key, o.*field); }, k.field);
}

// "key=value" of every key, in the table's order and separated by commas, appended to `s`;
// floating-point numbers by `number` (impl::spec_number where not given).
template <class Options, std::size_t N, class NumberFormat>
void append_options(std::string& s, const OptionKey<Options> (&keys)[N], const Options& o,
                    NumberFormat&& number) {
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) s.push_back(',');
        s.append(keys[i].key).push_back('=');
        std::visit(
            [&](auto field) {
                const auto v = o.*field;
                using V = std::remove_cv_t<decltype(v)>;
                if constexpr (std::is_same_v<V, bool>)
                    s.push_back(v ? '1' : '0');
                else if constexpr (std::is_floating_point_v<V>)
                    s += number(v);
                else
                    s += std::to_string(v);
            },
            keys[i].field);
    }
}

template <class Options, std::size_t N>
void append_options(std::string& s, const OptionKey<Options> (&keys)[N], const Options& o) {
    append_options(s, keys, o, [](double v) { return spec_number(v); });
}

}  // namespace doppel::impl
