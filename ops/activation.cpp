#include "ops/activation.hpp"

#include <cmath>

#include "core/elementwise.hpp"
#include "core/softmax.hpp"
#include "ops/arithmetic.hpp"
#include "ops/compare.hpp"
#include "ops/math.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"

namespace tg {

using ops::detail::Grads;

Tensor relu(const Tensor& x) {
  Tensor y = core::relu(x);
  if (autograd::should_record({&x}))
    autograd::record("relu", {x}, y, [y](const Tensor& g, const autograd::Needs&) {
      return Grads{mul(g, core::greater(y, scalar_like(y, 0)))};  // the mask is a constant
    });
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = core::sigmoid(x);
  if (autograd::should_record({&x}))
    autograd::record("sigmoid", {x}, y, [y](const Tensor& g, const autograd::Needs&) {
      return Grads{mul(g, mul(y, 1.0 - y))};
    });
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = core::tanh(x);
  if (autograd::should_record({&x}))
    autograd::record("tanh", {x}, y, [y](const Tensor& g, const autograd::Needs&) { return Grads{mul(g, 1.0 - square(y))}; });
  return y;
}

Tensor softmax(const Tensor& x, std::int64_t axis) {
  Tensor y = core::softmax(x, axis);
  if (autograd::should_record({&x}))
    autograd::record("softmax", {x}, y, [y, axis](const Tensor& g, const autograd::Needs&) {
      // dx = y * (g - sum(g * y, axis))
      return Grads{mul(y, sub(g, sum(mul(g, y), {axis}, true)))};
    });
  return y;
}

Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  Tensor y = core::log_softmax(x, axis);
  if (autograd::should_record({&x}))
    autograd::record("log_softmax", {x}, y, [y, axis](const Tensor& g, const autograd::Needs&) {
      // dx = g - softmax(x) * sum(g, axis)
      return Grads{sub(g, mul(exp(y), sum(g, {axis}, true)))};
    });
  return y;
}

namespace {
// A constant of x's dtype.
Tensor c(const Tensor& x, double v) { return core::scalar_like(x, v); }
// The activations built from several core ops would run on integers and truncate; refuse.
void require_float(const Tensor& x, const char* op) {
  if (!is_floating(x.dtype()))
    fail(op, ": expected a float32 or float64 tensor, got ", dtype_name(x.dtype()), " ", x.shape());
}
}  // namespace

Tensor softplus(const Tensor& x) {
  Tensor y = core::softplus(x);
  if (autograd::should_record({&x}))
    autograd::record("softplus", {x}, y, [x](const Tensor& g, const autograd::Needs&) { return Grads{g * sigmoid(x)}; });
  return y;
}

Tensor softsign(const Tensor& x) {
  require_float(x, "softsign");
  Tensor y = core::div(x, core::add(core::abs(x), c(x, 1)));
  if (autograd::should_record({&x}))
    autograd::record("softsign", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
      return Grads{g / square(abs(x) + 1.0)};  // d/dx x/(1+|x|) = 1/(1+|x|)^2
    });
  return y;
}

Tensor elu(const Tensor& x, double alpha) {
  require_float(x, "elu");
  Tensor y = core::where(core::greater(x, c(x, 0)), x, core::mul(core::expm1(x), c(x, alpha)));
  if (autograd::should_record({&x}))
    autograd::record("elu", {x}, y, [x, y, alpha](const Tensor& g, const autograd::Needs&) {
      // alpha exp(x) = y + alpha on the negative side
      return Grads{g * where(core::greater(x, c(x, 0)), 1.0, y + alpha)};
    });
  return y;
}

Tensor selu(const Tensor& x) {
  // Keras' (and Klambauer et al.'s) constants.
  constexpr double alpha = 1.6732632423543772848170429916717;
  constexpr double scale = 1.0507009873554804934193349852946;
  return elu(x, alpha) * scale;
}

Tensor gelu(const Tensor& x, bool approximate) {
  if (!approximate) {
    Tensor y = core::gelu(x);
    if (autograd::should_record({&x}))
      autograd::record("gelu", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
        // Phi(x) + x phi(x)
        const Tensor cdf = (erf(x * M_SQRT1_2) + 1.0) * 0.5;
        const Tensor pdf = exp(square(x) * -0.5) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
        return Grads{g * (cdf + x * pdf)};
      });
    return y;
  }
  Tensor y = core::gelu_tanh(x);
  if (autograd::should_record({&x}))
    autograd::record("gelu_tanh", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
      // y = x/2 (1 + t), t = tanh(u), u = c (x + k x^3): y' = (1 + t)/2 + x/2 (1 - t^2) c (1 + 3k x^2)
      constexpr double k = 0.044715, sqrt_2_over_pi = M_2_SQRTPI * M_SQRT1_2;
      const Tensor x2 = square(x);
      const Tensor t = tanh(x * (x2 * k + 1.0) * sqrt_2_over_pi);
      const Tensor du = (x2 * (3 * k) + 1.0) * sqrt_2_over_pi;
      return Grads{g * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - square(t)) * du)};
    });
  return y;
}

Tensor silu(const Tensor& x) {
  Tensor y = core::silu(x);
  if (autograd::should_record({&x}))
    autograd::record("silu", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
      const Tensor s = sigmoid(x);
      return Grads{g * s * (x * (1.0 - s) + 1.0)};  // s + x s (1 - s)
    });
  return y;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  require_float(x, "leaky_relu");
  const Tensor positive = core::greater(x, c(x, 0));
  Tensor y = core::where(positive, x, core::mul(x, c(x, negative_slope)));
  if (autograd::should_record({&x}))
    autograd::record("leaky_relu", {x}, y, [positive, negative_slope](const Tensor& g, const autograd::Needs&) {
      return Grads{g * core::where(positive, c(g, 1), c(g, negative_slope))};  // a constant factor
    });
  return y;
}

namespace {
// clip(z, 0, top) for z = scale x + shift, times `out_scale`; the gradient is scale * out_scale
// strictly inside the clip range. relu6 and both hard_sigmoids.
Tensor clipped_linear(const Tensor& x, double scale, double shift, double top, double out_scale, const char* op) {
  require_float(x, op);
  const Tensor z = core::add(scale == 1 ? x : core::mul(x, c(x, scale)), c(x, shift));
  Tensor y = core::minimum(core::maximum(z, c(x, 0)), c(x, top));
  if (out_scale != 1) y = core::mul(y, c(x, out_scale));
  if (autograd::should_record({&x}))
    autograd::record(op, {x}, y, [z, top, f = scale * out_scale](const Tensor& g, const autograd::Needs&) {
      const Tensor inside = core::mul(core::greater(z, c(z, 0)), core::less(z, c(z, top)));
      return Grads{g * (f == 1 ? inside : core::mul(inside, c(z, f)))};
    });
  return y;
}
}  // namespace

Tensor relu6(const Tensor& x) { return clipped_linear(x, 1, 0, 6, 1, "relu6"); }
Tensor hard_sigmoid(const Tensor& x) { return clipped_linear(x, 1, 3, 6, 1.0 / 6, "hard_sigmoid"); }
Tensor hard_sigmoid_keras2(const Tensor& x) { return clipped_linear(x, 0.2, 0.5, 1, 1, "hard_sigmoid_keras2"); }

Tensor exponential(const Tensor& x) { return exp(x); }

}  // namespace tg
