#include "nn/functional.hpp"

#include "nn/layers.hpp"

namespace tg::nn {

const Shape& KerasTensor::shape() const {
  if (!node_) fail("KerasTensor: use of an undefined symbolic tensor");
  return node_->output_shapes.at(static_cast<std::size_t>(index_));
}

DType KerasTensor::dtype() const {
  if (!node_) fail("KerasTensor: use of an undefined symbolic tensor");
  return node_->dtype;
}

Layer& KerasTensor::layer() const {
  if (!node_) fail("KerasTensor: use of an undefined symbolic tensor");
  return *node_->layer;
}

std::string KerasTensor::str() const {
  if (!node_) return "<undefined KerasTensor>";
  return "<KerasTensor shape=" + batch_shape_config(shape()).dump() + " from ['" + node_->layer->name() + "', " +
         std::to_string(node_->index) + ", " + std::to_string(index_) + "]>";
}

KerasTensors::operator KerasTensor() const {
  if (size() != 1) fail("a layer call with ", size(), " outputs was used as one symbolic tensor; index its outputs instead");
  return front();
}

KerasTensor Input(const Shape& shape, const std::string& name, DType dtype) {
  auto layer = std::make_shared<InputLayer>(shape, name, dtype);
  return Layer::input_node(layer);
}

}  // namespace tg::nn
