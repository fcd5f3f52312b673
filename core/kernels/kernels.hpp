#pragma once
// Contiguous inner loops, compiled once per ISA (kernels_sse42.cpp, kernels_avx2.cpp,
// kernels_avx512.cpp from one body, kernels_impl.hpp) and picked at run time from active_isa().
// Callers in core/ handle shapes, broadcasting and threads; these only see pointers and counts.
#include <cstdint>

namespace tg::core::kern {

enum class Unary : int {
  neg, exp, log, sqrt, square, abs, relu, sigmoid, tanh,
  log1p, expm1, sin, cos, erf, softplus, silu, gelu, gelu_tanh,
  count
};
enum class Binary : int { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, count };
// Operand layout of a binary inner loop: both vectors, a broadcast scalar on the left or right.
enum class Layout : int { vv, sv, vs, count };

template <class T>
struct Table {
  using UnaryFn = void (*)(const T* a, T* out, std::int64_t n);
  using BinaryFn = void (*)(const T* a, const T* b, T* out, std::int64_t n);
  using ReduceFn = T (*)(const T* a, std::int64_t n);
  using AccumFn = void (*)(const T* a, T* acc, std::int64_t n);

  UnaryFn unary[static_cast<int>(Unary::count)];
  BinaryFn binary[static_cast<int>(Binary::count)][static_cast<int>(Layout::count)];
  ReduceFn sum, max, min;
  AccumFn add_into, max_into, min_into;  // acc[i] = acc[i] (+|max|min) a[i]
  // Row-wise softmax / log-softmax of one row of length n (max subtracted first).
  void (*softmax_row)(const T* x, T* out, std::int64_t n);
  void (*log_softmax_row)(const T* x, T* out, std::int64_t n);
  // out[i] = a[i] * s
  void (*scale)(const T* a, T s, T* out, std::int64_t n);
  // y[i] += alpha * x[i]
  void (*axpy)(T alpha, const T* x, T* y, std::int64_t n);
  // Inverted dropout of n elements whose first is element `first` of the tensor: element j is
  // dropped when SplitMix64 draw j + 1 from `state` (core/random.hpp), shifted right by 11, is
  // below `threshold`; keep[i] = dropped ? 0 : scale and y[i] = x[i] * keep[i].
  void (*dropout)(const T* x, T* y, T* keep, std::int64_t n, std::uint64_t state, std::uint64_t first,
                  std::uint64_t threshold, T scale);
};

// The table for the active ISA.
template <class T>
const Table<T>& table();

// Per-ISA tables, defined in kernels_<isa>.cpp.
const Table<float>& table_f32_sse42();
const Table<double>& table_f64_sse42();
const Table<float>& table_f32_avx2();
const Table<double>& table_f64_avx2();
const Table<float>& table_f32_avx512();
const Table<double>& table_f64_avx512();

}  // namespace tg::core::kern
