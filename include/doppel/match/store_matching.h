// doppel: matching the documents of a store, end to end.
//
// find_stored_duplicates(): every near-duplicate pair and cluster among the stored documents
// (match/near_duplicate_finder.h: LSH candidates, exact verification, non-chaining clusters,
// boilerplate lines left out per source), as one batched call that returns plain data. (The
// cross-language versions: ops/translations.h.)
//
// Thread safety: the functions read the store through the given object only; do not use that
// Store from another thread meanwhile.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "doppel/match/near_duplicate_finder.h"

namespace doppel {

class Store;

// Called now and then with (documents done, documents in all); as in ops/progress.h.
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

// Runs the near-duplicate finder over every stored document. Document numbers in the result are
// positions in seq order (the order documents arrived), so "earliest seen" is the earliest stored.
NearDuplicateResult find_stored_duplicates(const Store& store, const NearDuplicateOptions& options,
                                           std::size_t batch = 1024, const ProgressCallback& progress = {});

}  // namespace doppel
