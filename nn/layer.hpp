#pragma once
/// \file
/// The Keras Layer: named, built lazily from its first input's shape (or by build()), owning
/// Variables, and describing itself to Keras files (class_name, get_config, from_config through
/// nn/registry.hpp). Shapes given to layers exclude the batch dimension, as Keras' input_shape.
///
/// A layer is called three ways:
///   * on tensors, eagerly: `Tensor y = dense(x, /*training=*/true);` (recorded by a GradientTape);
///   * on several tensors: merge layers, `add({a, b})`;
///   * on symbolic KerasTensors (nn/functional.hpp) to build a Functional model:
///     `KerasTensor y = nn::Dense(10)(x);`. A temporary layer joins the graph as it is; a layer
///     called on several inputs to share its weights must be owned by a std::shared_ptr
///     (`auto shared = nn::make<nn::Dense>(64);`), since the graph keeps it alive.
///
/// Writing a layer: derive from LayerBase<YourLayer>, give it a constructor, `class_name()`,
/// `get_config()` (Keras' keys and defaults), a static `from_config()`, and override `call` (one
/// input) or `call_multi` (several inputs, or masks), `build_impl` to create weights with
/// add_weight in Keras' order, and `compute_output_shape`. Register it (nn/registry.hpp).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "nn/config.hpp"

namespace tg::nn {

class KerasTensor;
class KerasTensors;
struct Node;

/// What a layer call receives besides its inputs.
struct CallArgs {
  bool training = false;
  /// One per input: the Keras mask riding on it (bool-like [N, T] for sequences), or undefined.
  std::vector<Tensor> masks;
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  virtual ~Layer();
  Layer(const Layer&) = default;
  Layer(Layer&&) = default;
  Layer& operator=(const Layer&) = delete;
  Layer& operator=(Layer&&) = delete;

  /// The instance name ("dense_1").
  const std::string& name() const { return name_; }
  /// The Keras class name: "Dense", "Flatten", ...
  virtual std::string class_name() const = 0;
  /// Keras' get_config(): the constructor arguments under Keras' keys, with the base keys name,
  /// trainable and dtype, in `format`'s form (nn/config.hpp).
  virtual Config get_config(KerasFormat format = KerasFormat::keras3) const;

  bool built() const { return built_; }
  /// Creates the weights for inputs of shape (batch, *input_shape).
  void build(const Shape& input_shape);
  void build(const std::vector<Shape>& input_shapes);
  /// The per-example shape of the (first) input the layer was built for.
  const Shape& input_shape() const;
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  /// Per-example output shapes for the given input shapes.
  virtual std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const;
  /// The single-input form: by default the shape is unchanged.
  virtual Shape compute_output_shape(const Shape& input_shape) const { return input_shape; }
  /// The output shape for the built input shape (throws when unbuilt).
  Shape output_shape() const;

  /// Builds on first use; checks the input against the built shape.
  // [N, *input_shape] -> [N, *output_shape]
  Tensor operator()(const Tensor& x, bool training = false);
  /// Several inputs (merge layers) or several outputs (a recurrent layer's states).
  std::vector<Tensor> operator()(const std::vector<Tensor>& xs, bool training = false);
  /// Symbolic calls (nn/functional.hpp): record a node of a Functional graph.
  KerasTensor operator()(const KerasTensor& x) &;
  KerasTensor operator()(const KerasTensor& x) &&;
  KerasTensors operator()(const std::vector<KerasTensor>& xs) &;
  KerasTensors operator()(const std::vector<KerasTensor>& xs) &&;
  /// Every output of a call on several inputs, with the masks Keras propagates (outputs of a
  /// layer that supports masking carry their mask as Keras' `_keras_mask`; see keras_mask()).
  std::vector<Tensor> call_with_masks(const std::vector<Tensor>& xs, const CallArgs& args);

