#include "ops/indexing.hpp"

#include <algorithm>

#include "core/elementwise.hpp"
#include "core/indexing.hpp"
#include "ops/record.hpp"
#include "ops/shape.hpp"

namespace tg {

using core::AxisSlice;
using ops::detail::Grads;

namespace {

// Python's slice(start, stop, step).indices(n), as a start, step and count.
AxisSlice python_slice(std::int64_t n, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                       std::int64_t step, const char* op, int axis, const Shape& shape) {
  if (step == 0) fail(op, ": slice step cannot be zero (axis ", axis, " of ", shape, ")");
  auto bound = [n](std::optional<std::int64_t> v, std::int64_t open, std::int64_t lo, std::int64_t hi) {
    return v ? std::clamp(*v < 0 ? *v + n : *v, lo, hi) : open;
  };
  AxisSlice s;
  s.step = step;
  std::int64_t b, e;
  if (step > 0) {
    b = bound(start, 0, 0, n), e = bound(stop, n, 0, n);
    s.count = e > b ? (e - b + step - 1) / step : 0;
  } else {
    b = bound(start, n - 1, -1, n - 1), e = bound(stop, -1, -1, n - 1);
    s.count = b > e ? (b - e - step - 1) / -step : 0;
  }
  s.start = s.count ? b : 0;
  return s;
}

std::vector<AxisSlice> full_spec(const Shape& shape) {
  std::vector<AxisSlice> spec;
  for (std::int64_t n : shape) spec.push_back(core::full_axis(n));
  return spec;
}

bool is_full(const std::vector<AxisSlice>& spec, const Shape& shape) {
  for (int d = 0; d < shape.rank(); ++d) {
    const AxisSlice& s = spec[static_cast<std::size_t>(d)];
    if (s.count != shape[d] || (s.count > 1 && s.step != 1) || (s.count > 0 && s.start != 0)) return false;
  }
  return true;
}

Tensor place(const Tensor& src, const Shape& shape, const std::vector<AxisSlice>& spec, double fill, const char* op);

// The elements of x that `spec` selects; its gradient places g back (zeros elsewhere).
Tensor take(const Tensor& x, const std::vector<AxisSlice>& spec) {
  Tensor y = core::strided_slice(x, spec);
  if (autograd::should_record({&x}))
    autograd::record("slice", {x}, y, [spec, shape = x.shape()](const Tensor& g, const autograd::Needs&) {
      return Grads{place(g, shape, spec, 0, "slice_grad")};
    });
  return y;
}

// A tensor of `shape` filled with `fill`, with src where `spec` points; its gradient is take().
Tensor place(const Tensor& src, const Shape& shape, const std::vector<AxisSlice>& spec, double fill, const char* op) {
  Tensor y = core::strided_scatter(src, shape, spec, fill);
  if (autograd::should_record({&src}))
    autograd::record(op, {src}, y, [spec](const Tensor& g, const autograd::Needs&) { return Grads{take(g, spec)}; });
  return y;
}

Tensor scatter_add(const Tensor& src, const Tensor& indices, int axis, const Shape& shape) {
  Tensor y = core::scatter_add(src, indices, axis, shape);
  if (autograd::should_record({&src}))
    autograd::record("gather_grad", {src}, y, [indices, axis](const Tensor& g, const autograd::Needs&) {
      return Grads{gather(g, indices, axis)};
    });
  return y;
}

// Negative entries of an integer index tensor count from the end of an axis of length n.
Tensor wrap_negative(const Tensor& idx, std::int64_t n) {
  const std::vector<std::int64_t> v = idx.to_vector<std::int64_t>();
  if (std::none_of(v.begin(), v.end(), [](std::int64_t i) { return i < 0; })) return idx;
  const Tensor negative = core::less(idx, core::scalar_like(idx, 0));
  return core::where(negative, core::add(idx, core::scalar_like(idx, static_cast<double>(n))), idx);
}

}  // namespace

Tensor slice(const Tensor& x, std::int64_t axis, std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
             std::int64_t step) {
  const int a = normalize_axis(axis, x.rank(), "slice");
  std::vector<AxisSlice> spec = full_spec(x.shape());
  spec[static_cast<std::size_t>(a)] = python_slice(x.shape()[a], start, stop, step, "slice", a, x.shape());
  return take(x, spec);
}

Tensor index(const Tensor& x, std::initializer_list<indexing::TensorIndex> indices) {
  return index(x, std::vector<indexing::TensorIndex>(indices));
}

Tensor index(const Tensor& x, const std::vector<indexing::TensorIndex>& entries) {
  using namespace indexing;
  const Shape& shape = x.shape();
  const int rank = x.rank();
  int consumed = 0, ellipses = 0, tensors = 0;
  for (const TensorIndex& e : entries) {
    const auto& v = e.value();
    if (std::holds_alternative<std::int64_t>(v) || std::holds_alternative<Slice>(v)) ++consumed;
    if (std::holds_alternative<Tensor>(v)) ++consumed, ++tensors;
    if (std::holds_alternative<EllipsisIndex>(v)) ++ellipses;
  }
  if (ellipses > 1) fail("index: more than one Ellipsis in an index of a tensor of shape ", shape);
  if (tensors > 1)
    fail("index: at most one tensor entry is supported, got ", tensors, " for a tensor of shape ", shape);
  if (consumed > rank) fail("index: ", consumed, " indices for a tensor of shape ", shape, " (rank ", rank, ")");

  std::vector<AxisSlice> spec = full_spec(shape);
  Shape out;                  // the shape after integers, slices and new axes
  int axis = 0;               // the next axis of x
  int gather_axis = -1;       // where the tensor entry's axis lands in `out`
  Tensor idx;
  std::vector<int> advanced;  // list positions of the tensor entry and of integers
  int tensor_entry = -1;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& v = entries[i].value();
    if (const auto* k = std::get_if<std::int64_t>(&v)) {
      const std::int64_t n = shape[axis];
      const std::int64_t at = *k < 0 ? *k + n : *k;
      if (at < 0 || at >= n) fail("index: index ", *k, " is out of range for axis ", axis, " of ", shape);
      spec[static_cast<std::size_t>(axis++)] = {at, 1, 1};
      advanced.push_back(static_cast<int>(i));
    } else if (const auto* s = std::get_if<Slice>(&v)) {
      spec[static_cast<std::size_t>(axis)] =
          python_slice(shape[axis], s->start, s->stop, s->step, "index", axis, shape);
      out.push_back(spec[static_cast<std::size_t>(axis++)].count);
    } else if (std::holds_alternative<EllipsisIndex>(v)) {
      for (int k = rank - consumed; k > 0; --k) out.push_back(shape[axis++]);
    } else if (std::holds_alternative<NewAxisIndex>(v)) {
      out.push_back(1);
    } else {
      const Tensor& t = std::get<Tensor>(v);
      if (t.dtype() != DType::int32 && t.dtype() != DType::int64)
        fail("index: a tensor entry must be int32 or int64, got ", dtype_name(t.dtype()), " ", t.shape(),
             " for axis ", axis, " of ", shape);
      idx = wrap_negative(t, shape[axis]);
      gather_axis = out.rank();
      tensor_entry = static_cast<int>(i);
      advanced.push_back(tensor_entry);
      out.push_back(shape[axis++]);
    }
  }
  while (axis < rank) out.push_back(shape[axis++]);

