#pragma once
/// \file
/// Reading a Keras model config without building it: the model class and name, the input shape
/// it states, and model.layers as Keras lists them (a Sequential's without its InputLayer). For
/// describing files (tapegrad summary) and for mapping a file's weights to layers by position.
#include <string>
#include <vector>

#include "core/shape.hpp"
#include "nn/config.hpp"

namespace tg::nn {

struct LayerEntry {
  std::string class_name, name;
  Config config;  ///< the layer's config dict (an empty object when the entry has none)
};

struct ModelConfigInfo {
  std::string model_class;  ///< "Sequential", "Functional", "Model", ...
  std::string model_name;
  bool has_input_shape = false;
  Shape input_shape;  ///< without the batch dimension; unknown dims -1
  std::vector<LayerEntry> layers;
};

/// Accepts {"class_name", "config"} with config a list (Keras <= 2.2.2) or a dict with "layers",
/// layer entries with or without "module"/"registered_name"; `where` names the file in errors.
ModelConfigInfo describe_model_config(const Config& model_config, const std::string& where);

}  // namespace tg::nn
