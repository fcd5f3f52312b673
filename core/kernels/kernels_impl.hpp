// The body of every elementwise and reduction kernel, written once over xsimd::batch<T, Arch>.
// Included by kernels_<isa>.cpp with TG_ARCH and TG_ISA_NS defined; each ISA gets its own
// namespace so no function compiled for one ISA is ever linked into another's path.
#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>

#include "core/kernels/kernels.hpp"
#include "core/random.hpp"

namespace tg::core::kern::TG_ISA_NS {

using Arch = TG_ARCH;
template <class T>
using B = xsimd::batch<T, Arch>;

// Scalar and vector forms of each unary op, with identical NaN/Inf behaviour.
struct OpNeg {
  template <class V> static V f(const V& x) { return -x; }
};
struct OpExp {
  template <class T> static B<T> f(const B<T>& x) { return xsimd::exp(x); }
  static float f(float x) { return std::exp(x); }
  static double f(double x) { return std::exp(x); }
};
struct OpLog {
  template <class T> static B<T> f(const B<T>& x) { return xsimd::log(x); }
  static float f(float x) { return std::log(x); }
  static double f(double x) { return std::log(x); }
};
struct OpSqrt {
  template <class T> static B<T> f(const B<T>& x) { return xsimd::sqrt(x); }
  static float f(float x) { return std::sqrt(x); }
  static double f(double x) { return std::sqrt(x); }
};
struct OpSquare {
  template <class V> static V f(const V& x) { return x * x; }
};
struct OpAbs {
  template <class T> static B<T> f(const B<T>& x) { return xsimd::abs(x); }
  static float f(float x) { return std::fabs(x); }
  static double f(double x) { return std::fabs(x); }
};
struct OpRelu {  // x < 0 ? 0 : x keeps NaN as NaN
  template <class T> static B<T> f(const B<T>& x) { return xsimd::select(x < B<T>(T(0)), B<T>(T(0)), x); }
  template <class T> static T f(T x) { return x < T(0) ? T(0) : x; }
};
struct OpSigmoid {
  template <class T> static B<T> f(const B<T>& x) { return B<T>(T(1)) / (B<T>(T(1)) + xsimd::exp(-x)); }
  template <class T> static T f(T x) { return T(1) / (T(1) + std::exp(-x)); }
};
struct OpTanh {
  template <class T> static B<T> f(const B<T>& x) { return xsimd::tanh(x); }
  static float f(float x) { return std::tanh(x); }
  static double f(double x) { return std::tanh(x); }
};

// Vector-only ops (unary_loop runs the tail through the vector code too).
#define TG_XSIMD_UNARY(Name, fn) \
  struct Name {                  \
    template <class T> static B<T> f(const B<T>& x) { return xsimd::fn(x); } \
  };
TG_XSIMD_UNARY(OpLog1p, log1p)
TG_XSIMD_UNARY(OpExpm1, expm1)
TG_XSIMD_UNARY(OpSin, sin)
TG_XSIMD_UNARY(OpCos, cos)
TG_XSIMD_UNARY(OpErf, erf)
#undef TG_XSIMD_UNARY
struct OpSoftplus {  // max(x, 0) + log1p(exp(-|x|)): no overflow, exact for large |x|
  template <class T> static B<T> f(const B<T>& x) {
    return xsimd::select(x > B<T>(T(0)), x, B<T>(T(0))) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
  }
};
struct OpSilu {  // x * sigmoid(x)
  template <class T> static B<T> f(const B<T>& x) { return x / (B<T>(T(1)) + xsimd::exp(-x)); }
};
struct OpGelu {  // x Phi(x) = x/2 erfc(-x / sqrt 2): erfc keeps the negative tail's digits (1 + erf cancels)
  template <class T> static B<T> f(const B<T>& x) {
    return T(0.5) * x * xsimd::erfc(x * B<T>(T(-0.70710678118654752440)));
  }
};
struct OpGeluTanh {  // x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  template <class T> static B<T> f(const B<T>& x) {
    const B<T> u = T(0.79788456080286535588) * xsimd::fma(B<T>(T(0.044715)) * x, x * x, x);
    return T(0.5) * x * (B<T>(T(1)) + xsimd::tanh(u));
  }
};

