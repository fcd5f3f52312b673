#pragma once
/// \file
/// Batched matrix products over the project's GEMM (core/gemm.hpp), one GEMM per batch entry.
#include "core/tensor.hpp"

namespace tg::core {

/// [..a, M, K] x [..b, K, N] -> [broadcast(..a, ..b), M, N] for float32 or float64 tensors of rank
/// >= 2 and one dtype; the batch dimensions broadcast as NumPy's. trans_a reads a's last two
/// dimensions as [K, M], trans_b reads b's as [N, K]. Small products run batches on separate
/// threads; large ones run one after the other, each threaded inside the GEMM.
Tensor batch_matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

}  // namespace tg::core
