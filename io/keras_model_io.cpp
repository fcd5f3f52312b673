#include "io/keras_model_io.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

#include "io/keras_compile.hpp"
#include "io/keras_internal.hpp"
#include "io/keras_model.hpp"
#include "nn/optimizers.hpp"
#include "nn/registry.hpp"

namespace tg {

using nlohmann::json;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_legacy(const io::KerasModel& km) { return km.format.rfind("legacy", 0) == 0; }

io::KerasWeight to_weight(const Variable& v, bool keras2_names) {
  io::KerasWeight w;
  const std::string& path = v.name();
  const auto slash = path.rfind('/');
  w.name = (slash == std::string::npos ? path : path.substr(slash + 1)) + (keras2_names ? ":0" : "");
  if (keras2_names) w.stored_name = path + ":0";  // tf.keras 2: the variable's name, scope included
  w.shape = v.shape().to_vector();
  w.values = v.value().to_vector<double>();
  w.dtype = dtype_name(v.dtype());
  return w;
}

// A layer's native subtree: its own variables, then its sublayers (a model's under "layers").
void fill_native(io::NativeNode& node, const nn::Layer& l) {
  node.has_vars = true;
  node.vars_name = l.name();
  for (const Variable& v : l.own_variables()) {
    node.vars.push_back(to_weight(v, false));
    node.vars.back().name = std::to_string(node.vars.size() - 1);  // native files store positions only
  }
  for (const auto& [key, sub] : l.sublayers()) {
    io::NativeNode& child = l.is_model() ? node.add_child("layers").add_child(key) : node.add_child(key);
    fill_native(child, *sub);
  }
}

int keras_major(const io::KerasModel& km) {
  if (!km.keras_version.empty() && km.keras_version[0] >= '1' && km.keras_version[0] <= '2') return 2;
  if (!km.keras_version.empty() && km.keras_version[0] == '3') return 3;
  return is_legacy(km) ? 2 : 3;
}

std::string shape_str(const std::vector<std::int64_t>& s) { return Shape(s).str(); }

}  // namespace

io::KerasModel to_keras_model(const nn::Model& model, nn::KerasFormat format, bool include_optimizer) {
  const bool keras2 = format == nn::KerasFormat::keras2;
  io::KerasModel km;
  // The legacy layout written is tf.keras 2.10's; a .keras archive gets the writer's Keras 3 version.
  km.format = keras2 ? "legacy-h5-full" : "keras-zip";
  km.keras_version = keras2 ? "2.10.0" : "";
  km.backend = "tensorflow";
  km.model_name = model.name();
  if (model.built() && model.input_shapes().size() == 1) km.input_shape = model.input_shape().to_vector();
  km.model_config = nn::serialize_layer(model, format);
  for (const auto& l : model.layers()) {
    io::KerasLayer k;
    k.class_name = l->class_name();
    k.name = l->name();
    k.config = l->config_for(format);
    for (const Variable& v : l->weights()) k.weights.push_back(to_weight(v, keras2));
    km.layers.push_back(std::move(k));
  }
  fill_native(km.native, model);
  if (include_optimizer && model.compiled()) {
    km.training_config = io::detail::compile_config(model, format);
    km.optimizer_weights = io::detail::optimizer_weights(model, format);
    if (!keras2) {
      io::NativeNode& opt = km.native.add_child("optimizer");
      opt.has_vars = true;
      opt.vars_name = model.optimizer()->scope();
      opt.vars = km.optimizer_weights;
    }
  }
  return km;
}

