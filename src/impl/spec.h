// Private: parsing spec strings of the form "name:key=value,key=value". Not installed.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "doppel/error.h"

namespace doppel::impl {

struct ParsedSpec {
    std::string name;
    std::map<std::string, std::string> params;  // in key order

    // Takes a parameter out (so leftovers can be reported); returns false when absent.
    bool take(const std::string& key, std::string& value) {
        auto it = params.find(key);
        if (it == params.end()) return false;
        value = it->second;
        params.erase(it);
        return true;
    }
    bool take_double(const std::string& key, double& value) {
        std::string s;
        if (!take(key, s)) return false;
        try {
            std::size_t pos = 0;
            value = std::stod(s, &pos);
            if (pos != s.size() || !std::isfinite(value)) throw std::invalid_argument(s);
        } catch (const std::exception&) {
            DOPPEL_THROW(kBadSpec, "spec '" + name + "': " + key + "=" + s + " is not a finite number");
        }
        return true;
    }
    template <class T>
    bool take_number(const std::string& key, T& value) {
        double d;
        if (!take_double(key, d)) return false;
        value = static_cast<T>(d);
        return true;
    }
    // Throws if any parameter was not taken.
    void check_empty() const {
        if (!params.empty()) DOPPEL_THROW(kBadSpec, "spec '" + name + "': unknown parameter '" + params.begin()->first + "'");
    }
};

inline ParsedSpec parse_spec(const std::string& spec) {
    ParsedSpec p;
    const auto colon = spec.find(':');
    p.name = spec.substr(0, colon);
    if (colon == std::string::npos) return p;
    std::string rest = spec.substr(colon + 1);
    std::size_t start = 0;
    while (start <= rest.size()) {
        auto comma = rest.find(',', start);
        if (comma == std::string::npos) comma = rest.size();
        std::string item = rest.substr(start, comma - start);
        if (!item.empty()) {
            const auto eq = item.find('=');
            if (eq == std::string::npos) DOPPEL_THROW(kBadSpec, "spec '" + spec + "': expected key=value, got '" + item + "'");
            p.params[item.substr(0, eq)] = item.substr(eq + 1);
        }
        start = comma + 1;
    }
    return p;
}

// Formats a number for a spec string: shortest form that reads back the same.
inline std::string spec_number(double v) {
    char buf[32];
    for (int prec = 1; prec < 18; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (std::stod(buf) == v || static_cast<float>(std::stod(buf)) == static_cast<float>(v)) break;
    }
    return buf;
}

}  // namespace doppel::impl
