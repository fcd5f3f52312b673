// 2-D convolution on the packed GEMM: patches gathered straight into the GEMM's packing buffer
// (forward, kernel gradient) and a tiled col2im (input gradient). See core/conv.hpp.
#include "core/conv.hpp"

#include <algorithm>
#include <cassert>
#include <memory>
#include <vector>

#include "core/conv_patches.hpp"
#include "core/gemm.hpp"
#include "core/kernels/kernels.hpp"
#include "core/kernels/window.hpp"
#include "core/parallel.hpp"

namespace tg::core {
namespace {

using namespace conv_detail;

// A 1x1 window with stride 1 and no padding: the patch matrix is x itself, [pixels, c].
bool pointwise(const Window2D& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == g.h && g.ow == g.w;
}

template <class T>
void forward(const Window2D& g, std::int64_t out, const T* x, const T* w, const T* bias, bool relu, T* y) {
  GemmEpilogue<T> ep;
  ep.bias = bias;
  ep.relu = relu;
  const std::int64_t k = g.taps() * g.c;
  if (pointwise(g)) return gemm<T>(false, false, g.pixels(), out, k, x, g.c, w, out, y, out, ep);
  const Patches<T> src{&g, x, 0};
  gemm_packed_a<T>(PackedA<T>{&pack_patch_rows<T>, &src, false}, false, g.pixels(), out, k, w, out, y, out, ep);
}

// The kernel gradient sums over every pixel of the batch, but threads may only split C (kernel
// x out, often tiny). So images are cut into a fixed number of groups, each group's product goes
// to its own buffer on one thread, and the buffers are added in group order. The group count
// comes from the problem size alone (about 4M multiply-adds each, at most 16: enough to balance
// a few threads, few enough that adding the buffers costs nothing), so the result has the same
// bits for any thread count.
constexpr std::int64_t group_work = std::int64_t{1} << 22;
constexpr std::int64_t max_groups = 16;

std::int64_t kernel_groups(const Window2D& g, std::int64_t out) {
  const std::int64_t work = g.taps() * g.c * out * g.pixels();
  return std::clamp<std::int64_t>((work + group_work - 1) / group_work, 1, std::min(g.n, max_groups));
}

// dw = patches^T dy. With `mask` (a fused relu's output), dy is masked by mask > 0 as the GEMM
// packs it; with `db`, the patches get a column of ones and the product's extra row is the bias
// gradient. Either way the masked dy is never stored.
template <class T>
void backward_kernel(const Window2D& g, std::int64_t out, const T* x, const T* dy, const T* mask, T* dw, T* db) {
  const std::int64_t k = g.taps() * g.c, per = g.oh * g.ow, rows = k + (db ? 1 : 0);
  if (g.pixels() == 0) {
    std::fill_n(dw, k * out, T(0));
    if (db) std::fill_n(db, out, T(0));
    return;
  }
  const bool fused = mask || db;
  // C (+)= patches(images [n0, n1))^T dy(images [n0, n1)), C [rows, out]
  auto product = [&](std::int64_t n0, std::int64_t n1, T* c, bool serial) {
    const T* dyg = dy + n0 * per * out;
    const std::int64_t pixels = (n1 - n0) * per;
    if (pointwise(g) && !fused) {
      if (serial)
        gemm_serial<T>(true, false, k, out, pixels, x + n0 * per * g.c, g.c, dyg, out, c, out);
      else
        gemm<T>(true, false, k, out, pixels, x + n0 * per * g.c, g.c, dyg, out, c, out);
      return;
    }
    const Patches<T> src{&g, x, n0 * per, db != nullptr};
    const PackedA<T> a{&pack_patch_kmajor<T>, &src, true};
    if (fused) {
      const MaskedRows<T> b{dyg, mask ? mask + n0 * per * out : nullptr, out};
      gemm_packed<T>(a, PackedB<T>{&pack_masked_rows<T>, &b}, rows, out, pixels, c, out, {}, serial);
    } else {
      gemm_packed_a<T>(a, false, k, out, pixels, dyg, out, c, out, {}, serial);
    }
  };
  const std::int64_t groups = kernel_groups(g, out);
  if (groups == 1 && !db) return product(0, g.n, dw, false);
  const std::int64_t size = rows * out;
  // Each group writes its own buffer (whole, by the GEMM: no zeroing); group 0 writes dw itself
  // when there is no bias row.
  const std::int64_t own = db ? groups : groups - 1;
  const std::unique_ptr<T[]> parts(new T[static_cast<std::size_t>(own * size)]);
  auto part = [&](std::int64_t q) { return db ? parts.get() + q * size : q == 0 ? dw : parts.get() + (q - 1) * size; };
  if (groups == 1) {
    product(0, g.n, part(0), false);
  } else {
    parallel_for(0, groups, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t q = b; q < e; ++q) product(g.n * q / groups, g.n * (q + 1) / groups, part(q), true);
    });
  }
  const auto add = kern::table<T>().add_into;
  T* sum = part(0);
  parallel_for(0, size, 4096, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t q = 1; q < groups; ++q) add(part(q) + b, sum + b, e - b);
  });
  if (db) {
    std::copy_n(sum, k * out, dw);
    std::copy_n(sum + k * out, out, db);
  }
}

