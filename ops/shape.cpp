#include "ops/shape.hpp"

#include "core/transform.hpp"
#include "ops/reduction.hpp"
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

Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis) {
  if (xs.empty()) fail("stack: no tensors given");
  const Tensor& first = xs.front();
  for (std::size_t i = 1; i < xs.size(); ++i)
    if (!(xs[i].shape() == first.shape()) || xs[i].dtype() != first.dtype())
      fail("stack: tensor ", i, " is ", dtype_name(xs[i].dtype()), " ", xs[i].shape(), ", expected ",
           dtype_name(first.dtype()), " ", first.shape(), " like tensor 0");
  const int a = normalize_axis(axis, first.rank() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& x : xs) parts.push_back(expand_dims(x, a));
  return concat(parts, a);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis) {
  const int a = normalize_axis(axis, x.rank(), "split");
  const std::int64_t n = x.shape()[a];
  if (num <= 0 || n % num != 0)
    fail("split: cannot split axis ", axis, " of ", x.shape(), " (length ", n, ") into ", num, " equal parts");
  return split(x, std::vector<std::int64_t>(static_cast<std::size_t>(num), n / num), a);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes_in, std::int64_t axis) {
  const int a = normalize_axis(axis, x.rank(), "split");
  const std::int64_t n = x.shape()[a];
  std::vector<std::int64_t> sizes = sizes_in;
  std::int64_t known = 0;
  int rest = -1;
  auto describe = [&] {
    std::string s;
    for (std::size_t i = 0; i < sizes_in.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes_in[i]);
    return "[" + s + "]";
  };
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1 && rest < 0) rest = static_cast<int>(i);
    else if (sizes[i] < 0) fail("split: sizes ", describe(), " may hold one -1 and otherwise sizes >= 0");
    else known += sizes[i];
  }
  if (rest >= 0 && known <= n) sizes[static_cast<std::size_t>(rest)] = n - known;
  else if (known != n || sizes.empty())
    fail("split: sizes ", describe(), " do not add up to the length ", n, " of axis ", axis, " of ", x.shape());
  std::vector<Tensor> out;
  std::int64_t at = 0;
  for (std::int64_t k : sizes) {
    out.push_back(slice(x, a, at, at + k));
    at += k;
  }
  return out;
}

Tensor squeeze(const Tensor& x, const std::vector<std::int64_t>& axes) {
  std::vector<bool> drop(static_cast<std::size_t>(x.rank()), axes.empty());
  for (std::int64_t axis : axes) {
    const int a = normalize_axis(axis, x.rank(), "squeeze");
    if (x.shape()[a] != 1) fail("squeeze: axis ", axis, " of ", x.shape(), " has length ", x.shape()[a], ", expected 1");
    drop[static_cast<std::size_t>(a)] = true;
  }
  std::vector<std::int64_t> shape;
  for (int d = 0; d < x.rank(); ++d)
    if (!drop[static_cast<std::size_t>(d)] || x.shape()[d] != 1) shape.push_back(x.shape()[d]);
  return reshape(x, shape);
}

Tensor expand_dims(const Tensor& x, std::int64_t axis) {
  const int a = normalize_axis(axis, x.rank() + 1, "expand_dims");
  std::vector<std::int64_t> shape = dims(x.shape());
  shape.insert(shape.begin() + a, 1);
  return reshape(x, shape);
}

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples) {
  if (static_cast<int>(multiples.size()) != x.rank())
    fail("tile: ", multiples.size(), " multiples for a tensor of shape ", x.shape(), ", expected one per axis (",
         x.rank(), ")");
  for (std::int64_t m : multiples)
    if (m < 0) fail("tile: negative multiple ", m, " for a tensor of shape ", x.shape());
  // One axis at a time: [P, 1, Q] broadcast to [P, m, Q], where Q is the axis and all after it.
  Tensor y = x;
  for (int d = 0; d < x.rank(); ++d) {
    const std::int64_t m = multiples[static_cast<std::size_t>(d)];
    if (m == 1) continue;
    std::int64_t p = 1, q = 1;
    for (int e = 0; e < d; ++e) p *= y.shape()[e];
    for (int e = d; e < y.rank(); ++e) q *= y.shape()[e];
    std::vector<std::int64_t> shape = dims(y.shape());
    shape[static_cast<std::size_t>(d)] *= m;
    y = reshape(broadcast_to(reshape(y, {p, 1, q}), Shape{p, m, q}), shape);
  }
  return y;
}

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
