#pragma once
/// \file
/// Keras' core layers: Dense, Flatten, Activation, ReLU, Softmax, Dropout, InputLayer, with Keras'
/// names, config keys, defaults and weight layouts.
#include <cstdint>
#include <optional>
#include <string>

#include "nn/initializers.hpp"
#include "nn/regularizers.hpp"
#include "nn/layer.hpp"

namespace tg::nn {

struct DenseOptions {
  bool use_bias = true;
  InitializerArg kernel_initializer = "glorot_uniform";
  InitializerArg bias_initializer = "zeros";
  RegularizerArg kernel_regularizer{};  // none by default; penalties join the loss (nn/regularizers.hpp)
  RegularizerArg bias_regularizer{};
  std::string name{};        // empty: dense, dense_1, ...
  std::int64_t seed = -1;  // initializer seed; -1 draws from the global generator (set_random_seed)
  DType dtype = DType::float32;
};

/// Dense(units, activation): y = activation(x·kernel + bias), kernel (in, units), bias (units,).
/// Applies to the last axis of inputs of any rank >= 2, as Keras.
class Dense : public LayerBase<Dense> {
 public:
  explicit Dense(std::int64_t units, const std::string& activation = "linear", DenseOptions options = {});
  std::string class_name() const override { return "Dense"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Dense> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  bool supports_masking() const override { return true; }
  std::int64_t units() const { return units_; }
  const std::string& activation() const { return activation_; }
  const DenseOptions& options() const { return options_; }
  const Variable& kernel() const;
  const Variable& bias() const { return bias_; }

 protected:
  void build_impl(const Shape& input_shape) override;
  std::vector<Tensor> own_regularization_losses() const override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t units_;
  std::string activation_;
  DenseOptions options_;
  Variable kernel_, bias_;
};

/// [N, d1, d2, ...] -> [N, d1*d2*...] (row-major, as Keras' channels_last); channels_first
/// inputs are moved to channels_last order first, as Keras does.
class Flatten : public LayerBase<Flatten> {
 public:
  explicit Flatten(const std::string& name = "", const std::string& data_format = "channels_last");
  std::string class_name() const override { return "Flatten"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Flatten> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::string data_format_;
};

/// Activation(name): any activation nn/activations.hpp knows.
class Activation : public LayerBase<Activation> {
 public:
  explicit Activation(const std::string& activation, const std::string& name = "");
  std::string class_name() const override { return "Activation"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Activation> from_config(const Config& config);
  bool supports_masking() const override { return true; }
  const std::string& activation() const { return activation_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::string activation_;
};

struct ReLUOptions {
  std::optional<double> max_value{};  // ReLU(6): MobileNet's relu6
  double negative_slope = 0;
  double threshold = 0;
  std::string name{};
};

/// Keras' ReLU layer: x for x >= threshold, negative_slope (x - threshold) below, capped at max_value.
class ReLU : public LayerBase<ReLU> {
 public:
  explicit ReLU(ReLUOptions options = {});
  explicit ReLU(const std::string& name) : ReLU(ReLUOptions{.name = name}) {}
  std::string class_name() const override { return "ReLU"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<ReLU> from_config(const Config& config);
  bool supports_masking() const override { return true; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  ReLUOptions options_;
};

class Softmax : public LayerBase<Softmax> {
 public:
  explicit Softmax(std::int64_t axis = -1, const std::string& name = "");
  std::string class_name() const override { return "Softmax"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Softmax> from_config(const Config& config);
  bool supports_masking() const override { return true; }
  std::int64_t axis() const { return axis_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t axis_;
};

/// Dropout(rate): active only when called with training = true (inverted scaling, as Keras).
/// In data-parallel training (nn/parallel.hpp) rank r > 0 draws from its own stream, split off
/// the layer's generator by r at the first training call, so ranks' masks differ; rank 0 draws
/// what a single process would.
class Dropout : public LayerBase<Dropout> {
 public:
  explicit Dropout(double rate, std::int64_t seed = -1, const std::string& name = "");
  std::string class_name() const override { return "Dropout"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Dropout> from_config(const Config& config);
  bool supports_masking() const override { return true; }
  double rate() const { return rate_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
  std::int64_t seed_;
  Generator gen_;
  bool rank_seeded_ = false;  // whether gen_ was split off for this process's rank (nn/parallel.hpp)
};

/// InputLayer(shape): a model's input; passes its input through. `nn::Input` (nn/functional.hpp)
/// makes one and returns its symbolic output.
class InputLayer : public LayerBase<InputLayer> {
 public:
  explicit InputLayer(const Shape& shape, const std::string& name = "", DType dtype = DType::float32);
  std::string class_name() const override { return "InputLayer"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<InputLayer> from_config(const Config& config);
  bool supports_masking() const override { return true; }
  const Shape& shape() const { return shape_; }
  DType input_dtype() const { return input_dtype_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Shape shape_;
  DType input_dtype_;
};

/// Registers the layers of this file (called by the registry).
template <class T>
class Registry;
void register_core_layers(Registry<Layer>& registry);

}  // namespace tg::nn
