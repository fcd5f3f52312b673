#include "core/elementwise.hpp"

#include <cmath>
#include <cstring>
#include <iterator>
#include <utility>

#include "core/parallel.hpp"
#include "core/strided.hpp"

namespace tg::core {
namespace {

using kern::Binary;
using kern::Layout;
using kern::Unary;

// Elements per task: below this a thread costs more than it saves.
constexpr std::int64_t grain_elems = 32768;

const char* binary_name(Binary op) {
  static const char* names[] = {"add", "subtract", "multiply", "divide", "pow", "maximum", "minimum",
                                "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"};
  return names[static_cast<int>(op)];
}
const char* unary_name(Unary op) {
  static const char* names[] = {"negative", "exp",   "log", "sqrt", "square", "abs",      "relu", "sigmoid", "tanh",
                                "log1p",    "expm1", "sin", "cos",  "erf",    "softplus", "silu", "gelu",    "gelu_tanh"};
  static_assert(std::size(names) == static_cast<std::size_t>(Unary::count));
  return names[static_cast<int>(op)];
}

// Integer fallbacks (labels, indices): plain loops, no SIMD needed.
template <class T>
T int_binary(Binary op, T a, T b, const char* name) {
  switch (op) {
    case Binary::add: return a + b;
    case Binary::sub: return a - b;
    case Binary::mul: return a * b;
    case Binary::div:
      if (b == 0) fail(name, ": integer division by zero");
      return a / b;
    case Binary::maximum: return a < b ? b : a;
    case Binary::minimum: return b < a ? b : a;
    case Binary::eq: return a == b;
    case Binary::ne: return a != b;
    case Binary::lt: return a < b;
    case Binary::le: return a <= b;
    case Binary::gt: return a > b;
    case Binary::ge: return a >= b;
    case Binary::pow:
    case Binary::count: break;
  }
  fail(name, ": not supported for integer tensors");
}

template <class T>
void run_binary(Binary op, const Tensor& a, const Tensor& b, Tensor& out) {
  const auto s = detail::make_strided<2>(out.shape(), {&a.shape(), &b.shape()});
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  const std::int64_t inner = s.inner();
  if (s.rank <= 1) {  // same shape or scalar against tensor: split the one run into chunks
    const std::int64_t sa = s.rank ? s.stride[0][0] : 0, sb = s.rank ? s.stride[1][0] : 0;
    if constexpr (std::is_floating_point_v<T>) {
      const Layout layout = sa && sb ? Layout::vv : (sa ? Layout::vs : Layout::sv);
      auto fn = kern::table<T>().binary[static_cast<int>(op)][static_cast<int>(layout)];
      if (!sa && !sb) {
        fn(pa, pb, po, 1);
        for (std::int64_t i = 1; i < inner; ++i) po[i] = po[0];
        return;
      }
      parallel_for(0, inner, grain_elems, [&](std::int64_t lo, std::int64_t hi) {
        fn(pa + lo * sa, pb + lo * sb, po + lo, hi - lo);
      });
    } else {
      for (std::int64_t i = 0; i < inner; ++i) po[i] = int_binary<T>(op, pa[i * sa], pb[i * sb], binary_name(op));
    }
    return;
  }
  const std::int64_t sa = s.stride[0][static_cast<std::size_t>(s.rank - 1)];
  const std::int64_t sb = s.stride[1][static_cast<std::size_t>(s.rank - 1)];
  const std::int64_t rows = s.outer();
  parallel_for(0, rows, std::max<std::int64_t>(1, grain_elems / inner), [&](std::int64_t lo, std::int64_t hi) {
    std::array<std::int64_t, 2> off;
    for (std::int64_t r = lo; r < hi; ++r) {
      s.row_offsets(r, off);
      const T* ra = pa + off[0];
      const T* rb = pb + off[1];
      T* ro = po + r * inner;
      if constexpr (std::is_floating_point_v<T>) {
        const auto& row = kern::table<T>().binary[static_cast<int>(op)];
        if (sa && sb) row[static_cast<int>(Layout::vv)](ra, rb, ro, inner);
        else if (sb) row[static_cast<int>(Layout::sv)](ra, rb, ro, inner);
        else if (sa) row[static_cast<int>(Layout::vs)](ra, rb, ro, inner);
        else {
          row[static_cast<int>(Layout::vv)](ra, rb, ro, 1);
          for (std::int64_t i = 1; i < inner; ++i) ro[i] = ro[0];
        }
      } else {
        for (std::int64_t i = 0; i < inner; ++i) ro[i] = int_binary<T>(op, ra[i * sa], rb[i * sb], binary_name(op));
      }
    }
  });
}

// where's inner loop with each operand's stride, 0 (broadcast) or 1, known at compile time: both
// branches are loaded unconditionally, so the loop vectorises into a blend.
template <class C, class T, int SC, int SA, int SB>
void where_run(const C* c, const T* a, const T* b, T* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T x = a[i * SA], y = b[i * SB];
    out[i] = c[i * SC] != C(0) ? x : y;
  }
}
template <class C, class T>
using WhereFn = void (*)(const C*, const T*, const T*, T*, std::int64_t);
template <class C, class T, std::size_t... I>
constexpr std::array<WhereFn<C, T>, 8> where_runs(std::index_sequence<I...>) {
  return {&where_run<C, T, (I >> 2) & 1, (I >> 1) & 1, I & 1>...};
}

}  // namespace

