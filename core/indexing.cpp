#include "core/indexing.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/kernels/kernels.hpp"
#include "core/parallel.hpp"

namespace tg::core {
namespace {

// Bytes per task: below this a thread costs more than it saves.
constexpr std::int64_t grain_bytes = 1 << 16;

// Copies between a dense array of `shape` and a strided view: view element (i0, i1, ..) is at
// view[i0 stride[0] + i1 stride[1] + ..]. W is an unsigned word of the element's size, so one
// body serves every dtype.
template <class W>
void strided_copy(const Shape& shape, const std::int64_t* stride, W* view, W* dense, bool into_view) {
  const int r = shape.rank();
  const std::int64_t n = shape.numel();
  if (n == 0) return;
  const std::int64_t inner = r ? shape[r - 1] : 1;
  const std::int64_t step = r ? stride[r - 1] : 1;
  const std::int64_t rows = n / inner;
  const auto row_bytes = static_cast<std::int64_t>(sizeof(W)) * inner;
  parallel_for(0, rows, std::max<std::int64_t>(1, grain_bytes / row_bytes), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      std::int64_t rem = row, off = 0;
      for (int d = r - 2; d >= 0; --d) {
        off += (rem % shape[d]) * stride[d];
        rem /= shape[d];
      }
      W* v = view + off;
      W* dn = dense + row * inner;
      if (step == 1) {
        if (into_view) std::memcpy(v, dn, static_cast<std::size_t>(row_bytes));
        else std::memcpy(dn, v, static_cast<std::size_t>(row_bytes));
      } else if (into_view) {
        for (std::int64_t i = 0; i < inner; ++i) v[i * step] = dn[i];
      } else {
        for (std::int64_t i = 0; i < inner; ++i) dn[i] = v[i * step];
      }
    }
  });
}

// Calls f(W{}) with W the unsigned word of the dtype's size.
template <class F>
void visit_word(DType dt, F&& f) {
  if (dtype_size(dt) == 4) f(std::uint32_t{});
  else f(std::uint64_t{});
}

// Checks `spec` against `shape` and returns the view's element offset and per-axis strides.
std::int64_t view_strides(const Shape& shape, std::span<const AxisSlice> spec, const char* op, Shape& counts,
                          std::vector<std::int64_t>& strides) {
  if (static_cast<int>(spec.size()) != shape.rank())
    fail(op, ": ", spec.size(), " axis slices for a tensor of shape ", shape, ", expected ", shape.rank());
  strides.assign(spec.size(), 0);
  std::int64_t offset = 0, contiguous = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    const AxisSlice& s = spec[static_cast<std::size_t>(d)];
    const std::int64_t n = shape[d];
    const std::int64_t last = s.start + (s.count - 1) * s.step;
    if (s.count < 0 || (s.count > 0 && (s.start < 0 || s.start >= n || last < 0 || last >= n)))
      fail(op, ": ", s.count, " elements from ", s.start, " in steps of ", s.step, " leave axis ", d, " of ", shape);
    offset += (s.count ? s.start : 0) * contiguous;
    strides[static_cast<std::size_t>(d)] = s.step * contiguous;
    contiguous *= n;
  }
  counts = Shape();
  for (const AxisSlice& s : spec) counts.push_back(s.count);
  return offset;
}

// The index values as int64, each checked to lie in [0, n).
std::vector<std::int64_t> checked_indices(const Tensor& indices, std::int64_t n, int axis, const Shape& shape,
                                          const char* op) {
  if (indices.dtype() != DType::int32 && indices.dtype() != DType::int64)
    fail(op, ": indices must be int32 or int64, got ", dtype_name(indices.dtype()), " ", indices.shape());
  std::vector<std::int64_t> idx = indices.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < idx.size(); ++i)
    if (idx[i] < 0 || idx[i] >= n)
      fail(op, ": index ", idx[i], " at flat position ", i, " of indices ", indices.shape(), " is out of range [0, ", n,
           ") for axis ", axis, " of ", shape);
  return idx;
}

// [A.., n, B..] with [I..] indices -> [A.., I.., B..]
Shape gathered_shape(const Shape& x, const Shape& indices, int axis) {
  Shape out;
  for (int d = 0; d < axis; ++d) out.push_back(x[d]);
  for (std::int64_t k : indices) out.push_back(k);
  for (int d = axis + 1; d < x.rank(); ++d) out.push_back(x[d]);
  return out;
}

}  // namespace

Tensor strided_slice(const Tensor& x, std::span<const AxisSlice> spec) {
  Shape counts;
  std::vector<std::int64_t> strides;
  const std::int64_t offset = view_strides(x.shape(), spec, "strided_slice", counts, strides);
  Tensor out(counts, x.dtype());
  visit_word(x.dtype(), [&](auto w) {
    using W = decltype(w);
    strided_copy<W>(counts, strides.data(), static_cast<W*>(x.raw_data()) + offset, static_cast<W*>(out.raw_data()),
                    false);
  });
  return out;
}