namespace {

struct Assignment {
  Variable var;
  const io::KerasWeight* w;
};

// Checks one layer's file weights against its variables; "" when they match.
std::string check_layer(const nn::Layer& layer, const std::vector<Variable>& vars, const std::vector<io::KerasWeight>& ws,
                        const std::string& file_layer) {
  const std::string who = layer.class_name() + " '" + layer.name() + "'";
  if (vars.size() != ws.size())
    return who + ": file layer '" + file_layer + "' has " + std::to_string(ws.size()) + " weights, layer expects " +
           std::to_string(vars.size());
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const io::KerasWeight& w = ws[i];
    const std::string& path = vars[i].name();
    const std::string short_name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    if (!(Shape(w.shape) == vars[i].shape()))
      return who + ": " + short_name + " shape " + shape_str(w.shape) + " in file, layer expects " + vars[i].shape().str();
    if (w.numel() != static_cast<std::int64_t>(w.values.size()))
      return who + ": weight '" + w.name + "' holds " + std::to_string(w.values.size()) + " values for shape " +
             shape_str(w.shape);
  }
  return "";
}

void add_assignments(std::vector<Assignment>& out, const std::vector<Variable>& vars, const std::vector<io::KerasWeight>& ws) {
  for (std::size_t i = 0; i < vars.size(); ++i) out.push_back({vars[i], &ws[i]});
}

void legacy_assignments(nn::Model& model, const io::KerasModel& km, const std::string& where,
                        const LoadWeightsOptions& options, std::vector<Assignment>& out) {
  std::vector<std::shared_ptr<nn::Layer>> mine;
  for (const auto& l : model.layers())
    if (!l->weights().empty()) mine.push_back(l);
  std::vector<const io::KerasLayer*> theirs;
  for (const auto& l : km.layers)
    if (!l.weights.empty()) theirs.push_back(&l);
  std::vector<std::pair<std::shared_ptr<nn::Layer>, const io::KerasLayer*>> pairs;
  if (options.by_name) {
    std::map<std::string, const io::KerasLayer*> by_name;
    for (const auto* t : theirs) by_name.emplace(t->name, t);
    for (const auto& l : mine)
      if (auto it = by_name.find(l->name()); it != by_name.end()) pairs.emplace_back(l, it->second);
  } else {
    if (mine.size() != theirs.size()) {
      std::string names, file_names;
      for (const auto& l : mine) names += (names.empty() ? "" : ", ") + l->name();
      for (const auto* t : theirs) file_names += (file_names.empty() ? "" : ", ") + t->name;
      fail<io::FileError>("load_weights(", where, "): file has ", theirs.size(), " layers with weights (",
                          nn::shorten(file_names), "), model has ", mine.size(), ": ", nn::shorten(names));
    }
    for (std::size_t i = 0; i < mine.size(); ++i) pairs.emplace_back(mine[i], theirs[i]);
  }
  for (const auto& [layer, file_layer] : pairs) {
    const auto vars = layer->weights();
    const std::string problem = check_layer(*layer, vars, file_layer->weights, file_layer->name);
    if (!problem.empty()) {
      if (options.skip_mismatch) {
        std::cerr << "tapegrad: load_weights(" << where << "): skipping " << problem << "\n";
        continue;
      }
      fail<io::FileError>("load_weights(", where, "): ", problem);
    }
    add_assignments(out, vars, file_layer->weights);
  }
}

// Keras 3's object-graph walk: a layer's own variables at <path>/vars, its sublayers below it.
void native_assignments(const nn::Layer& layer, const io::NativeNode* node, const std::string& path, const std::string& where,
                        const LoadWeightsOptions& options, std::vector<Assignment>& out) {
  static const std::vector<io::KerasWeight> none;
  const auto& vars = layer.own_variables();
  const auto& ws = node ? node->vars : none;
  const std::string problem = check_layer(layer, vars, ws, path.empty() ? "/" : path);
  if (!problem.empty()) {
    if (!options.skip_mismatch) fail<io::FileError>("load_weights(", where, "): ", problem);
    std::cerr << "tapegrad: load_weights(" << where << "): skipping " << problem << "\n";
  } else {
    add_assignments(out, vars, ws);
  }
  for (const auto& [key, sub] : layer.sublayers()) {
    const io::NativeNode* child = nullptr;
    if (node) {
      const io::NativeNode* holder = layer.is_model() ? node->child("layers") : node;
      child = holder ? holder->child(key) : nullptr;
    }
    native_assignments(*sub, child, path + (layer.is_model() ? "/layers/" : "/") + key, where, options, out);
  }
}

