#pragma once
/// \file
/// Models: a Model is a Layer made of layers (so models nest), with Keras' training API.
///   * nn::Model(inputs, outputs): a Functional model, the graph between symbolic inputs and
///     outputs (nn/functional.hpp); several inputs and outputs, shared layers, nested models.
///   * nn::Sequential (nn/sequential.hpp): a stack of layers.
///
///     auto x = nn::Input({784});
///     auto h = nn::Dense(128, "relu")(x);
///     nn::Model model(x, nn::Dense(10)(h));
///     model.compile("adam", std::make_shared<nn::SparseCategoricalCrossentropy>(true), {"accuracy"});
///     model.fit(x_train, y_train, {.epochs = 5});
///
/// Files (model.save in Keras) are io's: tg::save_model, tg::load_model (io/keras_model_io.hpp).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/callbacks.hpp"
#include "nn/functional.hpp"
#include "nn/layer.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"

namespace tg::nn {

class Optimizer;
class ProcessGroup;

struct FitOptions {
  int epochs = 1;
  std::int64_t batch_size = 32;
  int verbose = 1;                  // 0 silent, 1 progress bar (one line per epoch when not a terminal)
  double validation_split = 0;      // the last fraction of x/y, taken before shuffling (as Keras)
  Tensor x_val{}, y_val{};            // validation_data (single input and output)
  std::vector<Tensor> xs_val{}, ys_val{};  // validation_data for several inputs or outputs
  bool shuffle = true;
  std::uint64_t seed = 0;           // shuffling seed
  std::vector<std::shared_ptr<Callback>> callbacks{};
  /// Per-sample weights [N] multiplying each sample's loss (Keras' sample_weight), and weights
  /// per class id for sparse or one-hot targets (class_weight); both may be combined.
  Tensor sample_weight{};
  std::map<std::int64_t, double> class_weight{};
};

class Model : public LayerBase<Model> {
 public:
  /// A Functional model from symbolic inputs to outputs (the graph between them).
  Model(const std::vector<KerasTensor>& inputs, const std::vector<KerasTensor>& outputs, const std::string& name = "");
  Model(const KerasTensor& input, const KerasTensor& output, const std::string& name = "")
      : Model(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, name) {}
  std::string class_name() const override { return "Functional"; }
  /// Keras' Functional config: name, trainable, layers (each with its inbound_nodes),
  /// input_layers, output_layers.
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Model> from_config(const Config& config);
  bool is_model() const override { return true; }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;

  /// model.layers in Keras' order (for a Functional model: by depth from the inputs).
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  std::vector<std::pair<std::string, std::shared_ptr<Layer>>> sublayers() const override;
  /// The layer of that name; throws listing the names if there is none.
  std::shared_ptr<Layer> get_layer(const std::string& name) const;
  template <class L>
  std::shared_ptr<L> layer_as(std::size_t i) const { return std::dynamic_pointer_cast<L>(layers_.at(i)); }
  std::size_t num_inputs() const;
  std::size_t num_outputs() const;
  /// The names Keras gives the outputs in logs (the output layers' names).
  std::vector<std::string> output_names() const;

  /// Every layer's output by layer name (the first output of its last call), for inspection:
  /// the logits before an Activation("softmax") are outputs.at("dense_1").
  std::map<std::string, Tensor> layer_outputs(const std::vector<Tensor>& xs, bool training = false);

  std::vector<Variable> trainable_variables() const { return trainable_weights(); }
  std::vector<Variable> non_trainable_variables() const { return non_trainable_weights(); }
  /// Keras' model.summary() table (Sequential's layout, or the Functional one with "Connected to").
  virtual std::string summary() const;