Tensor scalar_like(const Tensor& t, double value) { return Tensor::scalar(value, t.dtype()); }

Tensor binary(Binary op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  if (a.dtype() != b.dtype())
    fail(name, ": dtype mismatch, ", dtype_name(a.dtype()), " ", a.shape(), " with ", dtype_name(b.dtype()), " ",
         b.shape());
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out(out_shape, a.dtype());
  if (out.numel() == 0) return out;
  visit_dtype(a.dtype(), [&](auto t) { run_binary<decltype(t)>(op, a, b, out); });
  return out;
}

Tensor unary(Unary op, const Tensor& a) {
  Tensor out(a.shape(), a.dtype());
  const std::int64_t n = a.numel();
  if (is_floating(a.dtype())) {
    visit_dtype(a.dtype(), [&](auto t) {
      using T = decltype(t);
      if constexpr (std::is_floating_point_v<T>) {
        auto fn = kern::table<T>().unary[static_cast<int>(op)];
        const T* pa = a.data<T>();
        T* po = out.data<T>();
        parallel_for(0, n, grain_elems, [&](std::int64_t lo, std::int64_t hi) { fn(pa + lo, po + lo, hi - lo); });
      }
    });
    return out;
  }
  visit_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_integral_v<T>) {
      const T* pa = a.data<T>();
      T* po = out.data<T>();
      for (std::int64_t i = 0; i < n; ++i) {
        switch (op) {
          case Unary::neg: po[i] = static_cast<T>(-pa[i]); break;
          case Unary::abs: po[i] = pa[i] < 0 ? static_cast<T>(-pa[i]) : pa[i]; break;
          case Unary::square: po[i] = static_cast<T>(pa[i] * pa[i]); break;
          case Unary::relu: po[i] = pa[i] < 0 ? T(0) : pa[i]; break;
          default:
            fail(unary_name(op), ": expected a float32 or float64 tensor, got ", dtype_name(a.dtype()), " ", a.shape());
        }
      }
    }
  });
  return out;
}

