#pragma once
/// \file
/// Whole-sequence loops of the recurrent cells (SimpleRNN, LSTM, GRU both ways) in Keras' weight
/// layouts, and their backward pass through time as plain math over the buffers the forward pass
/// saved. ops/recurrent.cpp validates, records and wraps these; core knows nothing of gradients.
///
/// Work layout: the inputs are copied once to time-major order [T, N, F] (in processing order,
/// times the input dropout mask), projected for all time steps by one GEMM into the gate buffer
/// [T, N, G]; each step then adds h·recurrent_kernel with one GEMM into its slice and runs the
/// fused gate kernel (core/kernels/recurrent.hpp) over the rows. Every buffer is allocated once per
/// sequence. The backward pass walks the steps in reverse with one GEMM per step for the state's
/// gradient, then computes the weight gradients for all steps at once: kernel = xᵀ·dZ,
/// recurrent_kernel = hᵀ·dZ, input = dZ·kernelᵀ, each one GEMM over T·N rows.
#include <cstdint>
#include <memory>

#include "core/kernels/recurrent.hpp"
#include "core/tensor.hpp"

namespace tg::core::rnn {

/// gru: reset_after=True, bias (2, 3U); gru_reset_before: reset_after=False, bias (3U).
enum class Cell { simple_rnn, lstm, gru, gru_reset_before };

struct Spec {
  Cell cell = Cell::lstm;
  kern::Act activation = kern::Act::tanh;
  kern::Act recurrent_activation = kern::Act::sigmoid;
  bool go_backwards = false;
  bool return_sequences = false;
  bool zero_output_for_mask = false;
};

/// Gate width G of a cell with `units` units: 4U (LSTM), 3U (GRU), U (SimpleRNN).
std::int64_t gate_width(Cell cell, std::int64_t units);

/// What one forward pass leaves for its backward pass: time-major, in processing order (step s
/// reads input time T-1-s with go_backwards).
struct Saved {
  Spec spec;
  std::int64_t batch = 0, steps = 0, features = 0, units = 0;
  Tensor kernel, recurrent_kernel;  // the weights (aliases)
  Tensor xt;                        // [T, N, F] inputs times the dropout mask
  Tensor gates;                     // [T, N, G] activated gates
  Tensor h;                         // [T+1, N, U] h0, then the state after every step
  Tensor c;                         // [T+1, N, U] LSTM's carry, c0 first
  Tensor hm;                        // [T, N, U] state entering each recurrent product, times the
                                    // recurrent dropout mask; undefined without one (h[0:T] then)
  Tensor aux;                       // [T, N, U] GRU: inner_h (reset_after) or r·hm (reset_before)
  Tensor dropout_mask, recurrent_dropout_mask;  // [N, F] / [N, U] or undefined
  std::vector<std::uint8_t> keep;   // [T, N] the sequence mask (1 = step taken); empty = no mask
};

struct Forward {
  /// [R, U]: the outputs (N·T rows, batch-major [N, T, U], with return_sequences; else the last
  /// output, N rows), then the final h (N rows), then for LSTM the final c (N rows).
  Tensor packed;
  std::shared_ptr<const Saved> saved;
};

/// x [N, T, F]; kernel [F, G]; recurrent_kernel [U, G]; bias [G], or [2, G] for Cell::gru, or
/// undefined; h0, c0 [N, U] or undefined (zeros); mask [N, T] (nonzero: take the step) or
/// undefined; dropout_mask [N, F] and recurrent_dropout_mask [N, U] or undefined. All float
/// tensors share one dtype, float32 or float64; shapes are the caller's to check.
Forward forward(const Spec& spec, const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel,
                const Tensor& bias, const Tensor& h0, const Tensor& c0, const Tensor& mask,
                const Tensor& dropout_mask, const Tensor& recurrent_dropout_mask);

struct Wanted {
  bool x = true, kernel = true, recurrent_kernel = true, bias = true, h0 = true, c0 = true;
};
struct Gradients {
  Tensor x, kernel, recurrent_kernel, bias, h0, c0;  // undefined where not wanted
};

/// The gradient of `packed` (same shape) carried back through time to the inputs, from the
/// saved gates. `bias_rank` is the bias' rank (1, or 2 for GRU's [2, G]).
Gradients backward(const Saved& saved, const Tensor& grad, const Wanted& wanted, int bias_rank);

}  // namespace tg::core::rnn
