#pragma once
/// \file
/// Differentiable recurrent sequence ops in Keras' weight layouts: LSTM, GRU (reset_after both
/// ways) and SimpleRNN over batch-major inputs [N, T, F]. Each call is one op on the tape with a
/// hand-written backward pass through time that reuses the gates the forward pass saved (see
/// core/recurrent.hpp for the kernels). The nn layers are thin wrappers: they own the weights,
/// draw the dropout masks and pick the activations from the Keras config.
///
/// Weight layouts, as Keras stores them (U = units):
///   lstm        kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U); gate order i, f, c, o
///   gru         kernel (F, 3U), recurrent_kernel (U, 3U); gate order z, r, h;
///               reset_after=true: bias (2, 3U) = [input bias; recurrent bias], and
///               hh = act(x W_h + b_in_h + r * (h U_h + b_rec_h));
///               reset_after=false: bias (3U), hh = act(x W_h + b_h + (r * h) U_h)
///   simple_rnn  kernel (F, U), recurrent_kernel (U, U), bias (U)
/// A bias may be undefined (use_bias=False).
///
/// Masking follows TensorFlow's Keras (keras/src/backend/tensorflow/rnn.py): at a masked step
/// every state carries over unchanged and the output repeats the previous output (zeros before
/// the first taken step), or is zero with zero_output_for_mask (what Bidirectional sets when it
/// returns sequences). tfjs-layers differs only there: it repeats the previous *state*, so a
/// sequence that starts masked gives h0 rather than zeros; the two agree when h0 is zero.
///
/// Dropout (the layer draws the masks once per call, as Keras does per sequence): dropout_mask
/// multiplies x_t before the kernel at every step; recurrent_dropout_mask multiplies h_{t-1} where
/// it meets recurrent_kernel (for GRU with reset_after=false also inside r * h), never the carried
/// state. That is Keras 3's LSTMCell and SimpleRNNCell; Keras' GRUCell has varied (TF 2's
/// implementation=2 also mixes the masked state into z * h_{t-1}; tfjs does too).
///
/// Second-order gradients: when a tape records while another differentiates through one of these
/// ops, the backward pass runs through the same cell written with differentiable ops (unrolled
/// over time), so nested tapes see it; the fused first-order path is used otherwise.
#include <string_view>

#include "core/kernels/recurrent.hpp"
#include "core/tensor.hpp"

namespace tg {

/// Activations the recurrent ops fuse into their kernels. Keras spells both hard sigmoids
/// "hard_sigmoid": `hard_sigmoid` is Keras 2.x's (and TensorFlow.js'), clip(0.2 x + 0.5, 0, 1);
/// `hard_sigmoid_keras3` is Keras 3's, relu6(x + 3) / 6 (torch.nn.functional.hardsigmoid).
using RnnActivation = core::kern::Act;

/// Parses a Keras activation name: "tanh", "sigmoid", "hard_sigmoid", "relu", "linear" (or ""
/// for None). "hard_sigmoid" means Keras 2's formula when keras_major < 3, else Keras 3's.
/// Throws std::invalid_argument naming the activation and the supported ones.
RnnActivation rnn_activation(std::string_view name, int keras_major = 3);
/// The Keras name of an activation ("hard_sigmoid" for both hard sigmoids).
const char* rnn_activation_name(RnnActivation a);

struct RecurrentOptions {
  RnnActivation activation = RnnActivation::tanh;
  RnnActivation recurrent_activation = RnnActivation::sigmoid;  ///< LSTM and GRU gates
  bool return_sequences = false;
  bool go_backwards = false;           ///< process T-1..0; outputs come in processing order (as Keras)
  bool zero_output_for_mask = false;
  bool reset_after = true;             ///< GRU only
  Tensor mask{};                         ///< [N, T], nonzero = take the step; undefined = no mask
  Tensor dropout_mask{};               ///< [N, F] multiplies x_t at every step (already scaled)
  Tensor recurrent_dropout_mask{};       ///< [N, U] multiplies h_{t-1} where it meets recurrent_kernel
};

struct RecurrentResult {
  Tensor outputs;  ///< [N, T, U] with return_sequences, else the last output [N, U]
  Tensor h;        ///< the final state [N, U]
  Tensor c;        ///< LSTM's final carry [N, U]; undefined for GRU and SimpleRNN
};

// [N, T, F] -> outputs [N, T, U] or [N, U], h [N, U], c [N, U]; h0, c0 [N, U] or undefined (zeros).
RecurrentResult lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                     const Tensor& h0, const Tensor& c0, const RecurrentOptions& options = {});
// [N, T, F] -> outputs [N, T, U] or [N, U], h [N, U]; h0 [N, U] or undefined (zeros).
RecurrentResult gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                    const Tensor& h0, const RecurrentOptions& options = {});
// [N, T, F] -> outputs [N, T, U] or [N, U], h [N, U]; recurrent_activation is unused.
RecurrentResult simple_rnn(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                           const Tensor& h0, const RecurrentOptions& options = {});

}  // namespace tg
