#pragma once
/// \file
/// Differentiable activations. softmax and log_softmax subtract the row max (stable for any
/// magnitude). softmax turns scores into probabilities that sum to 1 along `axis`; it is monotone,
/// so the argmax is unchanged.
#include <cstdint>

#include "core/tensor.hpp"

namespace tg {

// x -> x.shape, for all of these.
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

/// log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)): no overflow, exact for large |x|.
Tensor softplus(const Tensor& x);
/// x / (1 + |x|)
Tensor softsign(const Tensor& x);
/// x for x > 0, else alpha (exp(x) - 1). The gradient at 0 is alpha, as Keras 3 and PyTorch.
Tensor elu(const Tensor& x, double alpha = 1.0);
/// scale * elu(x, alpha) with Keras' constants alpha = 1.67326..., scale = 1.05070...
Tensor selu(const Tensor& x);
/// x Phi(x) with Phi the normal CDF, x/2 (1 + erf(x / sqrt 2)) (Keras' default); with
/// `approximate`, the tanh form x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& x, bool approximate = false);
/// x sigmoid(x) (Keras' silu and swish).
Tensor silu(const Tensor& x);
inline Tensor swish(const Tensor& x) { return silu(x); }
/// x for x > 0, else negative_slope x. Keras' activation and tf.nn default to 0.2; Keras' LeakyReLU
/// layer defaults to 0.3. The gradient at 0 is negative_slope.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
/// min(max(x, 0), 6); the gradient passes where 0 < x < 6.
Tensor relu6(const Tensor& x);
/// Keras 3 (and PyTorch's hardsigmoid): relu6(x + 3) / 6; the gradient is 1/6 where -3 < x < 3.
Tensor hard_sigmoid(const Tensor& x);
/// Keras 2's hard_sigmoid: clip(0.2 x + 0.5, 0, 1); the gradient is 0.2 where -2.5 < x < 2.5.
Tensor hard_sigmoid_keras2(const Tensor& x);
/// exp(x), Keras' `exponential` activation.
Tensor exponential(const Tensor& x);

}  // namespace tg
