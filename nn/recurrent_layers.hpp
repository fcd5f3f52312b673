#pragma once
/// \file
/// Keras' recurrent layers SimpleRNN, LSTM and GRU, with Keras' config keys (Keras 2 and 3 forms),
/// defaults and weight layouts (ops/recurrent.hpp computes them). As in Keras, each layer owns a
/// cell (LSTMCell, GRUCell, SimpleRNNCell) holding kernel, recurrent_kernel and bias: Keras 3
/// files store the weights under the layer's `cell` (`layers/lstm/cell/vars`), legacy .h5 files
/// name them `lstm/lstm_cell/kernel:0`.
///
/// Calls: `layer(x)` on [N, T, F]; `layer({x, h0})` (`{x, h0, c0}` for LSTM) with initial states.
/// Outputs: the sequence [N, T, U] (return_sequences) or the last output [N, U], then with
/// return_state the final states (h; h and c for LSTM). A mask on x (from Embedding(mask_zero)
/// or Masking) makes masked steps carry the states over (ops/recurrent.hpp); the output keeps
/// the mask when it is a sequence. stateful layers start each call from the last call's final
/// states (reset_states() zeroes them). dropout / recurrent_dropout draw one mask per call while
/// training. `unroll` is accepted and changes nothing (the result is the same).
///
/// "hard_sigmoid" is Keras 3's relu6(x + 3) / 6, except in configs read from Keras 2 files, where
/// it is Keras 2's clip(0.2 x + 0.5, 0, 1) (nn/activations.hpp: "hard_sigmoid_keras2").
#include <cstdint>
#include <string>
#include <vector>

#include "nn/initializers.hpp"
#include "nn/layer.hpp"

namespace tg::nn {

enum class CellKind { simple_rnn, lstm, gru };

struct RNNOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";  ///< LSTM and GRU gates
  bool use_bias = true;
  InitializerArg kernel_initializer = "glorot_uniform";
  InitializerArg recurrent_initializer = "orthogonal";
  InitializerArg bias_initializer = "zeros";
  bool unit_forget_bias = true;  ///< LSTM: the forget gate's bias starts at 1
  bool reset_after = true;       ///< GRU: TF 2's default, bias (2, 3 units)
  double dropout = 0;
  double recurrent_dropout = 0;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool zero_output_for_mask = false;  ///< masked steps output zeros (Bidirectional sets it with sequences)
  std::int64_t implementation = 2;    ///< Keras 2's LSTM/GRU key, kept for its configs
  std::int64_t seed = -1;             ///< dropout seed; -1 draws from the global generator
  std::string name{};
  DType dtype = DType::float32;
};

/// The weights of one recurrent layer, Keras' LSTMCell / GRUCell / SimpleRNNCell. Run by its
/// layer, never on its own.
class RNNCell : public LayerBase<RNNCell> {
 public:
  RNNCell(CellKind kind, std::int64_t units, const RNNOptions& options);
  std::string class_name() const override;
  const Variable& kernel() const { return kernel_; }
  const Variable& recurrent_kernel() const { return recurrent_kernel_; }
  const Variable& bias() const { return bias_; }

 protected:
  void build_impl(const Shape& input_shape) override;

 private:
  CellKind kind_;
  std::int64_t units_;
  RNNOptions options_;
  Variable kernel_, recurrent_kernel_, bias_;
};

/// What SimpleRNN, LSTM and GRU share (Keras' RNN with a fixed cell).
class RNN : public Layer {
 public:
  CellKind kind() const { return kind_; }
  std::int64_t units() const { return units_; }
  const RNNOptions& options() const { return options_; }
  /// 2 for LSTM (h, c), else 1.
  std::size_t state_count() const { return kind_ == CellKind::lstm ? 2 : 1; }
  const RNNCell& cell() const { return *cell_; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  bool supports_masking() const override { return true; }
  std::vector<Tensor> compute_output_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                           std::size_t n_outputs) const override;
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> sublayers() const override { return {{"cell", cell_}}; }

  /// stateful layers: the states the next call starts from (empty: zeros).
  const std::vector<Tensor>& states() const { return states_; }
  /// Zeroes the states of a stateful layer (Keras' reset_states), or sets them.
  void reset_states();
  void reset_states(const std::vector<Tensor>& states);

 protected:
  RNN(CellKind kind, std::int64_t units, RNNOptions options);
  /// Reads the keys every recurrent layer shares (and those of `kind`) from a config.
  static RNNOptions options_from_config(const ConfigReader& r, CellKind kind);
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;

 private:
  CellKind kind_;
  std::int64_t units_;
  RNNOptions options_;
  std::shared_ptr<RNNCell> cell_;
  Generator gen_;
  std::vector<Tensor> states_;
};

class SimpleRNN : public LayerBase<SimpleRNN, RNN> {
 public:
  explicit SimpleRNN(std::int64_t units, RNNOptions options = {}) : LayerBase(CellKind::simple_rnn, units, std::move(options)) {}
  std::string class_name() const override { return "SimpleRNN"; }
  static std::shared_ptr<SimpleRNN> from_config(const Config& config);
};

/// Gate order i, f, c, o: kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U).
class LSTM : public LayerBase<LSTM, RNN> {
 public:
  explicit LSTM(std::int64_t units, RNNOptions options = {}) : LayerBase(CellKind::lstm, units, std::move(options)) {}
  std::string class_name() const override { return "LSTM"; }
  static std::shared_ptr<LSTM> from_config(const Config& config);
};

/// Gate order z, r, h: kernel (F, 3U), recurrent_kernel (U, 3U), bias (2, 3U) with reset_after
/// (input and recurrent biases), else (3U).
class GRU : public LayerBase<GRU, RNN> {
 public:
  explicit GRU(std::int64_t units, RNNOptions options = {}) : LayerBase(CellKind::gru, units, std::move(options)) {}
  std::string class_name() const override { return "GRU"; }
  static std::shared_ptr<GRU> from_config(const Config& config);
};

template <class T>
class Registry;
void register_recurrent_layers(Registry<Layer>& registry);

}  // namespace tg::nn
