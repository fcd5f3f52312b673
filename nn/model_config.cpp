#include "nn/model_config.hpp"

#include "core/error.hpp"

namespace tg::nn {

namespace {
// The input shape a layer config states, if any.
bool shape_from_layer(const Config& cfg, Shape& out) {
  if (!cfg.is_object()) return false;
  const ConfigReader r(cfg, "layer");
  for (const char* key : {"batch_input_shape", "batch_shape"})
    if (r.raw(key).is_array() && !r.raw(key).empty()) {
      out = r.get_batch_shape(key);
      return true;
    }
  if (r.raw("input_dim").is_number_integer()) {  // Keras 1
    out = Shape{r.get_int("input_dim", 0)};
    return true;
  }
  return false;
}
}  // namespace

ModelConfigInfo describe_model_config(const Config& mc, const std::string& where) {
  auto bad = [&](const std::string& what) { fail<std::invalid_argument>("model config of ", where, ": ", what); };
  ModelConfigInfo p;
  if (!mc.is_object() || !mc.contains("config")) bad("expected {\"class_name\", \"config\"}");
  p.model_class = mc.contains("class_name") && mc["class_name"].is_string() ? mc["class_name"].get<std::string>() : "";
  const Config& cfg = mc["config"];
  const Config* entries = nullptr;
  if (cfg.is_array()) {
    entries = &cfg;  // Keras <= 2.2.2 Sequential
  } else if (cfg.is_object() && cfg.contains("layers") && cfg["layers"].is_array()) {
    entries = &cfg["layers"];
    if (cfg.contains("name") && cfg["name"].is_string()) p.model_name = cfg["name"].get<std::string>();
  } else {
    bad("\"config\" is neither a layer list nor a dict with \"layers\"");
  }
  const bool sequential = p.model_class == "Sequential";
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Config& e = (*entries)[i];
    if (!e.is_object() || !e.contains("class_name") || !e["class_name"].is_string())
      bad("layer entry " + std::to_string(i) + " has no class_name");
    LayerEntry l;
    l.class_name = e["class_name"].get<std::string>();
    l.config = e.contains("config") && e["config"].is_object() ? e["config"] : Config::object();
    if (l.config.contains("name") && l.config["name"].is_string()) l.name = l.config["name"].get<std::string>();
    else if (e.contains("name") && e["name"].is_string()) l.name = e["name"].get<std::string>();
    if (!p.has_input_shape) p.has_input_shape = shape_from_layer(l.config, p.input_shape);
    if (sequential && l.class_name == "InputLayer") continue;  // not in a Sequential's model.layers
    p.layers.push_back(std::move(l));
  }
  if (!p.has_input_shape && cfg.is_object() && cfg.contains("build_input_shape") && cfg["build_input_shape"].is_array()) {
    p.input_shape = ConfigReader(cfg, where).get_batch_shape("build_input_shape");
    p.has_input_shape = true;
  }
  if (!p.has_input_shape && mc.contains("build_config") && mc["build_config"].is_object() &&
      mc["build_config"].contains("input_shape") && mc["build_config"]["input_shape"].is_array()) {
    p.input_shape = ConfigReader(mc["build_config"], where).get_batch_shape("input_shape");
    p.has_input_shape = true;
  }
  return p;
}

}  // namespace tg::nn
