#pragma once
/// \file
/// Sequential: a stack of layers, a kind of Model, trained with compile/fit or a GradientTape loop.
///
///     tg::nn::Sequential model({tg::nn::Flatten(), tg::nn::Dense(128, "relu"), tg::nn::Dense(10, "softmax")});
///     model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
///     model.fit(x_train, y_train, {.epochs = 5});
#include <concepts>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.hpp"
#include "nn/model.hpp"

namespace tg::nn {

/// Holds any layer: built from a layer value (moved or copied into shared ownership) or a shared_ptr.
class LayerHandle {
 public:
  template <class L>
    requires std::derived_from<std::remove_cvref_t<L>, Layer>
  LayerHandle(L&& layer) : ptr_(std::make_shared<std::remove_cvref_t<L>>(std::forward<L>(layer))) {}
  template <class L>
    requires std::derived_from<L, Layer>
  LayerHandle(std::shared_ptr<L> layer) : ptr_(std::move(layer)) {
    if (!ptr_) fail("LayerHandle: a null layer was given");
  }
  const std::shared_ptr<Layer>& get() const { return ptr_; }

 private:
  std::shared_ptr<Layer> ptr_;
};

class Sequential : public LayerBase<Sequential, Model> {
 public:
  explicit Sequential(const std::string& name = "");
  Sequential(std::initializer_list<LayerHandle> layers, const std::string& name = "");
  std::string class_name() const override { return "Sequential"; }
  /// Keras' Sequential config: name, layers (an InputLayer first when the input shape is known),
  /// and in Keras 3's form trainable, dtype and build_input_shape.
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Sequential> from_config(const Config& config);
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;

  /// Appends a layer (an InputLayer only fixes the input shape, as in Keras).
  void add(LayerHandle layer);
  /// Removes the last layer (Keras' pop()).
  void pop();
  /// Builds every layer for inputs of shape (batch, *input_shape).
  using Layer::build;
  /// The per-example input shape (after build, a first call, or an InputLayer).
  Shape input_shape() const;
  Shape output_shape() const;

  /// Every layer's output, in order (the last one is the model's output): read the logits of a
  /// Dense followed by Activation("softmax") as outputs[size - 2].
  std::vector<Tensor> call_with_intermediates(const Tensor& x, bool training = false);
  std::string summary() const override;

 protected:
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;

 private:
  std::shared_ptr<InputLayer> input_layer_;  // from add(InputLayer) or a config; not in layers()
};

}  // namespace tg::nn
