#include "ops/dropout.hpp"

#include "core/elementwise.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"

namespace tg {

using ops::detail::Grads;

Tensor dropout(const Tensor& x, double rate, Generator& gen, bool training) {
  if (!(rate >= 0 && rate < 1)) fail("dropout: rate must be in [0, 1), got ", rate);
  if (!training || rate == 0) return x;
  Tensor keep(x.shape(), x.dtype());
  const double scale = 1.0 / (1.0 - rate);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* m = keep.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) m[i] = gen.next_double() < rate ? T(0) : static_cast<T>(scale);
  });
  Tensor y = core::mul(x, keep);
  if (autograd::should_record({&x}))
    autograd::record("dropout", {x}, y, [keep](const Tensor& g, const autograd::Needs&) { return Grads{mul(g, keep)}; });
  return y;
}

}  // namespace tg
