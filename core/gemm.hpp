#pragma once
/// \file
/// Matrix multiply: a packed, blocked, multi-threaded GEMM with per-ISA micro-kernels
/// (SSE4.2 / AVX2+FMA / AVX-512, chosen at each call from tg::active_isa()), with bias and ReLU
/// fused into the store of C.
#include <cstdint>

#include "core/tensor.hpp"

namespace tg::core {

/// What happens to C after the product, fused into the store.
template <class T>
struct GemmEpilogue {
  const T* bias = nullptr;  ///< length N, added to every row of C after the product
  bool relu = false;        ///< C = max(C, 0) after bias
  bool accumulate = false;  ///< C += product (beta = 1) instead of C = product (beta = 0); bias/relu still apply after
};

/// [M, K] x [K, N] -> [M, N], all row-major: C = op(A) * op(B), then the epilogue.
/// op(A) = A (A is M x K, leading dimension lda >= K) or, with trans_a, A^T (A stored K x M,
/// lda >= M); likewise B (K x N, ldb >= N; or with trans_b stored N x K, ldb >= K). No transpose
/// is materialised. Any M, N, K >= 0; K == 0 gives C = 0 (+bias, relu), or C unchanged (+bias,
/// relu) with accumulate. C must not overlap A, B or bias. Threads: tg::parallel_for; problems
/// too small to win from threads run on the calling thread. Threads split C, never K: each element
/// is one sum over K in a fixed order, so the result has the same bits for any thread count.
/// Instantiated for float and double.
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
          const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T* C, std::int64_t ldc,
          const GemmEpilogue<T>& ep = {});

/// As gemm, on the calling thread only: for callers that already split their work over threads.
template <class T>
void gemm_serial(bool trans_a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K,
                 const T* A, std::int64_t lda, const T* B, std::int64_t ldb, T* C, std::int64_t ldc,
                 const GemmEpilogue<T>& ep = {});

/// A left operand that is never stored whole: a routine writes each block of it as the GEMM asks
/// for the block, straight into the GEMM's packing buffer (convolution patches gathered from an
/// image, core/conv.cpp). pack(ctx, i0, rows, p0, kc, dst, ld) writes A(i0 + r, p0 + p) for
/// r < rows, p < kc to dst[r * ld + p], or to dst[p * ld + r] when `kmajor`.
template <class T>
struct PackedA {
  void (*pack)(const void* ctx, std::int64_t i0, std::int64_t rows, std::int64_t p0, std::int64_t kc, T* dst,
               std::int64_t ld) = nullptr;
  const void* ctx = nullptr;
  bool kmajor = false;
};

/// A right operand written by a routine, panel by panel: pack(ctx, p0, kc, j0, n, nr, dst) writes
/// B(p0 + p, j0 + j) for p < kc, j < n to dst[p * nr + j] and zeros for n <= j < nr (a
/// convolution's output gradient, masked by its relu as it is packed).
template <class T>
struct PackedB {
  void (*pack)(const void* ctx, std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t n, std::int64_t nr,
               T* dst) = nullptr;
  const void* ctx = nullptr;
};

/// [M, K] x [K, N] -> [M, N] as gemm, with A produced block by block by `a`. Blocks of A are
/// packed once per block of B, by the thread that uses them. With `serial` it runs on the calling
/// thread; otherwise threads split C as in gemm (same bits for any thread count).
template <class T>
void gemm_packed_a(const PackedA<T>& a, bool trans_b, std::int64_t M, std::int64_t N, std::int64_t K, const T* B,
                   std::int64_t ldb, T* C, std::int64_t ldc, const GemmEpilogue<T>& ep = {}, bool serial = false);

/// As gemm_packed_a with B from `b` too.
template <class T>
void gemm_packed(const PackedA<T>& a, const PackedB<T>& b, std::int64_t M, std::int64_t N, std::int64_t K, T* C,
                 std::int64_t ldc, const GemmEpilogue<T>& ep = {}, bool serial = false);

/// [M, K] x [K, N] -> [M, N] for rank-2 float32 or float64 tensors of the same dtype; with
/// trans_a `a` is read as [K, M] and transposed, with trans_b `b` is read as [N, K].
/// Throws tg::ShapeError naming both shapes on rank, dtype or inner-dimension mismatch.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

}  // namespace tg::core
