#include "core/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/kernels/kernels.hpp"
#include "core/parallel.hpp"
#include "core/transform.hpp"

namespace tg::core {
namespace {

const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::mean: return "mean";
    case ReduceOp::max: return "max";
    case ReduceOp::min: return "min";
    case ReduceOp::prod: return "prod";
  }
  return "reduce";
}

// Fixed chunk for a full reduction: partial sums per chunk, combined in order, so the result
// is the same at every thread count.
constexpr std::int64_t chunk = 1 << 15;

template <class T>
T reduce_run(ReduceOp op, const T* p, std::int64_t n) {
  if (op == ReduceOp::prod) {  // rare enough for a plain loop
    T acc = T(1);
    for (std::int64_t i = 0; i < n; ++i) acc *= p[i];
    return acc;
  }
  if constexpr (std::is_floating_point_v<T>) {
    const auto& k = kern::table<T>();
    if (op == ReduceOp::max) return k.max(p, n);
    if (op == ReduceOp::min) return k.min(p, n);
    return k.sum(p, n);
  } else {
    T acc = op == ReduceOp::max ? std::numeric_limits<T>::min() : op == ReduceOp::min ? std::numeric_limits<T>::max() : T(0);
    for (std::int64_t i = 0; i < n; ++i) {
      if (op == ReduceOp::max) acc = std::max(acc, p[i]);
      else if (op == ReduceOp::min) acc = std::min(acc, p[i]);
      else acc += p[i];
    }
    return acc;
  }
}

template <class T>
void accumulate_run(ReduceOp op, const T* p, T* acc, std::int64_t n) {
  if (op == ReduceOp::prod) {
    for (std::int64_t i = 0; i < n; ++i) acc[i] *= p[i];
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    const auto& k = kern::table<T>();
    (op == ReduceOp::max ? k.max_into : op == ReduceOp::min ? k.min_into : k.add_into)(p, acc, n);
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      if (op == ReduceOp::max) acc[i] = std::max(acc[i], p[i]);
      else if (op == ReduceOp::min) acc[i] = std::min(acc[i], p[i]);
      else acc[i] += p[i];
    }
  }
}

// Reduces [O, R, I] over R.
template <class T>
void reduce_ori(ReduceOp op, const T* in, T* out, std::int64_t O, std::int64_t R, std::int64_t I) {
  if (I == 1 && O == 1 && R > 2 * chunk && op != ReduceOp::max && op != ReduceOp::min) {
    const std::int64_t nchunks = (R + chunk - 1) / chunk;
    std::vector<T> partial(static_cast<std::size_t>(nchunks));
    parallel_for(0, nchunks, 1, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t c = lo; c < hi; ++c)
        partial[static_cast<std::size_t>(c)] = reduce_run(op, in + c * chunk, std::min(chunk, R - c * chunk));
    });
    T s = op == ReduceOp::prod ? T(1) : T(0);
    for (T v : partial) s = op == ReduceOp::prod ? s * v : s + v;
    out[0] = s;
    return;
  }
  if (I == 1) {
    parallel_for(0, O, std::max<std::int64_t>(1, chunk / std::max<std::int64_t>(R, 1)), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t o = lo; o < hi; ++o) out[o] = reduce_run(op, in + o * R, R);
    });
    return;
  }
  parallel_for(0, O, std::max<std::int64_t>(1, chunk / std::max<std::int64_t>(R * I, 1)), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t o = lo; o < hi; ++o) {
      T* acc = out + o * I;
      const T* base = in + o * R * I;
      std::copy(base, base + I, acc);
      for (std::int64_t r = 1; r < R; ++r) accumulate_run(op, base + r * I, acc, I);
    }
  });
}

}  // namespace

std::vector<int> normalize_axes(const std::vector<std::int64_t>& axes, int rank, const char* op) {
  std::vector<int> out;
  if (axes.empty()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (std::int64_t a : axes) out.push_back(normalize_axis(a, rank, op));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) fail(op, ": repeated axis in the axis list");
  return out;
}

