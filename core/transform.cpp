#include "core/transform.hpp"

#include <cstring>

#include "core/parallel.hpp"

namespace tg::core {
namespace {

// Element-size-generic copy of a permuted view: out index i maps to input offset via strides.
void permute_copy(const char* src, char* dst, std::size_t es, const Shape& out_shape,
                  const std::vector<std::int64_t>& in_strides) {
  const int r = out_shape.rank();
  const std::int64_t n = out_shape.numel();
  if (n == 0) return;
  const std::int64_t inner = r ? out_shape[r - 1] : 1;
  const std::int64_t inner_stride = r ? in_strides[static_cast<std::size_t>(r - 1)] : 1;
  const std::int64_t rows = n / inner;
  parallel_for(0, rows, std::max<std::int64_t>(1, 16384 / inner), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      std::int64_t rem = row, off = 0;
      for (int d = r - 2; d >= 0; --d) {
        off += (rem % out_shape[d]) * in_strides[static_cast<std::size_t>(d)];
        rem /= out_shape[d];
      }
      char* o = dst + static_cast<std::size_t>(row * inner) * es;
      if (inner_stride == 1) {
        std::memcpy(o, src + static_cast<std::size_t>(off) * es, static_cast<std::size_t>(inner) * es);
      } else {
        for (std::int64_t i = 0; i < inner; ++i)
          std::memcpy(o + static_cast<std::size_t>(i) * es, src + static_cast<std::size_t>(off + i * inner_stride) * es, es);
      }
    }
  });
}

std::vector<std::int64_t> contiguous_strides(const Shape& s) {
  std::vector<std::int64_t> st(static_cast<std::size_t>(s.rank()));
  std::int64_t acc = 1;
  for (int d = s.rank() - 1; d >= 0; --d) {
    st[static_cast<std::size_t>(d)] = acc;
    acc *= s[d];
  }
  return st;
}

template <class I>
void check_indices(const I* idx, std::int64_t k, std::int64_t n, const char* op, const Shape& shape) {
  for (std::int64_t i = 0; i < k; ++i)
    if (idx[i] < 0 || idx[i] >= n)
      fail(op, ": index ", static_cast<std::int64_t>(idx[i]), " at position ", i, " is out of range for ", n,
           " rows (tensor shape ", shape, ")");
}

std::vector<std::int64_t> index_vector(const Tensor& indices, const char* op) {
  if (indices.dtype() != DType::int64 && indices.dtype() != DType::int32)
    fail(op, ": indices must be int32 or int64, got ", dtype_name(indices.dtype()));
  if (indices.rank() != 1) fail(op, ": indices must have rank 1, got shape ", indices.shape());
  return indices.to_vector<std::int64_t>();
}

}  // namespace

Tensor permute(const Tensor& t, const std::vector<std::int64_t>& perm) {
  if (static_cast<int>(perm.size()) != t.rank())
    fail("permute: permutation of length ", perm.size(), " for a tensor of shape ", t.shape());
  std::vector<bool> seen(perm.size(), false);
  Shape out_shape;
  const auto st = contiguous_strides(t.shape());
  std::vector<std::int64_t> in_strides;
  for (std::int64_t p : perm) {
    const int a = normalize_axis(p, t.rank(), "permute");
    if (seen[static_cast<std::size_t>(a)]) fail("permute: axis ", p, " repeated in the permutation");
    seen[static_cast<std::size_t>(a)] = true;
    out_shape.push_back(t.shape()[a]);
    in_strides.push_back(st[static_cast<std::size_t>(a)]);
  }
  Tensor out(out_shape, t.dtype());
  permute_copy(static_cast<const char*>(t.raw_data()), static_cast<char*>(out.raw_data()), dtype_size(t.dtype()),
               out_shape, in_strides);
  return out;
}

Tensor transpose(const Tensor& t) {
  std::vector<std::int64_t> perm;
  for (int d = t.rank() - 1; d >= 0; --d) perm.push_back(d);
  return permute(t, perm);
}

