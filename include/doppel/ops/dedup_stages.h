// doppel: `doppel dedup` split into stages over parts of the input, for runs spread across
// processes or machines (the Python module's doppel.dask). Each stage is a batched call on plain
// data; fed the same documents, the stages give the pairs and clusters of find_file_duplicates().
//
// The stages (a part is any slice of the input, in reading order):
//  1. count:   count_source_lines(part) per part; the counts of all parts summed per key
//              (merge_line_counts) and select_boilerplate() on them give the boilerplate table.
//  2. sketch:  sketch_documents(part, table) per part: shingle sets, set hashes, MinHash
//              signatures (document numbers are then global: a part's offset plus its position).
//  3. group:   group_identical_sets() (match/near_duplicate_finder.h) over every set hash.
//  4. buckets: LSH band keys (index/lsh_index.h) of the representatives; documents sharing a
//              (band, key) bucket make candidate pairs.
//  5. verify:  verify_candidates() on the exact shingle sets of every candidate.
//  6. finish:  groups_from_numbers() and finish_duplicates(): pairs of every document, clusters.
// Terms (representative, boilerplate, candidate, ...) as in match/near_duplicate_finder.h.
//
// Thread safety: the calls share no state; each runs worker threads (impl::parallel_for) over
// options.threads (0: all cores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "doppel/document.h"
#include "doppel/error.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/match/near_duplicate_finder.h"
#include "doppel/ops/duplicates.h"

namespace doppel {

// Reads every document of `paths` as find_file_duplicates() does (ids from read.id_from_path).
struct DocumentBatch {
    std::vector<Document> docs;
    std::vector<RecordError> errors;
};
DocumentBatch read_documents(const std::vector<std::string>& paths, const FileDedupOptions& read = {},
                             const ReaderOptions& reader = {});

// Stage 1: the (source, line) counts of a part (empty without options.boilerplate).
SourceLineCounts count_source_lines(std::size_t n, const Document* docs, const NearDuplicateOptions& options);
// Sums the counts of several parts per key and per source.
SourceLineCounts merge_line_counts(const std::vector<SourceLineCounts>& parts);

// The boilerplate table: (source hash, line hash) entries.
struct BoilerplateTable {
    std::vector<uint64_t> source, line;
};
// The keys of `lines` that are boilerplate, their sources counted in `sources` (which holds the
// sources and source_docs of every part; `lines` may hold a share of the keys).
BoilerplateTable select_boilerplate(const SourceLineCounts& lines, const SourceLineCounts& sources,
                                    const NearDuplicateOptions& options);

// The boilerplate among the keys of several parts' counts (`line_parts`, a share of the keys
// each), the sources counted in `sources` (every part's, merged): keys of a source with fewer
// than boilerplate_min_docs documents are dropped before the merge (no line of such a source is
// boilerplate), then merge_line_counts() and select_boilerplate().
BoilerplateTable boilerplate_of_parts(const std::vector<SourceLineCounts>& line_parts,
                                      const SourceLineCounts& sources, const NearDuplicateOptions& options);

// Stage 2: the sketches of a part with the boilerplate of `table` left out.
FinderSketches sketch_documents(std::size_t n, const Document* docs, const NearDuplicateOptions& options,
                                const BoilerplateTable& table);

// Stage 5: the candidates `pairs` (a << 32 | b, global numbers) verified on the shingle sets of
// the documents `numbers` (sorted): set k is flat[offsets[k], offsets[k + 1]). Pairs found near
// (or partial), sorted by (a, b). Throws doppel::Error when a document is not in `numbers`.
struct ShingleSets {
    std::vector<uint32_t> numbers;
    std::vector<uint64_t> offsets;
    std::vector<uint64_t> flat;
};
std::vector<NearDuplicatePair> verify_candidates(const std::vector<uint64_t>& pairs, const ShingleSets& sets,
                                                 const NearDuplicateOptions& options);

// Stage 6: the groups of identical sets from each document's group number (UINT32_MAX: empty set).
IdenticalSetGroups groups_from_numbers(const std::vector<uint32_t>& group_of);
// Every pair and the clusters, as NearDuplicateFinder::finish() makes them; docs[i] needs
// shingles and bytes.
NearDuplicateResult finish_duplicates(const std::vector<NearDuplicatePair>& rep_pairs,
                                      const IdenticalSetGroups& groups, std::vector<FinderDocument> docs);

}  // namespace doppel
