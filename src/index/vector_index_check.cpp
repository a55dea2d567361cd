#include "doppel/index/vector_index_check.h"

#include <filesystem>
#include <vector>

#include "doppel/embed/feature_artifacts.h"
#include "doppel/error.h"
#include "doppel/store/store.h"

namespace doppel {
namespace {

constexpr const char* kStateMeta = "vector_index.state";

std::string format_state(const VectorIndex::FileState& st) {
    return std::to_string(st.count) + " " + std::to_string(st.ids_digest) + " " + std::to_string(st.header_checksum);
}

}  // namespace

void record_vector_index(Store& store, const VectorIndex::FileState& state) {
    store.set_meta(kStateMeta, format_state(state));
}

VectorIndexCheck check_vector_index(const Store& store) {
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
        st = VectorIndex::inspect(store.dir());
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
    c.in_step = true;
    return c;
}

}  // namespace doppel
