#pragma once
/// \file
/// Keras' Bidirectional wrapper: a recurrent layer run forwards and a copy of it run backwards
/// over the same sequence, the two outputs merged by merge_mode ("concat", "sum", "mul", "ave",
/// or "" for Keras' None: both outputs returned). With return_sequences the backward outputs
/// are flipped back into time order before merging, and both layers output zeros at masked
/// steps (Keras forces zero_output_for_mask). With return_state the outputs are followed by the
/// forward states, then the backward ones; initial states are given the same way.
///
/// As in Keras, the layers are rebuilt from the given layer's config, named "forward_<name>" and
/// "backward_<name>"; files store them under `forward_layer` / `backward_layer` (Keras 3, config
/// keys `layer` and `backward_layer`) or as `bidirectional/forward_lstm/lstm_cell_1/kernel:0`
/// (legacy .h5, config key `layer` holding the original layer).
#include <memory>
#include <string>

#include "nn/recurrent_layers.hpp"

namespace tg::nn {

class Bidirectional : public LayerBase<Bidirectional> {
 public:
  /// `backward_layer`, when given, must have the opposite go_backwards and the same
  /// return_sequences, return_state and stateful.
  explicit Bidirectional(const RNN& layer, const std::string& merge_mode = "concat",
                         std::shared_ptr<RNN> backward_layer = nullptr, const std::string& name = "");
  std::string class_name() const override { return "Bidirectional"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Bidirectional> from_config(const Config& config);
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  bool supports_masking() const override { return true; }
  std::vector<Tensor> compute_output_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                           std::size_t n_outputs) const override;
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> sublayers() const override {
    return {{"forward_layer", forward_}, {"backward_layer", backward_}};
  }
  const std::string& merge_mode() const { return merge_mode_; }
  const RNN& forward_layer() const { return *forward_; }
  const RNN& backward_layer() const { return *backward_; }
  void reset_states();

 protected:
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;

 private:
  std::string merge_mode_;
  std::shared_ptr<RNN> forward_, backward_;
  bool custom_backward_ = false;
};

template <class T>
class Registry;
void register_bidirectional(Registry<Layer>& registry);

}  // namespace tg::nn
