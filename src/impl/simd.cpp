#include "impl/simd.h"

#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DOPPEL_SIMD_X86 1
#endif

namespace doppel::impl {

namespace {

float dot_plain(const float* a, const float* b, std::size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

// dot_plain's four sums over the nonzeros: position p < n4 adds to sum p % 4, the tail to sum 0.
float dot_nonzeros_plain(const float* a, const uint16_t* pos, const float* val, std::size_t nnz, std::size_t n) {
    float s[4] = {0, 0, 0, 0};
    const std::size_t n4 = n / 4 * 4;
    for (std::size_t j = 0; j < nnz; ++j) s[pos[j] < n4 ? pos[j] % 4 : 0] += a[pos[j]] * val[j];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

void axpy_plain(float a, const float* x, float* y, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// The merge from (i, j) on: the products of equal ids added to s in id order; the steps past
// unequal ids go without branches (most steps: a match is rare).
double sparse_dot_merge(const uint64_t* ia, const float* wa, std::size_t na, const uint64_t* ib, const float* wb,
                        std::size_t nb, std::size_t i, std::size_t j, double s) {
    while (i < na && j < nb) {
        const uint64_t x = ia[i], y = ib[j];
        if (x == y) {
            s += double(wa[i++]) * wb[j++];
            continue;
        }
        i += x < y;
        j += y < x;
    }
    return s;
}

#ifdef DOPPEL_SIMD_X86
// sparse_dot_merge over blocks: four ids of a against four of b (every pair compared, four
// rotations of b); a block pair with an equal id adds its products in a's order (id order). The
// block with the smaller last id is then done (its ids are all below the other block's last, so
// none equals a later id of the other side), both when the last ids are equal. The products
// therefore come in id order, as the merge takes them, and the tail is left to the merge.
__attribute__((target("avx2"))) double sparse_dot_avx2(const uint64_t* ia, const float* wa, std::size_t na,
                                                       const uint64_t* ib, const float* wb, std::size_t nb) {
    std::size_t i = 0, j = 0;
    double s = 0;
    while (i + 4 <= na && j + 4 <= nb) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ia + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ib + j));
        const __m256i eq = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi64(a, b), _mm256_cmpeq_epi64(a, _mm256_permute4x64_epi64(b, 0x39))),
            _mm256_or_si256(_mm256_cmpeq_epi64(a, _mm256_permute4x64_epi64(b, 0x4e)),
                            _mm256_cmpeq_epi64(a, _mm256_permute4x64_epi64(b, 0x93))));
        if (_mm256_movemask_pd(_mm256_castsi256_pd(eq)) != 0)
            for (std::size_t p = 0; p < 4; ++p)
                for (std::size_t q = 0; q < 4; ++q)
                    if (ia[i + p] == ib[j + q]) s += double(wa[i + p]) * wb[j + q];
        const uint64_t last_a = ia[i + 3], last_b = ib[j + 3];
        i += last_a <= last_b ? 4 : 0;
        j += last_b <= last_a ? 4 : 0;
    }
    return sparse_dot_merge(ia, wa, na, ib, wb, nb, i, j, s);
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, std::size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    float r = _mm_cvtss_f32(h);
    for (; i < n; ++i) r += a[i] * b[i];
    return r;
}

// dot_avx2's 32 fused lanes over the nonzeros (positions under n / 32 * 32 in lane p % 32, then
// the 8-wide tail in lanes p % 8) and its reduction; lengths with a scalar tail (n % 8 != 0) are
// left to the caller.
__attribute__((target("avx2,fma"))) float dot_nonzeros_avx2(const float* a, const uint16_t* pos, const float* val,
                                                          std::size_t nnz, std::size_t n) {
    float s[32] = {};
    const std::size_t n32 = n / 32 * 32;
    for (std::size_t j = 0; j < nnz; ++j) {
        float& lane = s[pos[j] < n32 ? pos[j] % 32 : pos[j] % 8];
        lane = __builtin_fmaf(a[pos[j]], val[j], lane);
    }
    float t[8], h[4];
    for (int l = 0; l < 8; ++l) t[l] = (s[l] + s[8 + l]) + (s[16 + l] + s[24 + l]);
    for (int l = 0; l < 4; ++l) h[l] = t[l] + t[4 + l];
    return (h[0] + h[2]) + (h[1] + h[3]);
}

__attribute__((target("avx2,fma"))) void axpy_avx2(float a, const float* x, float* y, std::size_t n) {
    const __m256 va = _mm256_set1_ps(a);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}

bool has_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}

bool has_avx512() {
    static const bool yes = has_avx2() && __builtin_cpu_supports("avx512f");
    return yes;
}

