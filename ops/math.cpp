#include "ops/math.hpp"

#include <cmath>

#include "core/elementwise.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"

namespace tg {

using ops::detail::Grads;

Tensor log1p(const Tensor& x) {
  Tensor y = core::log1p(x);
  if (autograd::should_record({&x}))
    autograd::record("log1p", {x}, y, [x](const Tensor& g, const autograd::Needs&) { return Grads{g / (x + 1.0)}; });
  return y;
}

Tensor expm1(const Tensor& x) {
  Tensor y = core::expm1(x);
  if (autograd::should_record({&x}))
    autograd::record("expm1", {x}, y, [y](const Tensor& g, const autograd::Needs&) { return Grads{g * (y + 1.0)}; });
  return y;
}

Tensor sin(const Tensor& x) {
  Tensor y = core::sin(x);
  if (autograd::should_record({&x}))
    autograd::record("sin", {x}, y, [x](const Tensor& g, const autograd::Needs&) { return Grads{g * cos(x)}; });
  return y;
}

Tensor cos(const Tensor& x) {
  Tensor y = core::cos(x);
  if (autograd::should_record({&x}))
    autograd::record("cos", {x}, y, [x](const Tensor& g, const autograd::Needs&) { return Grads{-(g * sin(x))}; });
  return y;
}

Tensor erf(const Tensor& x) {
  Tensor y = core::erf(x);
  if (autograd::should_record({&x}))
    autograd::record("erf", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
      return Grads{g * (exp(-square(x)) * (2.0 / std::sqrt(M_PI)))};  // d erf = 2/sqrt(pi) exp(-x^2)
    });
  return y;
}

}  // namespace tg
