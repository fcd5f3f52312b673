#include "ops/dropout.hpp"

#include "core/elementwise.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"

namespace tg {

using ops::detail::Grads;

Tensor dropout(const Tensor& x, double rate, Generator& gen, bool training) {
  if (!(rate >= 0 && rate < 1)) fail("dropout: rate must be in [0, 1), got ", rate);
  if (!training || rate == 0) return x;
  std::pair<Tensor, Tensor> r = core::dropout(x, rate, gen);
  const Tensor y = std::move(r.first), keep = std::move(r.second);
  if (autograd::should_record({&x}))
    autograd::record("dropout", {x}, y, [keep](const Tensor& g, const autograd::Needs&) { return Grads{mul(g, keep)}; });
  return y;
}

}  // namespace tg
