// The body of every window kernel (window.hpp), written once over xsimd::batch<T, Arch>.
// Included by window_<isa>.cpp with TG_ARCH and TG_ISA_NS defined. The nested `window`
// namespace keeps these helpers apart from kernels_impl.hpp's in the same per-ISA namespace.
//
// Every loop runs over channels in full vectors and ends with one partial vector through a small
// buffer, so memory is never touched past c and a channel's result does not depend on c.
#include <algorithm>
#include <cstddef>
#include <xsimd/xsimd.hpp>

#include "core/kernels/window.hpp"

namespace tg::core::kern::TG_ISA_NS::window {

using Arch = TG_ARCH;
template <class T>
using B = xsimd::batch<T, Arch>;

template <class T>
inline B<T> load(const T* p, std::int64_t n) {
  if (n == static_cast<std::int64_t>(B<T>::size)) return B<T>::load_unaligned(p);
  alignas(64) T buf[B<T>::size] = {};
  for (std::int64_t i = 0; i < n; ++i) buf[i] = p[i];
  return B<T>::load_aligned(buf);
}
template <class T>
inline void store(T* p, const B<T>& v, std::int64_t n) {
  if (n == static_cast<std::int64_t>(B<T>::size)) return v.store_unaligned(p);
  alignas(64) T buf[B<T>::size];
  v.store_aligned(buf);
  for (std::int64_t i = 0; i < n; ++i) p[i] = buf[i];
}

// Calls body(i, n) for each vector of channels: n = width, then the remainder.
template <class T, class F>
inline void over_channels(std::int64_t c, const F& body) {
  constexpr std::int64_t w = B<T>::size;
  std::int64_t i = 0;
  for (; i + w <= c; i += w) body(i, w);
  if (i < c) body(i, c - i);
}

// The running maximum and the tap it came from (as T: tap counts stay far below 2^24).
template <class T>
inline B<T> argmax(const T* const* xs, std::int64_t taps, std::int64_t i, std::int64_t n, B<T>& best) {
  best = load(xs[0] + i, n);
  B<T> idx(T(0));
  for (std::int64_t t = 1; t < taps; ++t) {
    const B<T> v = load(xs[t] + i, n);
    const auto gt = v > best;
    best = xsimd::select(gt, v, best);
    idx = xsimd::select(gt, B<T>(static_cast<T>(t)), idx);
  }
  return idx;
}

template <class T>
void max(const T* const* xs, std::int64_t taps, T* y, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    B<T> best = load(xs[0] + i, n);
    for (std::int64_t t = 1; t < taps; ++t) {
      const B<T> v = load(xs[t] + i, n);
      best = xsimd::select(v > best, v, best);
    }
    store(y + i, best, n);
  });
}

template <class T>
void max_backward(const T* const* xs, std::int64_t taps, const T* dy, T* const* dxs, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    B<T> best;
    const B<T> idx = argmax(xs, taps, i, n, best);
    const B<T> g = load(dy + i, n), zero(T(0));
    for (std::int64_t t = 0; t < taps; ++t) {
      const auto hit = idx == B<T>(static_cast<T>(t));
      if (xsimd::any(hit)) store(dxs[t] + i, load(dxs[t] + i, n) + xsimd::select(hit, g, zero), n);
    }
  });
}

template <class T>
void max_backward_store(const T* const* xs, std::int64_t taps, const T* dy, T* const* dxs, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    B<T> best;
    const B<T> idx = argmax(xs, taps, i, n, best);
    const B<T> g = load(dy + i, n), zero(T(0));
    for (std::int64_t t = 0; t < taps; ++t) store(dxs[t] + i, xsimd::select(idx == B<T>(static_cast<T>(t)), g, zero), n);
  });
}

// Plain loops, vectorised by the compiler under each ISA's flags: the taps' bytes have no xsimd
// batch type beside T's. Same rule as max(): a later tap wins only when strictly greater.
template <class T>
void max_arg(const T* const* xs, std::int64_t taps, T* y, std::uint8_t* arg, std::int64_t c) {
  for (std::int64_t i = 0; i < c; ++i) y[i] = xs[0][i], arg[i] = 0;
  for (std::int64_t t = 1; t < taps; ++t) {
    const T* x = xs[t];
    const auto tap = static_cast<std::uint8_t>(t);
    for (std::int64_t i = 0; i < c; ++i) {
      const bool win = x[i] > y[i];
      y[i] = win ? x[i] : y[i];
      arg[i] = win ? tap : arg[i];
    }
  }
}

