// libFuzzer target: the binary formats read back from a store (sparse vectors, shingles,
// signatures, vectors, a document's paragraphs, the filter of the id keys): a bad blob must give a
// doppel::Error (or, for the paragraphs and the filter, none), never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "doppel/embed/feature_artifacts.h"
#include "doppel/embed/sparse_vector.h"
#include "doppel/error.h"
#include "doppel/index/near_duplicate_index.h"
#include "store/id_key_filter.h"
#include "store/paragraphs_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view blob(reinterpret_cast<const char*>(data), size);
    try { doppel::SparseVector::deserialize(blob); } catch (const doppel::Error&) {}
    try {
        doppel::ShingleCounts counts;
        doppel::decode_shingles(blob, &counts);
    } catch (const doppel::Error&) {
    }
    (void)doppel::decode_stored_shingles(blob, true);  // reports a bad blob in its error, never throws
    try { doppel::decode_signature(blob, 128, 1); } catch (const doppel::Error&) {}
    (void)doppel::decode_stored_signature(blob, 128, 1);  // reports a bad blob in its error, never throws
    try { doppel::decode_vectors_artifact(blob, "fuzz"); } catch (const doppel::Error&) {}
    if (!blob.empty() && static_cast<unsigned char>(blob[0]) == doppel::store_detail::kParagraphsBlobFormat)
        (void)doppel::store_detail::read_paragraphs(blob);  // the blob format only: none when it is bad, never throws
    // The filter of the id keys: none when the blob is bad, never throws.
    if (const auto filter = doppel::store_detail::IdKeyFilter::decode(blob))
        (void)filter->may_contain(static_cast<int64_t>(size)), (void)filter->encode();
    return 0;
}