// The last n < width elements go through the same vector code via a padded buffer, so an element's
// result never depends on where a chunk boundary falls (thread count) or on the tensor's length.
template <class T>
B<T> load_tail(const T* p, std::int64_t n, T pad) {
  alignas(64) T buf[B<T>::size];
  for (std::size_t i = 0; i < B<T>::size; ++i) buf[i] = static_cast<std::int64_t>(i) < n ? p[i] : pad;
  return B<T>::load_aligned(buf);
}
template <class T>
void store_tail(const B<T>& v, T* p, std::int64_t n) {
  alignas(64) T buf[B<T>::size];
  v.store_aligned(buf);
  for (std::int64_t i = 0; i < n; ++i) p[i] = buf[i];
}

template <class T, class Op>
void unary_loop(const T* a, T* out, std::int64_t n) {
  constexpr std::int64_t w = B<T>::size;
  std::int64_t i = 0;
  for (; i + w <= n; i += w) Op::f(B<T>::load_unaligned(a + i)).store_unaligned(out + i);
  if (i < n) store_tail(Op::f(load_tail(a + i, n - i, T(1))), out + i, n - i);
}

// Binary ops. NumPy semantics: maximum/minimum propagate NaN; comparisons give 1 or 0.
struct OpAdd {
  template <class V> static V f(const V& a, const V& b) { return a + b; }
};
struct OpSub {
  template <class V> static V f(const V& a, const V& b) { return a - b; }
};
struct OpMul {
  template <class V> static V f(const V& a, const V& b) { return a * b; }
};
struct OpDiv {
  template <class V> static V f(const V& a, const V& b) { return a / b; }
};
struct OpPow {
  template <class T> static B<T> f(const B<T>& a, const B<T>& b) { return xsimd::pow(a, b); }
  static float f(float a, float b) { return std::pow(a, b); }
  static double f(double a, double b) { return std::pow(a, b); }
};
struct OpMax {
  template <class T> static B<T> f(const B<T>& a, const B<T>& b) {
    return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::max(a, b));
  }
  template <class T> static T f(T a, T b) { return (std::isnan(a) || std::isnan(b)) ? a + b : (a < b ? b : a); }
};
struct OpMin {
  template <class T> static B<T> f(const B<T>& a, const B<T>& b) {
    return xsimd::select(xsimd::isnan(a) || xsimd::isnan(b), a + b, xsimd::min(a, b));
  }
  template <class T> static T f(T a, T b) { return (std::isnan(a) || std::isnan(b)) ? a + b : (b < a ? b : a); }
};
#define TG_CMP_OP(Name, op)                                                                   \
  struct Name {                                                                               \
    template <class T> static B<T> f(const B<T>& a, const B<T>& b) {                          \
      return xsimd::select(a op b, B<T>(T(1)), B<T>(T(0)));                                  \
    }                                                                                         \
    template <class T> static T f(T a, T b) { return (a op b) ? T(1) : T(0); }                \
  };
TG_CMP_OP(OpEq, ==)
struct OpNe {  // not (a == b): true for NaN, as IEEE and NumPy (xsimd's != is an ordered compare)
  template <class T> static B<T> f(const B<T>& a, const B<T>& b) { return xsimd::select(a == b, B<T>(T(0)), B<T>(T(1))); }
  template <class T> static T f(T a, T b) { return (a != b) ? T(1) : T(0); }
};
TG_CMP_OP(OpLt, <)
TG_CMP_OP(OpLe, <=)
TG_CMP_OP(OpGt, >)
TG_CMP_OP(OpGe, >=)
#undef TG_CMP_OP

template <class T, class Op>
void binary_vv(const T* a, const T* b, T* out, std::int64_t n) {
  constexpr std::int64_t w = B<T>::size;
  std::int64_t i = 0;
  for (; i + w <= n; i += w) Op::f(B<T>::load_unaligned(a + i), B<T>::load_unaligned(b + i)).store_unaligned(out + i);
  if (i < n) store_tail(Op::f(load_tail(a + i, n - i, T(1)), load_tail(b + i, n - i, T(1))), out + i, n - i);
}
template <class T, class Op>
void binary_sv(const T* a, const T* b, T* out, std::int64_t n) {
  constexpr std::int64_t w = B<T>::size;
  const T s = a[0];
  const B<T> vs(s);
  std::int64_t i = 0;
  for (; i + w <= n; i += w) Op::f(vs, B<T>::load_unaligned(b + i)).store_unaligned(out + i);
  if (i < n) store_tail(Op::f(vs, load_tail(b + i, n - i, T(1))), out + i, n - i);
}
template <class T, class Op>
void binary_vs(const T* a, const T* b, T* out, std::int64_t n) {
  constexpr std::int64_t w = B<T>::size;
  const T s = b[0];
  const B<T> vs(s);
  std::int64_t i = 0;
  for (; i + w <= n; i += w) Op::f(B<T>::load_unaligned(a + i), vs).store_unaligned(out + i);
  if (i < n) store_tail(Op::f(load_tail(a + i, n - i, T(1)), vs), out + i, n - i);
}

