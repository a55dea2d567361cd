#include "ingest/dates.h"

#include <array>
#include <cctype>
#include <cstdio>

namespace doppel::ingest {
namespace {

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool valid_day(int64_t y, unsigned m, unsigned d) {
    static constexpr std::array<unsigned, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d <= 28 + static_cast<unsigned>(leap);
}

// A cursor over the text with the small reads both grammars need.
struct Cursor {
    std::string_view s;
    std::size_t i = 0;
    bool done() const { return i >= s.size(); }
    bool eat(char c) { return i < s.size() && s[i] == c ? (++i, true) : false; }
    void spaces() { while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i; }
    bool digit() const { return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); }
    // Exactly n digits (n == 0: one to 18, so that *v cannot overflow; more is no date).
    bool digits(std::size_t n, int64_t* v) {
        const std::size_t most = n == 0 ? 18 : n;
        std::size_t k = 0;
        *v = 0;
        while (digit() && k < most) *v = *v * 10 + (s[i++] - '0'), ++k;
        return n == 0 ? k > 0 && !digit() : k == n;
    }
    std::string word() {
        std::string w;
        while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) w += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++])));
        return w;
    }
};

// A zone after the time: Z, +HH:MM, +HHMM, +HH, or a name; *offset in seconds east of UTC.
bool zone(Cursor& c, int64_t* offset) {
    *offset = 0;
    c.spaces();
    if (c.done() || c.eat('Z') || c.eat('z')) return true;
    if (c.s[c.i] == '+' || c.s[c.i] == '-') {
        const int sign = c.s[c.i++] == '-' ? -1 : 1;
        int64_t h = 0, m = 0;
        if (!c.digits(2, &h)) return false;
        c.eat(':');
        if (!c.done()) c.digits(2, &m);
        *offset = sign * (h * 3600 + m * 60);
        return true;
    }
    static const std::array<std::pair<const char*, int>, 11> kNames = {{{"gmt", 0}, {"ut", 0}, {"utc", 0},
        {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5}, {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}}};
    const std::string w = c.word();
    for (const auto& [name, hours] : kNames)
        if (w == name) return *offset = hours * 3600, true;
    return false;
}

// HH:MM[:SS[.frac]]
bool clock(Cursor& c, int64_t* secs) {
    int64_t h = 0, m = 0, s = 0;
    if (!c.digits(2, &h) || !c.eat(':') || !c.digits(2, &m)) return false;
    if (c.eat(':') && !c.digits(2, &s)) return false;
    if (c.eat('.') || c.eat(',')) {
        int64_t frac = 0;
        c.digits(0, &frac);
    }
    if (h > 23 || m > 59 || s > 60) return false;
    *secs = h * 3600 + m * 60 + s;
    return true;
}

std::optional<int64_t> finish(int64_t y, int64_t mo, int64_t d, int64_t secs, int64_t offset) {
    if (!valid_day(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) return std::nullopt;
    return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + secs - offset;
}

std::optional<int64_t> parse_iso(std::string_view s) {
    Cursor c{s};
    int64_t y = 0, mo = 0, d = 0, secs = 0, offset = 0;
    if (!c.digits(4, &y) || !c.eat('-') || !c.digits(2, &mo) || !c.eat('-') || !c.digits(2, &d)) return std::nullopt;
    if (!c.done()) {
        if (!(c.eat('T') || c.eat('t') || c.eat(' ')) || !clock(c, &secs) || !zone(c, &offset)) return std::nullopt;
    }
    c.spaces();
    return c.done() ? finish(y, mo, d, secs, offset) : std::nullopt;
}

std::optional<int64_t> parse_rfc822(std::string_view s) {
    static const std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    Cursor c{s};
    c.spaces();
    if (std::isalpha(static_cast<unsigned char>(s.empty() ? 0 : s[c.i]))) {
        c.word();
        c.eat(',');
        c.spaces();
    }
    int64_t y = 0, mo = 0, d = 0, secs = 0, offset = 0;
    if (!c.digits(0, &d)) return std::nullopt;
    c.spaces();
    const std::string month = c.word().substr(0, 3);
    for (std::size_t k = 0; k < kMonths.size(); ++k)
        if (month == kMonths[k]) mo = static_cast<int64_t>(k) + 1;
    c.spaces();
    if (mo == 0 || !c.digits(0, &y)) return std::nullopt;
    if (y < 100) y += y < 50 ? 2000 : 1900;
    c.spaces();
    if (!c.done() && (!clock(c, &secs) || !zone(c, &offset))) return std::nullopt;
    c.spaces();
    return c.done() ? finish(y, mo, d, secs, offset) : std::nullopt;
}

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

std::optional<int64_t> parse_date(std::string_view s) {
    s = trim(s);
    if (s.empty()) return std::nullopt;
    if (auto t = parse_iso(s)) return t;
    return parse_rfc822(s);
}

std::string iso_date(int64_t t) {
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    const int64_t secs = t - days * 86400;
    // civil_from_days (H. Hinnant)
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
    return buf;
}

std::string normalize_date(std::string_view s) {
    if (auto t = parse_date(s)) return iso_date(*t);
    return std::string(trim(s));
}

}  // namespace doppel::ingest