// Keras' legacy load_model requires as many layers with weights in the file (`layer_names`) as in
// the model built from its config; matching by name below must then leave none out, or a layer
// would silently keep its initial weights.
void check_legacy_layers(const nn::Model& model, const io::KerasModel& km, const std::string& where) {
  std::vector<std::string> mine, theirs;
  for (const auto& l : model.layers())
    if (!l->weights().empty()) mine.push_back(l->name());
  for (const auto& l : km.layers)
    if (!l.weights.empty()) theirs.push_back(l.name);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return nn::shorten(s);
  };
  if (mine.size() != theirs.size())
    fail<io::FileError>(where, ": layer count mismatch: the model config has ", mine.size(), " layers with weights (",
                        join(mine), "), the file's layer_names lists ", theirs.size(), " (", join(theirs), ")");
  std::sort(theirs.begin(), theirs.end());
  for (const auto& name : mine)
    if (!std::binary_search(theirs.begin(), theirs.end(), name))
      fail<io::FileError>(where, ": layer '", nn::shorten(name), "' of the model config has weights but the file's ",
                          "layer_names holds no weights for it");
}

}  // namespace

void load_weights_from(nn::Model& model, const io::KerasModel& km, const std::string& where,
                       const LoadWeightsOptions& options) {
  if (!model.built()) {
    bool known = !km.input_shape.empty();
    for (std::int64_t d : km.input_shape) known = known && d > 0;
    if (!known) fail<io::FileError>("load_weights(", where, "): the model is not built; call build(input_shape) first");
    model.build(Shape(km.input_shape));
  }
  std::vector<Assignment> todo;
  if (is_legacy(km)) {
    legacy_assignments(model, km, where, options, todo);
  } else {
    if (options.by_name)
      fail<io::FileError>("load_weights(", where, "): by_name only works with legacy .h5 files (as in Keras)");
    native_assignments(model, &km.native, "", where, options, todo);
  }
  // Every weight was checked: convert, then assign all.
  std::vector<std::pair<Variable, Tensor>> values;
  for (const Assignment& a : todo)
    values.emplace_back(a.var, core::convert(Tensor::from_vector(a.w->values, Shape(a.w->shape)), a.var.dtype()));
  for (const auto& [var, value] : values) var.assign(value);
}

std::shared_ptr<nn::Model> model_from_keras(const io::KerasModel& km, const std::string& where) {
  if (!km.model_config.is_object())
    fail<io::FileError>(where, ": holds weights only (no model config); build the model in code and call load_weights");
  nn::LoadContextScope scope({keras_major(km), is_legacy(km) ? nn::KerasFormat::keras2 : nn::KerasFormat::keras3});
  std::shared_ptr<nn::Model> model;
  try {
    auto layer = nn::deserialize_layer(km.model_config, where);
    model = std::dynamic_pointer_cast<nn::Model>(layer);
    if (!model) fail<io::FileError>(where, ": the top-level object is a ", layer->class_name(), ", not a model");
    if (!model->built()) {
      bool known = !km.input_shape.empty();
      for (std::int64_t d : km.input_shape) known = known && d > 0;
      if (known) model->build(Shape(km.input_shape));
    }
  } catch (const io::FileError&) {
    throw;
  } catch (const std::invalid_argument& e) {
    fail<io::FileError>(where, ": ", e.what());
  } catch (const MemoryError& e) {  // a layer of the config too large to build: say which file
    fail<MemoryError>(where, ": ", e.what());
  }
  if (!model->built()) fail<io::FileError>(where, ": the model config does not state the input shape");
  if (is_legacy(km)) check_legacy_layers(*model, km, where);
  load_weights_from(*model, km, where, {.by_name = is_legacy(km)});
  return model;
}

