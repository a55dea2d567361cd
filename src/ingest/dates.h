// doppel (private): the dates that inputs carry, read into one form.
//
// Feeds write RFC 822 dates ("Tue, 01 Dec 2026 10:00:00 +0300", RSS pubDate), Atom and WARC
// write RFC 3339 ("2026-12-01T07:00:00Z"), JSONL records whatever their writer chose. A feed's
// or WARC record's date is stored as ISO 8601 in UTC ("2026-12-01T07:00:00Z") where it reads as
// a date, else as given; a JSONL record's date is kept exactly as its writer gave it (it is the
// user's own field). `expire --by published` reads every stored date through parse_date().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace doppel::ingest {

// Seconds since the Unix epoch of an ISO 8601 / RFC 3339 date ("2026-12-01",
// "2026-12-01T10:00", "2026-12-01 10:00:00.5+03:00") or an RFC 822/1123 date (the weekday
// optional; zones GMT, UT, UTC, Z, the US ones, +HHMM); a date without a zone is UTC. nullopt
// for anything else (or a day that does not exist).
std::optional<int64_t> parse_date(std::string_view s);
// "YYYY-MM-DDTHH:MM:SSZ".
std::string iso_date(int64_t seconds);
// iso_date(parse_date(s)) when s reads as a date, else s with surrounding spaces trimmed.
std::string normalize_date(std::string_view s);

}  // namespace doppel::ingest
