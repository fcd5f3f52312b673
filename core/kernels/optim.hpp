#pragma once
// Fused optimizer updates: one pass over a parameter that reads the variable, its gradient and
// its slots and writes them back, compiled once per ISA (optim_sse42.cpp, optim_avx2.cpp,
// optim_avx512.cpp from one body, optim_impl.hpp) and picked at run time from active_isa().
// Kept apart from kernels.hpp so the elementwise table does not grow an nn/ concern.
//
// Each formula is evaluated in the variable's dtype with the operations in the order Keras 3's
// update_step writes them (keras/src/optimizers/*.py), so float32 results round as Keras' do.
// The caller (nn/optimizer_*.cpp) computes the per-call scalars and splits the range over threads;
// these see pointers and a count only. An element's result never depends on where a chunk ends.
#include <cstdint>

namespace tg::core::kern {

// momentum == 0 (`use_momentum` false): w = w - g * lr.
// Else m = m * momentum - g * lr, then w = w + m, or with nesterov w = w + (m * momentum - g * lr).
template <class T>
struct SgdParams {
  T lr;
  T momentum;
  bool use_momentum;
  bool nesterov;
};

// AdamW's decoupled decay first, when `decay`: w = w - (w * weight_decay) * lr.
// m = m + (g - m) * one_minus_beta_1; v = v + (g * g - v) * one_minus_beta_2;
// amsgrad: v_hat = max(v_hat, v), used in place of v; w = w - (m * alpha) / (sqrt(v) + epsilon),
// alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) folded in by the caller.
template <class T>
struct AdamParams {
  T alpha;
  T one_minus_beta_1;
  T one_minus_beta_2;
  T epsilon;
  T weight_decay;
  T lr;
  bool amsgrad;
  bool decay;
};

// velocity = rho * velocity + one_minus_rho * g^2; centered: average_grad = rho * average_grad +
// one_minus_rho * g and denominator = velocity - average_grad^2 + epsilon, else velocity + epsilon;
// increment = (lr * g) / sqrt(denominator); use_momentum: m = momentum * m + increment, w = w - m;
// else w = w - increment.
template <class T>
struct RmspropParams {
  T lr;
  T rho;
  T one_minus_rho;
  T epsilon;
  T momentum;
  bool use_momentum;
  bool centered;
};

template <class T>
struct OptimTable {
  // `m` is unused (may be null) without momentum.
  void (*sgd)(T* w, const T* g, T* m, const SgdParams<T>& p, std::int64_t n);
  // `v_hat` is unused (may be null) without amsgrad.
  void (*adam)(T* w, const T* g, T* m, T* v, T* v_hat, const AdamParams<T>& p, std::int64_t n);
  // `momentum` and `average_grad` are unused (may be null) when their option is off.
  void (*rmsprop)(T* w, const T* g, T* velocity, T* momentum, T* average_grad, const RmspropParams<T>& p,
                  std::int64_t n);
};

// The table for the active ISA.
template <class T>
const OptimTable<T>& optim_table();

// Per-ISA tables, defined in optim_<isa>.cpp.
const OptimTable<float>& optim_table_f32_sse42();
const OptimTable<double>& optim_table_f64_sse42();
const OptimTable<float>& optim_table_f32_avx2();
const OptimTable<double>& optim_table_f64_avx2();
const OptimTable<float>& optim_table_f32_avx512();
const OptimTable<double>& optim_table_f64_avx512();

}  // namespace tg::core::kern
