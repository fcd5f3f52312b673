#include "core/recurrent.hpp"

#include <algorithm>
#include <cstring>

#include "core/gemm.hpp"
#include "core/kernels/kernels.hpp"
#include "core/parallel.hpp"

namespace tg::core::rnn {

std::int64_t gate_width(Cell cell, std::int64_t units) {
  switch (cell) {
    case Cell::lstm: return 4 * units;
    case Cell::gru:
    case Cell::gru_reset_before: return 3 * units;
    case Cell::simple_rnn: break;
  }
  return units;
}

namespace {

// Rows per task of a gate kernel: enough elements that a task outweighs its scheduling.
std::int64_t row_grain(std::int64_t width) { return std::max<std::int64_t>(1, 8192 / std::max<std::int64_t>(1, width)); }

template <class T>
void copy_row(const T* src, T* dst, std::int64_t n) {
  std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
}

// out [cols, rows] = in [rows, cols]ᵀ, in blocks so that both sides stay in cache.
template <class T>
void transpose_into(const T* in, std::int64_t rows, std::int64_t cols, T* out) {
  constexpr std::int64_t b = 16;
  for (std::int64_t i0 = 0; i0 < rows; i0 += b)
    for (std::int64_t j0 = 0; j0 < cols; j0 += b)
      for (std::int64_t i = i0; i < std::min(rows, i0 + b); ++i)
        for (std::int64_t j = j0; j < std::min(cols, j0 + b); ++j) out[j * rows + i] = in[i * cols + j];
}

// Sum over the rows of a [rows, n] matrix (rows ld apart) into out [n].
template <class T>
void column_sums(const T* m, std::int64_t rows, std::int64_t n, std::int64_t ld, T* out) {
  std::fill(out, out + n, T(0));
  const auto& k = kern::table<T>();
  for (std::int64_t r = 0; r < rows; ++r) k.add_into(m + r * ld, out, n);
}

// out = a * b elementwise.
template <class T>
void mul(const T* a, const T* b, T* out, std::int64_t n) {
  kern::table<T>().binary[static_cast<int>(kern::Binary::mul)][static_cast<int>(kern::Layout::vv)](a, b, out, n);
}

// The input time step read at processing step s.
std::int64_t input_step(const Spec& sp, std::int64_t s, std::int64_t steps) { return sp.go_backwards ? steps - 1 - s : s; }

// Moves [N, T, F] batch-major rows to [T, N, F] in processing order (or back, with to_time_major
// false), times a per-sample row mask [N, F] when given (the input dropout mask, fixed over time).
template <class T>
void reorder(const Spec& sp, const T* src, T* dst, std::int64_t N, std::int64_t S, std::int64_t F, const T* row_mask,
             bool to_time_major) {
  parallel_for(0, S, std::max<std::int64_t>(1, 65536 / std::max<std::int64_t>(1, N * F)), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t st = b; st < e; ++st)
      for (std::int64_t n = 0; n < N; ++n) {
        const std::int64_t batch_major = (n * S + input_step(sp, st, S)) * F, time_major = (st * N + n) * F;
        const T* from = src + (to_time_major ? batch_major : time_major);
        T* to = dst + (to_time_major ? time_major : batch_major);
        if (row_mask) mul(from, row_mask + n * F, to, F);
        else copy_row(from, to, F);
      }
  });
}

// Whether sample n's last output is its final state (else it is zero): it took some step, or with
// zero_output_for_mask the last one.
bool last_output_is_state(const Spec& sp, const std::uint8_t* keep, std::int64_t n, std::int64_t N, std::int64_t S) {
  if (!keep) return true;
  if (sp.zero_output_for_mask) return keep[(S - 1) * N + n];
  for (std::int64_t st = 0; st < S; ++st)
    if (keep[st * N + n]) return true;
  return false;
}

