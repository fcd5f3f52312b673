#include "nn/activations.hpp"

#include <functional>
#include <map>

#include "nn/layer.hpp"
#include "ops/activation.hpp"

namespace tg::nn {

namespace {

// keras.activations by name. "hard_sigmoid" is Keras 3's relu6(x + 3) / 6; files written by
// Keras 2 meant clip(0.2 x + 0.5, 0, 1), which canonical_activation names hard_sigmoid_keras2.
const std::map<std::string, std::function<Tensor(const Tensor&)>>& table() {
  static const std::map<std::string, std::function<Tensor(const Tensor&)>> t = {
      {"linear", [](const Tensor& x) { return x; }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid_activation(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"softmax", [](const Tensor& x) { return softmax_activation(x, -1); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x, -1); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"elu", [](const Tensor& x) { return elu(x, 1.0); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x, false); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"swish", [](const Tensor& x) { return silu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }},
      {"hard_sigmoid_keras2", [](const Tensor& x) { return hard_sigmoid_keras2(x); }},
      {"exponential", [](const Tensor& x) { return exponential(x); }},
  };
  return t;
}

}  // namespace

std::string canonical_activation(const std::string& name) { return name.empty() ? "linear" : name; }

void check_activation(const std::string& name, const std::string& context) {
  if (table().count(canonical_activation(name))) return;
  std::string known;
  for (const auto& [k, f] : table())
    if (k != "hard_sigmoid_keras2") known += (known.empty() ? "" : ", ") + k;
  fail(context, ": unknown activation '", shorten(name), "'; expected one of: ", known);
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

std::string activation_from_config(const Config& j) {
  const std::string name = canonical_activation(activation_name(j));
  if (name == "hard_sigmoid" && load_context().keras_major < 3) return "hard_sigmoid_keras2";
  return name;
}

Config activation_to_config(const std::string& name, KerasFormat format) {
  if (name == "hard_sigmoid_keras2" && format == KerasFormat::keras2) return "hard_sigmoid";
  return name;
}

Tensor activation(const std::string& name, const Tensor& x) {
  check_activation(name, "activation");
  return table().at(canonical_activation(name))(x);
}

}  // namespace tg::nn
