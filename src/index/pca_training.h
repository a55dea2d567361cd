// Training of the "auto" vector index's projection (index/vector_index.h): the principal
// components of a sample of document vectors, as faiss::PCAMatrix::train finds them, computed
// with a faster eigensolver.
//
// Why: FAISS 1.7.3 diagonalizes the covariance (2048 x 2048 for the bridge embedder) with LAPACK's
// dsyev, every eigenvector by the QR algorithm, one core (OpenBLAS's dsyev is the reference
// code): 7.4 s on this kind of machine, a third of `index` of 100,000 documents, paid again by
// every rebuild. Only the d_out leading components are kept, so they alone are computed, by
// dsyevr (tridiagonal reduction, then the relatively robust representations algorithm for the
// eigenpairs asked for): 0.4 s for the 256 leading ones of the same matrix.
//
// What is the same: the sample's mean and its covariance matrix, computed as FAISS computes them
// (single precision, the mean term first, then ssyrk), diagonalized in double precision like
// FAISS's. What differs: the eigenvectors agree with dsyev's to rounding, each up to its sign;
// their signs are fixed here (the largest component of each positive), so the projection depends
// on the covariance alone, not on which solver ran. PCAMat holds the d_out components kept
// (d_out x d_in, not the d_in x d_in of FAISS's train: the rest were never used), and
// eigenvalues their d_out eigenvalues; FAISS reads and writes such a matrix as it is.
//
// Thread safety: a free function on the matrix it is given; LAPACK and BLAS from one thread.
#pragma once

#include <faiss/VectorTransform.h>

#include <cstddef>

namespace doppel::pca_training {

// Trains pca (not yet trained) on n vectors x of pca.d_in floats each and calls prepare_Ab():
// the d_out leading principal components, by dsyevr. Where the sample has fewer vectors than
// dimensions, or all components are kept, it calls pca.train() (FAISS's own path: its Gram matrix
// is small, or every eigenvector is wanted).
void train_leading_components(faiss::PCAMatrix& pca, std::size_t n, const float* x);

}  // namespace doppel::pca_training