template <class T>
T hmax(const B<T>& v) {
  alignas(64) T buf[B<T>::size];
  v.store_aligned(buf);
  T m = buf[0];
  for (std::size_t i = 1; i < B<T>::size; ++i) m = OpMax::f(m, buf[i]);
  return m;
}
template <class T>
T hmin(const B<T>& v) {
  alignas(64) T buf[B<T>::size];
  v.store_aligned(buf);
  T m = buf[0];
  for (std::size_t i = 1; i < B<T>::size; ++i) m = OpMin::f(m, buf[i]);
  return m;
}

// Four accumulators hide the FMA/add latency.
template <class T>
T sum(const T* a, std::int64_t n) {
  constexpr std::int64_t w = B<T>::size;
  B<T> s0(T(0)), s1(T(0)), s2(T(0)), s3(T(0));
  std::int64_t i = 0;
  for (; i + 4 * w <= n; i += 4 * w) {
    s0 += B<T>::load_unaligned(a + i);
    s1 += B<T>::load_unaligned(a + i + w);
    s2 += B<T>::load_unaligned(a + i + 2 * w);
    s3 += B<T>::load_unaligned(a + i + 3 * w);
  }
  for (; i + w <= n; i += w) s0 += B<T>::load_unaligned(a + i);
  T s = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) s += a[i];
  return s;
}
template <class T, class Op>
T extreme(const T* a, std::int64_t n, T init, T (*horizontal)(const B<T>&)) {
  constexpr std::int64_t w = B<T>::size;
  std::int64_t i = 0;
  T m = init;
  if (n >= w) {
    B<T> acc = B<T>::load_unaligned(a);
    for (i = w; i + w <= n; i += w) acc = Op::f(acc, B<T>::load_unaligned(a + i));
    m = horizontal(acc);
  }
  for (; i < n; ++i) m = Op::f(m, a[i]);
  return m;
}
template <class T>
T max(const T* a, std::int64_t n) { return extreme<T, OpMax>(a, n, -std::numeric_limits<T>::infinity(), &hmax<T>); }
template <class T>
T min(const T* a, std::int64_t n) { return extreme<T, OpMin>(a, n, std::numeric_limits<T>::infinity(), &hmin<T>); }

template <class T, class Op>
void accumulate(const T* a, T* acc, std::int64_t n) { binary_vv<T, Op>(acc, a, acc, n); }

template <class T>
void scale(const T* a, T s, T* out, std::int64_t n) { binary_vs<T, OpMul>(a, &s, out, n); }

template <class T>
void axpy(T alpha, const T* x, T* y, std::int64_t n) {
  constexpr std::int64_t w = B<T>::size;
  const B<T> va(alpha);
  std::int64_t i = 0;
  for (; i + w <= n; i += w) xsimd::fma(va, B<T>::load_unaligned(x + i), B<T>::load_unaligned(y + i)).store_unaligned(y + i);
  if (i < n) store_tail(xsimd::fma(va, load_tail(x + i, n - i, T(0)), load_tail(y + i, n - i, T(0))), y + i, n - i);
}

// softmax(x) = exp(x - max) / sum(exp(x - max)); a row of -inf or NaN gives NaN, as in numpy.
template <class T>
void softmax_row(const T* x, T* out, std::int64_t n) {
  const T m = max(x, n);
  constexpr std::int64_t w = B<T>::size;
  const B<T> vm(m);
  B<T> vs(T(0));
  std::int64_t i = 0;
  for (; i + w <= n; i += w) {
    const B<T> e = xsimd::exp(B<T>::load_unaligned(x + i) - vm);
    e.store_unaligned(out + i);
    vs += e;
  }
  if (i < n) {
    const B<T> e = xsimd::exp(load_tail(x + i, n - i, -std::numeric_limits<T>::infinity()) - vm);
    store_tail(e, out + i, n - i);
    vs += e;
  }
  const T s = xsimd::hadd(vs);
  scale(out, T(1) / s, out, n);
}
// log_softmax(x) = x - max - log(sum(exp(x - max)))
template <class T>
void log_softmax_row(const T* x, T* out, std::int64_t n) {
  const T m = max(x, n);
  constexpr std::int64_t w = B<T>::size;
  const B<T> vm(m);
  B<T> vs(T(0));
  std::int64_t i = 0;
  for (; i + w <= n; i += w) vs += xsimd::exp(B<T>::load_unaligned(x + i) - vm);
  if (i < n) vs += xsimd::exp(load_tail(x + i, n - i, -std::numeric_limits<T>::infinity()) - vm);
  const T s = xsimd::hadd(vs);
  const T shift = m + std::log(s);
  binary_vs<T, OpSub>(x, &shift, out, n);
}

