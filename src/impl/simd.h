// doppel (private): float kernels of the approximate vector search (dot products, axpy), with
// AVX2 + FMA code chosen at run time where the CPU has it (the library is built for the
// baseline x86-64, and Debian's FAISS and reference BLAS have no such kernels), portable code
// elsewhere. Results equal the plain loops' up to the order of float additions.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace doppel::impl {

// sum_i a[i] * b[i] over n floats.
float dot_f32(const float* a, const float* b, std::size_t n);

// dot_f32(a, b, n) bit for bit, where b is zero but at nnz positions pos[j] (ascending, < n)
// that hold val[j]: the same products summed in the same order (zeros add nothing), at a cost
// of nnz instead of n. Used on rows kept by their nonzeros (match/dense_rows.h).
float dot_f32_nonzeros(const float* a, const uint16_t* pos, const float* val, std::size_t nnz, std::size_t n);

// out[v] = dot_f32(q, xs + v * dim, dim) for v in [0, count): one query against a row-major block,
// bit for bit. With AVX-512 and dim a multiple of 32 (the projection's 256), four rows at a time
// share the query's loads: the same 32 lanes of sums as dot_f32's AVX2 code, in 512-bit registers.
void dots_f32(const float* q, const float* xs, std::size_t count, std::size_t dim, float* out);

// The dot product of two sparse vectors (ids ascending, each once; weights beside them):
// sum of double(wa[i]) * wb[j] over the ids both hold, added in id order into a double, as a
// plain merge of the two does (so bit for bit that merge's sum). With AVX2, the merge steps over
// blocks of four ids of each side compared at once (most blocks share no id).
double sparse_dot(const uint64_t* ia, const float* wa, std::size_t na, const uint64_t* ib, const float* wb,
                  std::size_t nb);

// y[i] += a * x[i] over n floats.
void axpy_f32(float a, const float* x, float* y, std::size_t n);

}  // namespace doppel::impl
