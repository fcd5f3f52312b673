#include "io/keras_sequential.hpp"

#include <fstream>
#include <iostream>
#include <map>

#include "io/keras_internal.hpp"
#include "io/keras_model.hpp"

#include "nn/activations.hpp"
#include "nn/layers.hpp"
#include "nn/optimizers.hpp"

namespace tg {

using nlohmann::json;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const std::map<std::string, std::string>& initializer_classes() {
  static const std::map<std::string, std::string> m = {
      {"glorot_uniform", "GlorotUniform"}, {"glorot_normal", "GlorotNormal"}, {"he_uniform", "HeUniform"},
      {"he_normal", "HeNormal"},           {"lecun_uniform", "LecunUniform"}, {"lecun_normal", "LecunNormal"},
      {"zeros", "Zeros"},                  {"ones", "Ones"}};
  return m;
}

json initializer_json(const std::string& name) {
  const std::string cls = initializer_classes().at(name);
  return {{"class_name", cls}, {"config", cls == "Zeros" || cls == "Ones" ? json::object() : json{{"seed", nullptr}}}};
}

// The initializer name of a Keras initializer config ("GlorotUniform" dict or "glorot_uniform"),
// or `fallback` for ones tapegrad does not have (the weights are loaded from the file anyway).
std::string initializer_name(const json& j, const std::string& fallback) {
  std::string cls = j.is_string() ? j.get<std::string>() : (j.is_object() ? j.value("class_name", "") : "");
  for (const auto& [name, c] : initializer_classes())
    if (cls == c || cls == name) return name;
  return fallback;
}

// The short weight name of a variable path: "dense/kernel" -> "kernel".
std::string short_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string shape_str(const std::vector<std::int64_t>& s) { return Shape(s).str(); }

io::KerasLayer layer_to_keras(const nn::Layer& l) {
  io::KerasLayer k;
  k.class_name = l.class_name();
  k.name = l.name();
  json c = {{"name", l.name()}, {"trainable", l.trainable()}, {"dtype", dtype_name(l.dtype())}};
  if (const auto* d = dynamic_cast<const nn::Dense*>(&l)) {
    c["units"] = d->units();
    c["activation"] = d->activation();
    c["use_bias"] = d->options().use_bias;
    c["kernel_initializer"] = initializer_json(d->options().kernel_initializer);
    c["bias_initializer"] = initializer_json(d->options().bias_initializer);
    for (const char* n : {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"})
      c[n] = nullptr;
  } else if (dynamic_cast<const nn::Flatten*>(&l)) {
    c["data_format"] = "channels_last";
  } else if (const auto* a = dynamic_cast<const nn::Activation*>(&l)) {
    c["activation"] = a->activation();
  } else if (dynamic_cast<const nn::ReLU*>(&l)) {
    c["max_value"] = nullptr;
    c["negative_slope"] = 0.0;
    c["threshold"] = 0.0;
  } else if (const auto* s = dynamic_cast<const nn::Softmax*>(&l)) {
    c["axis"] = s->axis();
  } else if (const auto* dr = dynamic_cast<const nn::Dropout*>(&l)) {
    c["rate"] = dr->rate();
    c["noise_shape"] = nullptr;
    c["seed"] = nullptr;
  }
  k.config = std::move(c);
  for (const Variable& v : l.weights()) {
    io::KerasWeight w;
    w.name = short_name(v.name()) + ":0";
    w.shape = v.shape().to_vector();
    w.values = v.value().to_vector<double>();
    w.dtype = dtype_name(v.dtype());
    k.weights.push_back(std::move(w));
  }
  return k;
}

[[noreturn]] void unsupported(const io::KerasLayer& l, const std::string& where, const std::string& why = "") {
  fail<io::FileError>(where, ": unsupported layer class '", l.class_name, "' (layer '", l.name, "')", why,
                      "; supported: ", supported_layer_classes);
}

nn::LayerHandle layer_from_keras(const io::KerasLayer& l, const std::string& where) {
  const json& c = l.config.is_object() ? l.config : json::object();
  const std::string dt = c.contains("dtype") ? io::keras_dtype_name(c["dtype"]) : "float32";
  if (dt != "float32" && dt != "float64") unsupported(l, where, " with dtype " + dt);
  const DType dtype = dt == "float64" ? DType::float64 : DType::float32;
  try {
    if (l.class_name == "Dense") {
      nn::DenseOptions o;
      o.name = l.name;
      o.use_bias = c.value("use_bias", true);
      o.kernel_initializer = initializer_name(c.value("kernel_initializer", json()), "glorot_uniform");
      o.bias_initializer = initializer_name(c.value("bias_initializer", json()), "zeros");
      o.dtype = dtype;
      return nn::Dense(c.at("units").get<std::int64_t>(), io::keras_activation_name(c.value("activation", json("linear"))), o);
    }
    if (l.class_name == "Flatten") return nn::Flatten(l.name);
    if (l.class_name == "Activation") return nn::Activation(io::keras_activation_name(c.at("activation")), l.name);
    if (l.class_name == "ReLU") {
      const bool plain = (!c.contains("max_value") || c["max_value"].is_null()) && c.value("negative_slope", 0.0) == 0.0 &&
                         c.value("threshold", 0.0) == 0.0;
      if (!plain) unsupported(l, where, " with max_value, negative_slope or threshold set");
      return nn::ReLU(l.name);
    }
    if (l.class_name == "Softmax") {
      const json axis = c.value("axis", json(-1));
      if (!axis.is_number_integer()) unsupported(l, where, " with axis " + axis.dump());
      return nn::Softmax(axis.get<std::int64_t>(), l.name);
    }
    if (l.class_name == "Dropout") return nn::Dropout(c.value("rate", 0.0), -1, l.name);
  } catch (const json::exception& e) {
    fail<io::FileError>(where, ": layer '", l.name, "' (", l.class_name, ") has a malformed config: ", e.what());
  } catch (const std::invalid_argument& e) {
    fail<io::FileError>(where, ": ", e.what());
  }
  unsupported(l, where);
}

}  // namespace

io::KerasModel to_keras_model(const nn::Sequential& model, bool include_optimizer, KerasFlavor flavor) {
  const bool keras3 = flavor == KerasFlavor::keras3;
  io::KerasModel km;
  // The legacy layout written is tf.keras 2.10's; a .keras archive gets the writer's Keras 3 version.
  km.keras_version = keras3 ? "" : "2.10.0";
  km.backend = "tensorflow";
  km.model_name = model.name();
  if (model.built()) km.input_shape = model.input_shape().to_vector();
  for (const auto& l : model.layers()) {
    if (dynamic_cast<const nn::InputLayer*>(l.get())) continue;  // implicit in a Sequential's config
    km.layers.push_back(layer_to_keras(*l));
  }
  if (include_optimizer && model.optimizer() && model.loss()) {
    km.training_config = io::detail::compile_config(model, keras3);
    km.optimizer_weights = io::detail::optimizer_weights(model, keras3);
  }
  return km;
}

void load_weights_from(nn::Sequential& model, const io::KerasModel& km, const std::string& where,
                       const nn::LoadWeightsOptions& options) {
  if (!model.built()) {
    bool known = !km.input_shape.empty();
    for (std::int64_t d : km.input_shape) known = known && d > 0;
    if (!known) fail<io::FileError>("load_weights(", where, "): the model is not built; call build(input_shape) first");
    model.build(Shape(km.input_shape));
  }
  std::vector<std::shared_ptr<nn::Layer>> mine;
  for (const auto& l : model.layers())
    if (!l->weights().empty()) mine.push_back(l);
  std::vector<const io::KerasLayer*> theirs;
  for (const auto& l : km.layers)
    if (!l.weights.empty()) theirs.push_back(&l);

  // Pair layers.
  std::vector<std::pair<std::shared_ptr<nn::Layer>, const io::KerasLayer*>> pairs;
  if (options.by_name) {
    for (const auto& l : mine)
      for (const auto* t : theirs)
        if (t->name == l->name()) pairs.emplace_back(l, t);
  } else {
    if (mine.size() != theirs.size()) {
      std::string names;
      for (const auto& l : mine) names += (names.empty() ? "" : ", ") + l->name();
      std::string file_names;
      for (const auto* t : theirs) file_names += (file_names.empty() ? "" : ", ") + t->name;
      fail<io::FileError>("load_weights(", where, "): file has ", theirs.size(), " layers with weights (", file_names,
                          "), model has ", mine.size(), ": ", names);
    }
    for (std::size_t i = 0; i < mine.size(); ++i) pairs.emplace_back(mine[i], theirs[i]);
  }

  // Validate every weight, converting into new tensors; assign only when all are good.
  std::vector<std::pair<Variable, Tensor>> assignments;
  for (const auto& [layer, file_layer] : pairs) {
    const auto vars = layer->weights();
    std::string problem;
    if (vars.size() != file_layer->weights.size()) {
      problem = layer->class_name() + " '" + layer->name() + "': file layer '" + file_layer->name + "' has " +
                std::to_string(file_layer->weights.size()) + " weights, layer expects " + std::to_string(vars.size());
    }
    for (std::size_t i = 0; problem.empty() && i < vars.size(); ++i) {
      const io::KerasWeight& w = file_layer->weights[i];
      if (!(Shape(w.shape) == vars[i].shape()))
        problem = layer->class_name() + " '" + layer->name() + "': " + short_name(vars[i].name()) + " shape " + shape_str(w.shape) +
                  " in file, layer expects " + vars[i].shape().str();
      else if (w.numel() != static_cast<std::int64_t>(w.values.size()))
        problem = layer->class_name() + " '" + layer->name() + "': weight '" + w.name + "' holds " +
                  std::to_string(w.values.size()) + " values for shape " + shape_str(w.shape);
    }
    if (!problem.empty()) {
      if (options.skip_mismatch) {
        std::cerr << "tapegrad: load_weights(" << where << "): skipping " << problem << "\n";
        continue;
      }
      fail<io::FileError>("load_weights(", where, "): ", problem);
    }
    for (std::size_t i = 0; i < vars.size(); ++i) {
      const io::KerasWeight& w = file_layer->weights[i];
      assignments.emplace_back(vars[i], Tensor::from_vector(w.values, Shape(w.shape)).to(vars[i].dtype()));
    }
  }
  for (const auto& [var, value] : assignments) var.assign(value);
}

nn::Sequential build_sequential(const io::KerasModel& km, const std::string& where) {
  bool has_architecture = false;
  for (const auto& l : km.layers) has_architecture = has_architecture || !l.class_name.empty();
  if (!has_architecture)
    fail<io::FileError>(where, ": holds weights only (no model config); build the model in code and call load_weights");
  std::vector<const io::KerasLayer*> layers;
  std::vector<std::int64_t> input = km.input_shape;
  for (const auto& l : km.layers) {
    if (l.class_name == "InputLayer") continue;
    if (l.class_name != "Dense" && l.class_name != "Flatten" && l.class_name != "Activation" && l.class_name != "ReLU" &&
        l.class_name != "Softmax" && l.class_name != "Dropout")
      unsupported(l, where);
    layers.push_back(&l);
  }
  nn::Sequential model(km.model_name.empty() ? "" : km.model_name);
  for (const auto* l : layers) model.add(layer_from_keras(*l, where));
  bool known = !input.empty();
  for (std::int64_t d : input) known = known && d > 0;
  if (!known && !layers.empty() && layers.front()->class_name == "Dense" && !layers.front()->weights.empty())
    input = {layers.front()->weights.front().shape.front()};  // a Dense first layer fixes the input width
  else if (!known)
    fail<io::FileError>(where, ": the model config does not state the input shape");
  model.build(Shape(input));
  return model;
}

nn::Sequential sequential_from_keras(const io::KerasModel& km, const std::string& where) {
  nn::Sequential model = build_sequential(km, where);
  load_weights_from(model, km, where, {});
  return model;
}

nn::Sequential load_architecture(const std::string& path) {
  if (!ends_with(path, ".json")) return build_sequential(io::read_keras_file(path), path);
  std::ifstream in(path);
  if (!in) fail<io::FileError>("load_architecture: cannot open ", path);
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    fail<io::FileError>("load_architecture: ", path, " is not valid JSON: ", e.what());
  }
  const auto parsed = io::detail::parse_model_config(j, path);
  io::KerasModel km;
  km.model_name = parsed.model_name;
  km.input_shape = parsed.input_shape;
  km.layers = parsed.layers;
  return build_sequential(km, path);
}

nn::Sequential load_model(const std::string& path) {
  const io::KerasModel km = io::read_keras_file(path);
  nn::Sequential model = sequential_from_keras(km, path);
  // Compile as the file says when tapegrad knows the pieces; a file it cannot compile still loads.
  if (io::detail::compile_from_config(model, km.training_config, path))
    io::detail::restore_optimizer_state(model, km, path);
  return model;
}

namespace nn {

void Sequential::save_weights(const std::string& path) const {
  if (ends_with(path, ".weights.h5")) {  // Keras 3 keeps the optimizer's variables here too
    io::KerasModel km = to_keras_model(*this, true, KerasFlavor::keras3);
    km.format = "keras3-weights-h5";
    return io::write_keras3_weights_h5(km, path);
  }
  const io::KerasModel km = to_keras_model(*this, false);
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return io::write_legacy_h5(km, path, true);
  fail("save_weights: '", path, "' must end in .weights.h5 (Keras 3 layout) or .h5 / .hdf5 (legacy layout)");
}

void Sequential::load_weights(const std::string& path, const LoadWeightsOptions& options) {
  load_weights_from(*this, io::read_keras_file(path), path, options);
}

void Sequential::save(const std::string& path) const {
  if (ends_with(path, ".keras")) {
    io::KerasModel km = to_keras_model(*this, true, KerasFlavor::keras3);
    km.format = "keras-zip";
    return io::write_keras_zip(km, path);
  }
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) {
    io::KerasModel km = to_keras_model(*this, true);
    km.format = "legacy-h5-full";
    return io::write_legacy_h5(km, path, false);
  }
  fail("save: '", path, "' must end in .keras or .h5 / .hdf5");
}

}  // namespace nn
}  // namespace tg
