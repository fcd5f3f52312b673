#include "ops/linalg.hpp"

#include "core/batch_matmul.hpp"
#include "core/elementwise.hpp"
#include "core/gemm.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"

namespace tg {

using ops::detail::Grads;
using ops::detail::needs;

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  const bool batched = !a.defined() || !b.defined() || a.rank() != 2 || b.rank() != 2;
  Tensor y = batched ? core::batch_matmul(a, b, trans_a, trans_b) : core::matmul(a, b, trans_a, trans_b);
  if (autograd::should_record({&a, &b}))
    autograd::record("matmul", {a, b}, y, [a, b, trans_a, trans_b, batched](const Tensor& g, const autograd::Needs& m) {
      // y = op(a)·op(b). d op(a) = g·op(b)ᵀ, d op(b) = op(a)ᵀ·g, then undo op; a batch dimension
      // that was broadcast sums its gradient back.
      Tensor ga, gb;
      if (needs(m, 0)) ga = trans_a ? matmul(b, g, trans_b, true) : matmul(g, b, false, !trans_b);
      if (needs(m, 1)) gb = trans_b ? matmul(g, a, true, trans_a) : matmul(a, g, !trans_a, false);
      if (batched && ga.defined()) ga = sum_to(ga, a.shape());
      if (batched && gb.defined()) gb = sum_to(gb, b.shape());
      return Grads{ga, gb};
    });
  return y;
}

Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, bool relu_fused) {
  if (x.rank() != 2 || kernel.rank() != 2 || x.shape()[1] != kernel.shape()[0])
    fail("dense: input ", x.shape(), " does not fit kernel ", kernel.shape(), "; expected input (N, ",
         kernel.rank() == 2 ? kernel.shape()[0] : -1, ")");
  if (x.dtype() != kernel.dtype())
    fail("dense: input dtype ", dtype_name(x.dtype()), " differs from kernel dtype ", dtype_name(kernel.dtype()));
  if (bias.defined() && (bias.rank() != 1 || bias.shape()[0] != kernel.shape()[1] || bias.dtype() != kernel.dtype()))
    fail("dense: bias ", bias.shape(), " does not fit kernel ", kernel.shape());
  const std::int64_t n = x.shape()[0], in = x.shape()[1], units = kernel.shape()[1];
  Tensor y(Shape{n, units}, x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      core::GemmEpilogue<T> ep;
      ep.bias = bias.defined() ? bias.data<T>() : nullptr;
      ep.relu = relu_fused;
      core::gemm<T>(false, false, n, units, in, x.data<T>(), in, kernel.data<T>(), units, y.data<T>(), units, ep);
    } else {
      fail("dense: expected float32 or float64, got ", dtype_name(x.dtype()));
    }
  });
  const bool has_bias = bias.defined();
  if (autograd::should_record({&x, &kernel, &bias}))
    autograd::record("dense", {x, kernel, bias}, y, [x, kernel, y, relu_fused, has_bias](const Tensor& g, const autograd::Needs& m) {
      // relu's mask is read from the output: y > 0 exactly where the pre-activation was.
      const Tensor gz = relu_fused ? mul(g, core::greater(y, scalar_like(y, 0))) : g;
      return Grads{needs(m, 0) ? matmul(gz, kernel, false, true) : Tensor(),
                   needs(m, 1) ? matmul(x, gz, true, false) : Tensor(),
                   has_bias && needs(m, 2) ? sum(gz, {0}) : Tensor()};
    });
  return y;
}

}  // namespace tg
