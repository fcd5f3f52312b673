// Depthwise convolution: direct kernels over channels (core/kernels/window.hpp), one output pixel
// per call. A multiplier m > 1 runs as m = 1 over an input with each channel repeated m times
// (output channel ci*m + j reads input channel ci), whose kernel [kh, kw, c, m] is already laid out
// as [kh, kw, c*m].
#include <algorithm>
#include <vector>

#include "core/conv.hpp"
#include "core/kernels/window.hpp"
#include "core/parallel.hpp"

namespace tg::core {
namespace {

// Each channel of x [pixels, c] repeated m times: [pixels, c*m].
template <class T>
std::vector<T> repeat_channels(const T* x, std::int64_t pixels, std::int64_t c, std::int64_t m) {
  std::vector<T> out(static_cast<std::size_t>(pixels * c * m));
  T* o = out.data();
  for (std::int64_t p = 0; p < pixels * c; ++p)
    for (std::int64_t j = 0; j < m; ++j) *o++ = x[p];
  return out;
}

// The taps of one output pixel as pointers into an image and into a [taps, c] array.
template <class P, class Q>
struct TapPointers {
  std::vector<P> a;
  std::vector<Q> b;
  std::int64_t count = 0;
  void reset(std::int64_t taps) {
    a.resize(static_cast<std::size_t>(taps));
    b.resize(static_cast<std::size_t>(taps));
    count = 0;
  }
  void add(P p, Q q) {
    a[static_cast<std::size_t>(count)] = p;
    b[static_cast<std::size_t>(count)] = q;
    ++count;
  }
};

constexpr std::int64_t pixel_grain = 256;
constexpr std::int64_t group_work = std::int64_t{1} << 20;
constexpr std::int64_t max_groups = 64;

// g.c is the (repeated) channel count here; x is [n, h, w, c], w is [taps, c].
template <class T>
void forward(const Window2D& g, const T* x, const T* w, const T* bias, T* y) {
  const auto& k = kern::window_table<T>();
  parallel_for(0, g.pixels(), pixel_grain, [&](std::int64_t b, std::int64_t e) {
    TapPointers<const T*, const T*> taps;
    PixelCursor px(g, b);
    for (std::int64_t p = b; p < e; ++p, px.next()) {
      taps.reset(g.taps());
      const T* img = x + px.n * g.image();
      for_each_tap(g, px.y, px.x, [&](std::int64_t t, std::int64_t off) { taps.add(img + off, w + t * g.c); });
      k.dot(taps.a.data(), taps.b.data(), taps.count, bias, y + p * g.c, g.c);
    }
  });
}

template <class T>
void backward_input(const Window2D& g, const T* dy, const T* w, T* dx) {
  const auto& k = kern::window_table<T>();
  std::fill_n(dx, g.n * g.image(), T(0));
  const std::int64_t per = g.oh * g.ow;
  // Whole images per thread: an image's dx is summed in pixel order by one thread.
  parallel_for(0, g.n, std::max<std::int64_t>(1, pixel_grain / std::max<std::int64_t>(per, 1)), [&](std::int64_t b, std::int64_t e) {
    TapPointers<const T*, T*> taps;
    PixelCursor px(g, b * per);
    for (std::int64_t p = b * per; p < e * per; ++p, px.next()) {
      taps.reset(g.taps());
      T* img = dx + px.n * g.image();
      for_each_tap(g, px.y, px.x, [&](std::int64_t t, std::int64_t off) { taps.add(w + t * g.c, img + off); });
      k.mul_acc(taps.a.data(), dy + p * g.c, taps.b.data(), taps.count, g.c);
    }
  });
}

// Sums over every pixel: fixed groups of images, each into its own buffer, added in order (the
// same bits for any thread count; see core/conv.cpp).
template <class T>
void backward_kernel(const Window2D& g, const T* x, const T* dy, T* dw) {
  const auto& k = kern::window_table<T>();
  const std::int64_t size = g.taps() * g.c, per = g.oh * g.ow;
  const std::int64_t work = size * g.pixels();
  const std::int64_t groups = g.n == 0 ? 1 : std::clamp<std::int64_t>((work + group_work - 1) / group_work, 1, std::min(g.n, max_groups));
  std::vector<T> parts(static_cast<std::size_t>(groups * size), T(0));
  parallel_for(0, groups, 1, [&](std::int64_t b, std::int64_t e) {
    TapPointers<const T*, T*> taps;
    for (std::int64_t q = b; q < e; ++q) {
      T* acc = parts.data() + q * size;
      const std::int64_t p0 = g.n * q / groups * per, p1 = g.n * (q + 1) / groups * per;
      PixelCursor px(g, p0);
      for (std::int64_t p = p0; p < p1; ++p, px.next()) {
        taps.reset(g.taps());
        const T* img = x + px.n * g.image();
        for_each_tap(g, px.y, px.x, [&](std::int64_t t, std::int64_t off) { taps.add(img + off, acc + t * g.c); });
        k.mul_acc(taps.a.data(), dy + p * g.c, taps.b.data(), taps.count, g.c);
      }
    }
  });
  for (std::int64_t i = 0; i < size; ++i) {
    T s = parts[static_cast<std::size_t>(i)];
    for (std::int64_t q = 1; q < groups; ++q) s += parts[static_cast<std::size_t>(q * size + i)];
    dw[i] = s;
  }
}

void check_float(const Tensor& t, const char* op) {
  if (t.dtype() != DType::float32 && t.dtype() != DType::float64)
    fail(op, ": expected float32 or float64, got ", dtype_name(t.dtype()), " ", t.shape());
}

// The geometry over repeated channels.
Window2D repeated(Window2D g, std::int64_t m) {
  g.c *= m;
  return g;
}

}  // namespace

Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Window2D& g) {
  check_float(x, "depthwise_conv2d");
  const std::int64_t m = kernel.dim(3);
  Tensor y(Shape{g.n, g.oh, g.ow, g.c * m}, x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* b = bias.defined() ? bias.data<T>() : nullptr;
      if (m == 1) return forward<T>(g, x.data<T>(), kernel.data<T>(), b, y.data<T>());
      const std::vector<T> xr = repeat_channels(x.data<T>(), g.n * g.h * g.w, g.c, m);
      forward<T>(repeated(g, m), xr.data(), kernel.data<T>(), b, y.data<T>());
    }
  });
  return y;
}

