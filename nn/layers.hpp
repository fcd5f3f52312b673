#pragma once
/// \file
/// The Keras layers tapegrad supports, with Keras' names, defaults and weight layouts.
#include <cstdint>
#include <string>

#include "nn/layer.hpp"

namespace tg::nn {

struct DenseOptions {
  bool use_bias = true;
  std::string kernel_initializer = "glorot_uniform";
  std::string bias_initializer = "zeros";
  std::string name;       // empty: dense, dense_1, ...
  std::int64_t seed = -1; // initializer seed; -1 draws from the global generator (set_random_seed)
  DType dtype = DType::float32;
};

/// Dense(units, activation): y = activation(x·kernel + bias), kernel (in, units), bias (units,).
/// Applies to the last axis of inputs of any rank >= 2, as Keras.
class Dense : public Layer {
 public:
  explicit Dense(std::int64_t units, const std::string& activation = "linear", DenseOptions options = {});
  std::string class_name() const override { return "Dense"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::int64_t units() const { return units_; }
  const std::string& activation() const { return activation_; }
  const DenseOptions& options() const { return options_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t units_;
  std::string activation_;
  DenseOptions options_;
  Variable kernel_, bias_;
};

/// [N, d1, d2, ...] -> [N, d1*d2*...] (row-major, as Keras' channels_last).
class Flatten : public Layer {
 public:
  explicit Flatten(const std::string& name = "");
  std::string class_name() const override { return "Flatten"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

/// Activation("relu" | "softmax" | "sigmoid" | "tanh" | "linear").
class Activation : public Layer {
 public:
  explicit Activation(const std::string& activation, const std::string& name = "");
  std::string class_name() const override { return "Activation"; }
  const std::string& activation() const { return activation_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::string activation_;
};

class ReLU : public Layer {
 public:
  explicit ReLU(const std::string& name = "");
  std::string class_name() const override { return "ReLU"; }

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

class Softmax : public Layer {
 public:
  explicit Softmax(std::int64_t axis = -1, const std::string& name = "");
  std::string class_name() const override { return "Softmax"; }
  std::int64_t axis() const { return axis_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t axis_;
};

/// Dropout(rate): active only when called with training = true (inverted scaling, as Keras).
class Dropout : public Layer {
 public:
  explicit Dropout(double rate, std::int64_t seed = -1, const std::string& name = "");
  std::string class_name() const override { return "Dropout"; }
  double rate() const { return rate_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
  Generator gen_;
};

/// InputLayer(shape): fixes the model's per-example input shape; passes inputs through.
class InputLayer : public Layer {
 public:
  explicit InputLayer(const Shape& shape, const std::string& name = "");
  std::string class_name() const override { return "InputLayer"; }
  const Shape& shape() const { return shape_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Shape shape_;
};

}  // namespace tg::nn
