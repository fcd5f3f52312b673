#include "nn/layer.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "nn/functional.hpp"
#include "nn/initializers.hpp"
#include "nn/layers.hpp"
#include "nn/registry.hpp"

namespace tg::nn {

namespace {
std::mutex names_mu;
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> m;
  return m;
}
constexpr int kMaskTag = 3;  // companion tag of Keras masks (nn/activations.hpp uses 1 and 2)

std::string batch_str(const Shape& s) {
  std::string out = "(None";
  for (std::int64_t d : s) out += ", " + (d < 0 ? std::string("None") : std::to_string(d));
  return out + (s.rank() ? ")" : ",)");
}

// Per-example shape of a batch.
Shape per_example(const Tensor& x) {
  Shape s;
  for (int d = 1; d < x.rank(); ++d) s.push_back(x.shape()[d]);
  return s;
}
}  // namespace

std::string unique_name(const std::string& prefix) {
  std::lock_guard lock(names_mu);
  const int n = name_counts()[prefix]++;
  return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}

void clear_session() {
  std::lock_guard lock(names_mu);
  name_counts().clear();
}

Tensor keras_mask(const Tensor& t) { return t.defined() ? t.companion(kMaskTag) : Tensor(); }
void set_keras_mask(const Tensor& t, const Tensor& mask) { t.set_companion(mask, kMaskTag); }

Layer::Layer(const std::string& name, const std::string& prefix, DType dtype)
    : name_(name.empty() ? unique_name(prefix) : name), dtype_(dtype) {
  if (name_.find('/') != std::string::npos)
    fail("layer '", shorten(name_), "': a layer name cannot contain '/' (Keras uses it to separate weight paths)");
}

Layer::~Layer() = default;

Config Layer::get_config(KerasFormat format) const { return base_config(format); }

Config Layer::base_config(KerasFormat format) const {
  return {{"name", name_}, {"trainable", trainable_}, {"dtype", dtype_config(dtype_, format)}};
}

void Layer::apply_base_config(Layer& layer, const ConfigReader& c) {
  if (!c.get_bool("trainable", true)) layer.set_trainable(false);
}

const Shape& Layer::input_shape() const {
  if (!built_ || input_shapes_.empty()) fail(where(), ": the layer is not built yet (call build() or the layer once)");
  return input_shapes_.front();
}

std::vector<Shape> Layer::compute_output_shapes(const std::vector<Shape>& input_shapes) const {
  if (input_shapes.size() != 1) fail(where(), ": expected 1 input, got ", input_shapes.size());
  return {compute_output_shape(input_shapes.front())};
}

Shape Layer::output_shape() const {
  if (!built_) fail(where(), ": the layer is not built yet (call build() or the layer once)");
  return compute_output_shapes(input_shapes_).front();
}

void Layer::build(const Shape& input_shape) { build(std::vector<Shape>{input_shape}); }

void Layer::build(const std::vector<Shape>& input_shapes) {
  if (built_) {
    check_inputs(input_shapes);
    return;
  }
  input_shapes_ = input_shapes;  // before build_multi, which may free an axis (accept_any_length)
  try {
    build_multi(input_shapes);
  } catch (const MemoryError& e) {  // say which layer asked: "Dense 'dense': Tensor: ... needs N bytes"
    input_shapes_.clear();
    std::string what = e.what();
    if (what.rfind(where(), 0) != 0) what = where() + ": " + what;
    throw MemoryError(what);
  } catch (...) {
    input_shapes_.clear();
    throw;
  }
  built_ = true;
}

void Layer::accept_any_length(std::size_t input, int axis) {
  if (input < input_shapes_.size() && axis >= 0 && axis < input_shapes_[input].rank()) input_shapes_[input][axis] = -1;
}

void Layer::build_multi(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != 1) fail(where(), ": expected 1 input, got ", input_shapes.size());
  build_impl(input_shapes.front());
}

void Layer::check_inputs(const std::vector<Shape>& shapes, const std::vector<Tensor>* tensors) const {
  if (shapes.size() != input_shapes_.size())
    fail(where(), ": built for ", input_shapes_.size(), " input(s), called with ", shapes.size());
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const Shape& want = input_shapes_[i];
    bool ok = want.rank() == shapes[i].rank();
    for (int d = 0; ok && d < want.rank(); ++d) ok = want[d] < 0 || shapes[i][d] < 0 || want[d] == shapes[i][d];
    if (!ok)
      fail(where(), ": expected input", shapes.size() > 1 ? " " + std::to_string(i) : std::string(), " of shape ",
           batch_str(want), ", got ", tensors ? (*tensors)[i].shape().str() : batch_str(shapes[i]));
  }
}