template <class T>
Forward forward_t(const Spec& sp, const Tensor& x, const Tensor& kernel, const Tensor& rkernel, const Tensor& bias,
                  const Tensor& h0, const Tensor& c0, const Tensor& mask, const Tensor& dmask, const Tensor& rmask) {
  const auto& kt = kern::recurrent_table<T>();
  const DType dt = x.dtype();
  const std::int64_t N = x.dim(0), S = x.dim(1), F = x.dim(2), U = rkernel.dim(0);
  const std::int64_t G = gate_width(sp.cell, U);
  const bool lstm = sp.cell == Cell::lstm;

  auto saved = std::make_shared<Saved>();
  Saved& s = *saved;
  s.spec = sp;
  s.batch = N;
  s.steps = S;
  s.features = F;
  s.units = U;
  s.kernel = kernel;
  s.recurrent_kernel = rkernel;
  s.dropout_mask = dmask;
  s.recurrent_dropout_mask = rmask;

  // Inputs to time-major processing order, times the input dropout mask (fixed over time).
  s.xt = Tensor(Shape{S, N, F}, dt);
  reorder(sp, x.data<T>(), s.xt.data<T>(), N, S, F, dmask.defined() ? dmask.data<T>() : nullptr, true);
  if (mask.defined()) {
    s.keep.assign(static_cast<std::size_t>(S * N), 0);
    const Tensor m = convert(mask, DType::float64);
    const double* pm = m.data<double>();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t t = 0; t < S; ++t)
        s.keep[static_cast<std::size_t>(input_step(sp, t, S) * N + n)] = pm[n * S + t] != 0;
  }
  const std::uint8_t* keep = s.keep.empty() ? nullptr : s.keep.data();

  // All time steps' input projection in one GEMM, with the (input) bias fused.
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  s.gates = Tensor(Shape{S, N, G}, dt);
  {
    GemmEpilogue<T> ep;
    ep.bias = pb;
    gemm<T>(false, false, S * N, G, F, s.xt.data<T>(), F, kernel.data<T>(), G, s.gates.data<T>(), G, ep);
  }

  s.h = Tensor(Shape{S + 1, N, U}, dt);
  if (h0.defined()) copy_row(h0.data<T>(), s.h.data<T>(), N * U);
  else std::fill(s.h.data<T>(), s.h.data<T>() + N * U, T(0));
  if (lstm) {
    s.c = Tensor(Shape{S + 1, N, U}, dt);
    if (c0.defined()) copy_row(c0.data<T>(), s.c.data<T>(), N * U);
    else std::fill(s.c.data<T>(), s.c.data<T>() + N * U, T(0));
  }
  if (rmask.defined()) s.hm = Tensor(Shape{S, N, U}, dt);
  if (sp.cell == Cell::gru || sp.cell == Cell::gru_reset_before) s.aux = Tensor(Shape{S, N, U}, dt);
  Tensor inner;  // h·U + b_rec of one step (GRU reset_after)
  if (sp.cell == Cell::gru) inner = Tensor(Shape{N, G}, dt);

  const T* rk = rkernel.data<T>();
  const T* pm_rec = rmask.defined() ? rmask.data<T>() : nullptr;
  const T* b_rec = sp.cell == Cell::gru && pb ? pb + G : nullptr;
  const kern::Act act = sp.activation, rec = sp.recurrent_activation;
  const std::int64_t grain = row_grain(G);
  for (std::int64_t st = 0; st < S; ++st) {
    T* z = s.gates.data<T>() + st * N * G;
    const T* hp = s.h.data<T>() + st * N * U;
    T* hn = s.h.data<T>() + (st + 1) * N * U;
    const T* a = hp;  // what multiplies the recurrent kernel
    if (pm_rec) {
      T* hm = s.hm.data<T>() + st * N * U;
      mul(hp, pm_rec, hm, N * U);
      a = hm;
    }
    T* aux = s.aux.defined() ? s.aux.data<T>() + st * N * U : nullptr;
    T* cp = lstm ? s.c.data<T>() + st * N * U : nullptr;
    T* cn = lstm ? s.c.data<T>() + (st + 1) * N * U : nullptr;
    GemmEpilogue<T> acc;
    acc.accumulate = true;
    switch (sp.cell) {
      case Cell::simple_rnn:
      case Cell::lstm:
        gemm<T>(false, false, N, G, U, a, U, rk, G, z, G, acc);
        parallel_for(0, N, grain, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t n = b; n < e; ++n) {
            T* zr = z + n * G;
            if (lstm) {
              kt.lstm_forward(zr, cp + n * U, cn + n * U, hn + n * U, U, act, rec);
            } else {
              kt.activate[static_cast<int>(act)](zr, U);
              copy_row(zr, hn + n * U, U);
            }
          }
        });
        break;
      case Cell::gru: {
        GemmEpilogue<T> ep;
        ep.bias = b_rec;
        T* pin = inner.data<T>();
        gemm<T>(false, false, N, G, U, a, U, rk, G, pin, G, ep);
        parallel_for(0, N, grain, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t n = b; n < e; ++n)
            kt.gru_forward(z + n * G, pin + n * G, hp + n * U, hn + n * U, aux + n * U, U, act, rec);
        });
        break;
      }
      case Cell::gru_reset_before:
        gemm<T>(false, false, N, 2 * U, U, a, U, rk, G, z, G, acc);
        parallel_for(0, N, grain, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t n = b; n < e; ++n) kt.gru_rb_gates(z + n * G, a + n * U, aux + n * U, U, rec);
        });
        gemm<T>(false, false, N, U, U, aux, U, rk + 2 * U, G, z + 2 * U, G, acc);
        parallel_for(0, N, grain, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t n = b; n < e; ++n) kt.gru_rb_state(z + n * G, hp + n * U, hn + n * U, U, act);
        });
        break;
    }
    // A masked step carries the state over unchanged.
    if (keep)
      for (std::int64_t n = 0; n < N; ++n)
        if (!keep[st * N + n]) {
          copy_row(hp + n * U, hn + n * U, U);
          if (lstm) copy_row(cp + n * U, cn + n * U, U);
        }
  }

  // The packed result. Keras' masked outputs: a masked step repeats the previous output (zeros
  // before the first taken step), or is zero with zero_output_for_mask.
  const std::int64_t out_rows = sp.return_sequences ? N * S : N;
  Tensor packed(Shape{out_rows + N + (lstm ? N : 0), U}, dt);
  T* po = packed.data<T>();
  const T* ph = s.h.data<T>();
  if (sp.return_sequences) {
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t st = 0; st < S; ++st) {
        T* dst = po + (n * S + st) * U;
        if (!keep || keep[st * N + n]) copy_row(ph + ((st + 1) * N + n) * U, dst, U);
        else if (sp.zero_output_for_mask || st == 0) std::fill(dst, dst + U, T(0));
        else copy_row(dst - U, dst, U);
      }
  } else {
    for (std::int64_t n = 0; n < N; ++n)
      if (last_output_is_state(sp, keep, n, N, S)) copy_row(ph + (S * N + n) * U, po + n * U, U);
      else std::fill(po + n * U, po + (n + 1) * U, T(0));
  }
  copy_row(ph + S * N * U, po + out_rows * U, N * U);
  if (lstm) copy_row(s.c.data<T>() + S * N * U, po + (out_rows + N) * U, N * U);
  return {packed, saved};
}