  // Training (nn/model_training.cpp).
  /// One loss for every output, or one per output (with weights multiplying each).
  void compile(std::shared_ptr<Optimizer> optimizer, std::shared_ptr<Loss> loss,
               const std::vector<std::string>& metrics = {});
  void compile(std::shared_ptr<Optimizer> optimizer, std::vector<std::shared_ptr<Loss>> losses,
               const std::vector<std::string>& metrics = {}, std::vector<double> loss_weights = {});
  void compile(const std::string& optimizer, const std::string& loss, const std::vector<std::string>& metrics = {});
  bool compiled() const { return optimizer_ != nullptr && !losses_.empty(); }
  History fit(const Tensor& x, const Tensor& y, const FitOptions& options = {});
  History fit(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const FitOptions& options = {});
  /// Loss and metrics over (x, y), keyed "loss", "accuracy", ...
  std::map<std::string, double> evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size = 32, int verbose = 0);
  std::map<std::string, double> evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                                         std::int64_t batch_size = 32, int verbose = 0, const Tensor& sample_weight = Tensor());
  Tensor predict(const Tensor& x, std::int64_t batch_size = 32);
  std::vector<Tensor> predict(const std::vector<Tensor>& xs, std::int64_t batch_size = 32);
  /// One gradient step on one batch; returns the batch's loss and metrics.
  std::map<std::string, double> train_on_batch(const Tensor& x, const Tensor& y);
  std::map<std::string, double> train_on_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys);
  /// The total loss of a batch as fit computes it: the weighted losses of the outputs plus the
  /// layers' regularization penalties (a scalar, recorded on an alive tape).
  Tensor compute_loss(const std::vector<Tensor>& ys, const std::vector<Tensor>& y_preds,
                      const Tensor& sample_weight = Tensor()) const;

  const std::shared_ptr<Optimizer>& optimizer() const { return optimizer_; }
  /// The (first) loss; losses() has one per output.
  const std::shared_ptr<Loss>& loss() const;
  const std::vector<std::shared_ptr<Loss>>& losses() const { return losses_; }
  const std::vector<double>& loss_weights() const { return loss_weights_; }
  /// The metric names compile was given, and the metric objects (per output, in order).
  const std::vector<std::string>& metric_names() const { return metric_names_; }
  const std::vector<std::shared_ptr<Metric>>& metrics() const { return metrics_; }
  /// Set by a callback (EarlyStopping, TerminateOnNaN) to end fit after the current batch or epoch.
  bool stop_training = false;

 protected:
  /// For subclasses that define their own forward pass (Sequential).
  explicit Model(const std::string& name, const std::string& prefix);
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;
  /// Runs the graph; with `all` every node's outputs are kept (keyed by node).
  std::vector<Tensor> run_graph(const std::vector<Tensor>& xs, const CallArgs& args,
                                std::map<std::string, Tensor>* by_layer);
  std::string functional_summary() const;

  std::vector<std::shared_ptr<Layer>> layers_;

 private:
  friend class Sequential;
  void check_compiled(const char* what) const;
  void check_data(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const char* what);
  // `on_gradients`, when set, sees the gradients before the optimizer step (fit's callbacks).
  // With a process `group` (nn/parallel.hpp) the gradients are averaged over its ranks, weighted
  // by each rank's batch size (xs may have 0 rows), before the hook and the optimizer see them.
  // `step`, when given, gets {loss * rows, rows} in its first two places and is summed over the
  // ranks with the gradients (its other places are the caller's).
  double train_step(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const Tensor& weights,
                    const std::function<void(const std::vector<Tensor>&, const std::vector<Variable>&)>& on_gradients = {},
                    ProcessGroup* group = nullptr, std::vector<double>* step = nullptr);
  void update_metrics(const std::vector<Tensor>& ys, const std::vector<Tensor>& preds);
  std::vector<std::pair<std::string, double>> metric_logs() const;
  // The logs of the metrics' states summed over `group`'s ranks (metric_logs() without a group).
  std::vector<std::pair<std::string, double>> metric_logs(ProcessGroup* group) const;
  Tensor batch_weights(const Tensor& sample_weight, const std::vector<Tensor>& ys,
                       const std::map<std::int64_t, double>& class_weight) const;

  std::vector<KerasTensor> inputs_, outputs_;
  std::vector<std::shared_ptr<Node>> order_;  // nodes in execution order
  std::shared_ptr<Optimizer> optimizer_;
  std::vector<std::shared_ptr<Loss>> losses_;
  std::vector<double> loss_weights_;
  std::vector<std::string> metric_names_;
  std::vector<std::shared_ptr<Metric>> metrics_;  // output-major: outputs x metric_names
};

/// 636010 -> "636,010", as Keras' summary prints parameter totals.
std::string with_commas(std::int64_t n);

/// keras.models.model_from_config / model_from_json: a model from {"class_name", "config"} through
/// the registry (a "keras_version" key, as to_json() writes it, tells which Keras wrote it).
std::shared_ptr<Model> model_from_config(const Config& model_config, const std::string& where = "model_from_config");

/// Registers Model ("Functional", "Model") and Sequential with the layer registry.
template <class T>
class Registry;
void register_models(Registry<Layer>& registry);

}  // namespace tg::nn
