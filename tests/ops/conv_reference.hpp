#pragma once
// Naive reference loops for convolution tests: every output element as an explicit sum in double,
// straight from the definition (output pixel (y, x), tap (i, j) reads input pixel
// (y*sh + i*dh - pt, x*sw + j*dw - pl), zero outside).
#include <cstdint>
#include <vector>

#include "core/window2d.hpp"

namespace tg::test {

inline bool tap_inside(const core::Window2D& g, std::int64_t y, std::int64_t x, std::int64_t i, std::int64_t j,
                       std::int64_t& iy, std::int64_t& ix) {
  iy = y * g.sh + i * g.dh - g.pt;
  ix = x * g.sw + j * g.dw - g.pl;
  return iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
}

// x [n, h, w, c], k [kh, kw, c, out] -> [n, oh, ow, out]
inline std::vector<double> naive_conv2d(const std::vector<double>& x, const std::vector<double>& k,
                                        const std::vector<double>& bias, const core::Window2D& g, std::int64_t out,
                                        bool relu = false) {
  std::vector<double> y(static_cast<std::size_t>(g.n * g.oh * g.ow * out));
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t oy = 0; oy < g.oh; ++oy)
      for (std::int64_t ox = 0; ox < g.ow; ++ox)
        for (std::int64_t o = 0; o < out; ++o) {
          double s = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(o)];
          for (std::int64_t i = 0; i < g.kh; ++i)
            for (std::int64_t j = 0; j < g.kw; ++j) {
              std::int64_t iy, ix;
              if (!tap_inside(g, oy, ox, i, j, iy, ix)) continue;
              for (std::int64_t ci = 0; ci < g.c; ++ci)
                s += x[static_cast<std::size_t>(((n * g.h + iy) * g.w + ix) * g.c + ci)] *
                     k[static_cast<std::size_t>(((i * g.kw + j) * g.c + ci) * out + o)];
            }
          y[static_cast<std::size_t>(((n * g.oh + oy) * g.ow + ox) * out + o)] = relu && s < 0 ? 0.0 : s;
        }
  return y;
}

// dy [n, oh, ow, out], k -> dx [n, h, w, c]
inline std::vector<double> naive_conv2d_input_grad(const std::vector<double>& dy, const std::vector<double>& k,
                                                   const core::Window2D& g, std::int64_t out) {
  std::vector<double> dx(static_cast<std::size_t>(g.n * g.h * g.w * g.c), 0.0);
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t oy = 0; oy < g.oh; ++oy)
      for (std::int64_t ox = 0; ox < g.ow; ++ox)
        for (std::int64_t i = 0; i < g.kh; ++i)
          for (std::int64_t j = 0; j < g.kw; ++j) {
            std::int64_t iy, ix;
            if (!tap_inside(g, oy, ox, i, j, iy, ix)) continue;
            for (std::int64_t ci = 0; ci < g.c; ++ci)
              for (std::int64_t o = 0; o < out; ++o)
                dx[static_cast<std::size_t>(((n * g.h + iy) * g.w + ix) * g.c + ci)] +=
                    dy[static_cast<std::size_t>(((n * g.oh + oy) * g.ow + ox) * out + o)] *
                    k[static_cast<std::size_t>(((i * g.kw + j) * g.c + ci) * out + o)];
          }
  return dx;
}

// x, dy -> dk [kh, kw, c, out]
inline std::vector<double> naive_conv2d_kernel_grad(const std::vector<double>& x, const std::vector<double>& dy,
                                                    const core::Window2D& g, std::int64_t out) {
  std::vector<double> dk(static_cast<std::size_t>(g.kh * g.kw * g.c * out), 0.0);
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t oy = 0; oy < g.oh; ++oy)
      for (std::int64_t ox = 0; ox < g.ow; ++ox)
        for (std::int64_t i = 0; i < g.kh; ++i)
          for (std::int64_t j = 0; j < g.kw; ++j) {
            std::int64_t iy, ix;
            if (!tap_inside(g, oy, ox, i, j, iy, ix)) continue;
            for (std::int64_t ci = 0; ci < g.c; ++ci)
              for (std::int64_t o = 0; o < out; ++o)
                dk[static_cast<std::size_t>(((i * g.kw + j) * g.c + ci) * out + o)] +=
                    x[static_cast<std::size_t>(((n * g.h + iy) * g.w + ix) * g.c + ci)] *
                    dy[static_cast<std::size_t>(((n * g.oh + oy) * g.ow + ox) * out + o)];
          }
  return dk;
}

// The dense kernel [kh, kw, c, c*m] a depthwise kernel [kh, kw, c, m] stands for (block diagonal):
// a depthwise convolution is this ordinary convolution.
inline std::vector<double> depthwise_as_dense(const std::vector<double>& k, std::int64_t taps, std::int64_t c,
                                              std::int64_t m) {
  std::vector<double> d(static_cast<std::size_t>(taps * c * c * m), 0.0);
  for (std::int64_t t = 0; t < taps; ++t)
    for (std::int64_t ci = 0; ci < c; ++ci)
      for (std::int64_t j = 0; j < m; ++j)
        d[static_cast<std::size_t>((t * c + ci) * c * m + ci * m + j)] = k[static_cast<std::size_t>((t * c + ci) * m + j)];
  return d;
}

}  // namespace tg::test