Tensor strided_scatter(const Tensor& src, const Shape& shape, std::span<const AxisSlice> spec, double fill) {
  Shape counts;
  std::vector<std::int64_t> strides;
  const std::int64_t offset = view_strides(shape, spec, "strided_scatter", counts, strides);
  if (!(counts == src.shape()))
    fail("strided_scatter: source ", src.shape(), " does not fill the slice ", counts, " of ", shape);
  Tensor out = Tensor::full(shape, fill, src.dtype());
  visit_word(src.dtype(), [&](auto w) {
    using W = decltype(w);
    strided_copy<W>(counts, strides.data(), static_cast<W*>(out.raw_data()) + offset, static_cast<W*>(src.raw_data()),
                    true);
  });
  return out;
}

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis_in) {
  if (x.rank() == 0) fail("gather: cannot gather from a scalar");
  const int axis = normalize_axis(axis_in, x.rank(), "gather");
  const std::int64_t n = x.shape()[axis];
  const std::vector<std::int64_t> idx = checked_indices(indices, n, axis, x.shape(), "gather");
  Tensor out(gathered_shape(x.shape(), indices.shape(), axis), x.dtype());
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x.shape()[d];
  for (int d = axis + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  const auto k = static_cast<std::int64_t>(idx.size());
  if (out.numel() == 0) return out;
  const auto row = static_cast<std::size_t>(inner) * dtype_size(x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  parallel_for(0, outer * k, std::max<std::int64_t>(1, grain_bytes / static_cast<std::int64_t>(row)),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t r = lo; r < hi; ++r) {
                   const std::int64_t o = r / k, i = idx[static_cast<std::size_t>(r % k)];
                   std::memcpy(dst + static_cast<std::size_t>(r) * row,
                               src + static_cast<std::size_t>(o * n + i) * row, row);
                 }
               });
  return out;
}

Tensor scatter_add(const Tensor& src, const Tensor& indices, std::int64_t axis_in, const Shape& shape) {
  if (shape.rank() == 0) fail("scatter_add: cannot scatter into a scalar");
  const int axis = normalize_axis(axis_in, shape.rank(), "scatter_add");
  const std::int64_t n = shape[axis];
  const std::vector<std::int64_t> idx = checked_indices(indices, n, axis, shape, "scatter_add");
  if (!(gathered_shape(shape, indices.shape(), axis) == src.shape()))
    fail("scatter_add: source ", src.shape(), " does not match indices ", indices.shape(), " along axis ", axis, " of ",
         shape);
  Tensor out = Tensor::zeros(shape, src.dtype());
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  const auto k = static_cast<std::int64_t>(idx.size());
  if (src.numel() == 0) return out;
  visit_dtype(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* s = src.data<T>();
    T* d = out.data<T>();
    // Outer slices are disjoint, so they split across threads; within one, repeats add in order.
    parallel_for(0, outer, std::max<std::int64_t>(1, grain_bytes / std::max<std::int64_t>(1, k * inner * 8)),
                 [&](std::int64_t lo, std::int64_t hi) {
                   for (std::int64_t o = lo; o < hi; ++o)
                     for (std::int64_t j = 0; j < k; ++j) {
                       const T* from = s + (o * k + j) * inner;
                       T* to = d + (o * n + idx[static_cast<std::size_t>(j)]) * inner;
                       if constexpr (std::is_floating_point_v<T>) kern::table<T>().add_into(from, to, inner);
                       else
                         for (std::int64_t i = 0; i < inner; ++i) to[i] += from[i];
                     }
                 });
  });
  return out;
}

Tensor one_hot(const Tensor& indices, std::int64_t depth, double on_value, double off_value, DType dtype) {
  if (indices.dtype() != DType::int32 && indices.dtype() != DType::int64)
    fail("one_hot: indices must be int32 or int64, got ", dtype_name(indices.dtype()), " ", indices.shape());
  if (depth < 0) fail("one_hot: depth must be >= 0, got ", depth);
  Shape shape = indices.shape();
  shape.push_back(depth);
  Tensor out = Tensor::full(shape, off_value, dtype);
  const std::vector<std::int64_t> idx = indices.to_vector<std::int64_t>();
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (std::size_t i = 0; i < idx.size(); ++i)
      if (idx[i] >= 0 && idx[i] < depth) p[static_cast<std::int64_t>(i) * depth + idx[i]] = static_cast<T>(on_value);
  });
  return out;
}

}  // namespace tg::core
