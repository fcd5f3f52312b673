#pragma once
/// \file
/// Per-channel kernels for batch normalization: x is viewed as [outer, c, inner] around the
/// channel axis (inner = 1 for channels-last). Reductions sum fixed groups of rows and add the
/// groups in order, so results do not depend on the thread count. No gradients here
/// (ops/normalization.cpp records them).
#include <cstdint>

#include "core/tensor.hpp"

namespace tg::core {

/// Batch mean and biased variance (the mean of squared deviations from the mean, two passes)
/// over every axis but `axis`: [.., c, ..] -> mean [c], variance [c].
void channel_moments(const Tensor& x, int axis, Tensor& mean, Tensor& variance);

/// y = x * scale[c] + shift[c] along `axis` (scale and shift [c]).
Tensor channel_affine(const Tensor& x, int axis, const Tensor& scale, const Tensor& shift);

/// Per channel: sum_g[c] = sum of g, sum_gxc[c] = sum of g * (x - mean[c]), over every axis but `axis`.
void channel_grad_sums(const Tensor& g, const Tensor& x, int axis, const Tensor& mean, Tensor& sum_g, Tensor& sum_gxc);

/// out = a[c] * g + b[c] * x + d[c] along `axis`: batch normalization's input gradient in one pass.
Tensor channel_affine2(const Tensor& g, const Tensor& x, int axis, const Tensor& a, const Tensor& b, const Tensor& d);

}  // namespace tg::core