Tensor reduce(ReduceOp op, const Tensor& t, const std::vector<std::int64_t>& axes_in, bool keepdims) {
  const char* name = op_name(op);
  const std::vector<int> axes = normalize_axes(axes_in, t.rank(), name);
  Shape out_shape, kept;
  std::vector<bool> reduced(static_cast<std::size_t>(t.rank()), false);
  for (int a : axes) reduced[static_cast<std::size_t>(a)] = true;
  std::int64_t R = 1;
  for (int d = 0; d < t.rank(); ++d) {
    if (reduced[static_cast<std::size_t>(d)]) {
      R *= t.shape()[d];
      if (keepdims) out_shape.push_back(1);
    } else {
      out_shape.push_back(t.shape()[d]);
    }
  }
  if (R == 0 && (op == ReduceOp::max || op == ReduceOp::min))
    fail(name, ": cannot reduce an empty tensor of shape ", t.shape(), " (no identity for ", name, ")");
  if (op == ReduceOp::mean && !is_floating(t.dtype()))
    fail("mean: expected a float32 or float64 tensor, got ", dtype_name(t.dtype()), " ", t.shape());
  // Bring the reduced axes together: if they are not one contiguous block, move them last.
  Tensor src = t;
  const bool contiguous_block = axes.empty() || axes.back() - axes.front() + 1 == static_cast<int>(axes.size());
  int first = axes.empty() ? t.rank() : axes.front(), last = axes.empty() ? t.rank() - 1 : axes.back();
  if (!contiguous_block) {
    std::vector<std::int64_t> perm;
    for (int d = 0; d < t.rank(); ++d)
      if (!reduced[static_cast<std::size_t>(d)]) perm.push_back(d);
    for (int a : axes) perm.push_back(a);
    src = permute(t, perm);
    first = t.rank() - static_cast<int>(axes.size());
    last = t.rank() - 1;
  }
  std::int64_t O = 1, I = 1;
  for (int d = 0; d < first; ++d) O *= src.shape()[d];
  for (int d = last + 1; d < src.rank(); ++d) I *= src.shape()[d];
  Tensor out(out_shape, t.dtype());
  if (out.numel() == 0) return out;
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* po = out.data<T>();
    if (R == 0) {
      std::fill(po, po + out.numel(), T(op == ReduceOp::mean ? NAN : op == ReduceOp::prod ? 1 : 0));
      return;
    }
    reduce_ori<T>(op == ReduceOp::mean ? ReduceOp::sum : op, src.data<T>(), po, O, R, I);
    if (op == ReduceOp::mean) {
      if constexpr (std::is_floating_point_v<T>) kern::table<T>().scale(po, T(1) / static_cast<T>(R), po, out.numel());
    }
  });
  return out;
}

Tensor prod_of_others(const Tensor& t, const std::vector<std::int64_t>& axes_in) {
  const std::vector<int> axes = normalize_axes(axes_in, t.rank(), "prod");
  std::vector<bool> reduced(static_cast<std::size_t>(t.rank()), false);
  for (int a : axes) reduced[static_cast<std::size_t>(a)] = true;
  // Rows of [O, R] with the reduced axes last; the result is permuted back.
  std::vector<std::int64_t> perm, inverse(static_cast<std::size_t>(t.rank()));
  std::int64_t R = 1;
  for (int d = 0; d < t.rank(); ++d)
    if (!reduced[static_cast<std::size_t>(d)]) perm.push_back(d);
  for (int a : axes) perm.push_back(a), R *= t.shape()[a];
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
  const Tensor src = permute(t, perm);
  Tensor out(src.shape(), t.dtype());
  if (out.numel() == 0) return permute(out, inverse);
  const std::int64_t O = out.numel() / R;
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = src.data<T>();
    T* y = out.data<T>();
    parallel_for(0, O, std::max<std::int64_t>(1, chunk / R), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t o = lo; o < hi; ++o) {
        const T* xr = x + o * R;
        T* yr = y + o * R;
        T run = T(1);
        for (std::int64_t r = 0; r < R; ++r) yr[r] = run, run *= xr[r];
        run = T(1);
        for (std::int64_t r = R - 1; r >= 0; --r) yr[r] *= run, run *= xr[r];
      }
    });
  });
  return permute(out, inverse);
}

Tensor argmax(const Tensor& t, std::int64_t axis_in, bool keepdims) {
  const int axis = normalize_axis(axis_in, t.rank(), "argmax");
  const std::int64_t R = t.shape()[axis];
  if (R == 0) fail("argmax: axis ", axis_in, " of shape ", t.shape(), " is empty");
  std::int64_t O = 1, I = 1;
  Shape out_shape;
  for (int d = 0; d < t.rank(); ++d) {
    if (d < axis) O *= t.shape()[d];
    if (d > axis) I *= t.shape()[d];
    if (d != axis) out_shape.push_back(t.shape()[d]);
    else if (keepdims) out_shape.push_back(1);
  }
  Tensor out(out_shape, DType::int64);
  std::int64_t* po = out.data<std::int64_t>();
  visit_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data<T>();
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t i = 0; i < I; ++i) {
        const T* base = p + o * R * I + i;
        std::int64_t best = 0;
        T bv = base[0];
        for (std::int64_t r = 1; r < R; ++r) {
          const T v = base[r * I];
          if constexpr (std::is_floating_point_v<T>) {
            if (std::isnan(bv)) break;
            if (std::isnan(v) || v > bv) bv = v, best = r;
          } else if (v > bv) {
            bv = v, best = r;
          }
        }
        po[o * I + i] = best;
      }
  });
  return out;
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int lead = grad.rank() - shape.rank();
  if (lead < 0) fail("sum_to: cannot reduce ", grad.shape(), " to ", shape);
  std::vector<std::int64_t> axes;
  for (int d = 0; d < grad.rank(); ++d) {
    const int sd = d - lead;
    if (sd < 0) axes.push_back(d);
    else if (shape[sd] == 1 && grad.shape()[d] != 1) axes.push_back(d);
    else if (shape[sd] != grad.shape()[d]) fail("sum_to: cannot reduce ", grad.shape(), " to ", shape);
  }
  if (axes.empty()) return view(grad, std::span<const std::int64_t>(shape.begin(), static_cast<std::size_t>(shape.rank())));
  Tensor s = reduce(ReduceOp::sum, grad, axes, true);
  return view(s, std::span<const std::int64_t>(shape.begin(), static_cast<std::size_t>(shape.rank())));
}

}  // namespace tg::core
