#include "ops/shape.hpp"

#include "core/transform.hpp"
#include "ops/record.hpp"

namespace tg {

using ops::detail::Grads;
using ops::detail::needs;

namespace {
std::vector<std::int64_t> dims(const Shape& s) { return {s.begin(), s.end()}; }
}  // namespace

Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& shape) {
  Tensor y = core::view(x, shape);
  if (autograd::should_record({&x}))
    autograd::record("reshape", {x}, y, [in = dims(x.shape())](const Tensor& g, const autograd::Needs&) { return Grads{reshape(g, in)}; });
  return y;
}

Tensor flatten(const Tensor& x) {
  if (x.rank() < 1) fail("flatten: expected a tensor of rank >= 1 (a batch), got a scalar");
  return reshape(x, {x.shape()[0], x.shape()[0] == 0 ? 0 : -1});
}

Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm) {
  Tensor y = core::permute(x, perm);
  if (autograd::should_record({&x})) {
    std::vector<std::int64_t> inverse(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i)
      inverse[static_cast<std::size_t>(perm[i] < 0 ? perm[i] + x.rank() : perm[i])] = static_cast<std::int64_t>(i);
    autograd::record("transpose", {x}, y, [inverse](const Tensor& g, const autograd::Needs&) { return Grads{transpose(g, inverse)}; });
  }
  return y;
}

Tensor transpose(const Tensor& x) {
  std::vector<std::int64_t> perm;
  for (int d = x.rank() - 1; d >= 0; --d) perm.push_back(d);
  return transpose(x, perm);
}

Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis) {
  Tensor y = core::concat(xs, axis);
  if (autograd::should_record(xs)) {
    std::vector<std::int64_t> sizes;
    const int a = normalize_axis(axis, xs.front().rank(), "concat");
    for (const Tensor& x : xs) sizes.push_back(x.shape()[a]);
    autograd::record("concat", xs, y, [sizes, a](const Tensor& g, const autograd::Needs& m) {
      Grads out;
      std::int64_t at = 0;
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        out.push_back(needs(m, i) ? slice(g, a, at, at + sizes[i]) : Tensor());
        at += sizes[i];
      }
      return out;
    });
  }
  return y;
}

namespace {
// The gradient of slice: zeros with g placed at [begin, end) along axis; itself differentiable.
Tensor pad_slice(const Tensor& g, const Shape& full, int axis, std::int64_t begin) {
  std::vector<Tensor> parts;
  Shape before = full, after = full;
  before[axis] = begin;
  after[axis] = full[axis] - begin - g.shape()[axis];
  if (before[axis] > 0) parts.push_back(Tensor::zeros(before, g.dtype()));
  parts.push_back(g);
  if (after[axis] > 0) parts.push_back(Tensor::zeros(after, g.dtype()));
  return parts.size() == 1 ? g : concat(parts, axis);
}
}  // namespace

Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t begin, std::int64_t end) {
  Tensor y = core::slice(x, axis, begin, end);
  if (autograd::should_record({&x})) {
    const int a = normalize_axis(axis, x.rank(), "slice");
    autograd::record("slice", {x}, y, [full = x.shape(), a, begin](const Tensor& g, const autograd::Needs&) {
      return Grads{pad_slice(g, full, a, begin)};
    });
  }
  return y;
}

Tensor slice_rows(const Tensor& x, std::int64_t begin, std::int64_t end) {
  Tensor y = core::rows_view(x, begin, end);
  if (autograd::should_record({&x}))
    autograd::record("slice_rows", {x}, y, [full = x.shape(), begin](const Tensor& g, const autograd::Needs&) {
      return Grads{pad_slice(g, full, 0, begin)};
    });
  return y;
}

namespace {
Tensor scatter_rows(const Tensor& rows, const Tensor& indices, const Shape& shape);
}

Tensor gather_rows(const Tensor& x, const Tensor& indices) {
  Tensor y = core::gather_rows(x, indices);
  if (autograd::should_record({&x}))
    autograd::record("gather_rows", {x}, y, [indices, in = x.shape()](const Tensor& g, const autograd::Needs&) {
      return Grads{scatter_rows(g, indices, in)};
    });
  return y;
}

namespace {
Tensor scatter_rows(const Tensor& rows, const Tensor& indices, const Shape& shape) {
  Tensor y = core::scatter_add_rows(rows, indices, shape);
  if (autograd::should_record({&rows}))
    autograd::record("scatter_rows", {rows}, y, [indices](const Tensor& g, const autograd::Needs&) {
      return Grads{gather_rows(g, indices)};
    });
  return y;
}
}  // namespace

Tensor clone(const Tensor& x) {
  Tensor y = core::copy(x);
  if (autograd::should_record({&x}))
    autograd::record("clone", {x}, y, [](const Tensor& g, const autograd::Needs&) { return Grads{g}; });
  return y;
}

Tensor cast(const Tensor& x, DType dtype) {
  if (dtype == x.dtype()) return x;
  Tensor y = core::convert(x, dtype);
  if (is_floating(x.dtype()) && is_floating(dtype) && autograd::should_record({&x}))
    autograd::record("cast", {x}, y, [from = x.dtype()](const Tensor& g, const autograd::Needs&) {
      return Grads{cast(g, from)};
    });
  return y;
}

}  // namespace tg
