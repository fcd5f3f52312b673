#include "nn/activations.hpp"

#include "ops/activation.hpp"

namespace tg::nn {

std::string canonical_activation(const std::string& name) { return name.empty() ? "linear" : name; }

void check_activation(const std::string& name, const std::string& context) {
  const std::string n = canonical_activation(name);
  if (n == "linear" || n == "relu" || n == "sigmoid" || n == "tanh" || n == "softmax") return;
  fail(context, ": unknown activation '", name, "'; expected one of: linear, relu, sigmoid, tanh, softmax");
}

Tensor activation(const std::string& name, const Tensor& x) {
  const std::string n = canonical_activation(name);
  if (n == "linear") return x;
  if (n == "relu") return relu(x);
  if (n == "sigmoid") return sigmoid(x);
  if (n == "tanh") return tanh(x);
  if (n == "softmax") return softmax(x, -1);
  check_activation(name, "activation");
  return x;
}

}  // namespace tg::nn
