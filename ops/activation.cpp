#include "ops/activation.hpp"

#include "core/elementwise.hpp"
#include "core/softmax.hpp"
#include "ops/arithmetic.hpp"
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

}  // namespace tg
