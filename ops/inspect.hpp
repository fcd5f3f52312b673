#pragma once
/// \file
/// Looking at gradients: norms, clipping, a one-line summary, and a NaN/Inf check.
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

/// Differentiable clip: the gradient passes where lo <= x <= hi and is 0 elsewhere (as TensorFlow).
Tensor clip_by_value(const Tensor& x, double lo, double hi);
/// sqrt of the sum of squares of every element of every tensor (undefined tensors are skipped).
double global_norm(const std::vector<Tensor>& ts);
/// Scales every tensor by clip_norm / max(global_norm, clip_norm); returns the clipped tensors and
/// the norm before clipping (tf.clip_by_global_norm).
std::pair<std::vector<Tensor>, double> clip_by_global_norm(const std::vector<Tensor>& ts, double clip_norm);
/// "shape=(784, 128) dtype=float32 min=-0.1 max=0.2 mean=0.001 std=0.05 l2=3.1 nan=0 inf=0"
/// (named tg::summary before the TensorBoard summaries took that name: tg::summary::Writer).
std::string describe(const Tensor& t);
/// Throws std::runtime_error naming `what` and the counts when t holds NaN or Inf; returns t.
const Tensor& check_numerics(const Tensor& t, const std::string& what);

}  // namespace tg
