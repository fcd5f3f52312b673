#include "ops/reduction.hpp"

#include <algorithm>

#include "core/elementwise.hpp"
#include "core/indexing.hpp"
#include "core/reduce.hpp"
#include "ops/arithmetic.hpp"
#include "ops/compare.hpp"
#include "ops/record.hpp"
#include "ops/shape.hpp"

namespace tg {

using ops::detail::Grads;
using ops::detail::Needs;

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

namespace {
// reduce_max and reduce_min: the gradient goes to the elements equal to the result, split evenly.
Tensor extreme(core::ReduceOp op, const char* name, const Tensor& x, const std::vector<std::int64_t>& axes,
               bool keepdims) {
  Tensor y = core::reduce(op, x, axes, keepdims);
  if (autograd::should_record({&x}))
    autograd::record(name, {x}, y, [x, y, kept = kept_shape(x.shape(), axes, name)](const Tensor& g, const Needs&) {
      const Tensor yk = y.reshape(std::span<const std::int64_t>(kept.begin(), static_cast<std::size_t>(kept.rank())));
      const Tensor hit = core::equal(x, yk);
      const Tensor share = core::div(hit, core::broadcast_to(core::sum_to(hit, kept), x.shape()));
      return Grads{mul(broadcast_to(reshape_to(g, kept), x.shape()), share)};
    });
  return y;
}

// Reduced axes last: x.shape permuted by `perm` is [rest.., reduced..]; `inverse` undoes it.
struct RowsLayout {
  std::vector<std::int64_t> perm, inverse, permuted;
  std::int64_t rows = 1, length = 1;  // [rows, length] after the permutation
};
RowsLayout rows_layout(const Shape& shape, const std::vector<std::int64_t>& axes, const char* op) {
  RowsLayout r;
  const std::vector<int> reduced = core::normalize_axes(axes, shape.rank(), op);
  for (int d = 0; d < shape.rank(); ++d)
    if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) r.perm.push_back(d), r.rows *= shape[d];
  for (int d : reduced) r.perm.push_back(d), r.length *= shape[d];
  r.inverse.resize(r.perm.size());
  for (std::size_t i = 0; i < r.perm.size(); ++i) {
    r.inverse[static_cast<std::size_t>(r.perm[i])] = static_cast<std::int64_t>(i);
    r.permuted.push_back(shape[static_cast<int>(r.perm[i])]);
  }
  return r;
}

// For each element, the product of the others in its slice over `axes`: prod's gradient. A
// prefix-times-suffix kernel, exact with zeros; differentiable again for higher orders.
Tensor prod_of_others(const Tensor& x, const std::vector<std::int64_t>& axes) {
  Tensor y = core::prod_of_others(x, axes);
  if (autograd::should_record({&x}))
    autograd::record("prod_of_others", {x}, y, [x, axes](const Tensor& g, const autograd::Needs&) {
      // Row i of m is the slice with x_i replaced by 1, so prod_of_others(m)[i, j] is the product of
      // all but x_i and x_j: d others_i / d x_j for j != i. Costs R^2 per slice, second order only.
      const RowsLayout r = rows_layout(x.shape(), axes, "prod");
      const std::int64_t n = r.length;
      const Tensor eye = core::one_hot(Tensor::arange(0, static_cast<double>(n), 1, DType::int64), n, 1, 0, x.dtype());
      const Tensor xr = reshape(transpose(x, r.perm), {r.rows, 1, n});
      const Tensor gr = reshape(transpose(g, r.perm), {r.rows, n, 1});
      const Tensor m = where(eye, 1.0, xr);
      const Tensor terms = where(eye, 0.0, gr * prod_of_others(m, {2}));
      return Grads{transpose(reshape(sum(terms, {1}), r.permuted), r.inverse)};
    });
  return y;
}
}  // namespace

Tensor reduce_max(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return extreme(core::ReduceOp::max, "reduce_max", x, axes, keepdims);
}

Tensor reduce_min(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return extreme(core::ReduceOp::min, "reduce_min", x, axes, keepdims);
}

Tensor prod(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  Tensor y = core::prod(x, axes, keepdims);
  if (autograd::should_record({&x}))
    autograd::record("prod", {x}, y, [x, axes, kept = kept_shape(x.shape(), axes, "prod")](const Tensor& g, const Needs&) {
      return Grads{broadcast_to(reshape_to(g, kept), x.shape()) * prod_of_others(x, axes)};
    });
  return y;
}

Tensor var(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims, std::int64_t ddof) {
  if (!is_floating(x.dtype()))
    fail("var: expected a float32 or float64 tensor, got ", dtype_name(x.dtype()), " ", x.shape());
  const Shape kept = kept_shape(x.shape(), axes, "var");
  const std::int64_t n = kept.numel() ? x.numel() / kept.numel() : 0;
  const Tensor d = x - mean(x, axes, true);
  return sum(square(d), axes, keepdims) / static_cast<double>(std::max<std::int64_t>(n - ddof, 0));
}

Tensor std(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims, std::int64_t ddof) {
  const Tensor v = var(x, axes, keepdims, ddof);
  Tensor y = core::sqrt(v);
  if (autograd::should_record({&v}))
    autograd::record("std", {v}, y, [y](const Tensor& g, const autograd::Needs&) {
      return Grads{where(core::equal(y, core::scalar_like(y, 0)), 0.0, g / (y * 2.0))};
    });
  return y;
}

Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  if (!is_floating(x.dtype()))
    fail("logsumexp: expected a float32 or float64 tensor, got ", dtype_name(x.dtype()), " ", x.shape());
  const Shape kept = kept_shape(x.shape(), axes, "logsumexp");
  // Shift by the maximum, or by 0 where it is infinite (m - m != 0 exactly there, and for NaN).
  const Tensor m0 = core::max(x, axes, true);
  const Tensor m = core::where(core::equal(core::sub(m0, m0), core::scalar_like(m0, 0)), m0, core::scalar_like(m0, 0));
  const Tensor yk = core::add(core::log(core::sum(core::exp(core::sub(x, m)), axes, true)), m);
  std::vector<std::int64_t> out;
  const std::vector<int> reduced = core::normalize_axes(axes, x.rank(), "logsumexp");
  for (int d = 0; d < x.rank(); ++d)
    if (keepdims || std::find(reduced.begin(), reduced.end(), d) == reduced.end()) out.push_back(kept[d]);
  Tensor y = core::view(yk, out);
  if (autograd::should_record({&x}))
    autograd::record("logsumexp", {x}, y, [x, y, kept](const Tensor& g, const autograd::Needs&) {
      // softmax over the slice, written with the output so that it differentiates again
      return Grads{broadcast_to(reshape_to(g, kept), x.shape()) * exp(x - reshape_to(y, kept))};
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
