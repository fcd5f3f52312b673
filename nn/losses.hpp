#pragma once
/// \file
/// Keras losses as objects. Each reduces per-example losses by the mean over the batch (Keras'
/// sum_over_batch_size default). With from_logits = false and probabilities that come straight
/// from a softmax activation over the last axis (cross-entropies) or a sigmoid activation
/// (binary cross-entropy), the loss uses the activation's logits and the fused stable op, as Keras
/// does with `_keras_logits` (nn/activations.hpp): a saturated sigmoid output of logit 20 with
/// label 0 costs 20, not the clipped 16.1, and still has gradient 1.
/// Labels whose rank differs from the prediction's by a trailing 1 are squeezed or expanded first,
/// as Keras' LossFunctionWrapper does: labels (N,) work with a Dense(1) output (N, 1).
#include <memory>
#include <string>
#include <utility>

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

/// Keras' squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer shape ends
/// in 1, the rank-1 side is expanded (labels (N,) with predictions (N, 1)), else the longer side
/// is squeezed.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& y_true, const Tensor& y_pred);

/// By Keras name ("sparse_categorical_crossentropy", "categorical_crossentropy",
/// "binary_crossentropy", "mean_squared_error"/"mse"); throws naming an unknown one.
std::shared_ptr<Loss> get_loss(const std::string& name);

}  // namespace tg::nn
