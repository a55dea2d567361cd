#include "doppel/match/candidate_table.h"

#include <algorithm>
#include <limits>

#include "doppel/error.h"

namespace doppel {

void CandidateList::push_back(const MatchCandidate& c) const {
    DOPPEL_CHECK(kInvalidArgument, *size_ < capacity_,
                 "candidate table: a list holds at most " + std::to_string(capacity_) + " candidates");
    data_[(*size_)++] = c;
}

void CandidateList::assign(std::span<const MatchCandidate> from) const {
    DOPPEL_CHECK(kInvalidArgument, from.size() <= capacity_,
                 "candidate table: a list holds at most " + std::to_string(capacity_) + " candidates");
    std::copy(from.begin(), from.end(), data_);
    *size_ = static_cast<uint32_t>(from.size());
}

CandidateTable CandidateTable::empty(std::size_t n, std::vector<std::string> languages, std::size_t capacity) {
    DOPPEL_CHECK(kInvalidArgument, n <= std::numeric_limits<uint32_t>::max() &&
                                       capacity <= std::numeric_limits<uint32_t>::max(),
                 "candidate table: at most 2^32 - 1 documents and candidates per list");
    CandidateTable t;
    t.capacity_ = capacity;
    t.sizes_.assign(n * languages.size(), 0);
    t.entries_.resize(t.sizes_.size() * capacity);
    t.languages = std::move(languages);
    return t;
}

}  // namespace doppel
