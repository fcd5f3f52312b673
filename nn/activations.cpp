#include "nn/activations.hpp"

#include "ops/activation.hpp"

namespace tg::nn {

std::string canonical_activation(const std::string& name) { return name.empty() ? "linear" : name; }

void check_activation(const std::string& name, const std::string& context) {
  const std::string n = canonical_activation(name);
  if (n == "linear" || n == "relu" || n == "sigmoid" || n == "tanh" || n == "softmax") return;
  fail(context, ": unknown activation '", name, "'; expected one of: linear, relu, sigmoid, tanh, softmax");
}

Tensor softmax_activation(const Tensor& x, std::int64_t axis) {
  Tensor y = softmax(x, axis);
  // Keras' losses take the shortcut only for the class axis, the last one.
  if (x.rank() >= 1 && (axis == -1 || axis == x.rank() - 1)) y.set_companion(x, static_cast<int>(LogitsOf::softmax));
  return y;
}

Tensor sigmoid_activation(const Tensor& x) {
  Tensor y = sigmoid(x);
  y.set_companion(x, static_cast<int>(LogitsOf::sigmoid));
  return y;
}

Tensor keras_logits(const Tensor& probs, LogitsOf kind) {
  return probs.defined() ? probs.companion(static_cast<int>(kind)) : Tensor();
}

Tensor activation(const std::string& name, const Tensor& x) {
  const std::string n = canonical_activation(name);
  if (n == "linear") return x;
  if (n == "relu") return relu(x);
  if (n == "sigmoid") return sigmoid_activation(x);
  if (n == "tanh") return tanh(x);
  if (n == "softmax") return softmax_activation(x, -1);
  check_activation(name, "activation");
  return x;
}

}  // namespace tg::nn
