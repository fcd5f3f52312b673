// Per-channel loops over [outer, c, inner]. Channels-last (inner = 1) runs along rows of c, where
// the compiler vectorises the channel loop; otherwise along runs of `inner` with one channel's
// constants.
#include "core/normalization.hpp"

#include <algorithm>
#include <vector>

#include "core/parallel.hpp"

namespace tg::core {
namespace {

struct Layout {
  std::int64_t outer = 1, c = 1, inner = 1;
};

Layout layout(const Shape& s, int axis) {
  Layout l;
  for (int d = 0; d < axis; ++d) l.outer *= s[d];
  l.c = s[axis];
  for (int d = axis + 1; d < s.rank(); ++d) l.inner *= s[d];
  return l;
}

// Rows of `outer` per reduction group: about 32K elements each. Fixed by the shape alone.
std::int64_t group_rows(const Layout& l) {
  return std::max<std::int64_t>(1, (std::int64_t{1} << 15) / std::max<std::int64_t>(1, l.c * l.inner));
}

// Sums f(row pointer(s)) into per-channel accumulators: acc[c] += term(o, c, i) over o and i,
// in fixed groups of rows added in order.
template <class T, class Term>
void reduce_channels(const Layout& l, T* out, Term&& term) {
  const std::int64_t rows = group_rows(l);
  const std::int64_t groups = std::max<std::int64_t>(1, (l.outer + rows - 1) / rows);
  std::vector<T> parts(static_cast<std::size_t>(groups * l.c), T(0));
  parallel_for(0, groups, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t q = b; q < e; ++q) {
      T* acc = parts.data() + q * l.c;
      for (std::int64_t o = q * rows; o < std::min(l.outer, (q + 1) * rows); ++o) {
        if (l.inner == 1) {
          for (std::int64_t ch = 0; ch < l.c; ++ch) acc[ch] += term(o * l.c + ch, ch);
        } else {
          for (std::int64_t ch = 0; ch < l.c; ++ch) {
            T s = 0;
            const std::int64_t base = (o * l.c + ch) * l.inner;
            for (std::int64_t i = 0; i < l.inner; ++i) s += term(base + i, ch);
            acc[ch] += s;
          }
        }
      }
    }
  });
  for (std::int64_t ch = 0; ch < l.c; ++ch) {
    T s = parts[static_cast<std::size_t>(ch)];
    for (std::int64_t q = 1; q < groups; ++q) s += parts[static_cast<std::size_t>(q * l.c + ch)];
    out[ch] = s;
  }
}

// out[k] = f(k, channel of k) over the whole tensor, rows split over threads.
template <class T, class F>
void map_channels(const Layout& l, T* out, F&& f) {
  const std::int64_t grain = std::max<std::int64_t>(1, (std::int64_t{1} << 14) / std::max<std::int64_t>(1, l.c * l.inner));
  parallel_for(0, l.outer, grain, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t o = b; o < e; ++o) {
      if (l.inner == 1) {
        for (std::int64_t ch = 0; ch < l.c; ++ch) out[o * l.c + ch] = f(o * l.c + ch, ch);
      } else {
        for (std::int64_t ch = 0; ch < l.c; ++ch) {
          const std::int64_t base = (o * l.c + ch) * l.inner;
          for (std::int64_t i = 0; i < l.inner; ++i) out[base + i] = f(base + i, ch);
        }
      }
    }
  });
}

template <class F>
void visit_float(const Tensor& t, const char* op, F&& f) {
  if (t.dtype() == DType::float32) return f(float{});
  if (t.dtype() == DType::float64) return f(double{});
  fail(op, ": expected float32 or float64, got ", dtype_name(t.dtype()), " ", t.shape());
}

}  // namespace

void channel_moments(const Tensor& x, int axis, Tensor& mean, Tensor& variance) {
  const Layout l = layout(x.shape(), axis);
  mean = Tensor(Shape{l.c}, x.dtype());
  variance = Tensor(Shape{l.c}, x.dtype());
  visit_float(x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* m = mean.data<T>();
    T* v = variance.data<T>();
    const T count = static_cast<T>(l.outer * l.inner);
    reduce_channels<T>(l, m, [&](std::int64_t k, std::int64_t) { return px[k]; });
    for (std::int64_t ch = 0; ch < l.c; ++ch) m[ch] /= count;
    reduce_channels<T>(l, v, [&](std::int64_t k, std::int64_t ch) {
      const T d = px[k] - m[ch];
      return d * d;
    });
    for (std::int64_t ch = 0; ch < l.c; ++ch) v[ch] /= count;
  });
}

Tensor channel_affine(const Tensor& x, int axis, const Tensor& scale, const Tensor& shift) {
  const Layout l = layout(x.shape(), axis);
  Tensor y(x.shape(), x.dtype());
  visit_float(x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    const T* s = scale.data<T>();
    const T* t = shift.data<T>();
    map_channels<T>(l, y.data<T>(), [&](std::int64_t k, std::int64_t ch) { return px[k] * s[ch] + t[ch]; });
  });
  return y;
}

void channel_grad_sums(const Tensor& g, const Tensor& x, int axis, const Tensor& mean, Tensor& sum_g, Tensor& sum_gxc) {
  const Layout l = layout(x.shape(), axis);
  sum_g = Tensor(Shape{l.c}, x.dtype());
  sum_gxc = Tensor(Shape{l.c}, x.dtype());
  visit_float(x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    const T* m = mean.data<T>();
    reduce_channels<T>(l, sum_g.data<T>(), [&](std::int64_t k, std::int64_t) { return pg[k]; });
    reduce_channels<T>(l, sum_gxc.data<T>(), [&](std::int64_t k, std::int64_t ch) { return pg[k] * (px[k] - m[ch]); });
  });
}

Tensor channel_affine2(const Tensor& g, const Tensor& x, int axis, const Tensor& a, const Tensor& b, const Tensor& d) {
  const Layout l = layout(x.shape(), axis);
  Tensor y(x.shape(), x.dtype());
  visit_float(x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const T* px = x.data<T>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const T* pd = d.data<T>();
    map_channels<T>(l, y.data<T>(), [&](std::int64_t k, std::int64_t ch) { return pa[ch] * pg[k] + pb[ch] * px[k] + pd[ch]; });
  });
  return y;
}

}  // namespace tg::core
