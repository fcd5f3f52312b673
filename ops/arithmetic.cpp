#include "ops/arithmetic.hpp"

#include "core/elementwise.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"

namespace tg {

using ops::detail::Grads;
using ops::detail::needs;

Tensor scalar_like(const Tensor& x, double v) { return Tensor::scalar(v, x.dtype()); }

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = core::add(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("add", {a, b}, y, [sa = a.shape(), sb = b.shape()](const Tensor& g, const autograd::Needs& m) {
      return Grads{needs(m, 0) ? sum_to(g, sa) : Tensor(), needs(m, 1) ? sum_to(g, sb) : Tensor()};
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = core::sub(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("sub", {a, b}, y, [sa = a.shape(), sb = b.shape()](const Tensor& g, const autograd::Needs& m) {
      return Grads{needs(m, 0) ? sum_to(g, sa) : Tensor(), needs(m, 1) ? sum_to(neg(g), sb) : Tensor()};
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = core::mul(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("mul", {a, b}, y, [a, b](const Tensor& g, const autograd::Needs& m) {
      return Grads{needs(m, 0) ? sum_to(mul(g, b), a.shape()) : Tensor(),
                   needs(m, 1) ? sum_to(mul(g, a), b.shape()) : Tensor()};
    });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = core::div(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("div", {a, b}, y, [a, b](const Tensor& g, const autograd::Needs& m) {
      // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
      return Grads{needs(m, 0) ? sum_to(div(g, b), a.shape()) : Tensor(),
                   needs(m, 1) ? sum_to(neg(div(mul(g, a), square(b))), b.shape()) : Tensor()};
    });
  return y;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor y = core::pow(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("pow", {a, b}, y, [a, b, y](const Tensor& g, const autograd::Needs& m) {
      // d(a^b)/da = b a^(b-1); d(a^b)/db = a^b log(a)
      return Grads{needs(m, 0) ? sum_to(mul(g, mul(b, pow(a, sub(b, scalar_like(b, 1))))), a.shape()) : Tensor(),
                   needs(m, 1) ? sum_to(mul(g, mul(y, log(a))), b.shape()) : Tensor()};
    });
  return y;
}

Tensor pow(const Tensor& a, double exponent) { return pow(a, scalar_like(a, exponent)); }

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor y = core::maximum(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("maximum", {a, b}, y, [a, b](const Tensor& g, const autograd::Needs& m) {
      const Tensor to_a = core::greater_equal(a, b);  // a constant 0/1 mask
      return Grads{needs(m, 0) ? sum_to(mul(g, to_a), a.shape()) : Tensor(),
                   needs(m, 1) ? sum_to(mul(g, core::sub(scalar_like(to_a, 1), to_a)), b.shape()) : Tensor()};
    });
  return y;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor y = core::minimum(a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("minimum", {a, b}, y, [a, b](const Tensor& g, const autograd::Needs& m) {
      const Tensor to_a = core::less_equal(a, b);
      return Grads{needs(m, 0) ? sum_to(mul(g, to_a), a.shape()) : Tensor(),
                   needs(m, 1) ? sum_to(mul(g, core::sub(scalar_like(to_a, 1), to_a)), b.shape()) : Tensor()};
    });
  return y;
}

Tensor neg(const Tensor& x) {
  Tensor y = core::neg(x);
  if (autograd::should_record({&x}))
    autograd::record("neg", {x}, y, [](const Tensor& g, const autograd::Needs&) { return Grads{neg(g)}; });
  return y;
}

Tensor exp(const Tensor& x) {
  Tensor y = core::exp(x);
  if (autograd::should_record({&x}))
    autograd::record("exp", {x}, y, [y](const Tensor& g, const autograd::Needs&) { return Grads{mul(g, y)}; });
  return y;
}

Tensor log(const Tensor& x) {
  Tensor y = core::log(x);
  if (autograd::should_record({&x}))
    autograd::record("log", {x}, y, [x](const Tensor& g, const autograd::Needs&) { return Grads{div(g, x)}; });
  return y;
}

Tensor sqrt(const Tensor& x) {
  Tensor y = core::sqrt(x);
  if (autograd::should_record({&x}))
    autograd::record("sqrt", {x}, y, [y](const Tensor& g, const autograd::Needs&) {
      return Grads{div(g, mul(y, scalar_like(y, 2)))};
    });
  return y;
}

Tensor square(const Tensor& x) {
  Tensor y = core::square(x);
  if (autograd::should_record({&x}))
    autograd::record("square", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
      return Grads{mul(g, mul(x, scalar_like(x, 2)))};
    });
  return y;
}

Tensor abs(const Tensor& x) {
  Tensor y = core::abs(x);
  if (autograd::should_record({&x}))
    autograd::record("abs", {x}, y, [x](const Tensor& g, const autograd::Needs&) {
      const Tensor zero = scalar_like(x, 0);
      const Tensor sign = core::sub(core::greater(x, zero), core::less(x, zero));
      return Grads{mul(g, sign)};
    });
  return y;
}

}  // namespace tg