// A plain loop on purpose: compiled with each ISA's flags, GCC vectorises the 64-bit multiplies of
// SplitMix64 (vpmullq with AVX-512DQ), which xsimd 8.1 has no portable batch operation for.
template <class T>
void dropout(const T* x, T* y, T* keep, std::int64_t n, std::uint64_t state, std::uint64_t first,
             std::uint64_t threshold, T scale) {
  const std::uint64_t base = state + (first + 1) * splitmix64_step;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint64_t draw = splitmix64_mix(base + static_cast<std::uint64_t>(i) * splitmix64_step);
    const T k = (draw >> 11) >= threshold ? scale : T(0);
    keep[i] = k;
    y[i] = x[i] * k;  // not a select: a NaN or inf input stays visible, as in Keras
  }
}

template <class T>
Table<T> make_table() {
  Table<T> t{};
  auto u = [&](Unary op, typename Table<T>::UnaryFn f) { t.unary[static_cast<int>(op)] = f; };
  u(Unary::neg, &unary_loop<T, OpNeg>);
  u(Unary::exp, &unary_loop<T, OpExp>);
  u(Unary::log, &unary_loop<T, OpLog>);
  u(Unary::sqrt, &unary_loop<T, OpSqrt>);
  u(Unary::square, &unary_loop<T, OpSquare>);
  u(Unary::abs, &unary_loop<T, OpAbs>);
  u(Unary::relu, &unary_loop<T, OpRelu>);
  u(Unary::sigmoid, &unary_loop<T, OpSigmoid>);
  u(Unary::tanh, &unary_loop<T, OpTanh>);
  u(Unary::log1p, &unary_loop<T, OpLog1p>);
  u(Unary::expm1, &unary_loop<T, OpExpm1>);
  u(Unary::sin, &unary_loop<T, OpSin>);
  u(Unary::cos, &unary_loop<T, OpCos>);
  u(Unary::erf, &unary_loop<T, OpErf>);
  u(Unary::softplus, &unary_loop<T, OpSoftplus>);
  u(Unary::silu, &unary_loop<T, OpSilu>);
  u(Unary::gelu, &unary_loop<T, OpGelu>);
  u(Unary::gelu_tanh, &unary_loop<T, OpGeluTanh>);
  auto b = [&]<class Op>(Binary op, Op) {
    auto& row = t.binary[static_cast<int>(op)];
    row[static_cast<int>(Layout::vv)] = &binary_vv<T, Op>;
    row[static_cast<int>(Layout::sv)] = &binary_sv<T, Op>;
    row[static_cast<int>(Layout::vs)] = &binary_vs<T, Op>;
  };
  b(Binary::add, OpAdd{});
  b(Binary::sub, OpSub{});
  b(Binary::mul, OpMul{});
  b(Binary::div, OpDiv{});
  b(Binary::pow, OpPow{});
  b(Binary::maximum, OpMax{});
  b(Binary::minimum, OpMin{});
  b(Binary::eq, OpEq{});
  b(Binary::ne, OpNe{});
  b(Binary::lt, OpLt{});
  b(Binary::le, OpLe{});
  b(Binary::gt, OpGt{});
  b(Binary::ge, OpGe{});
  t.sum = &sum<T>;
  t.max = &max<T>;
  t.min = &min<T>;
  t.add_into = &accumulate<T, OpAdd>;
  t.max_into = &accumulate<T, OpMax>;
  t.min_into = &accumulate<T, OpMin>;
  t.softmax_row = &softmax_row<T>;
  t.log_softmax_row = &log_softmax_row<T>;
  t.scale = &scale<T>;
  t.axpy = &axpy<T>;
  t.dropout = &dropout<T>;
  return t;
}

}  // namespace tg::core::kern::TG_ISA_NS
