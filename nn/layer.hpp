#pragma once
/// \file
/// The Keras Layer: named, built lazily from the first input's shape (or eagerly by build()),
/// owning Variables. Shapes given to layers exclude the batch dimension, as Keras' input_shape.
#include <memory>
#include <string>
#include <vector>

#include "autograd/variable.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace tg::nn {

class Layer {
 public:
  virtual ~Layer() = default;

  const std::string& name() const { return name_; }
  /// The Keras class name: "Dense", "Flatten", ...
  virtual std::string class_name() const = 0;

  bool built() const { return built_; }
  /// Creates the weights for inputs of shape (batch, *input_shape).
  void build(const Shape& input_shape);
  /// The per-example input shape the layer was built for.
  const Shape& input_shape() const { return input_shape_; }
  virtual Shape compute_output_shape(const Shape& input_shape) const { return input_shape; }

  /// Builds on first use; checks the input against the built shape.
  // [N, *input_shape] -> [N, *output_shape]
  Tensor operator()(const Tensor& x, bool training = false);

  /// Every weight, trainable first, in creation order (Keras' layer.weights).
  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  std::int64_t count_params() const;
  bool trainable() const { return trainable_; }
  void set_trainable(bool t);
  DType dtype() const { return dtype_; }

 protected:
  /// `prefix` is Keras' snake_case class name used for automatic names ("dense" -> dense, dense_1, ...).
  Layer(const std::string& name, const std::string& prefix, DType dtype = DType::float32);
  virtual void build_impl(const Shape& input_shape) { (void)input_shape; }
  virtual Tensor call(const Tensor& x, bool training) = 0;
  Variable add_weight(const std::string& name, const Tensor& value, bool trainable = true);
  /// A generator for this layer's random draws: from `seed` if given (>= 0), else from the global one.
  static Generator make_generator(std::int64_t seed);

 private:
  std::string name_;
  DType dtype_;
  bool built_ = false;
  bool trainable_ = true;
  Shape input_shape_;
  std::vector<Variable> weights_;
};

/// A unique Keras-style name for `prefix`: "dense", then "dense_1", "dense_2", ...
std::string unique_name(const std::string& prefix);
/// Forgets the name counters (keras.backend.clear_session()).
void clear_session();

}  // namespace tg::nn
