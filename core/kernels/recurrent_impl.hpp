// The body of every recurrent gate kernel, written once over xsimd::batch<T, Arch>.
// Included by recurrent_<isa>.cpp with TG_ARCH and TG_ISA_NS defined. The nested `rnn` namespace
// keeps these helpers apart from kernels_impl.hpp's, which live in the same per-ISA namespace.
//
// The cell's activation (tanh for Keras' default) is a template parameter of the fused loops, so
// h = o tanh(c) and its derivative are one pass; the recurrent activation of the gates runs as its
// own pass over the contiguous gate block, which is still in L1.
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "core/kernels/recurrent.hpp"

namespace tg::core::kern::TG_ISA_NS::rnn {

using Arch = TG_ARCH;
template <class T>
using B = xsimd::batch<T, Arch>;

// Loads and stores of whole vectors, and of the last n < width elements through a zero-padded
// buffer, so that the tail runs the same vector code (0 is a harmless input to every formula).
template <class T>
struct Whole {
  B<T> load(const T* p) const { return B<T>::load_unaligned(p); }
  void store(const B<T>& v, T* p) const { v.store_unaligned(p); }
};
template <class T>
struct Part {
  std::int64_t n;
  B<T> load(const T* p) const {
    alignas(64) T buf[B<T>::size] = {};
    for (std::int64_t i = 0; i < n; ++i) buf[i] = p[i];
    return B<T>::load_aligned(buf);
  }
  void store(const B<T>& v, T* p) const {
    alignas(64) T buf[B<T>::size];
    v.store_aligned(buf);
    for (std::int64_t i = 0; i < n; ++i) p[i] = buf[i];
  }
};

// body(io, i) for every whole vector at offset i, then once for the tail.
template <class T, class Body>
void each(std::int64_t n, const Body& body) {
  constexpr std::int64_t w = B<T>::size;
  std::int64_t i = 0;
  for (; i + w <= n; i += w) body(Whole<T>{}, i);
  if (i < n) body(Part<T>{n - i}, i);
}

template <Act A, class T>
B<T> act(const B<T>& x) {
  const B<T> zero(T(0)), one(T(1));
  if constexpr (A == Act::linear) return x;
  else if constexpr (A == Act::tanh) return xsimd::tanh(x);
  else if constexpr (A == Act::sigmoid) return one / (one + xsimd::exp(-x));
  else if constexpr (A == Act::hard_sigmoid) return xsimd::min(xsimd::max(x * B<T>(T(0.2)) + B<T>(T(0.5)), zero), one);
  else if constexpr (A == Act::hard_sigmoid_keras3)
    return xsimd::min(xsimd::max(x + B<T>(T(3)), zero), B<T>(T(6))) / B<T>(T(6));
  else return xsimd::max(x, zero);  // relu
}

// act'(a) from y = act(a). The hard sigmoids' slope holds where the output is strictly inside
// (0, 1), as TensorFlow's relu6 gradient has it (its clip_by_value also passes the two boundary
// points themselves, which the output cannot tell apart from saturation).
template <Act A, class T>
B<T> act_grad(const B<T>& y) {
  const B<T> zero(T(0)), one(T(1));
  if constexpr (A == Act::linear) return one;
  else if constexpr (A == Act::tanh) return one - y * y;
  else if constexpr (A == Act::sigmoid) return y * (one - y);
  else if constexpr (A == Act::hard_sigmoid) return xsimd::select(y > zero && y < one, B<T>(T(0.2)), zero);
  else if constexpr (A == Act::hard_sigmoid_keras3) return xsimd::select(y > zero && y < one, B<T>(T(1) / T(6)), zero);
  else return xsimd::select(y > zero, one, zero);  // relu
}

// Calls f(std::integral_constant<Act, a>) for the run-time activation a.
template <class F>
void with_act(Act a, const F& f) {
  switch (a) {
    case Act::linear: return f(std::integral_constant<Act, Act::linear>{});
    case Act::tanh: return f(std::integral_constant<Act, Act::tanh>{});
    case Act::sigmoid: return f(std::integral_constant<Act, Act::sigmoid>{});
    case Act::hard_sigmoid: return f(std::integral_constant<Act, Act::hard_sigmoid>{});
    case Act::hard_sigmoid_keras3: return f(std::integral_constant<Act, Act::hard_sigmoid_keras3>{});
    case Act::relu:
    case Act::count: break;
  }
  f(std::integral_constant<Act, Act::relu>{});
}

template <class T, Act A>
void activate(T* x, std::int64_t n) {
  each<T>(n, [&](const auto& io, std::int64_t i) { io.store(act<A, T>(io.load(x + i)), x + i); });
}
template <class T, Act A>
void mul_act_grad(const T* y, T* d, std::int64_t n) {
  each<T>(n, [&](const auto& io, std::int64_t i) { io.store(io.load(d + i) * act_grad<A, T>(io.load(y + i)), d + i); });
}
template <class T>
void activate_rt(Act a, T* x, std::int64_t n) {
  with_act(a, [&](auto tag) { activate<T, decltype(tag)::value>(x, n); });
}
template <class T>
void mul_act_grad_rt(Act a, const T* y, T* d, std::int64_t n) {
  with_act(a, [&](auto tag) { mul_act_grad<T, decltype(tag)::value>(y, d, n); });
}

template <class T>
void mul_add(const T* a, const T* b, T* out, std::int64_t n) {
  each<T>(n, [&](const auto& io, std::int64_t i) { io.store(io.load(out + i) + io.load(a + i) * io.load(b + i), out + i); });
}

// ---- LSTM -----------------------------------------------------------------------------------
template <class T>
void lstm_forward(T* z, const T* c_prev, T* c, T* h, std::int64_t u, Act a, Act rec) {
  activate_rt(rec, z, 2 * u);  // i, f
  activate_rt(rec, z + 3 * u, u);  // o
  with_act(a, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    each<T>(u, [&](const auto& io, std::int64_t k) {
      const B<T> g = act<A, T>(io.load(z + 2 * u + k));
      io.store(g, z + 2 * u + k);
      const B<T> cv = io.load(z + u + k) * io.load(c_prev + k) + io.load(z + k) * g;
      io.store(cv, c + k);
      io.store(io.load(z + 3 * u + k) * act<A, T>(cv), h + k);
    });
  });
}

