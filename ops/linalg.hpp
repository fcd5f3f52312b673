#pragma once
/// \file
/// Differentiable matrix products. Backward passes use the transposed GEMM modes directly:
/// for y = x·W, dx = dy·Wᵀ and dW = xᵀ·dy, with no transpose ever materialised.
#include "core/tensor.hpp"

namespace tg {

// [M, K] x [K, N] -> [M, N]; trans_a / trans_b read a as [K, M] / b as [N, K].
/// Rank 3 and above multiply the last two dimensions and broadcast the others as NumPy's matmul:
/// [..a, M, K] x [..b, K, N] -> [broadcast(..a, ..b), M, N] (transposes apply to the last two).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

/// The Dense layer's computation: x·kernel + bias, with relu fused into the same pass when asked.
// [N, in] x [in, units] (+ [units]) -> [N, units]; bias may be undefined.
Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, bool relu = false);

}  // namespace tg
