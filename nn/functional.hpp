#pragma once
/// \file
/// Symbolic tensors for Keras' Functional API. `nn::Input(shape)` starts a graph; calling layers
/// on KerasTensors records nodes; `nn::Model(inputs, outputs)` (nn/model.hpp) turns the graph
/// into a model.
///
///     auto a = nn::Input({16}), b = nn::Input({8});
///     auto h = nn::Concatenate()({nn::Dense(32, "relu")(a), b});
///     nn::Model model({a, b}, {nn::Dense(1)(h)});
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"

namespace tg::nn {

class Layer;
class KerasTensor;

/// One call of a layer on symbolic inputs (Keras' Node): it keeps its layer and its inputs
/// alive; a layer refers back to its nodes weakly.
struct Node {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;
  std::vector<Shape> output_shapes;
  DType dtype = DType::float32;
  int index = 0;  // among the layer's calls (Keras' node_index)
};

/// A symbolic tensor: the `index`-th output of a node; `shape` excludes the batch dimension.
class KerasTensor {
 public:
  KerasTensor() = default;
  KerasTensor(std::shared_ptr<Node> node, int index) : node_(std::move(node)), index_(index) {}
  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;
  DType dtype() const;
  const std::shared_ptr<Node>& node() const { return node_; }
  int index() const { return index_; }
  /// The layer that produced it.
  Layer& layer() const;
  /// Keras' keras_history: [layer name, node index, tensor index].
  std::string str() const;
  bool is_same(const KerasTensor& o) const { return node_ == o.node_ && index_ == o.index_; }

 private:
  std::shared_ptr<Node> node_;
  int index_ = 0;
};

/// The outputs of a symbolic call: a list that converts to its one element, so that a merge
/// layer's result is used like a tensor (`auto r = nn::Add()({h, x}); nn::Dense(4)(r);`).
class KerasTensors : public std::vector<KerasTensor> {
 public:
  using std::vector<KerasTensor>::vector;
  KerasTensors(std::vector<KerasTensor> v) : std::vector<KerasTensor>(std::move(v)) {}
  /// The single output; throws when the call had several.
  operator KerasTensor() const;
};

/// keras.Input: a symbolic input of per-example `shape` (-1 for an unknown dimension).
KerasTensor Input(const Shape& shape, const std::string& name = "", DType dtype = DType::float32);

}  // namespace tg::nn
