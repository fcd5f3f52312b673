#pragma once
/// \file
/// The geometry of a 2-D sliding window on channels-last data, shared by convolution and pooling.
#include <cstdint>

namespace tg::core {

/// Where the taps of a 2-D window fall: an [n, h, w, c] input, a kh x kw window with strides and
/// dilations, padding before (top, left), and the output size (which sets the padding after).
/// Output pixel (y, x), tap (i, j) reads input pixel (y*sh + i*dh - pt, x*sw + j*dw - pl); taps
/// outside the input read zeros (convolution) or are left out (pooling).
struct Window2D {
  std::int64_t n = 0, h = 0, w = 0, c = 0;
  std::int64_t kh = 1, kw = 1;
  std::int64_t sh = 1, sw = 1;
  std::int64_t dh = 1, dw = 1;
  std::int64_t pt = 0, pl = 0;
  std::int64_t oh = 0, ow = 0;
  std::int64_t pixels() const { return n * oh * ow; }  // output pixels over the batch
  std::int64_t taps() const { return kh * kw; }
  std::int64_t image() const { return h * w * c; }  // input elements per image
};

/// Walks output pixels in order from flat index m = (n * oh + y) * ow + x, without dividing per step.
struct PixelCursor {
  std::int64_t n = 0, y = 0, x = 0;
  PixelCursor(const Window2D& g, std::int64_t m) : oh_(g.oh), ow_(g.ow) {
    const std::int64_t per = g.oh * g.ow;
    n = m / per;
    y = (m % per) / g.ow;
    x = m % g.ow;
  }
  void next() {
    if (++x == ow_) {
      x = 0;
      if (++y == oh_) {
        y = 0;
        ++n;
      }
    }
  }

 private:
  std::int64_t oh_, ow_;
};

/// Calls f(t, offset) for each tap of output pixel (y, x) inside the input, in tap order
/// t = i * kw + j; offset is the input pixel's first element within its image.
template <class F>
inline void for_each_tap(const Window2D& g, std::int64_t y, std::int64_t x, F&& f) {
  const std::int64_t y0 = y * g.sh - g.pt, x0 = x * g.sw - g.pl;
  for (std::int64_t i = 0; i < g.kh; ++i) {
    const std::int64_t iy = y0 + i * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (std::int64_t j = 0; j < g.kw; ++j) {
      const std::int64_t ix = x0 + j * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      f(i * g.kw + j, (iy * g.w + ix) * g.c);
    }
  }
}

}  // namespace tg::core
