#include "nn/losses.hpp"

#include "nn/activations.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& y_true, const Tensor& y_pred) {
  const int rt = y_true.rank(), rp = y_pred.rank();
  auto drop_last = [](const Tensor& t) {
    std::vector<std::int64_t> s(t.shape().begin(), t.shape().end() - 1);
    return reshape(t, s);
  };
  auto add_last = [](const Tensor& t) {
    std::vector<std::int64_t> s(t.shape().begin(), t.shape().end());
    s.push_back(1);
    return reshape(t, s);
  };
  if (rt == rp + 1 && y_true.shape().back() == 1) return {rp == 1 ? y_true : drop_last(y_true), rp == 1 ? add_last(y_pred) : y_pred};
  if (rp == rt + 1 && y_pred.shape().back() == 1) return {rt == 1 ? add_last(y_true) : y_true, rt == 1 ? y_pred : drop_last(y_pred)};
  return {y_true, y_pred};
}

Tensor SparseCategoricalCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  if (!from_logits)
    if (Tensor logits = keras_logits(y_pred, LogitsOf::softmax); logits.defined())
      return sparse_categorical_crossentropy(y_true, logits, true, reduction);
  return sparse_categorical_crossentropy(y_true, y_pred, from_logits, reduction);
}

Tensor CategoricalCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  if (!from_logits)
    if (Tensor logits = keras_logits(y_pred, LogitsOf::softmax); logits.defined())
      return categorical_crossentropy(yt, logits, true, reduction);
  return categorical_crossentropy(yt, yp, from_logits, reduction);
}

Tensor BinaryCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  if (!from_logits)
    if (Tensor logits = keras_logits(y_pred, LogitsOf::sigmoid); logits.defined()) {
      const auto [yt, yl] = squeeze_or_expand_to_same_rank(y_true, logits);
      return binary_crossentropy(yt, yl, true, reduction);
    }
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  return binary_crossentropy(yt, yp, from_logits, reduction);
}

Tensor MeanSquaredError::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  return mean_squared_error(yt, yp, reduction);
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
