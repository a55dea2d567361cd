#include "index/pca_training.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "doppel/error.h"

// BLAS and LAPACK with FAISS's prototypes (32-bit integers, no hidden string lengths): the library
// FAISS links (OpenBLAS on Debian), forwarded on demand in the command-line tool
// (src/cli/blas_on_demand.cpp).
extern "C" {
int ssyrk_(const char* uplo, const char* trans, int* n, int* k, float* alpha, float* a, int* lda, float* beta,
           float* c, int* ldc);
int dsyevr_(const char* jobz, const char* range, const char* uplo, int* n, double* a, int* lda, double* vl,
            double* vu, int* il, int* iu, double* abstol, int* m, double* w, double* z, int* ldz, int* isuppz,
            double* work, int* lwork, int* iwork, int* liwork, int* info);
}

namespace doppel::pca_training {
namespace {

// The sample's mean, in single precision and in FAISS's order of sums.
std::vector<float> mean_of(std::size_t d, std::size_t n, const float* x) {
    std::vector<float> mean(d, 0.0f);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) mean[j] += x[i * d + j];
    for (float& m : mean) m /= static_cast<float>(n);
    return mean;
}

// The covariance (times n) of the sample, its upper triangle in column-major order (as LAPACK
// reads it), in double precision: -n mean mean^T, then x x^T added by ssyrk.
std::vector<double> covariance(std::size_t d, std::size_t n, const float* x, const std::vector<float>& mean) {
    std::vector<float> cov(d * d);
    const auto nf = static_cast<float>(-static_cast<int64_t>(n));
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j) cov[i * d + j] = nf * mean[i] * mean[j];
    int di = static_cast<int>(d), ni = static_cast<int>(n);
    float one = 1.0f;
    ssyrk_("Up", "Non transposed", &di, &ni, &one, const_cast<float*>(x), &di, &one, cov.data(), &di);
    return std::vector<double>(cov.begin(), cov.end());
}

// The k leading eigenpairs of the symmetric d x d matrix `a` (destroyed): eigenvalues in
// ascending order in *w, their eigenvectors the columns of *z (d each).
void leading_eigenpairs(std::size_t d, std::size_t k, std::vector<double>& a, std::vector<double>* w,
                        std::vector<double>* z) {
    int n = static_cast<int>(d), il = static_cast<int>(d - k + 1), iu = n, m = 0, info = 0, lwork = -1,
        liwork = -1;
    int iwork_size = 0;
    double vl = 0, vu = 0, abstol = 0, work_size = 0;
    w->assign(d, 0.0);
    z->assign(d * k, 0.0);
    std::vector<int> isuppz(2 * k);
    auto call = [&](double* work, int* iwork) {
        dsyevr_("V", "I", "U", &n, a.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w->data(), z->data(), &n,
                isuppz.data(), work, &lwork, iwork, &liwork, &info);
    };
    call(&work_size, &iwork_size);  // the workspace query
    DOPPEL_CHECK(kInternal, info == 0,
                 "vector index: LAPACK dsyevr workspace query failed (info " + std::to_string(info) + ")");
    lwork = static_cast<int>(work_size);
    liwork = iwork_size;
    std::vector<double> work(static_cast<std::size_t>(lwork));
    std::vector<int> iwork(static_cast<std::size_t>(liwork));
    call(work.data(), iwork.data());
    DOPPEL_CHECK(kInternal, info == 0 && static_cast<std::size_t>(m) == k,
                 "vector index: LAPACK dsyevr found " + std::to_string(m) + " of " + std::to_string(k) +
                     " principal components (info " + std::to_string(info) + ")");
}

}  // namespace

void train_leading_components(faiss::PCAMatrix& pca, std::size_t n, const float* x) {
    const auto d = static_cast<std::size_t>(pca.d_in), k = static_cast<std::size_t>(pca.d_out);
    if (n < d || k >= d) {
        pca.train(static_cast<faiss::Index::idx_t>(n), x);
        return;
    }
    pca.mean = mean_of(d, n, x);
    std::vector<double> cov = covariance(d, n, x, pca.mean), w, z;
    leading_eigenpairs(d, k, cov, &w, &z);
    // Component r (the r-th largest eigenvalue): row r of PCAMat, its largest component positive.
    pca.PCAMat.assign(k * d, 0.0f);
    pca.eigenvalues.assign(k, 0.0f);
    for (std::size_t r = 0; r < k; ++r) {
        const double* v = z.data() + (k - 1 - r) * d;
        const double* top =
            std::max_element(v, v + d, [](double a, double b) { return std::abs(a) < std::abs(b); });
        const double sign = *top < 0 ? -1.0 : 1.0;
        for (std::size_t j = 0; j < d; ++j) pca.PCAMat[r * d + j] = static_cast<float>(sign * v[j]);
        pca.eigenvalues[r] = static_cast<float>(w[k - 1 - r]);
    }
    pca.prepare_Ab();
    pca.is_trained = true;
}

}  // namespace doppel::pca_training
