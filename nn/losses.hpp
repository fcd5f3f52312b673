#pragma once
/// \file
/// Keras losses as objects. Each reduces per-example losses by the mean over the batch (Keras'
/// sum_over_batch_size default). With from_logits = false and probabilities that come straight
/// from a softmax, the loss uses the softmax's logits and the fused stable op, as Keras does.
#include <memory>
#include <string>

#include "core/tensor.hpp"
#include "ops/crossentropy.hpp"

namespace tg::nn {

class Loss {
 public:
  virtual ~Loss() = default;
  // y_true, y_pred [N, ...] -> scalar (or [N] with Reduction::none)
  virtual Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const = 0;
  /// The Keras function name, e.g. "sparse_categorical_crossentropy".
  virtual std::string name() const = 0;
  Reduction reduction = Reduction::mean;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false) : from_logits(from_logits) {}
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  bool from_logits;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false) : from_logits(from_logits) {}
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "categorical_crossentropy"; }
  bool from_logits;
};

class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits = false) : from_logits(from_logits) {}
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "binary_crossentropy"; }
  bool from_logits;
};

class MeanSquaredError : public Loss {
 public:
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string name() const override { return "mean_squared_error"; }
};

/// By Keras name ("sparse_categorical_crossentropy", "categorical_crossentropy",
/// "binary_crossentropy", "mean_squared_error"/"mse"); throws naming an unknown one.
std::shared_ptr<Loss> get_loss(const std::string& name);

}  // namespace tg::nn