  Tensor y = is_full(spec, shape) ? x : take(x, spec);
  if (!(y.shape() == out)) y = reshape(y, out.to_vector());
  if (tensor_entry < 0) return y;
  y = gather(y, idx, gather_axis);
  // NumPy: integers next to the tensor entry index together with it, and its dimensions stay in
  // place; when they are apart, the tensor's dimensions go first.
  const bool adjacent = advanced.back() - advanced.front() + 1 == static_cast<int>(advanced.size());
  if (adjacent || gather_axis == 0) return y;
  std::vector<std::int64_t> perm;
  for (int d = 0; d < idx.rank(); ++d) perm.push_back(gather_axis + d);
  for (int d = 0; d < y.rank(); ++d)
    if (d < gather_axis || d >= gather_axis + idx.rank()) perm.push_back(d);
  return transpose(y, perm);
}

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  Tensor y = core::gather(x, indices, axis);
  if (autograd::should_record({&x}))
    autograd::record("gather", {x}, y,
                     [indices, a = normalize_axis(axis, x.rank(), "gather"), shape = x.shape()](
                         const Tensor& g, const autograd::Needs&) { return Grads{scatter_add(g, indices, a, shape)}; });
  return y;
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, PadMode mode,
           double constant_value) {
  if (static_cast<int>(paddings.size()) != x.rank())
    fail("pad: ", paddings.size(), " (before, after) pairs for a tensor of shape ", x.shape(), ", expected ", x.rank());
  for (std::size_t d = 0; d < paddings.size(); ++d) {
    const auto [before, after] = paddings[d];
    const std::int64_t n = x.shape()[static_cast<int>(d)];
    if (before < 0 || after < 0)
      fail("pad: negative padding (", before, ", ", after, ") for axis ", d, " of ", x.shape());
    const std::int64_t most = mode == PadMode::reflect ? n - 1 : n;
    if (mode != PadMode::constant && (before > most || after > most))
      fail("pad: ", mode == PadMode::reflect ? "reflect" : "symmetric", " padding (", before, ", ", after,
           ") for axis ", d, " of ", x.shape(), " must be at most ", most);
  }
  if (mode == PadMode::constant) {
    Shape shape;
    std::vector<AxisSlice> spec;
    for (std::size_t d = 0; d < paddings.size(); ++d) {
      const std::int64_t n = x.shape()[static_cast<int>(d)];
      shape.push_back(paddings[d].first + n + paddings[d].second);
      spec.push_back({paddings[d].first, 1, n});
    }
    return place(x, shape, spec, constant_value, "pad");
  }
  // Mirroring is a gather along each padded axis: its gradient adds the copies back.
  Tensor y = x;
  for (std::size_t d = 0; d < paddings.size(); ++d) {
    const auto [before, after] = paddings[d];
    if (before == 0 && after == 0) continue;
    const std::int64_t n = x.shape()[static_cast<int>(d)];
    std::vector<std::int64_t> src;
    for (std::int64_t j = -before; j < n + after; ++j) {
      if (mode == PadMode::reflect) src.push_back(j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j);
      else src.push_back(j < 0 ? -j - 1 : j >= n ? 2 * n - 1 - j : j);
    }
    y = gather(y, Tensor::from_vector(src, Shape{static_cast<std::int64_t>(src.size())}), static_cast<std::int64_t>(d));
  }
  return y;
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, DType dtype, double on_value, double off_value) {
  return core::one_hot(indices, depth, on_value, off_value, dtype);
}

}  // namespace tg