void save_model(const nn::Model& model, const std::string& path, bool include_optimizer) {
  if (ends_with(path, ".keras"))
    return io::write_keras_zip(to_keras_model(model, nn::KerasFormat::keras3, include_optimizer), path);
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5"))
    return io::write_legacy_h5(to_keras_model(model, nn::KerasFormat::keras2, include_optimizer), path, false);
  fail("save_model: '", path, "' must end in .keras or .h5 / .hdf5");
}

void save_weights(const nn::Model& model, const std::string& path) {
  if (ends_with(path, ".weights.h5"))  // Keras 3 keeps the optimizer's variables here too
    return io::write_keras3_weights_h5(to_keras_model(model, nn::KerasFormat::keras3, true), path);
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5"))
    return io::write_legacy_h5(to_keras_model(model, nn::KerasFormat::keras2, false), path, true);
  fail("save_weights: '", path, "' must end in .weights.h5 (Keras 3 layout) or .h5 / .hdf5 (legacy layout)");
}

void load_weights(nn::Model& model, const std::string& path, const LoadWeightsOptions& options) {
  load_weights_from(model, options.isolated ? io::read_keras_file_isolated(path) : io::read_keras_file(path), path,
                    options);
}

std::shared_ptr<nn::Model> load_model(const std::string& path, bool compile) {
  return load_model(path, LoadModelOptions{.compile = compile});
}

std::shared_ptr<nn::Model> load_model(const std::string& path, const LoadModelOptions& options) {
  const io::KerasModel km = options.isolated ? io::read_keras_file_isolated(path) : io::read_keras_file(path);
  std::shared_ptr<nn::Model> model = model_from_keras(km, path);
  // Compile as the file says when tapegrad knows the pieces; a file it cannot compile still loads.
  if (options.compile && io::detail::compile_from_config(*model, km.training_config, path))
    io::detail::restore_optimizer_state(*model, km, path);
  return model;
}

std::shared_ptr<nn::Model> load_architecture(const std::string& path) {
  if (!ends_with(path, ".json")) {
    io::KerasModel km = io::read_keras_file(path);
    if (!km.model_config.is_object())
      fail<io::FileError>(path, ": holds weights only (no model config), so it gives no architecture");
    nn::LoadContextScope scope({keras_major(km), is_legacy(km) ? nn::KerasFormat::keras2 : nn::KerasFormat::keras3});
    try {
      auto model = std::dynamic_pointer_cast<nn::Model>(nn::deserialize_layer(km.model_config, path));
      if (!model) fail<io::FileError>(path, ": the top-level object is not a model");
      if (!model->built() && !km.input_shape.empty()) model->build(Shape(km.input_shape));
      return model;
    } catch (const std::invalid_argument& e) {
      fail<io::FileError>(path, ": ", e.what());
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail<io::FileError>("load_architecture: cannot open ", path);
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > io::detail::kMaxJsonBytes) break;  // parse_json_text names the limit
  }
  const json j = io::detail::parse_json_text(text, "load_architecture: " + path);
  io::KerasModel km;
  km.format = "legacy-h5-full";
  km.model_config = j;
  if (j.is_object() && j.contains("keras_version") && j["keras_version"].is_string())
    km.keras_version = j["keras_version"].get<std::string>();
  nn::LoadContextScope scope({keras_major(km), nn::KerasFormat::keras2});
  try {
    auto model = std::dynamic_pointer_cast<nn::Model>(nn::deserialize_layer(j, path));
    if (!model) fail<io::FileError>(path, ": the top-level object is not a model");
    return model;
  } catch (const std::invalid_argument& e) {
    fail<io::FileError>(path, ": ", e.what());
  }
}

}  // namespace tg
