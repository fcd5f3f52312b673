#pragma once
// Window kernels for pooling and depthwise convolution on channels-last data (and the per-channel
// pass at a convolution's output): each call handles
// one output pixel, whose window taps are given as pointers to the first channel of each valid
// input pixel (taps in the padding are left out by the caller), and runs over the c channels with
// vectors. Compiled once per ISA (window_sse42.cpp, window_avx2.cpp, window_avx512.cpp from one
// body, window_impl.hpp) and picked at run time from active_isa(); callers in core/ handle
// geometry and threads.
#include <cstdint>

namespace tg::core::kern {

template <class T>
struct WindowTable {
  // y[i] = max over taps of xs[t][i]. Ties and NaN: the first tap holding the maximum wins (a
  // later tap replaces it only when strictly greater), as TensorFlow's MaxPool picks it.
  void (*max)(const T* const* xs, std::int64_t taps, T* y, std::int64_t c);
  // dxs[t*][i] += dy[i] for the tap t* that max() picked for channel i.
  void (*max_backward)(const T* const* xs, std::int64_t taps, const T* dy, T* const* dxs, std::int64_t c);
  // dxs[t][i] = (t == t*) ? dy[i] : 0 for every tap: max_backward for windows that do not
  // overlap, which writes each tap once and reads nothing back.
  void (*max_backward_store)(const T* const* xs, std::int64_t taps, const T* dy, T* const* dxs, std::int64_t c);
  // max() that also writes the tap it picked, arg[i] = t* (taps <= 255), for max_backward_arg.
  void (*max_arg)(const T* const* xs, std::int64_t taps, T* y, std::uint8_t* arg, std::int64_t c);
  // max_backward from the saved taps instead of x: dxs[t][i] = (or +=, unless store) dy[i] where
  // arg[i] == t, else 0 (or unchanged); store is for windows that do not overlap.
  void (*max_backward_arg)(const std::uint8_t* arg, std::int64_t taps, const T* dy, T* const* dxs, std::int64_t c,
                           bool store);
  // y[i] = ds[t*][i] for the tap t* that max() picked: the adjoint of max_backward in dy.
  void (*max_gather)(const T* const* xs, std::int64_t taps, const T* const* ds, T* y, std::int64_t c);
  // y[i] = scale * sum over taps of xs[t][i]
  void (*sum)(const T* const* xs, std::int64_t taps, T scale, T* y, std::int64_t c);
  // dxs[t][i] += scale * dy[i] for every tap
  void (*spread)(const T* dy, T scale, T* const* dxs, std::int64_t taps, std::int64_t c);
  // y[i] = (bias ? bias[i] : 0) + sum over taps of xs[t][i] * ws[t][i]
  void (*dot)(const T* const* xs, const T* const* ws, std::int64_t taps, const T* bias, T* y, std::int64_t c);
  // accs[t][i] += as[t][i] * b[i] for every tap
  void (*mul_acc)(const T* const* as, const T* b, T* const* accs, std::int64_t taps, std::int64_t c);
  // The gradient at a convolution's output, rows of c channels: out = g where y > 0, else 0 (a
  // fused relu; without y, out = g and is not written); sum[i] += out[r][i] over the rows when
  // sum is not null (the bias gradient).
  void (*output_grad)(const T* g, const T* y, T* out, T* sum, std::int64_t rows, std::int64_t c);
  // The same mask into a GEMM panel: dst[r * nr + j] = (y is null or y[r * ld + j] > 0) ?
  // g[r * ld + j] : 0 for j < n, and 0 for n <= j < nr.
  void (*mask_panel)(const T* g, const T* y, std::int64_t ld, std::int64_t rows, std::int64_t n, T* dst, std::int64_t nr);
};

// The table for the active ISA.
template <class T>
const WindowTable<T>& window_table();

// Per-ISA tables, defined in window_<isa>.cpp.
const WindowTable<float>& window_table_f32_sse42();
const WindowTable<double>& window_table_f64_sse42();
const WindowTable<float>& window_table_f32_avx2();
const WindowTable<double>& window_table_f64_avx2();
const WindowTable<float>& window_table_f32_avx512();
const WindowTable<double>& window_table_f64_avx512();

}  // namespace tg::core::kern
