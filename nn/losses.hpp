#pragma once
/// \file
/// Keras losses as objects, each describing itself (class_name, get_config, from_config). Each
/// reduces per-example losses by the mean over the batch (Keras' sum_over_batch_size default).
/// With from_logits = false and probabilities that come straight from a softmax activation over
/// the last axis (cross-entropies) or a sigmoid activation (binary cross-entropy), the loss uses
/// the activation's logits and the fused stable op, as Keras does with `_keras_logits`
/// (nn/activations.hpp): a saturated sigmoid output of logit 20 with label 0 costs 20, not the
/// clipped 16.1, and still has gradient 1.
/// Labels whose rank differs from the prediction's by a trailing 1 are squeezed or expanded first,
/// as Keras' LossFunctionWrapper does: labels (N,) work with a Dense(1) output (N, 1).
#include <memory>
#include <string>
#include <utility>

#include "core/tensor.hpp"
#include "nn/config.hpp"
#include "ops/crossentropy.hpp"

namespace tg::nn {

class Loss {
 public:
  virtual ~Loss() = default;
  // y_true, y_pred [N, ...] -> scalar (or [N] with Reduction::none)
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred) const { return call(y_true, y_pred, reduction); }
  /// Per-example losses [N], whatever `reduction` says.
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const { return call(y_true, y_pred, Reduction::none); }
  /// The Keras function name, e.g. "sparse_categorical_crossentropy".
  virtual std::string name() const = 0;
  /// The Keras class name, e.g. "SparseCategoricalCrossentropy".
  virtual std::string class_name() const = 0;
  /// Keras' get_config(): name, reduction and the loss's own arguments.
  virtual Config get_config(KerasFormat format) const;
  /// What model.compile saves: the function name for a loss with default arguments (what
  /// compile(loss="...") writes), else the serialized object, so from_logits and the like survive.
  Config compile_config(KerasFormat format) const;
  Reduction reduction = Reduction::mean;

 protected:
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const = 0;
  /// True when every argument has Keras' default (compile_config writes the bare name).
  virtual bool has_default_arguments() const { return true; }
};

/// The options of the cross-entropies, LibTorch's way:
/// `CategoricalCrossentropy({.from_logits = true, .label_smoothing = 0.1})`. Checked once, by the
/// loss's constructor (label_smoothing in [0, 1]; Keras' sparse loss has none).
struct CrossentropyOptions {
  bool from_logits = false;
  double label_smoothing = 0;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false) : from_logits(from_logits) {}
  explicit SparseCategoricalCrossentropy(const CrossentropyOptions& options);
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<SparseCategoricalCrossentropy> from_config(const Config& c);
  bool from_logits;

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
  bool has_default_arguments() const override { return !from_logits; }
};

/// label_smoothing: y_true * (1 - s) + s / classes.
class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0)
      : CategoricalCrossentropy(CrossentropyOptions{from_logits, label_smoothing}) {}
  explicit CategoricalCrossentropy(const CrossentropyOptions& options);
  std::string name() const override { return "categorical_crossentropy"; }
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<CategoricalCrossentropy> from_config(const Config& c);
  bool from_logits;
  double label_smoothing;

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
  bool has_default_arguments() const override { return !from_logits && label_smoothing == 0; }
};

/// label_smoothing: y_true * (1 - s) + s / 2.
class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0)
      : BinaryCrossentropy(CrossentropyOptions{from_logits, label_smoothing}) {}
  explicit BinaryCrossentropy(const CrossentropyOptions& options);
  std::string name() const override { return "binary_crossentropy"; }
  std::string class_name() const override { return "BinaryCrossentropy"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<BinaryCrossentropy> from_config(const Config& c);
  bool from_logits;
  double label_smoothing;

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
  bool has_default_arguments() const override { return !from_logits && label_smoothing == 0; }
};

/// mean((y_pred - y_true)^2) over the last axis.
class MeanSquaredError : public Loss {
 public:
  std::string name() const override { return "mean_squared_error"; }
  std::string class_name() const override { return "MeanSquaredError"; }
  static std::shared_ptr<MeanSquaredError> from_config(const Config& c);

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
};

/// mean(|y_pred - y_true|) over the last axis.
class MeanAbsoluteError : public Loss {
 public:
  std::string name() const override { return "mean_absolute_error"; }
  std::string class_name() const override { return "MeanAbsoluteError"; }
  static std::shared_ptr<MeanAbsoluteError> from_config(const Config& c);

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
};

struct HuberOptions {
  double delta = 1.0;  // > 0
};

/// 0.5 e^2 where |e| <= delta, else delta |e| - 0.5 delta^2; mean over the last axis.
class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0);
  explicit Huber(const HuberOptions& options) : Huber(options.delta) {}
  std::string name() const override { return "huber_loss"; }
  std::string class_name() const override { return "Huber"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<Huber> from_config(const Config& c);
  double delta;

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
  bool has_default_arguments() const override { return delta == 1.0; }
};

/// sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1].
class KLDivergence : public Loss {
 public:
  std::string name() const override { return "kl_divergence"; }
  std::string class_name() const override { return "KLDivergence"; }
  static std::shared_ptr<KLDivergence> from_config(const Config& c);

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
};

/// mean(log(cosh(y_pred - y_true))) over the last axis, computed stably.
class LogCosh : public Loss {
 public:
  std::string name() const override { return "log_cosh"; }
  std::string class_name() const override { return "LogCosh"; }
  static std::shared_ptr<LogCosh> from_config(const Config& c);

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
};

/// mean(max(1 - y_true * y_pred, 0)) over the last axis; labels in {0, 1} become {-1, 1}.
class Hinge : public Loss {
 public:
  std::string name() const override { return "hinge"; }
  std::string class_name() const override { return "Hinge"; }
  static std::shared_ptr<Hinge> from_config(const Config& c);

 protected:
  Tensor call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const override;
};

/// Keras' squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer shape ends
/// in 1, the rank-1 side is expanded (labels (N,) with predictions (N, 1)), else the longer side
/// is squeezed.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& y_true, const Tensor& y_pred);

/// By Keras function name or alias ("sparse_categorical_crossentropy", "mse", "mae", "huber",
/// "kld", "log_cosh", "hinge", ...), by class name, or from a serialized {class_name, config};
/// throws naming the known losses.
std::shared_ptr<Loss> get_loss(const std::string& name);
std::shared_ptr<Loss> loss_from_config(const Config& identifier, const std::string& where);
template <class T>
class Registry;
void register_losses(Registry<Loss>& registry);

}  // namespace tg::nn
