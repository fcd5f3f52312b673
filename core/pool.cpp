// Pooling over 2-D windows, one output pixel per kernel call (core/kernels/window.hpp). Forward
// passes split output pixels over threads; backward passes split whole images, so each input
// element's sum runs in pixel order on one thread (the same bits for any thread count).
#include "core/pool.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/allocator.hpp"
#include "core/kernels/window.hpp"
#include "core/parallel.hpp"

namespace tg::core {
namespace {

constexpr std::int64_t pixel_grain = 512;

// Calls f(p, n, count, offsets) for each output pixel p in [b, e) of image n: the in-image offsets
// of its `count` taps inside the input. The ops only build windows with at least one such tap
// (TensorFlow's "valid" and "same"); a pixel without one is left out (its output stays as set).
template <class F>
void over_pixels(const Window2D& g, std::int64_t b, std::int64_t e, F&& f) {
  std::vector<std::int64_t> offs(static_cast<std::size_t>(g.taps()));
  PixelCursor px(g, b);
  for (std::int64_t p = b; p < e; ++p, px.next()) {
    std::int64_t count = 0;
    for_each_tap(g, px.y, px.x, [&](std::int64_t, std::int64_t off) { offs[static_cast<std::size_t>(count++)] = off; });
    if (count > 0) f(p, px.n, count, offs.data());
  }
}

// A gradient buffer: cleared with memset unless every element will be stored.
Tensor uninitialised_or_zeros(const Shape& s, DType dt, bool every_element_stored) {
  Tensor t(s, dt);
  if (!every_element_stored) std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * dtype_size(dt));
  return t;
}

std::int64_t image_grain(const Window2D& g) {
  return std::max<std::int64_t>(1, pixel_grain / std::max<std::int64_t>(1, g.oh * g.ow));
}

// Backward passes over whole images: f(p, count, dxs) for each output pixel p, with the dx
// addresses of its `count` taps.
template <class T, class F>
void over_image_taps(const Window2D& g, T* dxp, F&& f) {
  const std::int64_t per = g.oh * g.ow;
  parallel_for(0, g.n, image_grain(g), [&](std::int64_t b, std::int64_t e) {
    std::vector<T*> dxs(static_cast<std::size_t>(g.taps()));
    over_pixels(g, b * per, e * per, [&](std::int64_t p, std::int64_t n, std::int64_t count, const std::int64_t* offs) {
      for (std::int64_t t = 0; t < count; ++t) dxs[static_cast<std::size_t>(t)] = dxp + n * g.image() + offs[t];
      f(p, count, dxs.data());
    });
  });
}

template <class F>
void visit_float(const Tensor& t, const char* op, F&& f) {
  if (t.dtype() == DType::float32) return f(float{});
  if (t.dtype() == DType::float64) return f(double{});
  fail(op, ": expected float32 or float64, got ", dtype_name(t.dtype()), " ", t.shape());
}

}  // namespace

namespace {
Tensor max_pool2d_impl(const Tensor& x, const Window2D& g, std::uint8_t* arg) {
  Tensor y = Tensor::zeros(Shape{g.n, g.oh, g.ow, g.c}, x.dtype());
  visit_float(x, "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const auto& k = kern::window_table<T>();
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    parallel_for(0, g.pixels(), pixel_grain, [&](std::int64_t b, std::int64_t e) {
      std::vector<const T*> xs(static_cast<std::size_t>(g.taps()));
      over_pixels(g, b, e, [&](std::int64_t p, std::int64_t n, std::int64_t count, const std::int64_t* offs) {
        for (std::int64_t t = 0; t < count; ++t) xs[static_cast<std::size_t>(t)] = xp + n * g.image() + offs[t];
        if (arg) k.max_arg(xs.data(), count, yp + p * g.c, arg + p * g.c, g.c);
        else k.max(xs.data(), count, yp + p * g.c, g.c);
      });
    });
  });
  return y;
}

// Windows that do not overlap (the usual 2x2, stride 2) store each tap once, zero or dy, and
// need dx cleared only where no window reaches; overlapping ones add into a cleared dx.
struct BackwardPlan {
  bool disjoint, covered;
};
BackwardPlan backward_plan(const Window2D& g) {
  const bool disjoint = g.sh >= g.kh && g.sw >= g.kw;
  const bool covered = g.sh == g.kh && g.sw == g.kw && (g.oh - 1) * g.sh - g.pt + g.kh >= g.h &&
                       (g.ow - 1) * g.sw - g.pl + g.kw >= g.w;
  return {disjoint, covered};
}
}  // namespace

Tensor max_pool2d(const Tensor& x, const Window2D& g) { return max_pool2d_impl(x, g, nullptr); }

Tensor max_pool2d(const Tensor& x, const Window2D& g, PoolArgmax& argmax) {
  argmax.reset();
  if (g.taps() > 255) return max_pool2d_impl(x, g, nullptr);
  const auto bytes = static_cast<std::size_t>(Shape{g.n, g.oh, g.ow, g.c}.numel());
  // From the caching allocator, as tensors: a training step asks for the same sizes each time.
  auto* raw = static_cast<std::uint8_t*>(alloc::allocate(bytes));
  std::shared_ptr<std::uint8_t> owned(raw, [bytes](std::uint8_t* p) { alloc::deallocate(p, bytes); });
  Tensor y = max_pool2d_impl(x, g, raw);
  argmax = std::move(owned);
  return y;
}