// dot_avx2's reduction of its four 8-lane sums, s01 = [s0 | s1] and s23 = [s2 | s3].
// (Its halves read back from memory: GCC 12's 512-bit extract and cast intrinsics warn of an
// undefined operand.)
__attribute__((target("avx512f,avx2,fma"))) float reduce_dot_avx512(__m512 s01, __m512 s23) {
    float t[32];
    _mm512_storeu_ps(t, s01);
    _mm512_storeu_ps(t + 16, s23);
    const __m256 a = _mm256_add_ps(_mm256_loadu_ps(t), _mm256_loadu_ps(t + 8));
    const __m256 b = _mm256_add_ps(_mm256_loadu_ps(t + 16), _mm256_loadu_ps(t + 24));
    const __m256 s = _mm256_add_ps(a, b);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

// dots_f32 for dim a multiple of 32, four rows at a time: dot_avx2 bit for bit (each of its 32
// lanes is one lane of a 512-bit sum here, fed the same products in the same order, and reduced
// as it does), with the query's loads shared by the four rows.
__attribute__((target("avx512f,avx2,fma"))) void dots32_avx512(const float* q, const float* xs,
                                                               std::size_t count, std::size_t dim,
                                                               float* out) {
    std::size_t v = 0;
    for (; v + 4 <= count; v += 4) {
        const float* x0 = xs + v * dim;
        const float* x1 = x0 + dim;
        const float* x2 = x1 + dim;
        const float* x3 = x2 + dim;
        __m512 a0 = _mm512_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (std::size_t i = 0; i < dim; i += 32) {
            const __m512 qa = _mm512_loadu_ps(q + i), qb = _mm512_loadu_ps(q + i + 16);
            a0 = _mm512_fmadd_ps(qa, _mm512_loadu_ps(x0 + i), a0);
            b0 = _mm512_fmadd_ps(qb, _mm512_loadu_ps(x0 + i + 16), b0);
            a1 = _mm512_fmadd_ps(qa, _mm512_loadu_ps(x1 + i), a1);
            b1 = _mm512_fmadd_ps(qb, _mm512_loadu_ps(x1 + i + 16), b1);
            a2 = _mm512_fmadd_ps(qa, _mm512_loadu_ps(x2 + i), a2);
            b2 = _mm512_fmadd_ps(qb, _mm512_loadu_ps(x2 + i + 16), b2);
            a3 = _mm512_fmadd_ps(qa, _mm512_loadu_ps(x3 + i), a3);
            b3 = _mm512_fmadd_ps(qb, _mm512_loadu_ps(x3 + i + 16), b3);
        }
        out[v] = reduce_dot_avx512(a0, b0);
        out[v + 1] = reduce_dot_avx512(a1, b1);
        out[v + 2] = reduce_dot_avx512(a2, b2);
        out[v + 3] = reduce_dot_avx512(a3, b3);
    }
    for (; v < count; ++v) out[v] = dot_avx2(q, xs + v * dim, dim);
}
#endif

}  // namespace

float dot_f32(const float* a, const float* b, std::size_t n) {
#ifdef DOPPEL_SIMD_X86
    if (has_avx2()) return dot_avx2(a, b, n);
#endif
    return dot_plain(a, b, n);
}

float dot_f32_nonzeros(const float* a, const uint16_t* pos, const float* val, std::size_t nnz, std::size_t n) {
#ifdef DOPPEL_SIMD_X86
    if (has_avx2()) {
        if (n % 8 == 0) return dot_nonzeros_avx2(a, pos, val, nnz, n);
        std::vector<float> b(n, 0.0f);  // a scalar tail: the full row (not a length the bridge uses)
        for (std::size_t j = 0; j < nnz; ++j) b[pos[j]] = val[j];
        return dot_avx2(a, b.data(), n);
    }
#endif
    return dot_nonzeros_plain(a, pos, val, nnz, n);
}

double sparse_dot(const uint64_t* ia, const float* wa, std::size_t na, const uint64_t* ib, const float* wb,
                  std::size_t nb) {
#ifdef DOPPEL_SIMD_X86
    if (has_avx2()) return sparse_dot_avx2(ia, wa, na, ib, wb, nb);
#endif
    return sparse_dot_merge(ia, wa, na, ib, wb, nb, 0, 0, 0.0);
}

void dots_f32(const float* q, const float* xs, std::size_t count, std::size_t dim, float* out) {
#ifdef DOPPEL_SIMD_X86
    if (dim % 32 == 0 && has_avx512()) return dots32_avx512(q, xs, count, dim, out);
#endif
    for (std::size_t v = 0; v < count; ++v) out[v] = dot_f32(q, xs + v * dim, dim);
}

void axpy_f32(float a, const float* x, float* y, std::size_t n) {
#ifdef DOPPEL_SIMD_X86
    if (has_avx2()) return axpy_avx2(a, x, y, n);
#endif
    axpy_plain(a, x, y, n);
}

}  // namespace doppel::impl
