#pragma once
/// \file
/// Sequential: a stack of layers, trained with compile/fit or with a GradientTape loop.
///
///     tg::nn::Sequential model({tg::nn::Flatten(), tg::nn::Dense(128, "relu"), tg::nn::Dense(10, "softmax")});
///     model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
///     model.fit(x_train, y_train, {.epochs = 5});
#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/callbacks.hpp"
#include "nn/layer.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"

namespace tg::nn {

class Optimizer;

/// Holds any layer: built from a layer value (copied into shared ownership) or a shared_ptr.
class LayerHandle {
 public:
  template <class L>
    requires std::derived_from<std::remove_cvref_t<L>, Layer>
  LayerHandle(L&& layer) : ptr_(std::make_shared<std::remove_cvref_t<L>>(std::forward<L>(layer))) {}
  template <class L>
    requires std::derived_from<L, Layer>
  LayerHandle(std::shared_ptr<L> layer) : ptr_(std::move(layer)) {}
  const std::shared_ptr<Layer>& get() const { return ptr_; }

 private:
  std::shared_ptr<Layer> ptr_;
};

/// How load_weights matches the file's layers to the model's (Keras' by_name / skip_mismatch).
struct LoadWeightsOptions {
  bool by_name = false;        // match by layer name instead of by order of layers with weights
  bool skip_mismatch = false;  // skip layers whose weight count or shapes differ
};

struct FitOptions {
  int epochs = 1;
  std::int64_t batch_size = 32;
  int verbose = 1;                  // 0 silent, 1 progress bar (one line per epoch when not a terminal)
  double validation_split = 0;      // the last fraction of x/y, taken before shuffling (as Keras)
  Tensor x_val, y_val;              // validation_data
  bool shuffle = true;
  std::uint64_t seed = 0;           // shuffling seed
  std::vector<std::shared_ptr<Callback>> callbacks;
};

class Sequential {
 public:
  explicit Sequential(const std::string& name = "");
  Sequential(std::initializer_list<LayerHandle> layers, const std::string& name = "");

  void add(LayerHandle layer);
  const std::string& name() const { return name_; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  /// The layer of that name; throws listing the names if there is none.
  std::shared_ptr<Layer> get_layer(const std::string& name) const;
  template <class L>
  std::shared_ptr<L> layer_as(std::size_t i) const { return std::dynamic_pointer_cast<L>(layers_.at(i)); }

  /// Builds every layer for inputs of shape (batch, *input_shape).
  void build(const Shape& input_shape);
  bool built() const;
  /// The per-example input shape (after build or a first call).
  Shape input_shape() const;
  Shape output_shape() const;

  // [N, *input_shape] -> [N, *output_shape]
  Tensor operator()(const Tensor& x, bool training = false);
  /// Every layer's output, in order (the last one is the model's output): read the logits of a
  /// Dense followed by Activation("softmax") as outputs[size - 2].
  std::vector<Tensor> call_with_intermediates(const Tensor& x, bool training = false);

  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_variables() const;
  std::vector<Variable> non_trainable_variables() const;
  std::int64_t count_params() const;
  /// Keras' model.summary() table: Layer (type), Output Shape, Param #, then the totals.
  std::string summary() const;

  // Training (nn/training.cpp).
  void compile(std::shared_ptr<Optimizer> optimizer, std::shared_ptr<Loss> loss, const std::vector<std::string>& metrics = {});
  void compile(const std::string& optimizer, const std::string& loss, const std::vector<std::string>& metrics = {});
  History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  /// Loss and metrics over (x, y), keyed "loss", "accuracy", ...
  std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size = 32, int verbose = 0);
  Tensor predict(const Tensor& x, std::int64_t batch_size = 32);
  /// One gradient step on one batch; returns the batch's loss and metrics.
  std::map<std::string, double> train_on_batch(const Tensor& x, const Tensor& y);

  // Keras files (defined in io/keras_sequential.cpp).
  /// `*.weights.h5`: Keras 3's native layout; any other `.h5`/`.hdf5`: the legacy layout.
  void save_weights(const std::string& path) const;
  /// Reads any Keras weights or model file; all or nothing.
  void load_weights(const std::string& path, const LoadWeightsOptions& options = {});
  /// `.keras`: a Keras 3 archive; `.h5`/`.hdf5`: a legacy full-model file. Includes the optimizer
  /// state when compiled. Written to a temporary file and renamed, so a failure leaves no partial file.
  void save(const std::string& path) const;

  const std::shared_ptr<Optimizer>& optimizer() const { return optimizer_; }
  const std::shared_ptr<Loss>& loss() const { return loss_; }
  const std::vector<std::shared_ptr<Metric>>& metrics() const { return metrics_; }
  /// Set by a callback (EarlyStopping, TerminateOnNaN) to end fit after the current batch or epoch.
  bool stop_training = false;

 private:
  void check_compiled(const char* what) const;
  void check_xy(const Tensor& x, const Tensor& y, const char* what) const;
  // `on_gradients`, when set, sees the gradients before the optimizer step (fit's callbacks).
  double train_step(const Tensor& x, const Tensor& y,
                    const std::function<void(const std::vector<Tensor>&, const std::vector<Variable>&)>& on_gradients = {});
  std::string name_;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::shared_ptr<Optimizer> optimizer_;
  std::shared_ptr<Loss> loss_;
  std::vector<std::shared_ptr<Metric>> metrics_;
};

/// 636010 -> "636,010", as Keras' summary prints parameter totals.
std::string with_commas(std::int64_t n);

}  // namespace tg::nn
