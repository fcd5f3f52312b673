#pragma once
/// \file
/// Differentiable elementwise math beyond arithmetic.hpp: log1p, expm1 (accurate near 0), sin,
/// cos, erf. Backward rules are differentiable ops, so higher-order gradients work.
#include "core/tensor.hpp"

namespace tg {

// x -> x.shape, for all of these.
/// log(1 + x), accurate for tiny x.
Tensor log1p(const Tensor& x);
/// exp(x) - 1, accurate for tiny x.
Tensor expm1(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
/// The error function, 2/sqrt(pi) times the integral of exp(-t^2) from 0 to x.
Tensor erf(const Tensor& x);

}  // namespace tg
