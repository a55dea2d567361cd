// The BLAS and LAPACK routines that FAISS (linked into the tool from libfaiss.a) and doppel's PCA
// training (index/pca_training.cpp) call, loaded from OpenBLAS on their first call instead of at
// every start of the tool (issue 12).
//
// Why: loading OpenBLAS costs every process about 6 ms CPU and 10 ms wall on this kind of
// (virtual) machine: its own 12,000 symbol relocations, its libgfortran and libquadmath, and its
// constructor (CPU detection, buffers). Only the vector search of `translations`, `report` and
// `align` (FAISS: sgemm_ in exhaustive search, LAPACK in PCA and quantizer training) uses it;
// `index --for duplicates`, `dedup`, `check`, `list` never call it and now never load it.
//
// How: each routine below has FAISS's own prototype (extern "C", the Fortran calling convention
// of reference BLAS/LAPACK with 32-bit integers: every argument a pointer, no hidden string
// lengths), so FAISS's calls bind to it when the tool is linked; it forwards every argument
// unchanged to the routine of the same name in DOPPEL_BLAS_LIBRARY (the library the tool was
// linked to before, found by CMake: libopenblas.so.0), opened once with dlopen on the first call
// of any of them. The same code of the same library runs with the same arguments, so results are
// unchanged; only the moment of loading moves. The symbols are hidden: the tool exports none of
// them, so OpenBLAS's own calls between its routines bind inside OpenBLAS, as before.
//
// Thread safety: the first calls may come from several threads at once (FAISS in parallel_for
// workers); the library is opened and each routine looked up once (function-local statics).
// A missing library or routine throws doppel::Error (kNotFound) from the call, which the command
// reports as it reports any error.
#include <dlfcn.h>

#include <string>

#include "doppel/error.h"

#ifndef DOPPEL_BLAS_LIBRARY
#error "DOPPEL_BLAS_LIBRARY (the BLAS/LAPACK library to open, e.g. libopenblas.so.0) is set by CMake"
#endif

namespace {

void* blas_library() {
    static void* const handle = dlopen(DOPPEL_BLAS_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        DOPPEL_THROW(kNotFound, std::string("cannot load BLAS/LAPACK (" DOPPEL_BLAS_LIBRARY "): ") +
                                    (why != nullptr ? why : "dlopen failed"));
    }
    return handle;
}

// The routine `name` of the library, as a pointer to a function of type Fn.
template <typename Fn>
Fn* blas_routine(const char* name) {
    void* const routine = dlsym(blas_library(), name);
    DOPPEL_CHECK(kNotFound, routine != nullptr,
                 std::string("BLAS/LAPACK routine ") + name + " not found in " DOPPEL_BLAS_LIBRARY);
    return reinterpret_cast<Fn*>(routine);
}

}  // namespace

// Each forwarder: the routine looked up on the first call (a thread-safe static), then called.
#define DOPPEL_FORWARD(name, params, args)                                          \
    extern "C" __attribute__((visibility("hidden"))) int name params {              \
        using Fn = int params;                                                      \
        static Fn* const routine = blas_routine<Fn>(#name);                         \
        return routine args;                                                        \
    }

using I = int;  // FINTEGER of Debian's FAISS (32-bit BLAS/LAPACK integers)

// BLAS 3
DOPPEL_FORWARD(sgemm_,
               (const char* ta, const char* tb, I* m, I* n, I* k, const float* alpha, const float* a, I* lda,
                const float* b, I* ldb, float* beta, float* c, I* ldc),
               (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
DOPPEL_FORWARD(dgemm_,
               (const char* ta, const char* tb, I* m, I* n, I* k, const double* alpha, const double* a, I* lda,
                const double* b, I* ldb, double* beta, double* c, I* ldc),
               (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
DOPPEL_FORWARD(ssyrk_,
               (const char* uplo, const char* trans, I* n, I* k, float* alpha, float* a, I* lda, float* beta,
                float* c, I* ldc),
               (uplo, trans, n, k, alpha, a, lda, beta, c, ldc))
// LAPACK
DOPPEL_FORWARD(sgeqrf_, (I* m, I* n, float* a, I* lda, float* tau, float* work, I* lwork, I* info),
               (m, n, a, lda, tau, work, lwork, info))
DOPPEL_FORWARD(sorgqr_, (I* m, I* n, I* k, float* a, I* lda, float* tau, float* work, I* lwork, I* info),
               (m, n, k, a, lda, tau, work, lwork, info))
DOPPEL_FORWARD(sgesvd_,
               (const char* jobu, const char* jobvt, I* m, I* n, float* a, I* lda, float* s, float* u, I* ldu,
                float* vt, I* ldvt, float* work, I* lwork, I* info),
               (jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info))
DOPPEL_FORWARD(dgesvd_,
               (const char* jobu, const char* jobvt, I* m, I* n, double* a, I* lda, double* s, double* u,
                I* ldu, double* vt, I* ldvt, double* work, I* lwork, I* info),
               (jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info))
DOPPEL_FORWARD(sgetrf_, (I* m, I* n, float* a, I* lda, I* ipiv, I* info), (m, n, a, lda, ipiv, info))
DOPPEL_FORWARD(dgetrf_, (I* m, I* n, double* a, I* lda, I* ipiv, I* info), (m, n, a, lda, ipiv, info))
DOPPEL_FORWARD(sgetri_, (I* n, float* a, I* lda, I* ipiv, float* work, I* lwork, I* info),
               (n, a, lda, ipiv, work, lwork, info))
DOPPEL_FORWARD(dgetri_, (I* n, double* a, I* lda, I* ipiv, double* work, I* lwork, I* info),
               (n, a, lda, ipiv, work, lwork, info))
DOPPEL_FORWARD(dsyev_,
               (const char* jobz, const char* uplo, I* n, double* a, I* lda, double* w, double* work, I* lwork,
                I* info),
               (jobz, uplo, n, a, lda, w, work, lwork, info))
// doppel's own (index/pca_training.cpp): the leading principal components.
DOPPEL_FORWARD(dsyevr_,
               (const char* jobz, const char* range, const char* uplo, I* n, double* a, I* lda, double* vl,
                double* vu, I* il, I* iu, double* abstol, I* m, double* w, double* z, I* ldz, I* isuppz,
                double* work, I* lwork, I* iwork, I* liwork, I* info),
               (jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz, isuppz, work, lwork,
                iwork, liwork, info))
DOPPEL_FORWARD(sgelsd_,
               (I* m, I* n, I* nrhs, float* a, I* lda, float* b, I* ldb, float* s, float* rcond, I* rank,
                float* work, I* lwork, I* iwork, I* info),
               (m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, iwork, info))