template <class T>
thread_local std::vector<T> tl_cols;

// Rows of dy per col2im tile: at most 168 (12 row panels of 14, where the GEMM reads W^T in
// place) and 256 KB of float32 columns, so the tile stays in L2 between its product and its scatter.
constexpr std::int64_t col_tile_rows = 168;
constexpr std::int64_t col_tile_elems = std::int64_t{1} << 16;

template <class T>
void backward_input(const Window2D& g, std::int64_t out, const T* dy, const T* w, T* dx) {
  const std::int64_t k = g.taps() * g.c, per = g.oh * g.ow;
  if (pointwise(g)) return gemm<T>(false, true, g.pixels(), g.c, out, dy, out, w, out, dx, g.c);
  std::fill_n(dx, g.n * g.image(), T(0));
  if (per == 0) return;
  // W^T [out, k], so that every tile's product reads its B in place.
  std::vector<T> wt(static_cast<std::size_t>(k * out));
  for (std::int64_t i = 0; i < k; ++i)
    for (std::int64_t o = 0; o < out; ++o) wt[static_cast<std::size_t>(o * k + i)] = w[i * out + o];
  const std::int64_t tile = std::clamp<std::int64_t>(col_tile_elems / std::max<std::int64_t>(k, 1), 1, col_tile_rows);
  const auto add = kern::table<T>().add_into;
  // Threads take whole images: an image's dx is written by one thread, pixels in order, so every
  // element's sum has a fixed order.
  const std::int64_t grain = std::max<std::int64_t>(1, group_work / std::max<std::int64_t>(1, per * k * out));
  parallel_for(0, g.n, grain, [&](std::int64_t b, std::int64_t e) {
    std::vector<T>& cols = tl_cols<T>;
    if (static_cast<std::int64_t>(cols.size()) < tile * k) cols.resize(static_cast<std::size_t>(tile * k));
    std::vector<Segment> segs;
    cut_segments(g, 0, k, segs);
    for (std::int64_t m = b * per; m < e * per;) {
      const std::int64_t rows = std::min(tile, e * per - m);
      gemm_serial<T>(false, false, rows, k, out, dy + m * out, out, wt.data(), k, cols.data(), k);
      PixelCursor px(g, m);
      for (std::int64_t r = 0; r < rows; ++r, px.next()) {
        T* img = dx + px.n * g.image();
        const T* src = cols.data() + r * k;
        walk(g, segs, px.y, px.x,
             [&](std::int64_t off, std::int64_t dst, std::int64_t len) {
               if (len >= 16) {
                 add(src + off, img + dst, len);
               } else {
                 for (std::int64_t l = 0; l < len; ++l) img[dst + l] += src[off + l];
               }
             },
             [](std::int64_t, std::int64_t) {});
      }
      m += rows;
    }
  });
}

void check_float(const Tensor& t, const char* op) {
  if (t.dtype() != DType::float32 && t.dtype() != DType::float64)
    fail(op, ": expected float32 or float64, got ", dtype_name(t.dtype()), " ", t.shape());
}

}  // namespace