template <class T>
void lstm_backward(const T* z, const T* c_prev, const T* c, const T* dh, T* dc, T* dz, std::int64_t u, Act a,
                   Act rec) {
  with_act(a, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    each<T>(u, [&](const auto& io, std::int64_t k) {
      const B<T> i = io.load(z + k), f = io.load(z + u + k), g = io.load(z + 2 * u + k), o = io.load(z + 3 * u + k);
      const B<T> ca = act<A, T>(io.load(c + k));
      const B<T> dhv = io.load(dh + k);
      // The carry's gradient: from the next step (dc) and through h = o act(c).
      const B<T> dct = io.load(dc + k) + dhv * o * act_grad<A, T>(ca);
      io.store(dct * g, dz + k);
      io.store(dct * io.load(c_prev + k), dz + u + k);
      io.store(dct * i * act_grad<A, T>(g), dz + 2 * u + k);
      io.store(dhv * ca, dz + 3 * u + k);
      io.store(dct * f, dc + k);
    });
  });
  mul_act_grad_rt(rec, z, dz, 2 * u);
  mul_act_grad_rt(rec, z + 3 * u, dz + 3 * u, u);
}

// ---- GRU, reset_after -----------------------------------------------------------------------
template <class T>
void gru_forward(T* x, const T* inner, const T* h_prev, T* h, T* saved_inner, std::int64_t u, Act a, Act rec) {
  each<T>(2 * u, [&](const auto& io, std::int64_t k) { io.store(io.load(x + k) + io.load(inner + k), x + k); });
  activate_rt(rec, x, 2 * u);
  with_act(a, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    each<T>(u, [&](const auto& io, std::int64_t k) {
      const B<T> ih = io.load(inner + 2 * u + k);
      io.store(ih, saved_inner + k);
      const B<T> hh = act<A, T>(io.load(x + 2 * u + k) + io.load(x + u + k) * ih);
      io.store(hh, x + 2 * u + k);
      const B<T> zv = io.load(x + k);
      io.store(zv * io.load(h_prev + k) + (B<T>(T(1)) - zv) * hh, h + k);
    });
  });
}