template <class T>
void max_backward_arg(const std::uint8_t* arg, std::int64_t taps, const T* dy, T* const* dxs, std::int64_t c, bool store) {
  for (std::int64_t t = 0; t < taps; ++t) {
    T* dx = dxs[t];
    const auto tap = static_cast<std::uint8_t>(t);
    if (store)
      for (std::int64_t i = 0; i < c; ++i) dx[i] = arg[i] == tap ? dy[i] : T(0);
    else
      for (std::int64_t i = 0; i < c; ++i) dx[i] += arg[i] == tap ? dy[i] : T(0);
  }
}

template <class T>
void max_gather(const T* const* xs, std::int64_t taps, const T* const* ds, T* y, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    B<T> best;
    const B<T> idx = argmax(xs, taps, i, n, best);
    B<T> out(T(0));
    for (std::int64_t t = 0; t < taps; ++t) {
      const auto hit = idx == B<T>(static_cast<T>(t));
      if (xsimd::any(hit)) out = xsimd::select(hit, load(ds[t] + i, n), out);
    }
    store(y + i, out, n);
  });
}

template <class T>
void sum(const T* const* xs, std::int64_t taps, T scale, T* y, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    B<T> s(T(0));
    for (std::int64_t t = 0; t < taps; ++t) s += load(xs[t] + i, n);
    store(y + i, s * B<T>(scale), n);
  });
}

template <class T>
void spread(const T* dy, T scale, T* const* dxs, std::int64_t taps, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    const B<T> g = load(dy + i, n) * B<T>(scale);
    for (std::int64_t t = 0; t < taps; ++t) store(dxs[t] + i, load(dxs[t] + i, n) + g, n);
  });
}

template <class T>
void dot(const T* const* xs, const T* const* ws, std::int64_t taps, const T* bias, T* y, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    B<T> s = bias ? load(bias + i, n) : B<T>(T(0));
    for (std::int64_t t = 0; t < taps; ++t) s = xsimd::fma(load(xs[t] + i, n), load(ws[t] + i, n), s);
    store(y + i, s, n);
  });
}

template <class T>
void mul_acc(const T* const* as, const T* b, T* const* accs, std::int64_t taps, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    const B<T> bv = load(b + i, n);
    for (std::int64_t t = 0; t < taps; ++t)
      store(accs[t] + i, xsimd::fma(load(as[t] + i, n), bv, load(accs[t] + i, n)), n);
  });
}

template <class T>
void output_grad(const T* g, const T* y, T* out, T* sum, std::int64_t rows, std::int64_t c) {
  over_channels<T>(c, [&](std::int64_t i, std::int64_t n) {
    const B<T> zero(T(0));
    B<T> s(T(0));
    for (std::int64_t r = 0; r < rows; ++r) {
      B<T> v = load(g + r * c + i, n);
      if (y) {
        v = xsimd::select(load(y + r * c + i, n) > zero, v, zero);
        store(out + r * c + i, v, n);
      }
      s += v;
    }
    if (sum) store(sum + i, load(sum + i, n) + s, n);
  });
}

template <class T>
void mask_panel(const T* g, const T* y, std::int64_t ld, std::int64_t rows, std::int64_t n, T* dst, std::int64_t nr) {
  const B<T> zero(T(0));
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* gr = g + r * ld;
    const T* yr = y ? y + r * ld : nullptr;
    T* d = dst + r * nr;
    over_channels<T>(nr, [&](std::int64_t i, std::int64_t w) {
      // Lanes at or past n are zero: loaded from nowhere, stored as padding.
      const std::int64_t live = std::min<std::int64_t>(w, std::max<std::int64_t>(n - i, 0));
      B<T> v = live > 0 ? load(gr + i, live) : zero;
      if (yr && live > 0) v = xsimd::select(load(yr + i, live) > zero, v, zero);
      store(d + i, v, w);
    });
  }
}

template <class T>
WindowTable<T> make_window_table() {
  WindowTable<T> t{};
  t.max = &max<T>;
  t.max_backward = &max_backward<T>;
  t.max_backward_store = &max_backward_store<T>;
  t.max_arg = &max_arg<T>;
  t.max_backward_arg = &max_backward_arg<T>;
  t.max_gather = &max_gather<T>;
  t.sum = &sum<T>;
  t.spread = &spread<T>;
  t.dot = &dot<T>;
  t.mul_acc = &mul_acc<T>;
  t.output_grad = &output_grad<T>;
  t.mask_panel = &mask_panel<T>;
  return t;
}

}  // namespace tg::core::kern::TG_ISA_NS::window
