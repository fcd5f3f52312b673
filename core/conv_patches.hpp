#pragma once
// How core/conv.cpp gathers patch matrices straight into the GEMM's packing buffers: a patch row
// (output pixel) is cut into runs that are contiguous in the input, the same cut for every pixel,
// and each run is copied or zero-filled (padding). Internal to core/conv.cpp; in a header of its
// own so the products in conv.cpp read apart from the gathering.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/kernels/window.hpp"
#include "core/window2d.hpp"

namespace tg::core::conv_detail {

// A run of patch columns that is contiguous in the input for every pixel: the kw*c columns of
// kernel row i (dilation 1 along x: adjacent input pixels), or channels [q0, q1) of tap (i, j).
// `off` is where the run starts in the requested column range.
struct Segment {
  std::int64_t off, i, j, q0, q1;  // j < 0: [q0, q1) are positions j*c + ci within kernel row i
  std::int64_t base;               // where the run starts in the image, from the window's origin
};

// Cuts patch columns [k0, k1) (k = (i*kw + j)*c + ci) into runs. The cut is the same for every
// pixel, so packing a block divides nothing per pixel.
inline void cut_segments(const Window2D& g, std::int64_t k0, std::int64_t k1, std::vector<Segment>& out) {
  out.clear();
  const std::int64_t rowk = g.kw * g.c;
  for (std::int64_t k = k0; k < k1;) {
    const std::int64_t i = k / rowk, q = k - i * rowk;
    if (g.dw == 1) {
      const std::int64_t q1 = std::min(rowk, q + (k1 - k));
      out.push_back({k - k0, i, -1, q, q1, i * g.dh * g.w * g.c + q});
      k += q1 - q;
    } else {
      const std::int64_t j = q / g.c, ci = q - j * g.c;
      const std::int64_t len = std::min(g.c - ci, k1 - k);
      out.push_back({k - k0, i, j, ci, ci + len, (i * g.dh * g.w + j * g.dw) * g.c + ci});
      k += len;
    }
  }
}

// Walks the segments of output pixel (y, x): inside(off, src, len) for a run read from the image
// (src: offset in the image), outside(off, len) for a run in the padding.
template <class Inside, class Outside>
inline void walk(const Window2D& g, const std::vector<Segment>& segs, std::int64_t y, std::int64_t x,
                 Inside&& inside, Outside&& outside) {
  const std::int64_t y0 = y * g.sh - g.pt, x0 = x * g.sw - g.pl;
  const std::int64_t rowlen = g.w * g.c;
  // Most pixels' windows lie inside the image: one run per segment, no test.
  const bool across = x0 >= 0 && x0 + (g.kw - 1) * g.dw < g.w;
  if (across && y0 >= 0 && y0 + (g.kh - 1) * g.dh < g.h) {
    const std::int64_t origin = y0 * rowlen + x0 * g.c;
    for (const Segment& s : segs) inside(s.off, origin + s.base, s.q1 - s.q0);
    return;
  }
  for (const Segment& s : segs) {
    const std::int64_t iy = y0 + s.i * g.dh;
    if (iy < 0 || iy >= g.h) {
      outside(s.off, s.q1 - s.q0);
      continue;
    }
    const std::int64_t row = iy * rowlen;
    if (s.j < 0) {
      if (across) {
        inside(s.off, row + x0 * g.c + s.q0, s.q1 - s.q0);
        continue;
      }
      // Position q reads input column x0 + q / c: inside for q in [-x0*c, (w - x0)*c).
      const std::int64_t lo = std::clamp(-x0 * g.c, s.q0, s.q1);
      const std::int64_t hi = std::clamp((g.w - x0) * g.c, lo, s.q1);
      if (lo > s.q0) outside(s.off, lo - s.q0);
      if (hi > lo) inside(s.off + (lo - s.q0), row + (x0 * g.c + lo), hi - lo);
      if (s.q1 > hi) outside(s.off + (hi - s.q0), s.q1 - hi);
    } else {
      const std::int64_t ix = x0 + s.j * g.dw;
      if (!across && (ix < 0 || ix >= g.w))
        outside(s.off, s.q1 - s.q0);
      else
        inside(s.off, row + ix * g.c + s.q0, s.q1 - s.q0);
    }
  }
}

// Runs are short when channels are few (3 elements for a 3-wide window on one channel): a plain
// loop there, memcpy for long runs.
template <class T>
inline void copy_run(const T* src, std::int64_t n, T* dst) {
  switch (n) {
    case 4: dst[3] = src[3]; [[fallthrough]];
    case 3: dst[2] = src[2]; [[fallthrough]];
    case 2: dst[1] = src[1]; [[fallthrough]];
    case 1: dst[0] = src[0]; [[fallthrough]];
    case 0: return;
    default:
      if (n >= 16) {
        std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
        return;
      }
      for (std::int64_t l = 0; l < n; ++l) dst[l] = src[l];
  }
}
template <class T>
inline void zero_run(T* dst, std::int64_t n) {
  for (std::int64_t l = 0; l < n; ++l) dst[l] = T(0);
}

inline thread_local std::vector<Segment> tl_segments;

// The patch matrix of x for output pixels from `first` on, as a core::PackedA source.
template <class T>
struct Patches {
  const Window2D* g;
  const T* x;
  std::int64_t first;
  bool ones = false;  // one more column, k = kh*kw*c, of ones (the bias in a kernel-gradient product)
};

// Writes patch columns [k0, k1) of `count` output pixels from `first` on to dst + p * step.
// L > 0: the columns are whole kernel rows of L = kw*c elements (dilation 1 across), copied with
// a length known at compile time when the pixel's window lies inside the image.
template <int L, class T>
void gather_patches_l(const Patches<T>& s, std::int64_t first, std::int64_t count, std::int64_t k0, std::int64_t k1,
                      T* dst, std::int64_t step) {
  const Window2D g = *s.g;  // a copy: stores through dst cannot alias it, so nothing is reloaded
  cut_segments(g, k0, k1, tl_segments);
  const std::int64_t rowk = g.kw * g.c, rowlen = g.w * g.c, image = g.image(), row_step = g.dh * rowlen;
  const bool whole_rows = g.dw == 1 && rowk > 0 && k0 % rowk == 0 && k1 % rowk == 0 && (L == 0 || L == rowk);
  const std::int64_t i_first = whole_rows ? k0 / rowk : 0, i_count = whole_rows ? (k1 - k0) / rowk : 0;
  const std::int64_t len = L > 0 ? L : rowk;
  PixelCursor px(g, first);
  for (std::int64_t p = 0; p < count; ++p, px.next()) {
    T* d = dst + p * step;
    const T* img = s.x + px.n * image;
    const std::int64_t y0 = px.y * g.sh - g.pt + i_first * g.dh, x0 = px.x * g.sw - g.pl;
    if (whole_rows && x0 >= 0 && x0 + g.kw <= g.w && y0 >= 0 && y0 + (i_count - 1) * g.dh < g.h) {
      const T* src = img + y0 * rowlen + x0 * g.c;
      for (std::int64_t i = 0; i < i_count; ++i, src += row_step, d += len) {
        if constexpr (L > 0) {
          for (int l = 0; l < L; ++l) d[l] = src[l];
        } else {
          copy_run(src, len, d);
        }
      }
      continue;
    }
    walk(g, tl_segments, px.y, px.x, [&](std::int64_t off, std::int64_t src, std::int64_t n) { copy_run(img + src, n, d + off); },
         [&](std::int64_t off, std::int64_t n) { zero_run(d + off, n); });
  }
}

template <class T>
void gather_patches(const Patches<T>& s, std::int64_t first, std::int64_t count, std::int64_t k0, std::int64_t k1, T* dst,
                    std::int64_t step) {
  // Few channels: kernel rows of 1 to 4 elements get their own loop (conv1 of an MNIST model: 3).
  switch (s.g->kw * s.g->c) {
    case 1: return gather_patches_l<1>(s, first, count, k0, k1, dst, step);
    case 2: return gather_patches_l<2>(s, first, count, k0, k1, dst, step);
    case 3: return gather_patches_l<3>(s, first, count, k0, k1, dst, step);
    case 4: return gather_patches_l<4>(s, first, count, k0, k1, dst, step);
    default: return gather_patches_l<0>(s, first, count, k0, k1, dst, step);
  }
}

// Rows layout (forward): dst[r * ld + p] = patch(first + i0 + r, p0 + p).
template <class T>
void pack_patch_rows(const void* ctx, std::int64_t i0, std::int64_t rows, std::int64_t p0, std::int64_t kc, T* dst,
                     std::int64_t ld) {
  const auto& s = *static_cast<const Patches<T>*>(ctx);
  gather_patches(s, s.first + i0, rows, p0, p0 + kc, dst, ld);
}

// K-major layout of the transposed patch matrix (kernel gradient): A(i, p) = patch(first + p, i),
// dst[p * ld + r] = A(i0 + r, p0 + p). Each pixel writes one run of `rows` patch columns.
template <class T>
void pack_patch_kmajor(const void* ctx, std::int64_t i0, std::int64_t rows, std::int64_t p0, std::int64_t kc, T* dst,
                       std::int64_t ld) {
  const auto& s = *static_cast<const Patches<T>*>(ctx);
  const std::int64_t k = s.g->taps() * s.g->c;
  gather_patches(s, s.first + p0, kc, i0, std::min(i0 + rows, k), dst, ld);
  if (s.ones && i0 + rows > k)
    for (std::int64_t p = 0; p < kc; ++p) dst[p * ld + (k - i0)] = T(1);
}

// Rows of a convolution's output gradient as a core::PackedB source, masked by a fused relu
// (y > 0) while packed when y is set.
template <class T>
struct MaskedRows {
  const T* g;
  const T* y;
  std::int64_t ld;
};

template <class T>
void pack_masked_rows(const void* ctx, std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t n, std::int64_t nr,
                      T* dst) {
  const auto& s = *static_cast<const MaskedRows<T>*>(ctx);
  kern::window_table<T>().mask_panel(s.g + p0 * s.ld + j0, s.y ? s.y + p0 * s.ld + j0 : nullptr, s.ld, kc, n, dst, nr);
}

}  // namespace tg::core::conv_detail
