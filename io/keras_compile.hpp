#pragma once
// A compiled model's training state in Keras files, both ways; not part of the public API.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "io/keras_model.hpp"
#include "nn/model.hpp"

namespace tg::io::detail {

// The compile config: tf.keras 2.10's `training_config` (OptimizerV2 config, MeanMetricWrapper
// metrics) for keras2, a `.keras` compile_config for keras3.
nlohmann::json compile_config(const nn::Model& model, nn::KerasFormat format);
// The optimizer state as stored: tf.keras 2.10's names and order ("Adam/iter:0", then
// "Adam/<var>/m:0" for every variable, then ".../v:0"), nothing before the first step; or for
// keras3 Keras 3's order (iterations, rate, then variable by variable), only iterations and the
// rate before the first step.
std::vector<KerasWeight> optimizer_weights(const nn::Model& model, nn::KerasFormat format);
// Compiles `model` as a training_config / compile_config says; false, with a note on stderr, when
// it cannot.
bool compile_from_config(nn::Model& model, const nlohmann::json& config, const std::string& where);
// Restores the optimizer of a compiled `model` from km.optimizer_weights named as tapegrad or
// Keras 3 name them, as tf.keras 2.x does, or by position (native files). All or nothing; false,
// with a note on stderr, when the state does not map.
bool restore_optimizer_state(nn::Model& model, const KerasModel& km, const std::string& where);

}  // namespace tg::io::detail