Tensor Layer::call(const Tensor& x, bool) {
  (void)x;
  fail(where(), ": the layer implements neither call nor call_multi");
}

std::vector<Tensor> Layer::call_multi(const std::vector<Tensor>& xs, const CallArgs& args) {
  if (xs.size() != 1) fail(where(), ": expected 1 input, got ", xs.size());
  return {call(xs.front(), args.training)};
}

Tensor Layer::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& masks) const {
  return supports_masking() && !masks.empty() ? masks.front() : Tensor();
}

std::vector<Tensor> Layer::compute_output_masks(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks,
                                              std::size_t n_outputs) const {
  return std::vector<Tensor>(n_outputs, compute_mask(inputs, masks));
}

std::vector<Tensor> Layer::call_with_masks(const std::vector<Tensor>& xs, const CallArgs& args) {
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) fail(where(), ": input ", i, " is undefined");
    if (xs[i].rank() < 1) fail(where(), ": expected a batch of inputs, got a scalar");
    shapes.push_back(per_example(xs[i]));
  }
  if (!built_) build(shapes);
  else check_inputs(shapes, &xs);
  CallArgs a = args;
  a.masks.resize(xs.size());
  std::vector<Tensor> out = call_multi(xs, a);
  bool any_mask = false;
  for (const Tensor& m : a.masks) any_mask = any_mask || m.defined();
  if (any_mask || supports_masking()) {
    const std::vector<Tensor> masks = compute_output_masks(xs, a.masks, out.size());
    for (std::size_t i = 0; i < out.size() && i < masks.size(); ++i)
      if (masks[i].defined() && out[i].defined() && !out[i].is_same(masks[i])) set_keras_mask(out[i], masks[i]);
  }
  return out;
}

std::vector<Tensor> Layer::run(const std::vector<Tensor>& xs, bool training) {
  CallArgs args;
  args.training = training;
  for (const Tensor& x : xs) args.masks.push_back(keras_mask(x));
  return call_with_masks(xs, args);
}

Tensor Layer::operator()(const Tensor& x, bool training) {
  std::vector<Tensor> out = run({x}, training);
  if (out.empty()) fail(where(), ": the layer returned no output");
  return out.front();
}

std::vector<Tensor> Layer::operator()(const std::vector<Tensor>& xs, bool training) { return run(xs, training); }

KerasTensor Layer::operator()(const KerasTensor& x) & { return (*this)(std::vector<KerasTensor>{x}).front(); }
KerasTensor Layer::operator()(const KerasTensor& x) && {
  return std::move(*this)(std::vector<KerasTensor>{x}).front();
}

KerasTensors Layer::operator()(const std::vector<KerasTensor>& xs) & {
  std::shared_ptr<Layer> self = weak_from_this().lock();
  if (!self)
    fail(where(), ": a layer called on symbolic tensors must be owned by a std::shared_ptr "
                  "(auto layer = nn::make<", class_name(), ">(...)) or be a temporary (nn::", class_name(),
         "(...)(x)), because the model keeps it alive");
  return call_symbolic(std::move(self), xs);
}

KerasTensors Layer::operator()(const std::vector<KerasTensor>& xs) && {
  std::shared_ptr<Layer> self = weak_from_this().lock();
  if (!self) self = std::move(*this).move_into_shared();
  return self->call_symbolic(self, xs);
}

std::vector<KerasTensor> Layer::call_symbolic(std::shared_ptr<Layer> self, const std::vector<KerasTensor>& xs) {
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) fail(where(), ": symbolic input ", i, " is undefined");
    shapes.push_back(xs[i].shape());
  }
  build(shapes);
  auto node = std::make_shared<Node>();
  node->layer = std::move(self);
  node->inputs = xs;
  node->output_shapes = compute_output_shapes(shapes);
  node->dtype = dtype_;
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(), [](const auto& w) { return w.expired(); }), nodes_.end());
  node->index = static_cast<int>(nodes_.size());
  nodes_.push_back(node);
  std::vector<KerasTensor> out;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i) out.emplace_back(node, static_cast<int>(i));
  return out;
}

KerasTensor Layer::input_node(const std::shared_ptr<Layer>& input_layer) {
  auto* input = dynamic_cast<InputLayer*>(input_layer.get());
  if (!input) fail(input_layer->where(), ": only an InputLayer starts a graph");
  auto node = std::make_shared<Node>();
  node->layer = input_layer;
  node->output_shapes = {input->shape()};
  node->dtype = input->input_dtype();
  node->index = static_cast<int>(input_layer->nodes_.size());
  input_layer->nodes_.push_back(node);
  return KerasTensor(node, 0);
}