Tensor depthwise_conv2d_backward_input(const Tensor& dy, const Tensor& kernel, const Window2D& g) {
  check_float(dy, "depthwise_conv2d_backward_input");
  const std::int64_t m = kernel.dim(3);
  Tensor dx(Shape{g.n, g.h, g.w, g.c}, dy.dtype());
  visit_dtype(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      if (m == 1) return backward_input<T>(g, dy.data<T>(), kernel.data<T>(), dx.data<T>());
      // The gradient of the repeated input, then summed over each channel's m copies.
      std::vector<T> dxr(static_cast<std::size_t>(g.n * g.image() * m));
      backward_input<T>(repeated(g, m), dy.data<T>(), kernel.data<T>(), dxr.data());
      T* o = dx.data<T>();
      for (std::int64_t p = 0; p < g.n * g.image(); ++p) {
        T s = 0;
        for (std::int64_t j = 0; j < m; ++j) s += dxr[static_cast<std::size_t>(p * m + j)];
        o[p] = s;
      }
    }
  });
  return dx;
}

Tensor depthwise_conv2d_backward_kernel(const Tensor& x, const Tensor& dy, const Window2D& g, std::int64_t m) {
  check_float(x, "depthwise_conv2d_backward_kernel");
  Tensor dw(Shape{g.kh, g.kw, g.c, m}, x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      if (m == 1) return backward_kernel<T>(g, x.data<T>(), dy.data<T>(), dw.data<T>());
      const std::vector<T> xr = repeat_channels(x.data<T>(), g.n * g.h * g.w, g.c, m);
      backward_kernel<T>(repeated(g, m), xr.data(), dy.data<T>(), dw.data<T>());
    }
  });
  return dw;
}

}  // namespace tg::core
