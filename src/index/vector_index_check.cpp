#include "doppel/index/vector_index_check.h"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <vector>

#include "doppel/embed/feature_artifacts.h"
#include "doppel/error.h"
#include "doppel/store/store.h"

namespace doppel {
namespace {

constexpr const char* kStateMeta = "vector_index.state";
constexpr const char* kRelabeledMeta = "vector_index.relabeled";

std::string format_state(const VectorIndex::FileState& st) {
    return std::to_string(st.count) + " " + std::to_string(st.ids_digest) + " " + std::to_string(st.header_checksum);
}

}  // namespace

void record_vector_index(Store& store, const VectorIndex::FileState& state) {
    store.transaction([&] {
        store.set_meta(kStateMeta, format_state(state));
        if (store.meta(kRelabeledMeta).value_or("") != "") store.set_meta(kRelabeledMeta, "");
    });
}

std::vector<int64_t> relabeled_seqs(const Store& store) {
    std::set<int64_t> seqs;
    const std::string list = store.meta(kRelabeledMeta).value_or("");
    for (std::size_t b = 0; b < list.size();) {
        std::size_t e = list.find(',', b);
        if (e == std::string::npos) e = list.size();
        if (e > b) seqs.insert(std::strtoll(list.c_str() + b, nullptr, 10));
        b = e + 1;
    }
    return {seqs.begin(), seqs.end()};
}

void add_relabeled(Store& store, std::size_t n, const int64_t* seqs) {
    if (n == 0) return;
    store.transaction([&] {
        std::string list = store.meta(kRelabeledMeta).value_or("");
        for (std::size_t i = 0; i < n; ++i) {
            if (!list.empty()) list += ',';
            list += std::to_string(seqs[i]);
        }
        store.set_meta(kRelabeledMeta, list);
    });
}

VectorIndexCheck check_vector_index(const Store& store, const VectorIndex::LoadOptions& files) {
    VectorIndexCheck c;
    const std::vector<int64_t> expected = store.artifact_seqs(kBridgeFeaturesArtifact);
    c.expected = expected.size();
    const std::string path = (std::filesystem::path(store.dir()) / VectorIndex::kHeaderFile).string();
    c.present = VectorIndex::exists(store.dir());
    if (!c.present) {
        c.in_step = expected.empty();
        if (!c.in_step)
            c.problem = path + " is missing (" + std::to_string(expected.size()) + " documents have features)";
        return c;
    }
    VectorIndex::FileState st;
    try {
        st = VectorIndex::inspect(store.dir(), files);
    } catch (const Error& e) {
        c.problem = e.what();
        return c;
    }
    const auto recorded = store.meta(kStateMeta);
    if (!recorded || *recorded != format_state(st)) {
        c.problem = path + " is not the vector index this store recorded" +
                    (recorded ? std::string() : std::string(" (none recorded)"));
        return c;
    }
    c.intact = true;
    c.indexed = st.count;
    if (st.count != expected.size() || st.ids_digest != VectorIndex::ids_digest(expected.size(), expected.data())) {
        c.problem = path + " indexes " + std::to_string(st.count) + " documents, the store has " +
                    std::to_string(expected.size()) + " with features" +
                    (st.count == expected.size() ? " (not the same ones)" : "");
        return c;
    }
    if (const std::size_t moved = relabeled_seqs(store).size(); moved > 0) {
        c.problem = path + " holds " + std::to_string(moved) + " documents under a language they no longer have";
        return c;
    }
    c.in_step = true;
    return c;
}

}  // namespace doppel
