#include "nn/sequential.hpp"

#include "nn/registry.hpp"

namespace tg::nn {

Sequential::Sequential(const std::string& name) : LayerBase(name, "sequential") {}

Sequential::Sequential(std::initializer_list<LayerHandle> layers, const std::string& name) : Sequential(name) {
  for (const LayerHandle& l : layers) add(l);
}

void Sequential::add(LayerHandle handle) {
  const std::shared_ptr<Layer>& l = handle.get();
  if (auto input = std::dynamic_pointer_cast<InputLayer>(l)) {
    if (!layers_.empty() || input_layer_)
      fail(where(), ": an InputLayer can only be the first layer of a Sequential model");
    input_layer_ = input;
    build(input->shape());
    return;
  }
  for (const auto& existing : layers_)
    if (existing->name() == l->name())
      fail(where(), ": a layer named '", shorten(l->name()), "' is already in the model; layer names must be unique");
  if (built()) {
    const Shape out = output_shape();
    if (!l->built()) l->build(out);
    else if (!(l->compute_output_shapes({out}).size() == 1)) fail(where(), ": layer '", l->name(), "' takes one input");
  }
  layers_.push_back(l);
}

void Sequential::pop() {
  if (layers_.empty()) fail(where(), ": pop() on a model without layers");
  layers_.pop_back();
}

void Sequential::build_multi(const std::vector<Shape>& shapes) {
  if (shapes.size() != 1) fail(where(), ": a Sequential model takes one input, got ", shapes.size());
  Shape s = shapes.front();
  for (const auto& l : layers_) {
    l->build(s);
    s = l->compute_output_shapes({s}).front();
  }
}

std::vector<Shape> Sequential::compute_output_shapes(const std::vector<Shape>& shapes) const {
  if (shapes.size() != 1) fail(where(), ": a Sequential model takes one input, got ", shapes.size());
  Shape s = shapes.front();
  for (const auto& l : layers_) s = l->compute_output_shapes({s}).front();
  return {s};
}

Shape Sequential::input_shape() const {
  if (!built()) fail(where(), ": the model is not built yet (call build() or the model once)");
  return Layer::input_shape();
}

Shape Sequential::output_shape() const { return compute_output_shapes({input_shape()}).front(); }

std::vector<Tensor> Sequential::call_multi(const std::vector<Tensor>& xs, const CallArgs& args) {
  if (layers_.empty()) fail(where(), ": the model has no layers");
  if (xs.size() != 1) fail(where(), ": a Sequential model takes one input, got ", xs.size());
  Tensor h = xs.front();
  Tensor mask = args.masks.empty() ? Tensor() : args.masks.front();
  for (const auto& l : layers_) {
    CallArgs a;
    a.training = args.training;
    a.masks = {mask};
    h = l->call_with_masks({h}, a).front();
    mask = keras_mask(h);
  }
  return {h};
}

std::vector<Tensor> Sequential::call_with_intermediates(const Tensor& x, bool training) {
  if (layers_.empty()) fail(where(), ": the model has no layers");
  std::vector<Tensor> out;
  Tensor h = x;
  for (const auto& l : layers_) out.push_back(h = (*l)(h, training));
  return out;
}

Config Sequential::get_config(KerasFormat format) const {
  Config layers = Config::array();
  const bool known = built() || input_layer_;
  const Shape in = input_layer_ ? input_layer_->shape() : (built() ? input_shape() : Shape());
  if (known) {
    Config ic;
    const std::string first = layers_.empty() ? std::string("input") : layers_.front()->name();
    if (format == KerasFormat::keras2) {
      ic = {{"batch_input_shape", batch_shape_config(in)}, {"dtype", "float32"}, {"sparse", false}, {"ragged", false},
            {"name", input_layer_ ? input_layer_->name() : first + "_input"}};
      layers.push_back({{"class_name", "InputLayer"}, {"config", ic}});
    } else {
      ic = {{"batch_shape", batch_shape_config(in)}, {"dtype", "float32"}, {"sparse", false}, {"ragged", false},
            {"name", input_layer_ ? input_layer_->name() : std::string("input_layer")}};
      layers.push_back(
          {{"module", "keras.layers"}, {"class_name", "InputLayer"}, {"config", ic}, {"registered_name", nullptr}});
    }
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Config e = serialize_layer(*layers_[i], format);
    // tf.keras 2.x also puts the input shape on the first layer; Keras 3 keeps it on the InputLayer only.
    if (format == KerasFormat::keras2 && i == 0 && known && !e["config"].contains("batch_input_shape"))
      e["config"]["batch_input_shape"] = batch_shape_config(in);
    if (format == KerasFormat::keras3)
      for (const char* key : {"batch_input_shape", "batch_shape", "input_shape", "input_dim"}) e["config"].erase(key);
    layers.push_back(std::move(e));
  }
  if (format == KerasFormat::keras2) return {{"name", name()}, {"layers", layers}};
  Config c = {{"name", name()}, {"trainable", trainable()}, {"dtype", dtype_config(dtype(), format)}, {"layers", layers}};
  if (known) c["build_input_shape"] = batch_shape_config(in);
  return c;
}

std::shared_ptr<Sequential> Sequential::from_config(const Config& config) {
  // Keras <= 2.2.2 stored a bare list of layers; later a dict with "layers".
  const Config wrapped = config.is_array() ? Config{{"layers", config}} : config;
  const ConfigReader r(wrapped, "Sequential '" + ConfigReader(wrapped, "Sequential").get_string("name", "") + "'");
  const Config& entries = r.raw("layers");
  if (!entries.is_array()) r.fail("layers", "must be a list of layer entries");
  auto model = std::make_shared<Sequential>(r.get_string("name", ""));
  Shape input;
  bool have_input = false;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Config& e = entries[i];
    std::shared_ptr<Layer> layer = deserialize_layer(e, r.where() + " layer " + std::to_string(i));
    if (auto il = std::dynamic_pointer_cast<InputLayer>(layer)) {
      if (i != 0) fail(r.where(), ": an InputLayer can only be the first layer, found at position ", i);
      model->input_layer_ = il;
      input = il->shape(), have_input = true;
      continue;
    }
    // Keras 2: the first layer carries the input shape (batch_input_shape, or Keras 1's input_dim).
    const Config& c = e.contains("config") ? e["config"] : Config();
    if (!have_input && c.is_object()) {
      const ConfigReader lr(c, r.where() + " layer " + std::to_string(i));
      if (lr.has("batch_input_shape")) input = lr.get_batch_shape("batch_input_shape"), have_input = true;
      else if (lr.has("batch_shape")) input = lr.get_batch_shape("batch_shape"), have_input = true;
      else if (lr.has("input_dim")) input = Shape{lr.get_int("input_dim", 0)}, have_input = true;
    }
    model->add(layer);
  }
  if (!have_input && r.has("build_input_shape")) input = r.get_batch_shape("build_input_shape"), have_input = true;
  apply_base_config(*model, r);
  if (have_input) model->build(input);
  return model;
}

