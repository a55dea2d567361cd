// doppel: progress reports of the long operations (ops/).
//
// Thread safety: an operation calls its callback from the thread that called the operation.
#pragma once

#include <cstddef>
#include <functional>

namespace doppel {

// Called now and then with (items done, items in all); total 0 when unknown.
using ProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

}  // namespace doppel
