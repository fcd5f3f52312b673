#pragma once
// Pieces shared by the Keras readers and writers; not part of the public API.
#include <functional>
#include <string>
#include <vector>

#include "io/keras_model.hpp"

namespace tg::nn {
class Sequential;
}

namespace tg::io::detail {

// A model config reduced to what the representation needs.
struct ParsedConfig {
  std::string model_class;  // "Sequential", "Functional", "Model", ...
  std::string model_name;
  std::vector<std::int64_t> input_shape;
  std::vector<KerasLayer> layers;  // config only; Sequential's InputLayer entries removed
};

// Accepts {"class_name", "config"} with config a list (Keras <= 2.2.2) or a dict with "layers",
// layer entries with or without "module"/"registered_name"; `where` names the file in errors.
ParsedConfig parse_model_config(const nlohmann::json& model_config, const std::string& where);

// The model_config a legacy writer stores; `where` names the target in errors.
nlohmann::json legacy_model_config(const KerasModel& m, const std::string& where);
// The config.json of a .keras archive.
nlohmann::json keras3_model_config(const KerasModel& m, const std::string& where);

// Names for the variables of a layer in a native file, which stores only indexes.
std::vector<std::string> native_weight_names(const std::string& snake_class, const nlohmann::json& config,
                                             std::size_t count);

// Shape written as JSON with a leading null batch dimension; -1 -> null.
nlohmann::json batch_shape_json(const std::vector<std::int64_t>& shape);

// Throws tg::ShapeError when a weight's value count does not match its shape.
void check_weight(const std::string& op, const std::string& path, const std::string& layer, const KerasWeight& w);
h5::NumType num_type(const std::string& dtype);

// Runs write(tmp) with a fresh temporary path beside `path`, then renames it over `path`; on
// any failure the temporary is removed and `path` is untouched.
void save_atomically(const std::string& path, const std::string& op, const std::function<void(const std::string&)>& write);

// Keras 3 native layout under `root` (the file root or an in-memory image).
void write_native(const h5::Group& root, const KerasModel& m, const std::string& op, const std::string& path);
KerasModel read_native(const h5::Group& root, const nlohmann::json* config, const std::string& where);

// A compiled model's compile config (io/keras_compile.cpp): tf.keras 2.10's `training_config`
// (OptimizerV2 config, MeanMetricWrapper metrics), or with `keras3` a `.keras` compile_config.
nlohmann::json compile_config(const nn::Sequential& model, bool keras3);
// A compiled model's optimizer state as stored: tf.keras 2.10's names and order ("Adam/iter:0",
// then "Adam/<var>/m:0" for every variable, then ".../v:0"), nothing before the first step; or
// with `keras3` Keras 3's order (iterations, rate, then variable by variable), only iterations and
// the rate before the first step.
std::vector<KerasWeight> optimizer_weights(const nn::Sequential& model, bool keras3);
// Compiles `model` as a legacy training_config or a .keras compile_config says (either metric
// form, the hyper-parameters tapegrad has); false, with a note on stderr, when it cannot.
bool compile_from_config(nn::Sequential& model, const nlohmann::json& config, const std::string& where);
// Restores the optimizer of a compiled `model` from km.optimizer_weights named as tapegrad or
// Keras 3 name them, as tf.keras 2.x does (the rate then comes from the config), or by position
// (native files). All or nothing; false, with a note on stderr, when the state does not map.
bool restore_optimizer_state(nn::Sequential& model, const KerasModel& km, const std::string& where);

}  // namespace tg::io::detail