Tensor max_pool2d_backward(const PoolArgmax& argmax, const Tensor& dy, const Window2D& g) {
  if (!argmax) fail("max_pool2d_backward: no argmax saved for dy ", dy.shape());
  const BackwardPlan plan = backward_plan(g);
  Tensor dx = uninitialised_or_zeros(Shape{g.n, g.h, g.w, g.c}, dy.dtype(), plan.disjoint && plan.covered);
  visit_float(dy, "max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const auto& k = kern::window_table<T>();
    const std::uint8_t* arg = argmax.get();
    const T* dyp = dy.data<T>();
    over_image_taps(g, dx.data<T>(), [&](std::int64_t p, std::int64_t count, T* const* dxs) {
      k.max_backward_arg(arg + p * g.c, count, dyp + p * g.c, dxs, g.c, plan.disjoint);
    });
  });
  return dx;
}

Tensor max_pool2d_backward(const Tensor& x, const Tensor& dy, const Window2D& g) {
  const BackwardPlan plan = backward_plan(g);
  const bool disjoint = plan.disjoint;
  Tensor dx = uninitialised_or_zeros(x.shape(), x.dtype(), plan.disjoint && plan.covered);
  visit_float(x, "max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const auto& k = kern::window_table<T>();
    const T* xp = x.data<T>();
    const T* dyp = dy.data<T>();
    T* dxp = dx.data<T>();
    const std::int64_t per = g.oh * g.ow;
    parallel_for(0, g.n, image_grain(g), [&](std::int64_t b, std::int64_t e) {
      std::vector<const T*> xs(static_cast<std::size_t>(g.taps()));
      std::vector<T*> dxs(static_cast<std::size_t>(g.taps()));
      over_pixels(g, b * per, e * per, [&](std::int64_t p, std::int64_t n, std::int64_t count, const std::int64_t* offs) {
        for (std::int64_t t = 0; t < count; ++t) {
          xs[static_cast<std::size_t>(t)] = xp + n * g.image() + offs[t];
          dxs[static_cast<std::size_t>(t)] = dxp + n * g.image() + offs[t];
        }
        (disjoint ? k.max_backward_store : k.max_backward)(xs.data(), count, dyp + p * g.c, dxs.data(), g.c);
      });
    });
  });
  return dx;
}

Tensor max_pool2d_gather(const Tensor& x, const Tensor& d, const Window2D& g) {
  Tensor y = Tensor::zeros(Shape{g.n, g.oh, g.ow, g.c}, x.dtype());
  visit_float(x, "max_pool2d_gather", [&](auto tag) {
    using T = decltype(tag);
    const auto& k = kern::window_table<T>();
    const T* xp = x.data<T>();
    const T* dp = d.data<T>();
    T* yp = y.data<T>();
    parallel_for(0, g.pixels(), pixel_grain, [&](std::int64_t b, std::int64_t e) {
      std::vector<const T*> xs(static_cast<std::size_t>(g.taps())), ds(static_cast<std::size_t>(g.taps()));
      over_pixels(g, b, e, [&](std::int64_t p, std::int64_t n, std::int64_t count, const std::int64_t* offs) {
        for (std::int64_t t = 0; t < count; ++t) {
          xs[static_cast<std::size_t>(t)] = xp + n * g.image() + offs[t];
          ds[static_cast<std::size_t>(t)] = dp + n * g.image() + offs[t];
        }
        k.max_gather(xs.data(), count, ds.data(), yp + p * g.c, g.c);
      });
    });
  });
  return y;
}

Tensor avg_pool2d(const Tensor& x, const Window2D& g) {
  Tensor y = Tensor::zeros(Shape{g.n, g.oh, g.ow, g.c}, x.dtype());
  visit_float(x, "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const auto& k = kern::window_table<T>();
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    parallel_for(0, g.pixels(), pixel_grain, [&](std::int64_t b, std::int64_t e) {
      std::vector<const T*> xs(static_cast<std::size_t>(g.taps()));
      over_pixels(g, b, e, [&](std::int64_t p, std::int64_t n, std::int64_t count, const std::int64_t* offs) {
        for (std::int64_t t = 0; t < count; ++t) xs[static_cast<std::size_t>(t)] = xp + n * g.image() + offs[t];
        k.sum(xs.data(), count, T(1) / static_cast<T>(count), yp + p * g.c, g.c);
      });
    });
  });
  return y;
}

Tensor avg_pool2d_backward(const Tensor& dy, const Window2D& g) {
  Tensor dx = uninitialised_or_zeros(Shape{g.n, g.h, g.w, g.c}, dy.dtype(), false);
  visit_float(dy, "avg_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const auto& k = kern::window_table<T>();
    const T* dyp = dy.data<T>();
    over_image_taps(g, dx.data<T>(), [&](std::int64_t p, std::int64_t count, T* const* dxs) {
      k.spread(dyp + p * g.c, T(1) / static_cast<T>(count), dxs, count, g.c);
    });
  });
  return dx;
}

}  // namespace tg::core