template <class T>
void gru_backward(const T* z, const T* inner_h, const T* h_prev, const T* dh, T* dx, T* dinner, T* dh_prev,
                  std::int64_t u, Act a, Act rec) {
  with_act(a, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    each<T>(u, [&](const auto& io, std::int64_t k) {
      const B<T> zv = io.load(z + k), rv = io.load(z + u + k), hh = io.load(z + 2 * u + k);
      const B<T> dhv = io.load(dh + k);
      const B<T> dpre_h = dhv * (B<T>(T(1)) - zv) * act_grad<A, T>(hh);
      io.store(dhv * (io.load(h_prev + k) - hh), dx + k);
      io.store(dpre_h * io.load(inner_h + k), dx + u + k);
      io.store(dpre_h, dx + 2 * u + k);
      io.store(dpre_h * rv, dinner + 2 * u + k);
      io.store(dhv * zv, dh_prev + k);
    });
  });
  mul_act_grad_rt(rec, z, dx, 2 * u);
  for (std::int64_t k = 0; k < 2 * u; ++k) dinner[k] = dx[k];
}

// ---- GRU, reset_before (reset_after=False) --------------------------------------------------
template <class T>
void gru_rb_gates(T* x, const T* hm, T* rh, std::int64_t u, Act rec) {
  activate_rt(rec, x, 2 * u);
  each<T>(u, [&](const auto& io, std::int64_t k) { io.store(io.load(x + u + k) * io.load(hm + k), rh + k); });
}

template <class T>
void gru_rb_state(T* x, const T* h_prev, T* h, std::int64_t u, Act a) {
  with_act(a, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    each<T>(u, [&](const auto& io, std::int64_t k) {
      const B<T> hh = act<A, T>(io.load(x + 2 * u + k));
      io.store(hh, x + 2 * u + k);
      const B<T> zv = io.load(x + k);
      io.store(zv * io.load(h_prev + k) + (B<T>(T(1)) - zv) * hh, h + k);
    });
  });
}

template <class T>
void gru_rb_backward_state(const T* z, const T* h_prev, const T* dh, T* dx, T* dh_prev, std::int64_t u, Act a,
                           Act rec) {
  with_act(a, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    each<T>(u, [&](const auto& io, std::int64_t k) {
      const B<T> zv = io.load(z + k), hh = io.load(z + 2 * u + k), dhv = io.load(dh + k);
      io.store(dhv * (io.load(h_prev + k) - hh), dx + k);
      io.store(dhv * (B<T>(T(1)) - zv) * act_grad<A, T>(hh), dx + 2 * u + k);
      io.store(dhv * zv, dh_prev + k);
    });
  });
  mul_act_grad_rt(rec, z, dx, u);
}

template <class T>
void gru_rb_backward_gates(const T* z, const T* hm, const T* drh, T* dx, T* dhm, std::int64_t u, Act rec) {
  each<T>(u, [&](const auto& io, std::int64_t k) {
    const B<T> d = io.load(drh + k);
    io.store(d * io.load(hm + k), dx + u + k);
    io.store(d * io.load(z + u + k), dhm + k);
  });
  mul_act_grad_rt(rec, z + u, dx + u, u);
}

template <class T>
RecurrentTable<T> make_recurrent_table() {
  RecurrentTable<T> t{};
  auto set = [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    t.activate[static_cast<int>(A)] = &activate<T, A>;
    t.mul_act_grad[static_cast<int>(A)] = &mul_act_grad<T, A>;
  };
  for (int a = 0; a < static_cast<int>(Act::count); ++a) with_act(static_cast<Act>(a), set);
  t.mul_add = &mul_add<T>;
  t.lstm_forward = &lstm_forward<T>;
  t.lstm_backward = &lstm_backward<T>;
  t.gru_forward = &gru_forward<T>;
  t.gru_backward = &gru_backward<T>;
  t.gru_rb_gates = &gru_rb_gates<T>;
  t.gru_rb_state = &gru_rb_state<T>;
  t.gru_rb_backward_state = &gru_rb_backward_state<T>;
  t.gru_rb_backward_gates = &gru_rb_backward_gates<T>;
  return t;
}

}  // namespace tg::core::kern::TG_ISA_NS::rnn
