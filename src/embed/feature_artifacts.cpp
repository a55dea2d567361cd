#include "doppel/embed/feature_artifacts.h"

#include <cstring>
#include <unordered_map>
#include <vector>

#include "doppel/error.h"
#include "doppel/store/store.h"
#include "impl/repeats.h"

namespace doppel {

namespace {
constexpr char kVectorsMagic[4] = {'D', 'P', 'V', 'V'};
constexpr uint32_t kVectorsVersion = 1;
constexpr std::size_t kVectorsHeader = 12;  // magic, version, dim
}  // namespace

std::string encode_vectors_artifact(const float* v, uint32_t dim) {
    std::string b(kVectorsMagic, 4);
    b.append(reinterpret_cast<const char*>(&kVectorsVersion), 4);
    b.append(reinterpret_cast<const char*>(&dim), 4);
    b.append(reinterpret_cast<const char*>(v), dim * sizeof(float));
    return b;
}

std::vector<float> decode_vectors_artifact(std::string_view blob, const std::string& what) {
    uint32_t version = 0, dim = 0;
    if (blob.size() < kVectorsHeader || std::memcmp(blob.data(), kVectorsMagic, 4) != 0) return {};
    std::memcpy(&version, blob.data() + 4, 4);
    std::memcpy(&dim, blob.data() + 8, 4);
    if (version != kVectorsVersion || blob.size() != kVectorsHeader + std::size_t(dim) * sizeof(float))
        DOPPEL_THROW(kBadFormat, what + " has another format version or a bad size");
    std::vector<float> v(dim);
    if (dim) std::memcpy(v.data(), blob.data() + kVectorsHeader, std::size_t(dim) * sizeof(float));  // no null dest
    return v;
}

SparseVector StoredVectors::join(SparseVector weighted, int64_t seq) const {
    auto it = by_seq.find(seq);
    if (it == by_seq.end() || it->second.empty()) return weighted;
    return BridgeEmbedder::with_vectors(weighted, it->second.data(), it->second.size(), weight);
}

StoredVectors load_vectors(const Store& store) {
    StoredVectors out;
    auto w = store.meta("embedding.vectors_weight");
    if (!store.meta("embedding.vectors") || !w) return out;
    out.weight = std::stof(*w);
    store.scan_artifacts(kVectorsArtifact, [&](int64_t seq, std::string_view blob) {
        if (blob.size() < kVectorsHeader || std::memcmp(blob.data(), kVectorsMagic, 4) != 0) return;
        out.by_seq.emplace(seq, decode_vectors_artifact(blob, "store " + store.dir() + ": vectors artifact of document " +
                                                                  std::to_string(seq)));
    });
    return out;
}

namespace {
// The first of each kept vector's repeats (impl::first_of_repeats on a hash of the entries,
// compared bit for bit), and each distinct one counted into the frequencies once, with the
// number of vectors holding it.
void count_distinct(StoredFeatures& f) {
    std::vector<uint64_t> keys(f.counts.size());
    for (std::size_t i = 0; i < f.counts.size(); ++i) keys[i] = entries_hash(f.counts[i]);
    f.first = impl::first_of_repeats(
        keys, [&](std::size_t a, std::size_t b) { return same_entries(f.counts[a], f.counts[b]); });
    std::vector<uint32_t> times(f.counts.size());
    for (const std::size_t i : f.first) ++times[i];
    for (std::size_t i = 0; i < f.counts.size(); ++i) f.frequencies.add(f.counts[i], times[i]);
}

// Every stored document's features counted into the frequencies; the counts of those keep(seq)
// takes kept, with their matching languages (both scans come in seq order: the languages are
// merged in). A document not kept is counted as it is read; the kept ones once read, each
// distinct vector once (count_distinct): exact copies (a feed's syndicated items, a corpus's
// licences) have the same features, and counting them one by one was a third of a first
// build's flush (the copyright corpus: 965 documents, 484 texts; reading its features back took
// 17-27 ms, 13 ms now, with EmbeddingStage::flush's embedders freed before it).
template <class Keep>
StoredFeatures load_features_kept(const Store& store, Keep&& keep) {
    StoredFeatures f;
    store.scan_artifacts(kBridgeFeaturesArtifact, [&](int64_t seq, std::string_view blob) {
        SparseVector counts = SparseVector::deserialize(blob);
        if (!keep(seq)) {
            f.frequencies.add(counts);  // counted, not kept
            return;
        }
        f.seqs.push_back(seq);
        f.counts.push_back(std::move(counts));
    });
    count_distinct(f);
    f.langs.resize(f.seqs.size());
    std::size_t at = 0;
    store.scan_artifacts(kMatchingLanguageArtifact, [&](int64_t seq, std::string_view blob) {
        while (at < f.seqs.size() && f.seqs[at] < seq) ++at;
        if (at < f.seqs.size() && f.seqs[at] == seq) f.langs[at] = std::string(blob);
    });
    return f;
}
}  // namespace

StoredFeatures load_features(const Store& store) {
    return load_features_kept(store, [](int64_t) { return true; });
}

StoredFeatures load_features(const Store& store, std::span<const int64_t> wanted) {
    std::size_t at = 0;  // the scan's seqs ascend, as `wanted` does
    return load_features_kept(store, [&](int64_t seq) {
        while (at < wanted.size() && wanted[at] < seq) ++at;
        return at < wanted.size() && wanted[at] == seq;
    });
}

std::vector<SparseVector> load_counts(const Store& store, std::span<const int64_t> seqs, bool scan) {
    std::unordered_map<int64_t, std::size_t> pos;
    for (std::size_t i = 0; i < seqs.size(); ++i) pos[seqs[i]] = i;
    std::vector<SparseVector> counts(seqs.size());
    std::size_t found = 0;
    auto take = [&](int64_t seq, std::string_view blob) {
        if (auto it = pos.find(seq); it != pos.end()) {
            counts[it->second] = SparseVector::deserialize(blob);
            ++found;
        }
    };
    if (scan)
        store.scan_artifacts(kBridgeFeaturesArtifact, take);
    else
        store.read_artifacts(kBridgeFeaturesArtifact, std::vector<int64_t>(seqs.begin(), seqs.end()), take);
    DOPPEL_CHECK(kNotFound, found == seqs.size(),
                 "store " + store.dir() + ": " + std::to_string(seqs.size() - found) +
                     " documents lost their features while being matched");
    return counts;
}

}  // namespace doppel
