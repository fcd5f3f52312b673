// The body of every fused optimizer update, written once over xsimd::batch<T, Arch>.
// Included by optim_<isa>.cpp with TG_ARCH and TG_ISA_NS defined. The nested `optim` namespace
// keeps these helpers apart from kernels_impl.hpp's, which live in the same per-ISA namespace.
//
// No FMA on purpose: Keras evaluates each formula as separate ops, so every product is rounded
// before it is added (mul() below), and every ISA gives the same bits.
#include <array>
#include <cstddef>
#include <xsimd/xsimd.hpp>

#include "core/kernels/optim.hpp"

namespace tg::core::kern::TG_ISA_NS::optim {

using Arch = TG_ARCH;
template <class T>
using B = xsimd::batch<T, Arch>;

// a * b, rounded. GCC contracts a * b + c into an FMA by default (-ffp-contract=fast) where the
// ISA has one; the empty asm hides the product, so it is always rounded on its own.
template <class T>
B<T> mul(const B<T>& a, const B<T>& b) {
  typename B<T>::register_type r = a * b;
  asm("" : "+v"(r));
  return B<T>(r);
}

// The last n < width elements go through the same vector code via a padded buffer (padding 1:
// no lane ever divides by zero), so an element's result never depends on the chunk boundaries.
template <class T>
B<T> load_part(const T* p, std::int64_t n) {
  alignas(64) T buf[B<T>::size];
  for (std::size_t i = 0; i < B<T>::size; ++i) buf[i] = static_cast<std::int64_t>(i) < n ? p[i] : T(1);
  return B<T>::load_aligned(buf);
}
template <class T>
void store_part(const B<T>& v, T* p, std::int64_t n) {
  alignas(64) T buf[B<T>::size];
  v.store_aligned(buf);
  for (std::int64_t i = 0; i < n; ++i) p[i] = buf[i];
}

// One pass over [0, n): loads w, g and the K slots, calls step(w, g, slots), stores w and slots.
template <class T, std::size_t K, class Step>
void fused(T* w, const T* g, const std::array<T*, K>& s, std::int64_t n, const Step& step) {
  constexpr std::int64_t width = B<T>::size;
  std::array<B<T>, K> sv{};
  std::int64_t i = 0;
  for (; i + width <= n; i += width) {
    B<T> wv = B<T>::load_unaligned(w + i);
    const B<T> gv = B<T>::load_unaligned(g + i);
    for (std::size_t k = 0; k < K; ++k) sv[k] = B<T>::load_unaligned(s[k] + i);
    step(wv, gv, sv);
    wv.store_unaligned(w + i);
    for (std::size_t k = 0; k < K; ++k) sv[k].store_unaligned(s[k] + i);
  }
  if (i < n) {
    const std::int64_t r = n - i;
    B<T> wv = load_part(w + i, r);
    const B<T> gv = load_part(g + i, r);
    for (std::size_t k = 0; k < K; ++k) sv[k] = load_part(s[k] + i, r);
    step(wv, gv, sv);
    store_part(wv, w + i, r);
    for (std::size_t k = 0; k < K; ++k) store_part(sv[k], s[k] + i, r);
  }
}

template <class T, bool Momentum, bool Nesterov>
void sgd_pass(T* w, const T* g, T* m, const SgdParams<T>& p, std::int64_t n) {
  const B<T> lr(p.lr), mu(p.momentum);
  if constexpr (!Momentum) {
    fused<T, 0>(w, g, {}, n, [&](B<T>& wv, const B<T>& gv, std::array<B<T>, 0>&) { wv = wv - mul(gv, lr); });
  } else {
    fused<T, 1>(w, g, {m}, n, [&](B<T>& wv, const B<T>& gv, std::array<B<T>, 1>& s) {
      s[0] = mul(s[0], mu) - mul(gv, lr);
      if constexpr (Nesterov)
        wv = wv + (mul(s[0], mu) - mul(gv, lr));
      else
        wv = wv + s[0];
    });
  }
}

template <class T>
void sgd(T* w, const T* g, T* m, const SgdParams<T>& p, std::int64_t n) {
  if (!p.use_momentum) return sgd_pass<T, false, false>(w, g, m, p, n);
  if (p.nesterov) return sgd_pass<T, true, true>(w, g, m, p, n);
  sgd_pass<T, true, false>(w, g, m, p, n);
}

template <class T, bool Amsgrad, bool Decay>
void adam_pass(T* w, const T* g, T* m, T* v, T* v_hat, const AdamParams<T>& p, std::int64_t n) {
  const B<T> alpha(p.alpha), omb1(p.one_minus_beta_1), omb2(p.one_minus_beta_2), eps(p.epsilon);
  const B<T> wd(p.weight_decay), lr(p.lr);
  auto step = [&](B<T>& wv, const B<T>& gv, auto& s) {
    if constexpr (Decay) wv = wv - mul(mul(wv, wd), lr);
    s[0] = s[0] + mul(gv - s[0], omb1);
    s[1] = s[1] + mul(mul(gv, gv) - s[1], omb2);
    if constexpr (Amsgrad) {
      s[2] = xsimd::max(s[2], s[1]);
      wv = wv - (s[0] * alpha) / (xsimd::sqrt(s[2]) + eps);
    } else {
      wv = wv - (s[0] * alpha) / (xsimd::sqrt(s[1]) + eps);
    }
  };
  if constexpr (Amsgrad)
    fused<T, 3>(w, g, {m, v, v_hat}, n, step);
  else
    fused<T, 2>(w, g, {m, v}, n, step);
}

template <class T>
void adam(T* w, const T* g, T* m, T* v, T* v_hat, const AdamParams<T>& p, std::int64_t n) {
  if (p.amsgrad) {
    if (p.decay) return adam_pass<T, true, true>(w, g, m, v, v_hat, p, n);
    return adam_pass<T, true, false>(w, g, m, v, v_hat, p, n);
  }
  if (p.decay) return adam_pass<T, false, true>(w, g, m, v, v_hat, p, n);
  adam_pass<T, false, false>(w, g, m, v, v_hat, p, n);
}

// Slots in the order velocity, [momentum], [average_grad].
template <class T, bool Momentum, bool Centered>
void rmsprop_pass(T* w, const T* g, T* velocity, T* momentum, T* average_grad, const RmspropParams<T>& p,
                  std::int64_t n) {
  const B<T> lr(p.lr), rho(p.rho), omr(p.one_minus_rho), eps(p.epsilon), mu(p.momentum);
  constexpr std::size_t K = 1 + (Momentum ? 1 : 0) + (Centered ? 1 : 0);
  constexpr std::size_t im = 1, ia = Momentum ? 2 : 1;
  auto step = [&](B<T>& wv, const B<T>& gv, std::array<B<T>, K>& s) {
    s[0] = mul(rho, s[0]) + mul(omr, mul(gv, gv));
    B<T> denominator;
    if constexpr (Centered) {
      s[ia] = mul(rho, s[ia]) + mul(omr, gv);
      denominator = s[0] - mul(s[ia], s[ia]) + eps;
    } else {
      denominator = s[0] + eps;
    }
    const B<T> increment = (lr * gv) / xsimd::sqrt(denominator);
    if constexpr (Momentum) {
      s[im] = mul(mu, s[im]) + increment;
      wv = wv - s[im];
    } else {
      wv = wv - increment;
    }
  };
  std::array<T*, K> slots{};
  slots[0] = velocity;
  if constexpr (Momentum) slots[im] = momentum;
  if constexpr (Centered) slots[ia] = average_grad;
  fused<T, K>(w, g, slots, n, step);
}

template <class T>
void rmsprop(T* w, const T* g, T* velocity, T* momentum, T* average_grad, const RmspropParams<T>& p,
             std::int64_t n) {
  if (p.use_momentum) {
    if (p.centered) return rmsprop_pass<T, true, true>(w, g, velocity, momentum, average_grad, p, n);
    return rmsprop_pass<T, true, false>(w, g, velocity, momentum, average_grad, p, n);
  }
  if (p.centered) return rmsprop_pass<T, false, true>(w, g, velocity, momentum, average_grad, p, n);
  rmsprop_pass<T, false, false>(w, g, velocity, momentum, average_grad, p, n);
}

template <class T>
OptimTable<T> make_optim_table() {
  OptimTable<T> t{};
  t.sgd = &sgd<T>;
  t.adam = &adam<T>;
  t.rmsprop = &rmsprop<T>;
  return t;
}

}  // namespace tg::core::kern::TG_ISA_NS::optim