void register_models(Registry<Layer>& reg) {
  reg.add("Sequential", "keras", [](const Config& c) { return Sequential::from_config(c); });
  reg.add("Functional", "keras", [](const Config& c) { return Model::from_config(c); });
  reg.add("Model", "keras", [](const Config& c) { return Model::from_config(c); });  // Keras 2's name
  reg.add_example("Sequential", {{"config", Config::parse(R"({"name": "inner", "layers": [
      {"class_name": "Dense", "config": {"name": "d1", "units": 4, "activation": "relu"}},
      {"class_name": "Dense", "config": {"name": "d2", "units": 2}}]})")},
                                 {"input_shapes", {{3}}}});
  const Config functional = Config::parse(R"({"name": "branchy", "layers": [
      {"name": "x", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "x"}, "inbound_nodes": []},
      {"name": "h", "class_name": "Dense", "config": {"name": "h", "units": 3}, "inbound_nodes": [[["x", 0, 0, {}]]]},
      {"name": "sum", "class_name": "Add", "config": {"name": "sum"}, "inbound_nodes": [[["h", 0, 0, {}], ["x", 0, 0, {}]]]}],
      "input_layers": [["x", 0, 0]], "output_layers": [["sum", 0, 0]]})");
  reg.add_example("Functional", {{"config", functional}, {"input_shapes", {{3}}}});
  reg.add_example("Model", {{"config", functional}, {"input_shapes", {{3}}}});
}

}  // namespace tg::nn
