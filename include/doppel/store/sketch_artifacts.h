// doppel: the names of the near-duplicate sketches' artifact kinds (one home for them). The
// store keeps them as columns, named after the kinds, of two rows keyed by seq (store/store.h,
// Store::kSketchKinds): the names are part of its file format, so they live with it, where the
// stages above (sketch, index, ops) read them too. The near-duplicate stage writes one blob of
// each kind per document (index/near_duplicate_index.h gives each kind's format), and every
// reader asks for them by these names.
//
// Thread safety: constants.
#pragma once

namespace doppel {

inline constexpr const char* kShinglesArtifact = "shingles";       // the shingle set and its counts
inline constexpr const char* kMinHashArtifact = "minhash";         // the MinHash signature
inline constexpr const char* kLinesArtifact = "lines";             // the line summary
inline constexpr const char* kShingleSetArtifact = "shingle_set";  // the shingle set's key

}  // namespace doppel