template <class T>
Gradients backward_t(const Saved& s, const Tensor& grad, const Wanted& want, int bias_rank) {
  const auto& kt = kern::recurrent_table<T>();
  const auto& et = kern::table<T>();
  const Spec& sp = s.spec;
  const DType dt = grad.dtype();
  const std::int64_t N = s.batch, S = s.steps, F = s.features, U = s.units;
  const std::int64_t G = gate_width(sp.cell, U);
  const bool lstm = sp.cell == Cell::lstm;
  const std::uint8_t* keep = s.keep.empty() ? nullptr : s.keep.data();
  const std::int64_t out_rows = sp.return_sequences ? N * S : N;
  const T* g = grad.data<T>();
  const kern::Act act = sp.activation, rec = sp.recurrent_activation;

  // The carried gradients of h and c start from those of the final states.
  Tensor dh_t(Shape{N, U}, dt), dh_next_t(Shape{N, U}, dt), dc_t;
  T* dh = dh_t.data<T>();
  T* dh_next = dh_next_t.data<T>();
  copy_row(g + out_rows * U, dh, N * U);
  if (lstm) {
    dc_t = Tensor(Shape{N, U}, dt);
    copy_row(g + (out_rows + N) * U, dc_t.data<T>(), N * U);
  }
  T* dc = lstm ? dc_t.data<T>() : nullptr;

  // The outputs' gradients, as contributions to each step's state. A masked output is the previous
  // one (so its gradient moves back to the last taken step) or a constant zero.
  Tensor dy_t;  // [T, N, U] with return_sequences
  if (sp.return_sequences) {
    dy_t = Tensor(Shape{S, N, U}, dt);
    T* dy = dy_t.data<T>();
    std::vector<T> carry(static_cast<std::size_t>(U));
    for (std::int64_t n = 0; n < N; ++n) {
      std::fill(carry.begin(), carry.end(), T(0));
      for (std::int64_t st = S - 1; st >= 0; --st) {
        const T* src = g + (n * S + st) * U;
        T* dst = dy + (st * N + n) * U;
        if (!keep) {
          copy_row(src, dst, U);
          continue;
        }
        for (std::int64_t k = 0; k < U; ++k) carry[static_cast<std::size_t>(k)] += src[k];
        if (keep[st * N + n]) {
          for (std::int64_t k = 0; k < U; ++k) dst[k] = carry[static_cast<std::size_t>(k)];
          std::fill(carry.begin(), carry.end(), T(0));
        } else {
          std::fill(dst, dst + U, T(0));
          if (sp.zero_output_for_mask) std::fill(carry.begin(), carry.end(), T(0));
        }
      }
    }
  } else {
    for (std::int64_t n = 0; n < N; ++n)
      if (last_output_is_state(sp, keep, n, N, S)) et.add_into(g + n * U, dh + n * U, U);
  }

  // The gate gradients of all steps, rows padded when G would put them a multiple of 2 KB apart:
  // the GEMMs then read them in place instead of packing them at every step to dodge L1 set
  // conflicts (LSTM(128) in float32 has 2 KB rows).
  const std::int64_t ldz = (G * static_cast<std::int64_t>(sizeof(T))) % 2048 == 0 ? G + 64 / static_cast<std::int64_t>(sizeof(T)) : G;
  Tensor dz_t(Shape{S, N, ldz}, dt), dinner_t, drh_t, dhm_t;
  T* dz_all = dz_t.data<T>();
  if (sp.cell == Cell::gru) dinner_t = Tensor(Shape{S, N, ldz}, dt);
  if (sp.cell == Cell::gru_reset_before) {
    drh_t = Tensor(Shape{N, U}, dt);
    dhm_t = Tensor(Shape{N, U}, dt);
  } else if (s.recurrent_dropout_mask.defined()) {
    dhm_t = Tensor(Shape{N, U}, dt);
  }
  // The recurrent kernel transposed once, [G, U]: each step's dZ·Uᵀ then reads a row-major B
  // (in place for a small batch) instead of packing a transposed one at every step.
  Tensor rkt_t(Shape{G, U}, dt);
  transpose_into(s.recurrent_kernel.data<T>(), U, G, rkt_t.data<T>());
  const T* rkt = rkt_t.data<T>();
  const T* pm_rec = s.recurrent_dropout_mask.defined() ? s.recurrent_dropout_mask.data<T>() : nullptr;
  const std::int64_t grain = row_grain(G);

  for (std::int64_t st = S - 1; st >= 0; --st) {
    if (sp.return_sequences) et.add_into(dy_t.data<T>() + st * N * U, dh, N * U);
    const T* z = s.gates.data<T>() + st * N * G;
    const T* hp = s.h.data<T>() + st * N * U;
    const T* a = pm_rec ? s.hm.data<T>() + st * N * U : hp;
    const T* aux = s.aux.defined() ? s.aux.data<T>() + st * N * U : nullptr;
    T* dz = dz_all + st * N * ldz;
    T* dinner = sp.cell == Cell::gru ? dinner_t.data<T>() + st * N * ldz : dz;
    parallel_for(0, N, grain, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t n = b; n < e; ++n) {
        T* dzr = dz + n * ldz;
        if (keep && !keep[st * N + n]) {  // the state passed through: so does its gradient
          std::fill(dzr, dzr + G, T(0));
          if (sp.cell == Cell::gru) std::fill(dinner + n * ldz, dinner + n * ldz + G, T(0));
          copy_row(dh + n * U, dh_next + n * U, U);
          continue;
        }
        switch (sp.cell) {
          case Cell::lstm:
            kt.lstm_backward(z + n * G, s.c.data<T>() + (st * N + n) * U, s.c.data<T>() + ((st + 1) * N + n) * U,
                             dh + n * U, dc + n * U, dzr, U, act, rec);
            std::fill(dh_next + n * U, dh_next + (n + 1) * U, T(0));
            break;
          case Cell::simple_rnn:
            copy_row(dh + n * U, dzr, U);
            kt.mul_act_grad[static_cast<int>(act)](z + n * G, dzr, U);
            std::fill(dh_next + n * U, dh_next + (n + 1) * U, T(0));
            break;
          case Cell::gru:
            kt.gru_backward(z + n * G, aux + n * U, hp + n * U, dh + n * U, dzr, dinner + n * ldz, dh_next + n * U, U,
                            act, rec);
            break;
          case Cell::gru_reset_before:
            kt.gru_rb_backward_state(z + n * G, hp + n * U, dh + n * U, dzr, dh_next + n * U, U, act, rec);
            break;
        }
      }
    });
    // The state's gradient through the recurrent product(s): dh_prev += (dZ·Uᵀ) * recurrent mask.
    GemmEpilogue<T> acc;
    acc.accumulate = true;
    if (sp.cell == Cell::gru_reset_before) {
      T* drh = drh_t.data<T>();
      T* dhm = dhm_t.data<T>();
      gemm<T>(false, false, N, U, U, dz + 2 * U, ldz, rkt + 2 * U * U, U, drh, U);
      parallel_for(0, N, grain, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t n = b; n < e; ++n)
          kt.gru_rb_backward_gates(z + n * G, a + n * U, drh + n * U, dz + n * ldz, dhm + n * U, U, rec);
      });
      gemm<T>(false, false, N, U, 2 * U, dz, ldz, rkt, U, dhm, U, acc);
      if (pm_rec) kt.mul_add(dhm, pm_rec, dh_next, N * U);
      else et.add_into(dhm, dh_next, N * U);
    } else if (pm_rec) {
      T* dhm = dhm_t.data<T>();
      gemm<T>(false, false, N, U, G, dinner, ldz, rkt, U, dhm, U);
      kt.mul_add(dhm, pm_rec, dh_next, N * U);
    } else {
      gemm<T>(false, false, N, U, G, dinner, ldz, rkt, U, dh_next, U, acc);
    }
    std::swap(dh, dh_next);
    std::swap(dh_t, dh_next_t);
  }

  Gradients out;
  if (want.h0) out.h0 = dh_t;
  if (want.c0 && lstm) out.c0 = dc_t;
  const std::int64_t rows = S * N;
  const T* dinner_all = sp.cell == Cell::gru ? dinner_t.data<T>() : dz_all;
  if (want.kernel) {
    out.kernel = Tensor(Shape{F, G}, dt);
    gemm<T>(true, false, F, G, rows, s.xt.data<T>(), F, dz_all, ldz, out.kernel.data<T>(), G);
  }
  if (want.recurrent_kernel) {
    out.recurrent_kernel = Tensor(Shape{U, G}, dt);
    T* drk = out.recurrent_kernel.data<T>();
    const T* a = s.hm.defined() ? s.hm.data<T>() : s.h.data<T>();  // h[0:T]: the state entering each step
    if (sp.cell == Cell::gru_reset_before) {
      gemm<T>(true, false, U, 2 * U, rows, a, U, dz_all, ldz, drk, G);
      gemm<T>(true, false, U, U, rows, s.aux.data<T>(), U, dz_all + 2 * U, ldz, drk + 2 * U, G);
    } else {
      gemm<T>(true, false, U, G, rows, a, U, dinner_all, ldz, drk, G);
    }
  }
  if (want.bias) {
    out.bias = bias_rank == 2 ? Tensor(Shape{2, G}, dt) : Tensor(Shape{G}, dt);
    column_sums(dz_all, rows, G, ldz, out.bias.data<T>());
    if (bias_rank == 2) column_sums(dinner_all, rows, G, ldz, out.bias.data<T>() + G);
  }
  if (want.x) {
    Tensor dxt(Shape{S, N, F}, dt);
    gemm<T>(false, true, rows, F, G, dz_all, ldz, s.kernel.data<T>(), G, dxt.data<T>(), F);
    out.x = Tensor(Shape{N, S, F}, dt);
    reorder(sp, dxt.data<T>(), out.x.data<T>(), N, S, F, s.dropout_mask.defined() ? s.dropout_mask.data<T>() : nullptr,
            false);
  }
  return out;
}

}  // namespace

Forward forward(const Spec& spec, const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel,
                const Tensor& bias, const Tensor& h0, const Tensor& c0, const Tensor& mask, const Tensor& dropout_mask,
                const Tensor& recurrent_dropout_mask) {
  if (x.dtype() == DType::float64)
    return forward_t<double>(spec, x, kernel, recurrent_kernel, bias, h0, c0, mask, dropout_mask, recurrent_dropout_mask);
  return forward_t<float>(spec, x, kernel, recurrent_kernel, bias, h0, c0, mask, dropout_mask, recurrent_dropout_mask);
}

Gradients backward(const Saved& saved, const Tensor& grad, const Wanted& wanted, int bias_rank) {
  if (grad.dtype() == DType::float64) return backward_t<double>(saved, grad, wanted, bias_rank);
  return backward_t<float>(saved, grad, wanted, bias_rank);
}

}  // namespace tg::core::rnn
