// doppel (private): the JSON records that `doppel dedup --format jsonl`, `doppel translations
// --format jsonl`, `doppel align` and `doppel score` write, built in one place for the
// command-line tool and the Python module (doppel.dask). nlohmann::json objects: keys sorted,
// written with dump().
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>

#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/alignment.h"
#include "doppel/ops/translations.h"

namespace doppel::json_records {

// {"a":[...],"b":[...],"score":...,"similarity":...} and with_text "a_text", "b_text".
nlohmann::json bead_json(const Bead& b, const UnitDocument& a, const UnitDocument& bdoc, bool with_text);
// The pair's score, label, coverages, quality, document similarity and bead counts.
nlohmann::json pair_json(const AlignedPair& p);
// The beads of a pair as JSON, all or only the aligned ones.
nlohmann::json beads_json(const AlignedPair& p, bool aligned_only, bool with_text);
// A translation pair's JSONL record (score with 4 decimals); with an aligned pair its alignment
// and aligned units.
nlohmann::json translation_json(const TranslationPair& p, const AlignedPair* aligned);
// Adds a document's "url"+suffix, "title"+suffix, "date"+suffix to j, those not empty.
void add_metadata(nlohmann::json& j, const std::string& suffix, const std::string& url, const std::string& title,
                  const std::string& date);

// Adds the metadata of document `id` to a record (url, title, date + suffix), or nothing.
using MetadataFn = std::function<void(nlohmann::json& j, const std::string& id, const std::string& suffix)>;
// The records of `doppel dedup --format jsonl`, one a line: every pair (ids in order, with
// `meta`'s "_a"/"_b" fields), the clusters, each document's repeated lines and the summary
// (documents, pairs, partial, clusters, candidates, boilerplate_lines, spec of r). Returns (near
// and exact pairs, partial copies).
std::pair<std::size_t, std::size_t> write_dedup_records(std::ostream& out, const NearDuplicateResult& r,
                                                        const MetadataFn& meta = nullptr);

}  // namespace doppel::json_records
