#pragma once
/// \file
/// Keras activations by name (keras.activations): "linear" (or ""), "relu", "sigmoid", "tanh",
/// "softmax", "log_softmax", "softplus", "softsign", "elu", "selu", "gelu" (exact), "silu" and its
/// alias "swish", "leaky_relu" (slope 0.2), "relu6", "hard_sigmoid" (Keras 3's relu6(x + 3) / 6),
/// "exponential"; and "hard_sigmoid_keras2", Keras 2's clip(0.2 x + 0.5, 0, 1), which a Keras 2
/// file's "hard_sigmoid" means (layers read it so from such files and write it back as Keras 2 did).
///
/// As keras.activations.softmax and .sigmoid do (`_keras_logits`), the output of a softmax over
/// the last axis or of a sigmoid remembers its input, so that a Keras loss given those
/// probabilities computes on the logits with the stable fused op (nn/losses.hpp). This is why
/// `Dense(10, "softmax")` trains as well as `Dense(10)` with `from_logits=true`, while
/// tg::softmax, the plain op, remembers nothing (like keras.ops.softmax).
#include <string>

#include "core/tensor.hpp"
#include "nn/config.hpp"

namespace tg::nn {

/// Throws std::invalid_argument naming `context` and the unknown activation.
void check_activation(const std::string& name, const std::string& context);
/// Applies the named activation (softmax over the last axis).
Tensor activation(const std::string& name, const Tensor& x);
/// "" and "linear" both mean identity; returns the canonical name Keras stores ("linear").
std::string canonical_activation(const std::string& name);

/// An activation read from a layer config: a name or a serialized function; a Keras 2 file's
/// "hard_sigmoid" becomes "hard_sigmoid_keras2" (nn::load_context() says who wrote the file).
std::string activation_from_config(const Config& activation);
/// The name a config stores: Keras 2's "hard_sigmoid" is written back under that name for keras2.
Config activation_to_config(const std::string& name, KerasFormat format);

/// keras.activations.softmax: softmax along `axis`, remembering x when the axis is the last.
Tensor softmax_activation(const Tensor& x, std::int64_t axis = -1);
/// keras.activations.sigmoid: sigmoid, remembering x.
Tensor sigmoid_activation(const Tensor& x);

/// Which activation's logits a probability tensor carries.
enum class LogitsOf { softmax = 1, sigmoid = 2 };
/// The logits `probs` came from through that activation, or an undefined tensor.
Tensor keras_logits(const Tensor& probs, LogitsOf kind);

}  // namespace tg::nn
