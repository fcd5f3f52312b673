#include "ops/compare.hpp"

#include "core/elementwise.hpp"
#include "ops/record.hpp"
#include "ops/reduction.hpp"

namespace tg {

using ops::detail::Grads;
using ops::detail::needs;
using ops::detail::Needs;

Tensor equal(const Tensor& a, const Tensor& b) { return core::equal(a, b); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return core::not_equal(a, b); }
Tensor less(const Tensor& a, const Tensor& b) { return core::less(a, b); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return core::less_equal(a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return core::greater(a, b); }
Tensor greater_equal(const Tensor& a, const Tensor& b) { return core::greater_equal(a, b); }
Tensor equal(const Tensor& a, double b) { return core::equal(a, core::scalar_like(a, b)); }
Tensor not_equal(const Tensor& a, double b) { return core::not_equal(a, core::scalar_like(a, b)); }
Tensor less(const Tensor& a, double b) { return core::less(a, core::scalar_like(a, b)); }
Tensor less_equal(const Tensor& a, double b) { return core::less_equal(a, core::scalar_like(a, b)); }
Tensor greater(const Tensor& a, double b) { return core::greater(a, core::scalar_like(a, b)); }
Tensor greater_equal(const Tensor& a, double b) { return core::greater_equal(a, core::scalar_like(a, b)); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor y = core::where(cond, a, b);
  if (autograd::should_record({&a, &b}))
    autograd::record("where", {a, b}, y, [cond, sa = a.shape(), sb = b.shape()](const Tensor& g, const Needs& m) {
      const Tensor zero = core::scalar_like(g, 0);
      return Grads{needs(m, 0) ? sum_to(where(cond, g, zero), sa) : Tensor(),
                   needs(m, 1) ? sum_to(where(cond, zero, g), sb) : Tensor()};
    });
  return y;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) { return where(cond, a, core::scalar_like(a, b)); }
Tensor where(const Tensor& cond, double a, const Tensor& b) { return where(cond, core::scalar_like(b, a), b); }

}  // namespace tg