Tensor concat(const std::vector<Tensor>& ts, std::int64_t axis_in) {
  if (ts.empty()) fail("concat: no tensors given");
  const Tensor& first = ts.front();
  const int axis = normalize_axis(axis_in, first.rank(), "concat");
  Shape out_shape = first.shape();
  std::int64_t total = 0;
  for (const Tensor& t : ts) {
    bool ok = t.rank() == first.rank() && t.dtype() == first.dtype();
    for (int d = 0; ok && d < t.rank(); ++d) ok = d == axis || t.shape()[d] == first.shape()[d];
    if (!ok)
      fail("concat: cannot join ", dtype_name(first.dtype()), " ", first.shape(), " with ", dtype_name(t.dtype()), " ",
           t.shape(), " along axis ", axis_in);
    total += t.shape()[axis];
  }
  out_shape[axis] = total;
  Tensor out(out_shape, first.dtype());
  const std::size_t es = dtype_size(first.dtype());
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  for (int d = axis + 1; d < out_shape.rank(); ++d) inner *= out_shape[d];
  char* dst = static_cast<char*>(out.raw_data());
  std::int64_t col = 0;
  for (const Tensor& t : ts) {
    const std::int64_t w = t.shape()[axis] * inner;
    const char* src = static_cast<const char*>(t.raw_data());
    for (std::int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + static_cast<std::size_t>(o * total * inner + col) * es, src + static_cast<std::size_t>(o * w) * es,
                  static_cast<std::size_t>(w) * es);
    col += w;
  }
  return out;
}

Tensor slice(const Tensor& t, std::int64_t axis_in, std::int64_t begin, std::int64_t end) {
  const int axis = normalize_axis(axis_in, t.rank(), "slice");
  const std::int64_t n = t.shape()[axis];
  if (begin < 0 || end > n || begin > end)
    fail("slice: range [", begin, ", ", end, ") is out of bounds for axis ", axis_in, " of shape ", t.shape());
  Shape out_shape = t.shape();
  out_shape[axis] = end - begin;
  Tensor out(out_shape, t.dtype());
  const std::size_t es = dtype_size(t.dtype());
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  for (int d = axis + 1; d < out_shape.rank(); ++d) inner *= out_shape[d];
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  const std::int64_t w = (end - begin) * inner;
  for (std::int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + static_cast<std::size_t>(o * w) * es, src + static_cast<std::size_t>(o * n * inner + begin * inner) * es,
                static_cast<std::size_t>(w) * es);
  return out;
}

Tensor gather_rows(const Tensor& t, const Tensor& indices) {
  if (t.rank() == 0) fail("gather_rows: cannot gather rows of a scalar");
  const auto idx = index_vector(indices, "gather_rows");
  const std::int64_t n = t.shape()[0], k = static_cast<std::int64_t>(idx.size());
  check_indices(idx.data(), k, n, "gather_rows", t.shape());
  Shape out_shape = t.shape();
  out_shape[0] = k;
  Tensor out(out_shape, t.dtype());
  const std::size_t row = static_cast<std::size_t>(n ? t.numel() / n : 0) * dtype_size(t.dtype());
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  parallel_for(0, k, std::max<std::int64_t>(1, static_cast<std::int64_t>(65536 / std::max<std::size_t>(row, 1))),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t i = lo; i < hi; ++i)
                   std::memcpy(dst + static_cast<std::size_t>(i) * row, src + static_cast<std::size_t>(idx[static_cast<std::size_t>(i)]) * row, row);
               });
  return out;
}

Tensor scatter_add_rows(const Tensor& rows, const Tensor& indices, const Shape& shape) {
  const auto idx = index_vector(indices, "scatter_add_rows");
  const std::int64_t k = static_cast<std::int64_t>(idx.size());
  if (shape.rank() == 0 || rows.rank() != shape.rank() || rows.shape()[0] != k)
    fail("scatter_add_rows: rows ", rows.shape(), " do not match ", k, " indices into shape ", shape);
  for (int d = 1; d < shape.rank(); ++d)
    if (rows.shape()[d] != shape[d]) fail("scatter_add_rows: rows ", rows.shape(), " do not fit shape ", shape);
  check_indices(idx.data(), k, shape[0], "scatter_add_rows", shape);
  Tensor out = Tensor::zeros(shape, rows.dtype());
  const std::int64_t w = shape[0] ? shape.numel() / shape[0] : 0;
  visit_dtype(rows.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* s = rows.data<T>();
    T* d = out.data<T>();
    for (std::int64_t i = 0; i < k; ++i) {
      T* dr = d + idx[static_cast<std::size_t>(i)] * w;
      const T* sr = s + i * w;
      for (std::int64_t j = 0; j < w; ++j) dr[j] += sr[j];
    }
  });
  return out;
}

}  // namespace tg::core
