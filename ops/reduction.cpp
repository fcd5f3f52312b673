#include "ops/reduction.hpp"

#include "core/elementwise.hpp"
#include "core/reduce.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;

namespace {
// The shape a reduction's result has with keepdims, so its gradient can broadcast back.
Shape kept_shape(const Shape& in, const std::vector<std::int64_t>& axes, const char* op) {
  Shape s = in;
  for (int a : core::normalize_axes(axes, in.rank(), op)) s[a] = 1;
  return s;
}
Tensor reshape_to(const Tensor& t, const Shape& s) {
  return reshape(t, std::vector<std::int64_t>(s.begin(), s.end()));
}
}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  Tensor y = core::sum(x, axes, keepdims);
  if (autograd::should_record({&x}))
    autograd::record("sum", {x}, y, [in = x.shape(), kept = kept_shape(x.shape(), axes, "sum")](const Tensor& g, const autograd::Needs&) {
      return Grads{broadcast_to(reshape_to(g, kept), in)};
    });
  return y;
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  Tensor y = core::mean(x, axes, keepdims);
  if (autograd::should_record({&x})) {
    const Shape kept = kept_shape(x.shape(), axes, "mean");
    const double count = static_cast<double>(x.numel()) / static_cast<double>(std::max<std::int64_t>(kept.numel(), 1));
    autograd::record("mean", {x}, y, [in = x.shape(), kept, count](const Tensor& g, const autograd::Needs&) {
      return Grads{broadcast_to(reshape_to(g, kept) / count, in)};
    });
  }
  return y;
}

Tensor reduce_max(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  Tensor y = core::max(x, axes, keepdims);
  if (autograd::should_record({&x}))
    autograd::record("reduce_max", {x}, y, [x, y, kept = kept_shape(x.shape(), axes, "reduce_max")](const Tensor& g, const autograd::Needs&) {
      const Tensor yk = y.reshape(std::span<const std::int64_t>(kept.begin(), static_cast<std::size_t>(kept.rank())));
      const Tensor hit = core::equal(x, yk);
      const Tensor share = core::div(hit, core::broadcast_to(core::sum_to(hit, kept), x.shape()));
      return Grads{mul(broadcast_to(reshape_to(g, kept), x.shape()), share)};
    });
  return y;
}

Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims) { return core::argmax(x, axis, keepdims); }

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Tensor y = core::broadcast_to(x, shape);
  if (autograd::should_record({&x}))
    autograd::record("broadcast_to", {x}, y, [in = x.shape()](const Tensor& g, const autograd::Needs&) { return Grads{sum_to(g, in)}; });
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Tensor y = core::sum_to(x, shape);
  if (autograd::should_record({&x}))
    autograd::record("sum_to", {x}, y, [in = x.shape()](const Tensor& g, const autograd::Needs&) { return Grads{broadcast_to(g, in)}; });
  return y;
}

}  // namespace tg
