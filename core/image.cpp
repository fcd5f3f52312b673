// Copies and small stencils along rows of channels; threads split images (or output rows).
#include "core/image.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.hpp"

namespace tg::core {
namespace {

template <class F>
void visit_float(const Tensor& t, const char* op, F&& f) {
  if (t.dtype() == DType::float32) return f(float{});
  if (t.dtype() == DType::float64) return f(double{});
  fail(op, ": expected float32 or float64, got ", dtype_name(t.dtype()), " ", t.shape());
}

std::int64_t row_grain(std::int64_t row_elems) {
  return std::max<std::int64_t>(1, (std::int64_t{1} << 14) / std::max<std::int64_t>(1, row_elems));
}

// Copies the [h, w] window of images of `src` starting at (sy, sx) to `dst` at (dy, dx).
template <class T>
void copy_window(const T* src, std::int64_t sh_, std::int64_t sw_, std::int64_t sy, std::int64_t sx, T* dst,
                 std::int64_t dh_, std::int64_t dw_, std::int64_t dy, std::int64_t dx, std::int64_t n, std::int64_t h,
                 std::int64_t w, std::int64_t c) {
  parallel_for(0, n * h, row_grain(w * c), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t r = b; r < e; ++r) {
      const std::int64_t img = r / h, y = r % h;
      const T* s = src + ((img * sh_ + sy + y) * sw_ + sx) * c;
      T* d = dst + ((img * dh_ + dy + y) * dw_ + dx) * c;
      std::copy_n(s, w * c, d);
    }
  });
}

// TensorFlow's CachedInterpolation along one axis, weights in T (float for float32, as TF).
template <class T>
struct Interp {
  std::vector<std::int64_t> lower, upper;
  std::vector<T> lerp;
  Interp(std::int64_t in, std::int64_t out) : lower(static_cast<std::size_t>(out)), upper(lower), lerp(lower.size()) {
    const T scale = static_cast<T>(in) / static_cast<T>(out);
    for (std::int64_t i = 0; i < out; ++i) {
      const T src = (static_cast<T>(i) + T(0.5)) * scale - T(0.5);
      const T fl = std::floor(src);
      lower[static_cast<std::size_t>(i)] = std::max<std::int64_t>(static_cast<std::int64_t>(fl), 0);
      upper[static_cast<std::size_t>(i)] = std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(src)), in - 1);
      lerp[static_cast<std::size_t>(i)] = src - fl;
    }
  }
};

}  // namespace

Tensor pad2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) {
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y = Tensor::zeros(Shape{n, h + top + bottom, w + left + right, c}, x.dtype());
  visit_float(x, "zero_padding2d", [&](auto tag) {
    using T = decltype(tag);
    copy_window(x.data<T>(), h, w, 0, 0, y.data<T>(), h + top + bottom, w + left + right, top, left, n, h, w, c);
  });
  return y;
}

Tensor crop2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) {
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  const std::int64_t oh = h - top - bottom, ow = w - left - right;
  Tensor y(Shape{n, oh, ow, c}, x.dtype());
  visit_float(x, "cropping2d", [&](auto tag) {
    using T = decltype(tag);
    copy_window(x.data<T>(), h, w, top, left, y.data<T>(), oh, ow, 0, 0, n, oh, ow, c);
  });
  return y;
}

Tensor upsample_nearest2d(const Tensor& x, std::int64_t sh, std::int64_t sw) {
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y(Shape{n, h * sh, w * sw, c}, x.dtype());
  visit_float(x, "upsampling2d", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(0, n * h * sh, row_grain(w * sw * c), [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t r = b; r < e; ++r) {
        const std::int64_t img = r / (h * sh), oy = r % (h * sh);
        const T* s = px + (img * h + oy / sh) * w * c;
        T* d = py + r * w * sw * c;
        for (std::int64_t ox = 0; ox < w * sw; ++ox) std::copy_n(s + (ox / sw) * c, c, d + ox * c);
      }
    });
  });
  return y;
}

