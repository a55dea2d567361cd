#include "doppel/align/unit_encoder.h"

#include <xxhash.h>

namespace doppel {

uint64_t feature_id(std::string_view name) { return XXH3_64bits(name.data(), name.size()); }

}  // namespace doppel
