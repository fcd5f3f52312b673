#pragma once
// The gate kernels of the recurrent cells: everything a time step does after its GEMM, for one
// row (one sample) of the batch. Compiled once per ISA (recurrent_sse42.cpp, recurrent_avx2.cpp,
// recurrent_avx512.cpp from one body, recurrent_impl.hpp) and picked at run time from active_isa().
// core/recurrent.cpp drives them over rows, threads and time steps; these see pointers and a count.
//
// Gate layouts are Keras': LSTM [i | f | c | o], GRU [z | r | h], each block `u` wide. Every
// activation's derivative is a function of its output, so the backward kernels read the saved
// activated gates and never recompute a pre-activation.
#include <cstdint>

namespace tg::core::kern {

// The activations a cell may use. Keras names both hard sigmoids "hard_sigmoid":
// hard_sigmoid is Keras 2.x's (and tfjs'), clip(0.2 x + 0.5, 0, 1), slope 0.2 on (-2.5, 2.5);
// hard_sigmoid_keras3 is Keras 3's, relu6(x + 3) / 6, slope 1/6 on (-3, 3) (= torch's hardsigmoid).
enum class Act : int { linear, tanh, sigmoid, hard_sigmoid, hard_sigmoid_keras3, relu, count };

template <class T>
struct RecurrentTable {
  // x = act(x), in place.
  void (*activate[static_cast<int>(Act::count)])(T* x, std::int64_t n);
  // d = d * act'(a), where y = act(a) is given (the saved output).
  void (*mul_act_grad[static_cast<int>(Act::count)])(const T* y, T* d, std::int64_t n);
  // out = out + a * b
  void (*mul_add)(const T* a, const T* b, T* out, std::int64_t n);

  // LSTM step. z: [4u] pre-activations in, activated gates out. c = f c_prev + i g, h = o act(c).
  void (*lstm_forward)(T* z, const T* c_prev, T* c, T* h, std::int64_t u, Act act, Act rec);
  // z: activated gates; c_prev, c: the carry before and after the step; dh: the gradient of h.
  // dc: in, the gradient of c; out, the gradient of c_prev. dz: [4u] pre-activation gradients.
  void (*lstm_backward)(const T* z, const T* c_prev, const T* c, const T* dh, T* dc, T* dz, std::int64_t u, Act act,
                        Act rec);

  // GRU step, reset_after (Keras' default): x = x·W + b_in [3u] (pre-activations in, activated
  // z, r, hh out), inner = h_prev·U + b_rec [3u]. z = rec(x_z + inner_z), r = rec(x_r + inner_r),
  // hh = act(x_h + r inner_h), h = z h_prev + (1 - z) hh. inner_h is copied to saved_inner [u].
  void (*gru_forward)(T* x, const T* inner, const T* h_prev, T* h, T* saved_inner, std::int64_t u, Act act,
                      Act rec);
  // Gradients of the step from dh: dx [3u] (of x·W + b_in), dinner [3u] (of h_prev·U + b_rec),
  // dh_prev = dh z (the direct path; the caller adds dinner·Uᵀ).
  void (*gru_backward)(const T* z, const T* inner_h, const T* h_prev, const T* dh, T* dx, T* dinner, T* dh_prev,
                       std::int64_t u, Act act, Act rec);

  // GRU step, reset_before (reset_after=False), in two halves around the GEMM (r hm)·U_h:
  // gates: x[0:2u] = rec(x[0:2u]) (x_zr + h_prev·U_zr, pre-activations in), rh = r hm, where hm is
  // h_prev times the recurrent dropout mask (h_prev without one).
  void (*gru_rb_gates)(T* x, const T* hm, T* rh, std::int64_t u, Act rec);
  // state: x[2u:3u] = act(x[2u:3u]) (x_h + (r hm)·U_h in), h = z h_prev + (1 - z) hh.
  void (*gru_rb_state)(T* x, const T* h_prev, T* h, std::int64_t u, Act act);
  // Backward, first half: dx[0:u] = dh (h_prev - hh) z', dx[2u:3u] = dh (1 - z) hh',
  // dh_prev = dh z (direct path).
  void (*gru_rb_backward_state)(const T* z, const T* h_prev, const T* dh, T* dx, T* dh_prev, std::int64_t u, Act act,
                                Act rec);
  // Second half, given drh = dx_h·U_hᵀ: dx[u:2u] = drh hm r', dhm = drh r.
  void (*gru_rb_backward_gates)(const T* z, const T* hm, const T* drh, T* dx, T* dhm, std::int64_t u, Act rec);
};

// The table for the active ISA.
template <class T>
const RecurrentTable<T>& recurrent_table();

// Per-ISA tables, defined in recurrent_<isa>.cpp.
const RecurrentTable<float>& recurrent_table_f32_sse42();
const RecurrentTable<double>& recurrent_table_f64_sse42();
const RecurrentTable<float>& recurrent_table_f32_avx2();
const RecurrentTable<double>& recurrent_table_f64_avx2();
const RecurrentTable<float>& recurrent_table_f32_avx512();
const RecurrentTable<double>& recurrent_table_f64_avx512();

}  // namespace tg::core::kern