Tensor block_sum2d(const Tensor& y, std::int64_t sh, std::int64_t sw) {
  const std::int64_t n = y.dim(0), h = y.dim(1) / sh, w = y.dim(2) / sw, c = y.dim(3);
  Tensor x = Tensor::zeros(Shape{n, h, w, c}, y.dtype());
  visit_float(y, "upsampling2d", [&](auto tag) {
    using T = decltype(tag);
    const T* py = y.data<T>();
    T* px = x.data<T>();
    parallel_for(0, n * h, row_grain(w * sw * sh * c), [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t r = b; r < e; ++r) {
        T* d = px + r * w * c;
        for (std::int64_t i = 0; i < sh; ++i) {
          const T* s = py + (r * sh + i) * w * sw * c;
          for (std::int64_t ox = 0; ox < w * sw; ++ox)
            for (std::int64_t ch = 0; ch < c; ++ch) d[(ox / sw) * c + ch] += s[ox * c + ch];
        }
      }
    });
  });
  return x;
}

Tensor resize_bilinear(const Tensor& x, std::int64_t oh, std::int64_t ow) {
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y(Shape{n, oh, ow, c}, x.dtype());
  visit_float(x, "resize_bilinear", [&](auto tag) {
    using T = decltype(tag);
    const Interp<T> ys(h, oh), xs(w, ow);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(0, n * oh, row_grain(ow * c), [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t r = b; r < e; ++r) {
        const std::int64_t img = r / oh, oy = r % oh;
        const auto yi = static_cast<std::size_t>(oy);
        const T* top = px + (img * h + ys.lower[yi]) * w * c;
        const T* bot = px + (img * h + ys.upper[yi]) * w * c;
        const T yl = ys.lerp[yi];
        T* d = py + r * ow * c;
        for (std::int64_t ox = 0; ox < ow; ++ox) {
          const auto xi = static_cast<std::size_t>(ox);
          const std::int64_t l = xs.lower[xi] * c, u = xs.upper[xi] * c;
          const T xl = xs.lerp[xi];
          for (std::int64_t ch = 0; ch < c; ++ch) {
            // TensorFlow's order: lerp along x on both rows, then along y.
            const T t = top[l + ch] + (top[u + ch] - top[l + ch]) * xl;
            const T bo = bot[l + ch] + (bot[u + ch] - bot[l + ch]) * xl;
            d[ox * c + ch] = t + (bo - t) * yl;
          }
        }
      }
    });
  });
  return y;
}

Tensor resize_bilinear_backward(const Tensor& dy, std::int64_t h, std::int64_t w) {
  const std::int64_t n = dy.dim(0), oh = dy.dim(1), ow = dy.dim(2), c = dy.dim(3);
  Tensor dx = Tensor::zeros(Shape{n, h, w, c}, dy.dtype());
  visit_float(dy, "resize_bilinear", [&](auto tag) {
    using T = decltype(tag);
    const Interp<T> ys(h, oh), xs(w, ow);
    const T* pg = dy.data<T>();
    T* px = dx.data<T>();
    // Whole images per thread: each dx element is summed in output order by one thread.
    parallel_for(0, n, std::max<std::int64_t>(1, row_grain(oh * ow * c)), [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t img = b; img < e; ++img)
        for (std::int64_t oy = 0; oy < oh; ++oy) {
          const auto yi = static_cast<std::size_t>(oy);
          T* top = px + (img * h + ys.lower[yi]) * w * c;
          T* bot = px + (img * h + ys.upper[yi]) * w * c;
          const T yl = ys.lerp[yi];
          const T* g = pg + (img * oh + oy) * ow * c;
          for (std::int64_t ox = 0; ox < ow; ++ox) {
            const auto xi = static_cast<std::size_t>(ox);
            const std::int64_t l = xs.lower[xi] * c, u = xs.upper[xi] * c;
            const T xl = xs.lerp[xi];
            for (std::int64_t ch = 0; ch < c; ++ch) {
              const T gt = g[ox * c + ch] * (T(1) - yl), gb = g[ox * c + ch] * yl;
              top[l + ch] += gt * (T(1) - xl);
              top[u + ch] += gt * xl;
              bot[l + ch] += gb * (T(1) - xl);
              bot[u + ch] += gb * xl;
            }
          }
        }
    });
  });
  return dx;
}

}  // namespace tg::core
