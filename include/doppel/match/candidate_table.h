// doppel: the candidate table, every document's candidates in every other matching language
// (match/matcher.h finds them in the vector index and links from them).
//
// Terms:
//  - candidate: a document of another language near a document in the vector index, with the
//    exact (sparse) similarity of the two (MatchCandidate).
//  - list: the candidates of one document in one target language, at most `capacity` of them
//    (the matcher's k), best first once the matcher has sorted them.
//
// Layout: one flat array of 8-byte candidates; list (doc, lang) is entries
// [(doc * L + lang) * capacity, ... + its size), L = languages.size(), its size in a uint32 of
// its own. A list's room is reserved whether it is used or not (a document's list in its own
// language stays empty), but nothing is allocated per list: at 6 languages and k = 10 a
// document takes 504 bytes, where a vector per list took about 1.5 KB (issue 12: a million
// documents must fit in a few GB).
//
// Thread safety: const methods may run from many threads at once; edit() handles to different
// lists may be used from different threads at once, those to one list need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace doppel {

// A candidate of a document in one target language: its position among the documents matched
// (fewer than 2^32) and the exact (sparse) similarity of the two.
struct MatchCandidate {
    uint32_t other = 0;
    float sim = 0;
};

// One list of a CandidateTable, edited in place: a handle (copies edit the same list, which
// the table owns; valid while the table lives and is not reassigned). begin()/end() are
// pointers, so the list sorts with std::sort.
class CandidateList {
public:
    CandidateList(MatchCandidate* data, uint32_t* size, std::size_t capacity)
        : data_(data), size_(size), capacity_(capacity) {}
    std::size_t size() const { return *size_; }
    bool empty() const { return *size_ == 0; }
    std::size_t capacity() const { return capacity_; }
    MatchCandidate* begin() const { return data_; }
    MatchCandidate* end() const { return data_ + *size_; }
    MatchCandidate& operator[](std::size_t i) const { return data_[i]; }
    void clear() const { *size_ = 0; }
    // Appends c; throws doppel::Error (kInvalidArgument) when the list holds capacity() already.
    void push_back(const MatchCandidate& c) const;
    // The list becomes `from` (at most capacity(), else kInvalidArgument).
    void assign(std::span<const MatchCandidate> from) const;

private:
    MatchCandidate* data_;
    uint32_t* size_;
    std::size_t capacity_;
};

class CandidateTable {
public:
    std::vector<std::string> languages;  // the documents' matching languages, sorted
    // searched[source * languages.size() + target]: the documents of language source search
    // target (the matcher's search plan; symmetric); where not, the documents' lists there stay
    // empty. Empty: every language searches every other. A searched pair is 1, or kSearchedFew
    // where source searches target for fewer candidates (the matcher's low_affinity_k: a pair
    // of low affinity, match/matcher.h).
    std::vector<char> searched;
    static constexpr char kSearchedFew = 2;
    // Whether a value of the plan (an entry of `searched`) searches for few candidates: the one
    // home of that rule (the table's own pairs, and doppel.dask's queries, which carry their
    // language pair's value to a shard: Matcher::shard_candidates).
    static bool is_few(char plan_value) { return plan_value == kSearchedFew; }
    bool searches(std::size_t source, std::size_t target) const {
        return searched.empty() || searched[source * languages.size() + target] != 0;
    }
    bool searches_few(std::size_t source, std::size_t target) const {
        return !searched.empty() && is_few(searched[source * languages.size() + target]);
    }

    CandidateTable() = default;
    // An empty table for n documents of these (sorted) languages, each list holding at most
    // `capacity` candidates.
    static CandidateTable empty(std::size_t n, std::vector<std::string> languages, std::size_t capacity);

    std::size_t documents() const { return languages.empty() ? 0 : sizes_.size() / languages.size(); }
    std::size_t capacity() const { return capacity_; }
    // Lists in the table (documents() * languages.size()); list i is of document i / L, language i % L.
    std::size_t lists() const { return sizes_.size(); }
    std::span<const MatchCandidate> list(std::size_t i) const { return {entries_.data() + i * capacity_, sizes_[i]}; }
    // Document doc's candidates in language lang, best first.
    std::span<const MatchCandidate> of(std::size_t doc, std::size_t lang) const {
        return list(doc * languages.size() + lang);
    }
    CandidateList edit(std::size_t doc, std::size_t lang) {
        const std::size_t i = doc * languages.size() + lang;
        return {entries_.data() + i * capacity_, &sizes_[i], capacity_};
    }
    // Bytes held.
    std::size_t memory_bytes() const {
        return entries_.capacity() * sizeof(MatchCandidate) + sizes_.capacity() * sizeof(uint32_t) + searched.capacity();
    }

private:
    std::size_t capacity_ = 0;
    std::vector<MatchCandidate> entries_;  // list i: [i * capacity_, i * capacity_ + sizes_[i])
    std::vector<uint32_t> sizes_;
};

}  // namespace doppel