Tensor broadcast_to(const Tensor& t, const Shape& shape) {
  if (!(broadcast_shapes(t.shape(), shape, "broadcast_to") == shape))
    fail("broadcast_to: cannot broadcast ", t.shape(), " to ", shape);
  Tensor out(shape, t.dtype());
  if (out.numel() == 0) return out;
  const auto s = detail::make_strided<1>(shape, {&t.shape()});
  const std::size_t es = dtype_size(t.dtype());
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  const std::int64_t inner = s.inner(), rows = s.outer();
  const std::int64_t sin = s.rank ? s.stride[0][static_cast<std::size_t>(s.rank - 1)] : 0;
  std::array<std::int64_t, 1> off;
  for (std::int64_t r = 0; r < rows; ++r) {
    s.row_offsets(r, off);
    char* ro = dst + static_cast<std::size_t>(r * inner) * es;
    const char* ri = src + static_cast<std::size_t>(off[0]) * es;
    if (sin) {
      std::memcpy(ro, ri, static_cast<std::size_t>(inner) * es);
    } else {
      for (std::int64_t i = 0; i < inner; ++i) std::memcpy(ro + static_cast<std::size_t>(i) * es, ri, es);
    }
  }
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    fail("where: dtype mismatch, ", dtype_name(a.dtype()), " ", a.shape(), " with ", dtype_name(b.dtype()), " ",
         b.shape());
  const Shape ab = broadcast_shapes(a.shape(), b.shape(), "where");
  const Shape shape = broadcast_shapes(cond.shape(), ab, "where");
  Tensor out(shape, a.dtype());
  if (out.numel() == 0) return out;
  // Read in place through broadcast strides: no operand is materialised at the output's size.
  const auto s = detail::make_strided<3>(shape, {&cond.shape(), &a.shape(), &b.shape()});
  const std::int64_t inner = s.inner(), last = s.rank - 1;
  const std::int64_t sc = s.rank ? s.stride[0][static_cast<std::size_t>(last)] : 0;
  const std::int64_t sa = s.rank ? s.stride[1][static_cast<std::size_t>(last)] : 0;
  const std::int64_t sb = s.rank ? s.stride[2][static_cast<std::size_t>(last)] : 0;
  visit_dtype(cond.dtype(), [&](auto ctag) {
    using C = decltype(ctag);
    visit_dtype(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const C* pc = cond.data<C>();
      const T* pa = a.data<T>();
      const T* pb = b.data<T>();
      T* po = out.data<T>();
      static constexpr auto runs = where_runs<C, T>(std::make_index_sequence<8>{});
      const bool unit = sc <= 1 && sa <= 1 && sb <= 1;
      const WhereFn<C, T> run = unit ? runs[static_cast<std::size_t>(sc * 4 + sa * 2 + sb)] : nullptr;
      parallel_for(0, s.outer(), std::max<std::int64_t>(1, grain_elems / inner), [&](std::int64_t lo, std::int64_t hi) {
        std::array<std::int64_t, 3> off;
        for (std::int64_t r = lo; r < hi; ++r) {
          s.row_offsets(r, off);
          T* ro = po + r * inner;
          if (run) {
            run(pc + off[0], pa + off[1], pb + off[2], ro, inner);
            continue;
          }
          for (std::int64_t i = 0; i < inner; ++i)
            ro[i] = pc[off[0] + i * sc] != C(0) ? pa[off[1] + i * sa] : pb[off[2] + i * sb];
        }
      });
    });
  });
  return out;
}

void add_inplace(Tensor& dst, const Tensor& src) {
  if (!(dst.shape() == src.shape()) || dst.dtype() != src.dtype())
    fail("add_inplace: destination ", dtype_name(dst.dtype()), " ", dst.shape(), " and source ",
         dtype_name(src.dtype()), " ", src.shape(), " differ");
  const std::int64_t n = dst.numel();
  visit_dtype(dst.dtype(), [&](auto t) {
    using T = decltype(t);
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    if constexpr (std::is_floating_point_v<T>) {
      auto fn = kern::table<T>().add_into;
      parallel_for(0, n, grain_elems, [&](std::int64_t lo, std::int64_t hi) { fn(s + lo, d + lo, hi - lo); });
    } else {
      for (std::int64_t i = 0; i < n; ++i) d[i] += s[i];
    }
  });
}

void scale_inplace(Tensor& dst, double s) {
  const std::int64_t n = dst.numel();
  visit_dtype(dst.dtype(), [&](auto t) {
    using T = decltype(t);
    T* d = dst.data<T>();
    if constexpr (std::is_floating_point_v<T>) {
      kern::table<T>().scale(d, static_cast<T>(s), d, n);
    } else {
      for (std::int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(static_cast<double>(d[i]) * s);
    }
  });
}

std::pair<Tensor, Tensor> dropout(const Tensor& x, double rate, Generator& gen) {
  if (!is_floating(x.dtype())) fail("dropout: expected float32 or float64, got ", dtype_name(x.dtype()), " ", x.shape());
  if (!(rate >= 0 && rate < 1)) fail("dropout: rate must be in [0, 1), got ", rate);
  const std::int64_t n = x.numel();
  Tensor y(x.shape(), x.dtype()), keep(x.shape(), x.dtype());
  // next_double() < rate <=> (draw >> 11) < ceil(rate * 2^53): both sides are exact.
  const auto threshold = static_cast<std::uint64_t>(std::ceil(std::ldexp(rate, 53)));
  const std::uint64_t state = gen.seed_state();
  gen.discard(static_cast<std::uint64_t>(n));
  visit_dtype(x.dtype(), [&](auto t) {
    using T = decltype(t);
    if constexpr (std::is_floating_point_v<T>) {
      const auto fn = kern::table<T>().dropout;
      const T* xp = x.data<T>();
      T* yp = y.data<T>();
      T* kp = keep.data<T>();
      const T scale = static_cast<T>(1.0 / (1.0 - rate));
      parallel_for(0, n, grain_elems, [&](std::int64_t lo, std::int64_t hi) {
        fn(xp + lo, yp + lo, kp + lo, hi - lo, state, static_cast<std::uint64_t>(lo), threshold, scale);
      });
    }
  });
  return {std::move(y), std::move(keep)};
}

}  // namespace tg::core
