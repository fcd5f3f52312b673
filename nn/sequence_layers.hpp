#pragma once
/// \file
/// Keras' TimeDistributed wrapper (a layer applied to every time step) and RepeatVector.
#include <memory>
#include <string>

#include "nn/layer.hpp"

namespace tg::nn {

/// TimeDistributed(layer): [N, T, ...] -> [N, T, layer's output per step], the wrapped layer's
/// weights shared by every step (Keras 3 files store them under the wrapper's `layer`). The
/// input's mask passes through.
class TimeDistributed : public LayerBase<TimeDistributed> {
 public:
  explicit TimeDistributed(std::shared_ptr<Layer> layer, const std::string& name = "");
  std::string class_name() const override { return "TimeDistributed"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<TimeDistributed> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  bool supports_masking() const override { return true; }
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> sublayers() const override { return {{"layer", layer_}}; }
  const Layer& layer() const { return *layer_; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::shared_ptr<Layer> layer_;
};

/// RepeatVector(n): [N, F] -> [N, n, F].
class RepeatVector : public LayerBase<RepeatVector> {
 public:
  explicit RepeatVector(std::int64_t n, const std::string& name = "");
  std::string class_name() const override { return "RepeatVector"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<RepeatVector> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t n_;
};

template <class T>
class Registry;
void register_sequence_layers(Registry<Layer>& registry);

}  // namespace tg::nn