void conv2d_output_grad(const Tensor& gy, const Tensor& y, bool bias, Tensor& gz, Tensor& db) {
  check_float(gy, "conv2d");
  const std::int64_t c = gy.dim(gy.rank() - 1), rows = c == 0 ? 0 : gy.numel() / c;
  gz = y.defined() ? Tensor(gy.shape(), gy.dtype()) : gy;
  db = bias ? Tensor(Shape{c}, gy.dtype()) : Tensor();
  visit_dtype(gy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const auto f = kern::window_table<T>().output_grad;
      const T* g = gy.data<T>();
      const T* yp = y.defined() ? y.data<T>() : nullptr;
      T* out = y.defined() ? gz.data<T>() : nullptr;
      // Rows in fixed groups of ~16K elements, each summed into its own row of partial sums,
      // which are added in order: the same bits for any thread count.
      const std::int64_t per = std::max<std::int64_t>(1, (std::int64_t{1} << 14) / std::max<std::int64_t>(c, 1));
      const std::int64_t groups = std::max<std::int64_t>(1, (rows + per - 1) / per);
      std::vector<T> parts(bias ? static_cast<std::size_t>(groups * c) : 0, T(0));
      parallel_for(0, groups, 1, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t q = b; q < e; ++q) {
          const std::int64_t r0 = q * per, r1 = std::min(rows, r0 + per);
          f(g + r0 * c, yp ? yp + r0 * c : nullptr, out ? out + r0 * c : nullptr, bias ? parts.data() + q * c : nullptr,
            r1 - r0, c);
        }
      });
      if (bias) {
        T* d = db.data<T>();
        std::fill_n(d, c, T(0));
        for (std::int64_t q = 0; q < groups; ++q)
          for (std::int64_t i = 0; i < c; ++i) d[i] += parts[static_cast<std::size_t>(q * c + i)];
      }
    }
  });
}

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Window2D& g, bool relu) {
  check_float(x, "conv2d");
  assert(x.rank() == 4 && kernel.rank() == 4 && x.dim(3) == kernel.dim(2));
  const std::int64_t out = kernel.dim(3);
  Tensor y(Shape{g.n, g.oh, g.ow, out}, x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      forward<T>(g, out, x.data<T>(), kernel.data<T>(), bias.defined() ? bias.data<T>() : nullptr, relu, y.data<T>());
  });
  return y;
}

Tensor conv2d_backward_input(const Tensor& dy, const Tensor& kernel, const Window2D& g) {
  check_float(dy, "conv2d_backward_input");
  Tensor dx(Shape{g.n, g.h, g.w, g.c}, dy.dtype());
  visit_dtype(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      backward_input<T>(g, kernel.dim(3), dy.data<T>(), kernel.data<T>(), dx.data<T>());
  });
  return dx;
}

Tensor conv2d_backward_kernel(const Tensor& x, const Tensor& dy, const Window2D& g) {
  check_float(x, "conv2d_backward_kernel");
  const std::int64_t out = dy.dim(3);
  Tensor dw(Shape{g.kh, g.kw, g.c, out}, x.dtype());
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      backward_kernel<T>(g, out, x.data<T>(), dy.data<T>(), nullptr, dw.data<T>(), nullptr);
  });
  return dw;
}

void conv2d_backward_kernel_fused(const Tensor& x, const Tensor& dy, const Tensor& y, bool bias, const Window2D& g,
                                  Tensor& dkernel, Tensor& dbias) {
  check_float(x, "conv2d_backward_kernel");
  const std::int64_t out = dy.dim(3);
  dkernel = Tensor(Shape{g.kh, g.kw, g.c, out}, x.dtype());
  dbias = bias ? Tensor(Shape{out}, x.dtype()) : Tensor();
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      backward_kernel<T>(g, out, x.data<T>(), dy.data<T>(), y.defined() ? y.data<T>() : nullptr, dkernel.data<T>(),
                         bias ? dbias.data<T>() : nullptr);
  });
}

}  // namespace tg::core