  /// Keras' layer.weights: trainable weights, then non-trainable ones, this layer's and its
  /// sublayers' (a model: every layer's), in creation order.
  std::vector<Variable> weights() const;
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  /// The layer's own variables in creation order, without sublayers' (what Keras 3 writes to the
  /// layer's `vars` group).
  const std::vector<Variable>& own_variables() const { return weights_; }
  std::int64_t count_params() const;
  /// Copies of weights() / assigns them (shapes checked first; all or nothing).
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& values);
  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool trainable);
  DType dtype() const { return dtype_; }

  /// Keras' layer.losses: the regularization penalties of this layer's weights and its
  /// sublayers', computed from the current values (recorded on an alive tape).
  std::vector<Tensor> regularization_losses() const;

  /// Layers this one owns, under the attribute names Keras saves them by (a model's layers,
  /// Bidirectional's forward_layer and backward_layer, an RNN's cell). Empty for plain layers.
  virtual std::vector<std::pair<std::string, std::shared_ptr<Layer>>> sublayers() const { return {}; }
  /// True for models (Sequential, Functional): their layers are a list, saved as one.
  virtual bool is_model() const { return false; }

  /// Keras masking: whether the layer passes its input's mask on, and the mask of its output.
  virtual bool supports_masking() const { return false; }
  virtual Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const;
  /// One mask per output (undefined: none). By default compute_mask's for every output; a
  /// recurrent layer's states carry none (Keras' compute_mask returning [mask, None, ...]).
  virtual std::vector<Tensor> compute_output_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                                   std::size_t n_outputs) const;

  /// The prefix of the names of weights created from now on: the layer's name, unless a layer
  /// that owns this one sets a longer one (tf.keras' name scopes: an LSTM's cell weights are
  /// "lstm/lstm_cell/kernel", a Bidirectional's "bidirectional/forward_lstm/lstm_cell_1/kernel";
  /// legacy .h5 files store these names).
  const std::string& weight_scope() const { return weight_scope_.empty() ? name_ : weight_scope_; }
  void set_weight_scope(std::string scope) { weight_scope_ = std::move(scope); }

  /// The calls of this layer on symbolic tensors, in order (Keras' _inbound_nodes).
  std::vector<std::shared_ptr<Node>> inbound_nodes() const;
  /// The shared pointer this layer is owned by, or a copy moved into one when it is a temporary.
  virtual std::shared_ptr<Layer> move_into_shared() && = 0;
  /// The node of an InputLayer (a call without inputs) and its symbolic output.
  static KerasTensor input_node(const std::shared_ptr<Layer>& input_layer);

  /// A layer read from a file remembers the config it was read with, so that writing it back in
  /// the same form keeps every key Keras wrote (regularizers, constraints, keys of other Keras
  /// versions); config_for() gives that config (name and trainable updated) for the same format,
  /// get_config() otherwise.
  void set_source_config(Config config, KerasFormat format);
  Config config_for(KerasFormat format) const;

 protected:
  /// `prefix` is Keras' snake_case class name used for automatic names ("dense" -> dense, dense_1, ...).
  Layer(const std::string& name, const std::string& prefix, DType dtype = DType::float32);
  virtual void build_impl(const Shape& input_shape) { (void)input_shape; }
  /// Several inputs: by default exactly one is accepted and handed to build_impl.
  virtual void build_multi(const std::vector<Shape>& input_shapes);
  /// The single-input computation most layers implement.
  virtual Tensor call(const Tensor& x, bool training);
  /// The general computation: several inputs and outputs, masks. By default calls `call` on the
  /// one input.
  virtual std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args);
  Variable add_weight(const std::string& name, const Tensor& value, bool trainable = true);
  /// Called while building: later calls may differ from the build shape along this per-example
  /// axis of that input (a recurrent layer's time steps, an Embedding's sequence length), as
  /// Keras' input_spec leaves it None.
  void accept_any_length(std::size_t input, int axis);
  /// The penalties of this layer's own weights (kernel_regularizer & co.).
  virtual std::vector<Tensor> own_regularization_losses() const { return {}; }
  /// The base keys of Keras' Layer.get_config: name, trainable, dtype.
  Config base_config(KerasFormat format) const;
  /// Applies the base keys of a config (trainable) to a layer made by from_config.
  static void apply_base_config(Layer& layer, const ConfigReader& c);
  /// A generator for this layer's random draws: from `seed` if given (>= 0), else from the global one.
  static Generator make_generator(std::int64_t seed);
  /// "Dense 'dense_1'" for messages.
  std::string where() const { return class_name() + " '" + name_ + "'"; }

 private:
  friend struct Node;
  std::vector<Tensor> run(const std::vector<Tensor>& xs, bool training);
  std::vector<KerasTensor> call_symbolic(std::shared_ptr<Layer> self, const std::vector<KerasTensor>& xs);
  void check_inputs(const std::vector<Shape>& per_example, const std::vector<Tensor>* tensors = nullptr) const;

  std::string name_;
  std::string weight_scope_;
  DType dtype_;
  bool built_ = false;
  bool trainable_ = true;
  std::vector<Shape> input_shapes_;
  std::vector<Variable> weights_;
  std::vector<bool> declared_trainable_;  // as created: BatchNormalization's moving statistics stay frozen
  std::vector<std::weak_ptr<Node>> nodes_;
  Config source_config_;
  KerasFormat source_format_ = KerasFormat::keras3;
};

/// Keras' serialize_keras_object for a layer: {"class_name", "config"} (keras2), plus "module",
/// "registered_name" and, for a built layer with state, "build_config" (keras3).
Config serialize_layer(const Layer& layer, KerasFormat format);
/// A layer from such an entry through the registry; `where` names the file and position in errors.
std::shared_ptr<Layer> deserialize_layer(const Config& entry, const std::string& where);

/// What a file being read says about its writer, for the few config forms that changed meaning
/// between Keras 2 and 3 (io sets it around a load; defaults to Keras 3, native).
struct LoadContext {
  int keras_major = 3;
  KerasFormat source_format = KerasFormat::keras3;  // keras2: legacy .h5 configs; keras3: .keras
};
LoadContext& load_context();
/// Sets load_context() for its lifetime.
class LoadContextScope {
 public:
  explicit LoadContextScope(LoadContext c);
  ~LoadContextScope();
  LoadContextScope(const LoadContextScope&) = delete;
  LoadContextScope& operator=(const LoadContextScope&) = delete;

 private:
  LoadContext saved_;
};

/// Gives a layer class the one thing the base cannot write for it: how to move a temporary into
/// shared ownership when it joins a graph. `class Dense : public LayerBase<Dense> { ... };`
template <class Derived, class Base = Layer>
class LayerBase : public Base {
 public:
  std::shared_ptr<Layer> move_into_shared() && override {
    return std::make_shared<Derived>(std::move(static_cast<Derived&>(*this)));
  }

 protected:
  using Base::Base;
};

/// std::make_shared for layers: `auto shared = nn::make<nn::Dense>(64, "relu");`
template <class L, class... Args>
std::shared_ptr<L> make(Args&&... args) {
  return std::make_shared<L>(std::forward<Args>(args)...);
}

/// The Keras mask a layer's output carries (Keras' `_keras_mask`), or an undefined tensor.
Tensor keras_mask(const Tensor& t);
void set_keras_mask(const Tensor& t, const Tensor& mask);

/// A unique Keras-style name for `prefix`: "dense", then "dense_1", "dense_2", ...
std::string unique_name(const std::string& prefix);
/// Forgets the name counters (keras.backend.clear_session()).
void clear_session();

}  // namespace tg::nn
