#include "nn/layers.hpp"

#include "core/elementwise.hpp"
#include "nn/activations.hpp"
#include "nn/parallel.hpp"
#include "nn/registry.hpp"
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"
#include "ops/dropout.hpp"
#include "ops/inspect.hpp"
#include "ops/linalg.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {
// Keras' regularizer and constraint keys, which tapegrad writes as null (none set).
void null_keys(Config& c, std::initializer_list<const char*> keys) {
  for (const char* k : keys) c[k] = nullptr;
}
}  // namespace

// ---- Dense ------------------------------------------------------------------------------------

Dense::Dense(std::int64_t units, const std::string& activation, DenseOptions options)
    : LayerBase(options.name, "dense", options.dtype),
      units_(units),
      activation_(canonical_activation(activation)),
      options_(std::move(options)) {
  if (units <= 0) fail("Dense '", name(), "': units must be positive, got ", units);
  check_activation(activation, "Dense '" + name() + "'");
}

Config Dense::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["units"] = units_;
  c["activation"] = activation_to_config(activation_, format);
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = options_.kernel_initializer.get_config(format);
  c["bias_initializer"] = options_.bias_initializer.get_config(format);
  c["kernel_regularizer"] = options_.kernel_regularizer.get_config(format);
  c["bias_regularizer"] = options_.bias_regularizer.get_config(format);
  null_keys(c, {"kernel_constraint", "bias_constraint"});
  if (format == KerasFormat::keras2) c["activity_regularizer"] = nullptr;
  return c;
}

std::shared_ptr<Dense> Dense::from_config(const Config& config) {
  const ConfigReader r(config, "Dense '" + ConfigReader(config, "Dense").get_string("name", "") + "'");
  DenseOptions o;
  o.name = r.get_string("name", "");
  o.use_bias = r.get_bool("use_bias", true);
  if (r.has("kernel_initializer")) o.kernel_initializer = get_initializer(r.raw("kernel_initializer"), r.where());
  if (r.has("bias_initializer")) o.bias_initializer = get_initializer(r.raw("bias_initializer"), r.where());
  o.kernel_regularizer = RegularizerArg::from_config(config, "kernel_regularizer", r.where());
  o.bias_regularizer = RegularizerArg::from_config(config, "bias_regularizer", r.where());
  o.dtype = r.get_dtype();
  auto d = std::make_shared<Dense>(r.require_int("units"), activation_from_config(r.raw("activation")), o);
  apply_base_config(*d, r);
  return d;
}

const Variable& Dense::kernel() const {
  if (!kernel_.defined()) fail(where(), ": the kernel does not exist before the layer is built (call build() or the layer once)");
  return kernel_;
}

Shape Dense::compute_output_shape(const Shape& input_shape) const {
  if (input_shape.rank() < 1) fail(where(), ": expected inputs of rank >= 2 (batch, features)");
  Shape out = input_shape;
  out[out.rank() - 1] = units_;
  return out;
}

void Dense::build_impl(const Shape& input_shape) {
  if (input_shape.rank() < 1) fail(where(), ": expected inputs of rank >= 2 (batch, features), got a batch of scalars");
  const std::int64_t in = input_shape.back();
  if (in < 0) fail(where(), ": the last input dimension must be known to build the kernel");
  Generator gen = make_generator(options_.seed);
  kernel_ = add_weight("kernel", (*options_.kernel_initializer.get())(Shape{in, units_}, gen, dtype()));
  if (options_.use_bias) bias_ = add_weight("bias", (*options_.bias_initializer.get())(Shape{units_}, gen, dtype()));
}

std::vector<Tensor> Dense::own_regularization_losses() const {
  std::vector<Tensor> out;
  if (options_.kernel_regularizer && kernel_.defined()) out.push_back((*options_.kernel_regularizer.get())(kernel_.value()));
  if (options_.bias_regularizer && bias_.defined()) out.push_back((*options_.bias_regularizer.get())(bias_.value()));
  return out;
}

Tensor Dense::call(const Tensor& x, bool) {
  if (x.dtype() != dtype())
    fail(where(), ": input dtype ", dtype_name(x.dtype()), " differs from the layer's ", dtype_name(dtype()));
  const bool fuse_relu = activation_ == "relu";
  Tensor in2 = x.rank() == 2 ? x : reshape(x, {-1, x.shape().back()});
  Tensor y = dense(in2, kernel_.value(), options_.use_bias ? bias_.value() : Tensor(), fuse_relu);
  if (x.rank() != 2) {
    std::vector<std::int64_t> out(x.shape().begin(), x.shape().end());
    out.back() = units_;
    y = reshape(y, out);
  }
  return fuse_relu ? y : nn::activation(activation_, y);
}

