#include "nn/losses.hpp"

namespace tg::nn {

Tensor SparseCategoricalCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  return sparse_categorical_crossentropy(y_true, y_pred, from_logits, reduction);
}
Tensor CategoricalCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  return categorical_crossentropy(y_true, y_pred, from_logits, reduction);
}
Tensor BinaryCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  return binary_crossentropy(y_true, y_pred, from_logits, reduction);
}
Tensor MeanSquaredError::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_squared_error(y_true, y_pred, reduction);
}

std::shared_ptr<Loss> get_loss(const std::string& name) {
  if (name == "sparse_categorical_crossentropy") return std::make_shared<SparseCategoricalCrossentropy>();
  if (name == "categorical_crossentropy") return std::make_shared<CategoricalCrossentropy>();
  if (name == "binary_crossentropy") return std::make_shared<BinaryCrossentropy>();
  if (name == "mean_squared_error" || name == "mse") return std::make_shared<MeanSquaredError>();
  fail("unknown loss '", name,
       "'; expected one of: sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, "
       "mean_squared_error");
}

}  // namespace tg::nn
