// Model-config JSON: normalising every Keras generation's form on read, producing it on write.
#include <cctype>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/keras_internal.hpp"

namespace tg::io {

using nlohmann::json;

std::int64_t KerasWeight::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::int64_t KerasModel::param_count() const {
  std::int64_t n = 0;
  for (const auto& l : layers)
    for (const auto& w : l.weights) n += w.numel();
  return n;
}

const KerasLayer* KerasModel::find_layer(const std::string& name) const {
  for (const auto& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

std::string keras_snake_case(const std::string& class_name) {
  // Keras: drop non-word chars, then "(.)([A-Z][a-z]+)" -> "\1_\2", then "([a-z])([A-Z])" -> "\1_\2".
  std::string s;
  for (char c : class_name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string a;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && upper(s[i]) && i + 1 < s.size() && lower(s[i + 1])) a += '_';
    a += s[i];
  }
  std::string b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && lower(a[i - 1]) && upper(a[i])) b += '_';
    b += a[i];
  }
  for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

namespace {
std::string strip_counter(const std::string& name) {
  const auto us = name.rfind('_');
  if (us == std::string::npos || us + 1 == name.size()) return name;
  for (std::size_t i = us + 1; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return name;
  return name.substr(0, us);
}
}  // namespace

std::vector<std::string> keras3_layer_keys(const std::vector<KerasLayer>& layers) {
  std::vector<std::string> keys;
  std::set<std::string> used;
  for (const auto& l : layers) {
    std::string base;
    if (!l.class_name.empty()) {
      base = keras_snake_case(l.class_name);
    } else if (!l.weights.empty() && l.weights.front().h5_path.rfind("/layers/", 0) == 0) {
      const std::string& p = l.weights.front().h5_path;
      base = strip_counter(p.substr(8, p.find('/', 8) - 8));
    } else {
      base = strip_counter(l.name);
    }
    std::string key = base;
    for (int i = 1; used.count(key); ++i) key = base + "_" + std::to_string(i);
    used.insert(key);
    keys.push_back(key);
  }
  return keys;
}

std::string keras_dtype_name(const json& dtype) {
  if (dtype.is_string()) return dtype.get<std::string>();
  if (dtype.is_object()) {
    if (dtype.contains("config") && dtype["config"].is_object() && dtype["config"].contains("name") &&
        dtype["config"]["name"].is_string())
      return dtype["config"]["name"].get<std::string>();  // DTypePolicy / mixed_float16 policy
    if (dtype.contains("name") && dtype["name"].is_string()) return dtype["name"].get<std::string>();
  }
  return "float32";
}

std::string keras_activation_name(const json& activation) {
  if (activation.is_null()) return "linear";
  if (activation.is_string()) return activation.get<std::string>();
  if (activation.is_object()) {
    for (const char* key : {"config", "registered_name", "class_name"})
      if (activation.contains(key) && activation[key].is_string()) return activation[key].get<std::string>();
  }
  return activation.dump();
}

namespace detail {

json batch_shape_json(const std::vector<std::int64_t>& shape) {
  json j = json::array({nullptr});
  for (auto d : shape) j.push_back(d < 0 ? json(nullptr) : json(d));
  return j;
}

namespace {

std::vector<std::int64_t> shape_without_batch(const json& batch_shape) {
  std::vector<std::int64_t> s;
  for (std::size_t i = 1; i < batch_shape.size(); ++i)
    s.push_back(batch_shape[i].is_number_integer() ? batch_shape[i].get<std::int64_t>() : -1);
  return s;
}

// The input shape a layer config states, if any.
bool shape_from_layer(const json& cfg, std::vector<std::int64_t>& out) {
  if (!cfg.is_object()) return false;
  for (const char* key : {"batch_input_shape", "batch_shape"})
    if (cfg.contains(key) && cfg[key].is_array() && !cfg[key].empty()) {
      out = shape_without_batch(cfg[key]);
      return true;
    }
  if (cfg.contains("input_dim") && cfg["input_dim"].is_number_integer()) {  // Keras 1
    out = {cfg["input_dim"].get<std::int64_t>()};
    return true;
  }
  return false;
}

}  // namespace

ParsedConfig parse_model_config(const json& mc, const std::string& where) {
  auto bad = [&](const std::string& what) -> void {
    fail<FileError>("model config of ", where, ": ", what);
  };
  ParsedConfig p;
  if (!mc.is_object() || !mc.contains("config")) bad("expected {\"class_name\", \"config\"}");
  p.model_class = mc.value("class_name", "");
  const json& cfg = mc["config"];
  const json* entries = nullptr;
  if (cfg.is_array()) {
    entries = &cfg;  // Keras <= 2.2.2 Sequential
  } else if (cfg.is_object() && cfg.contains("layers") && cfg["layers"].is_array()) {
    entries = &cfg["layers"];
    if (cfg.contains("name") && cfg["name"].is_string()) p.model_name = cfg["name"].get<std::string>();
  } else {
    bad("\"config\" is neither a layer list nor a dict with \"layers\"");
  }
  const bool sequential = p.model_class == "Sequential";
  bool have_shape = false;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const json& e = (*entries)[i];
    if (!e.is_object() || !e.contains("class_name") || !e["class_name"].is_string())
      bad("layer entry " + std::to_string(i) + " has no class_name");
    KerasLayer l;
    l.class_name = e["class_name"].get<std::string>();
    l.config = e.contains("config") ? e["config"] : json::object();
    if (l.config.is_object() && l.config.contains("name") && l.config["name"].is_string())
      l.name = l.config["name"].get<std::string>();
    else if (e.contains("name") && e["name"].is_string())
      l.name = e["name"].get<std::string>();
    if (!have_shape) have_shape = shape_from_layer(l.config, p.input_shape);
    if (sequential && l.class_name == "InputLayer") continue;
    p.layers.push_back(std::move(l));
  }
  if (!have_shape && cfg.is_object() && cfg.contains("build_input_shape") && cfg["build_input_shape"].is_array())
    p.input_shape = shape_without_batch(cfg["build_input_shape"]), have_shape = true;
  if (!have_shape && mc.contains("build_config") && mc["build_config"].is_object() &&
      mc["build_config"].contains("input_shape") && mc["build_config"]["input_shape"].is_array())
    p.input_shape = shape_without_batch(mc["build_config"]["input_shape"]);
  return p;
}

namespace {

void require_architecture(const KerasModel& m, const std::string& where) {
  for (const auto& l : m.layers)
    if (l.class_name.empty())
      fail<FileError>("cannot write a full model to ", where, ": layer '", l.name,
                      "' has no class_name (read from a weights-only file?); write weights only instead");
}

json layer_config(const KerasLayer& l) {
  json cfg = l.config.is_object() ? l.config : json::object();
  cfg["name"] = l.name;
  return cfg;
}

// The InputLayer entry of an existing Sequential config, if it has one first.
const json* first_input_entry(const json& mc) {
  if (!mc.is_object() || !mc.contains("config") || !mc["config"].is_object()) return nullptr;
  const json& cfg = mc["config"];
  if (!cfg.contains("layers") || !cfg["layers"].is_array() || cfg["layers"].empty()) return nullptr;
  const json& first = cfg["layers"][0];
  return first.is_object() && first.value("class_name", "") == "InputLayer" ? &first : nullptr;
}

// The entry of layer `name` in an existing config's layer list, to keep keys beyond
// class_name/config (build_config, module, ...).
json base_entry(const json& mc, const std::string& name) {
  if (mc.is_object() && mc.contains("config") && mc["config"].is_object() && mc["config"].contains("layers") &&
      mc["config"]["layers"].is_array())
    for (const auto& e : mc["config"]["layers"])
      if (e.is_object() && e.contains("config") && e["config"].is_object() && e["config"].value("name", "") == name)
        return e;
  return json::object();
}

}  // namespace

json legacy_model_config(const KerasModel& m, const std::string& where) {
  require_architecture(m, where);
  const bool legacy_source = m.format.rfind("legacy-h5", 0) == 0;
  const bool have_base = legacy_source && m.model_config.is_object() && m.model_config.contains("config");
  const std::string cls = have_base ? m.model_config.value("class_name", "Sequential") : "Sequential";
  if (cls != "Sequential") {
    if (have_base) return m.model_config;  // functional: inbound_nodes etc. cannot be rebuilt here
    fail<FileError>("cannot write model class '", cls, "' to ", where);
  }
  json out = {{"class_name", "Sequential"}, {"config", json::object()}};
  if (have_base && m.model_config["config"].is_object()) out["config"] = m.model_config["config"];
  json& cfg = out["config"];
  cfg["name"] = m.model_name.empty() ? "sequential" : m.model_name;
  json layers = json::array();
  const json* input = have_base ? first_input_entry(m.model_config) : nullptr;
  bool synthesized = false;
  if (input) {
    layers.push_back(*input);
  } else if (!have_base && !m.input_shape.empty()) {  // a source config without InputLayer stays so
    const std::string first = m.layers.empty() ? "input" : m.layers.front().name;
    layers.push_back({{"class_name", "InputLayer"},
                      {"config",
                       {{"batch_input_shape", batch_shape_json(m.input_shape)},
                        {"dtype", "float32"},
                        {"sparse", false},
                        {"ragged", false},
                        {"name", first + "_input"}}}});
    synthesized = true;
  }
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    json c = layer_config(m.layers[i]);
    // tf.keras 2.x also puts the input shape on the first real layer.
    if (synthesized && i == 0 && !c.contains("batch_input_shape") && !c.contains("batch_shape"))
      c["batch_input_shape"] = batch_shape_json(m.input_shape);
    json e = have_base ? base_entry(m.model_config, m.layers[i].name) : json::object();
    e["class_name"] = m.layers[i].class_name;
    e["config"] = std::move(c);
    layers.push_back(std::move(e));
  }
  cfg["layers"] = std::move(layers);
  return out;
}

json keras3_model_config(const KerasModel& m, const std::string& where) {
  require_architecture(m, where);
  const bool native_source =
      m.format == "keras-zip" && m.model_config.is_object() && m.model_config.contains("config");
  const std::string cls = native_source ? m.model_config.value("class_name", "Sequential") : "Sequential";
  if (cls != "Sequential") {
    if (native_source) return m.model_config;
    fail<FileError>("cannot write model class '", cls, "' to ", where);
  }
  const json policy = {{"module", "keras"},
                       {"class_name", "DTypePolicy"},
                       {"config", {{"name", "float32"}}},
                       {"registered_name", nullptr}};
  json out;
  if (native_source) {
    out = m.model_config;
  } else {
    out = {{"module", "keras"}, {"class_name", "Sequential"}, {"config", json::object()}, {"registered_name", nullptr}};
    out["config"]["trainable"] = true;
    out["config"]["dtype"] = policy;
    if (!m.input_shape.empty()) {
      out["build_config"] = {{"input_shape", batch_shape_json(m.input_shape)}};
      out["config"]["build_input_shape"] = batch_shape_json(m.input_shape);
    }
  }
  json& cfg = out["config"];
  if (!cfg.is_object()) cfg = json::object();
  cfg["name"] = m.model_name.empty() ? "sequential" : m.model_name;
  json layers = json::array();
  if (const json* input = native_source ? first_input_entry(m.model_config) : nullptr) {
    layers.push_back(*input);
  } else if (!m.input_shape.empty()) {
    layers.push_back({{"module", "keras.layers"},
                      {"class_name", "InputLayer"},
                      {"config",
                       {{"batch_shape", batch_shape_json(m.input_shape)},
                        {"dtype", "float32"},
                        {"sparse", false},
                        {"ragged", false},
                        {"name", "input_layer"}}},
                      {"registered_name", nullptr}});
  }
  for (const auto& l : m.layers) {
    json c = layer_config(l);
    if (!native_source)  // Keras 3 takes the input shape from the InputLayer only
      for (const char* key : {"batch_input_shape", "batch_shape", "input_shape", "input_dim"}) c.erase(key);
    json e = native_source ? base_entry(m.model_config, l.name) : json::object();
    if (!e.contains("module")) e["module"] = "keras.layers";
    if (!e.contains("registered_name")) e["registered_name"] = nullptr;
    e["class_name"] = l.class_name;
    e["config"] = std::move(c);
    layers.push_back(std::move(e));
  }
  cfg["layers"] = std::move(layers);
  if (m.format == "keras-zip" && !m.training_config.is_null()) out["compile_config"] = m.training_config;
  return out;
}

std::vector<std::string> native_weight_names(const std::string& snake_class, const json& config, std::size_t count) {
  auto flag = [&](const char* key) {
    return !(config.is_object() && config.contains(key) && config[key].is_boolean() && !config[key].get<bool>());
  };
  std::vector<std::string> names;
  const std::string& c = snake_class;
  if (c == "dense" || c == "conv1d" || c == "conv2d" || c == "conv3d" || c == "conv1d_transpose" ||
      c == "conv2d_transpose" || c == "conv3d_transpose") {
    names = {"kernel"};
    if (flag("use_bias")) names.push_back("bias");
  } else if (c == "batch_normalization") {
    if (flag("scale")) names.push_back("gamma");
    if (flag("center")) names.push_back("beta");
    names.push_back("moving_mean");
    names.push_back("moving_variance");
  } else if (c == "layer_normalization") {
    if (flag("scale")) names.push_back("gamma");
    if (flag("center")) names.push_back("beta");
  } else if (c == "embedding") {
    names = {"embeddings"};
  }
  if (names.size() != count) names.clear();  // unknown or unexpected: fall back to indexes
  for (std::size_t i = names.size(); i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

void check_weight(const std::string& op, const std::string& path, const std::string& layer, const KerasWeight& w) {
  std::uint64_t n = 1;
  std::ostringstream shape;
  shape << "(";
  for (std::size_t i = 0; i < w.shape.size(); ++i) {
    if (w.shape[i] < 0) fail<ShapeError>(op, " ", path, ": layer '", layer, "' weight '", w.name, "' has a negative dimension");
    n *= static_cast<std::uint64_t>(w.shape[i]);
    shape << (i ? ", " : "") << w.shape[i];
  }
  shape << (w.shape.size() == 1 ? ",)" : ")");
  if (n != w.values.size())
    fail<ShapeError>(op, " ", path, ": layer '", layer, "' weight '", w.name, "': shape ", shape.str(), " needs ", n,
                     " values, got ", w.values.size());
}

h5::NumType num_type(const std::string& dtype) {
  if (dtype == "float64") return h5::NumType::float64;
  if (dtype == "float16") return h5::NumType::float16;
  if (dtype.rfind("int", 0) == 0 || dtype.rfind("uint", 0) == 0) return h5::NumType::int64;
  return h5::NumType::float32;
}

}  // namespace detail
}  // namespace tg::io