// ---- Flatten ----------------------------------------------------------------------------------

Flatten::Flatten(const std::string& name, const std::string& data_format)
    : LayerBase(name, "flatten"), data_format_(data_format) {
  if (data_format_ != "channels_last" && data_format_ != "channels_first")
    fail(where(), ": data_format must be channels_last or channels_first, got '", shorten(data_format_), "'");
}

Config Flatten::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["data_format"] = data_format_;
  return c;
}

std::shared_ptr<Flatten> Flatten::from_config(const Config& config) {
  const ConfigReader r(config, "Flatten");
  auto l = std::make_shared<Flatten>(r.get_string("name", ""), r.get_string("data_format", "channels_last"));
  apply_base_config(*l, r);
  return l;
}

Shape Flatten::compute_output_shape(const Shape& input_shape) const {
  std::int64_t n = 1;
  for (std::int64_t d : input_shape) {
    if (d < 0 || n < 0) n = -1;
    else if (__builtin_mul_overflow(n, d, &n)) fail(where(), ": flattening ", input_shape, " overflows 64 bits");
  }
  return Shape{n};
}

Tensor Flatten::call(const Tensor& x, bool) {
  if (data_format_ == "channels_first" && x.rank() >= 3) {
    std::vector<std::int64_t> perm{0};
    for (int d = 2; d < x.rank(); ++d) perm.push_back(d);
    perm.push_back(1);
    return flatten(transpose(x, perm));
  }
  return flatten(x);
}

// ---- Activation, ReLU, Softmax ----------------------------------------------------------------

Activation::Activation(const std::string& act, const std::string& name)
    : LayerBase(name, "activation"), activation_(canonical_activation(act)) {
  check_activation(act, "Activation '" + this->name() + "'");
}

Config Activation::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["activation"] = activation_to_config(activation_, format);
  return c;
}

std::shared_ptr<Activation> Activation::from_config(const Config& config) {
  const ConfigReader r(config, "Activation");
  auto l = std::make_shared<Activation>(activation_from_config(r.raw("activation")), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor Activation::call(const Tensor& x, bool) { return nn::activation(activation_, x); }

ReLU::ReLU(ReLUOptions options) : LayerBase(options.name, "re_lu"), options_(std::move(options)) {
  if (options_.max_value && *options_.max_value < 0)
    fail(where(), ": max_value must be >= 0, got ", *options_.max_value);
  if (options_.negative_slope < 0) fail(where(), ": negative_slope must be >= 0, got ", options_.negative_slope);
}

Config ReLU::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["max_value"] = options_.max_value ? Config(*options_.max_value) : Config(nullptr);
  c["negative_slope"] = options_.negative_slope;
  c["threshold"] = options_.threshold;
  return c;
}

std::shared_ptr<ReLU> ReLU::from_config(const Config& config) {
  const ConfigReader r(config, "ReLU");
  ReLUOptions o;
  o.name = r.get_string("name", "");
  if (r.has("max_value")) o.max_value = r.get_double("max_value", 0);
  o.negative_slope = r.get_double("negative_slope", 0);
  o.threshold = r.get_double("threshold", 0);
  auto l = std::make_shared<ReLU>(o);
  apply_base_config(*l, r);
  return l;
}

Tensor ReLU::call(const Tensor& x, bool) {
  Tensor y;
  if (options_.negative_slope == 0 && options_.threshold == 0) {
    y = relu(x);
  } else {  // x where x >= threshold, else negative_slope * (x - threshold); the mask is a constant
    const Tensor keep = core::greater_equal(x, core::scalar_like(x, options_.threshold));
    const Tensor below = core::sub(core::scalar_like(keep, 1), keep);
    y = add(mul(x, keep), mul(mul(x - options_.threshold, below), scalar_like(x, options_.negative_slope)));
  }
  if (options_.max_value) y = minimum(y, scalar_like(y, *options_.max_value));
  return y;
}

Softmax::Softmax(std::int64_t axis, const std::string& name) : LayerBase(name, "softmax"), axis_(axis) {}

Config Softmax::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["axis"] = axis_;
  return c;
}