std::vector<std::shared_ptr<Node>> Layer::inbound_nodes() const {
  std::vector<std::shared_ptr<Node>> out;
  for (const auto& w : nodes_)
    if (auto n = w.lock()) out.push_back(std::move(n));
  return out;
}

Variable Layer::add_weight(const std::string& name, const Tensor& value, bool trainable) {
  Variable v(value, weight_scope() + "/" + name, trainable && trainable_);
  weights_.push_back(v);
  declared_trainable_.push_back(trainable);
  return v;
}

std::vector<Variable> Layer::trainable_weights() const {
  std::vector<Variable> out;
  for (const Variable& v : weights_)
    if (v.trainable()) out.push_back(v);
  for (const auto& [key, l] : sublayers())
    for (const Variable& v : l->trainable_weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  std::vector<Variable> out;
  for (const Variable& v : weights_)
    if (!v.trainable()) out.push_back(v);
  for (const auto& [key, l] : sublayers())
    for (const Variable& v : l->non_trainable_weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::weights() const {
  std::vector<Variable> out = trainable_weights();
  for (const Variable& v : non_trainable_weights()) out.push_back(v);
  return out;
}

std::vector<Tensor> Layer::regularization_losses() const {
  std::vector<Tensor> out = own_regularization_losses();
  for (const auto& [key, l] : sublayers())
    for (const Tensor& t : l->regularization_losses()) out.push_back(t);
  return out;
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const Variable& v : weights()) n += v.value().numel();
  return n;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (const Variable& v : weights()) out.push_back(core::copy(v.value()));
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  const auto ws = weights();
  if (values.size() != ws.size())
    fail(where(), ".set_weights: got ", values.size(), " arrays for ", ws.size(), " weights");
  for (std::size_t i = 0; i < ws.size(); ++i) {
    if (!values[i].defined()) fail(where(), ".set_weights: array ", i, " is undefined");
    if (!(values[i].shape() == ws[i].shape()))
      fail(where(), ".set_weights: array ", i, " has shape ", values[i].shape(), ", weight '", ws[i].name(), "' has shape ",
           ws[i].shape());
  }
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(values[i]);
}

void Layer::set_trainable(bool t) {
  trainable_ = t;
  for (std::size_t i = 0; i < weights_.size(); ++i) weights_[i].set_trainable(t && declared_trainable_[i]);
  for (const auto& [key, l] : sublayers()) l->set_trainable(t);
}

Generator Layer::make_generator(std::int64_t seed) {
  if (seed >= 0) return Generator(static_cast<std::uint64_t>(seed));
  return Generator(global_generator().next_u64());
}

void Layer::set_source_config(Config config, KerasFormat format) {
  source_config_ = std::move(config);
  source_format_ = format;
}

Config Layer::config_for(KerasFormat format) const {
  if (source_config_.is_object() && source_format_ == format && !is_model()) {
    Config c = source_config_;
    c["name"] = name_;
    if (c.contains("trainable")) c["trainable"] = trainable_;
    return c;
  }
  return get_config(format);
}

Config serialize_layer(const Layer& layer, KerasFormat format) {
  Config e;
  if (format == KerasFormat::keras3) {
    const std::string module = layer_registry().module_of(layer.class_name());
    e["module"] = module.empty() ? Config("custom") : Config(module);
  }
  e["class_name"] = layer.class_name();
  e["config"] = layer.config_for(format);
  if (format == KerasFormat::keras3) {
    e["registered_name"] = nullptr;
    if (layer.built() && layer.input_shapes().size() == 1 && (!layer.weights().empty() || layer.is_model()))
      e["build_config"] = {{"input_shape", batch_shape_config(layer.input_shape())}};
  }
  return e;
}

std::shared_ptr<Layer> deserialize_layer(const Config& entry, const std::string& where) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string())
    fail<std::invalid_argument>(where, ": a layer entry has no class_name: ", shorten(entry.dump()));
  const std::string cls = entry["class_name"].get<std::string>();
  // Keras <= 2.2.2 wrote a Sequential's config as a bare list of layers.
  const Config cfg = entry.contains("config") && (entry["config"].is_object() || entry["config"].is_array())
                         ? entry["config"]
                         : Config::object();
  std::shared_ptr<Layer> layer = layer_registry().create(cls, cfg, where);
  if (cfg.is_object()) layer->set_source_config(cfg, load_context().source_format);
  return layer;
}

namespace {
thread_local LoadContext current_load_context;
}

LoadContext& load_context() { return current_load_context; }
LoadContextScope::LoadContextScope(LoadContext c) : saved_(current_load_context) { current_load_context = c; }
LoadContextScope::~LoadContextScope() { current_load_context = saved_; }

}  // namespace tg::nn