std::shared_ptr<Softmax> Softmax::from_config(const Config& config) {
  const ConfigReader r(config, "Softmax");
  const Config& axis = r.raw("axis");
  std::int64_t a = -1;
  if (axis.is_array() && axis.size() == 1 && axis[0].is_number_integer()) a = axis[0].get<std::int64_t>();
  else if (!axis.is_null()) a = r.get_int("axis", -1);
  auto l = std::make_shared<Softmax>(a, r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor Softmax::call(const Tensor& x, bool) { return softmax_activation(x, axis_); }

// ---- Dropout ----------------------------------------------------------------------------------

Dropout::Dropout(double rate, std::int64_t seed, const std::string& name)
    : LayerBase(name, "dropout"), rate_(rate), seed_(seed), gen_(make_generator(seed)) {
  if (!(rate >= 0 && rate < 1)) fail("Dropout '", this->name(), "': rate must be in [0, 1), got ", rate);
}

Config Dropout::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["rate"] = rate_;
  c["noise_shape"] = nullptr;
  c["seed"] = seed_ < 0 ? Config(nullptr) : Config(seed_);
  return c;
}

std::shared_ptr<Dropout> Dropout::from_config(const Config& config) {
  const ConfigReader r(config, "Dropout");
  auto l = std::make_shared<Dropout>(r.get_double("rate", 0), r.get_int("seed", -1), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (training && !rank_seeded_) {
    rank_seeded_ = true;
    if (const int r = process_rank(); r > 0) gen_ = Generator(gen_.next_u64() ^ (0xD1B54A32D192ED03ULL * static_cast<std::uint64_t>(r)));
  }
  return dropout(x, rate_, gen_, training);
}

// ---- InputLayer -------------------------------------------------------------------------------

InputLayer::InputLayer(const Shape& shape, const std::string& name, DType dtype)
    : LayerBase(name, "input_layer"), shape_(shape), input_dtype_(dtype) {
  build(shape);
}

Config InputLayer::get_config(KerasFormat format) const {
  Config c;
  c[format == KerasFormat::keras2 ? "batch_input_shape" : "batch_shape"] = batch_shape_config(shape_);
  c["dtype"] = dtype_name(input_dtype_);
  c["sparse"] = false;
  c["ragged"] = false;
  c["name"] = name();
  return c;
}

std::shared_ptr<InputLayer> InputLayer::from_config(const Config& config) {
  const ConfigReader r(config, "InputLayer '" + ConfigReader(config, "InputLayer").get_string("name", "") + "'");
  Shape s;
  if (r.has("batch_shape")) s = r.get_batch_shape("batch_shape");
  else if (r.has("batch_input_shape")) s = r.get_batch_shape("batch_input_shape");
  else if (r.has("shape") && r.raw("shape").is_array()) s = Shape(r.get_ints("shape", r.raw("shape").size(), -1));
  else r.fail("batch_shape", "is required (or batch_input_shape)");
  DType dt = DType::float32;
  const std::string name = r.get_string("dtype", "float32");
  if (name == "float64") dt = DType::float64;
  else if (name == "int32") dt = DType::int32;
  else if (name == "int64") dt = DType::int64;
  return std::make_shared<InputLayer>(s, r.get_string("name", ""), dt);
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

void register_core_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("Dense", m, [](const Config& c) { return Dense::from_config(c); });
  reg.add("Flatten", m, [](const Config& c) { return Flatten::from_config(c); });
  reg.add("Activation", m, [](const Config& c) { return Activation::from_config(c); });
  reg.add("ReLU", m, [](const Config& c) { return ReLU::from_config(c); });
  reg.add("Softmax", m, [](const Config& c) { return Softmax::from_config(c); });
  reg.add("Dropout", m, [](const Config& c) { return Dropout::from_config(c); });
  reg.add("InputLayer", m, [](const Config& c) { return InputLayer::from_config(c); });
  reg.add_example("Dense", {{"config",
                            {{"units", 3},
                             {"activation", "tanh"},
                             {"kernel_regularizer", {{"class_name", "L2"}, {"config", {{"l2", 0.01}}}}},
                             {"bias_regularizer", "l1"}}},
                           {"input_shapes", {{5}}}});
  reg.add_example("Flatten", {{"config", Config::object()}, {"input_shapes", {{2, 3, 2}}}});
  reg.add_example("Activation", {{"config", {{"activation", "sigmoid"}}}, {"input_shapes", {{4}}}});
  reg.add_example("ReLU", {{"config", {{"max_value", 1.0}, {"negative_slope", 0.1}, {"threshold", -0.5}}}, {"input_shapes", {{6}}}});
  reg.add_example("Softmax", {{"config", {{"axis", -1}}}, {"input_shapes", {{5}}}});
  reg.add_example("Dropout", {{"config", {{"rate", 0.25}}}, {"input_shapes", {{4}}}});
  reg.add_example("InputLayer", {{"config", {{"batch_shape", {nullptr, 3}}}}, {"input_shapes", {{3}}}});
}

}  // namespace tg::nn
