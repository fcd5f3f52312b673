#include "nn/normalization_layers.hpp"

#include "nn/registry.hpp"
#include "ops/normalization.hpp"

namespace tg::nn {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : LayerBase(options.name, "batch_normalization", options.dtype), options_(std::move(options)) {
  if (!(options_.epsilon > 0)) fail(where(), ": epsilon must be positive, got ", options_.epsilon);
  if (!(options_.momentum >= 0 && options_.momentum <= 1)) fail(where(), ": momentum must be in [0, 1], got ", options_.momentum);
  if (options_.axis == 0) fail(where(), ": axis 0 is the batch axis; give the feature axis (-1, or 3 for NHWC)");
}

Config BatchNormalization::get_config(KerasFormat format) const {
  Config c = base_config(format);
  // tf.keras 2 writes the axis as the list it normalised it to at build time.
  c["axis"] = format == KerasFormat::keras2 && built() ? Config(std::vector<std::int64_t>{axis_in(input_shape().rank() + 1)})
                                                      : Config(options_.axis);
  c["momentum"] = options_.momentum;
  c["epsilon"] = options_.epsilon;
  c["center"] = options_.center;
  c["scale"] = options_.scale;
  c["beta_initializer"] = options_.beta_initializer.get_config(format);
  c["gamma_initializer"] = options_.gamma_initializer.get_config(format);
  c["moving_mean_initializer"] = options_.moving_mean_initializer.get_config(format);
  c["moving_variance_initializer"] = options_.moving_variance_initializer.get_config(format);
  for (const char* k : {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}) c[k] = nullptr;
  if (format == KerasFormat::keras3) c["synchronized"] = false;
  return c;
}

std::shared_ptr<BatchNormalization> BatchNormalization::from_config(const Config& config) {
  const ConfigReader r(config, "BatchNormalization '" + ConfigReader(config, "BatchNormalization").get_string("name", "") + "'");
  BatchNormalizationOptions o;
  o.name = r.get_string("name", "");
  const Config& axis = r.raw("axis");
  if (axis.is_array()) {
    if (axis.size() != 1 || !axis[0].is_number_integer()) r.fail("axis", "must be one integer (several axes are not supported)");
    o.axis = axis[0].get<std::int64_t>();
  } else {
    o.axis = r.get_int("axis", -1);
  }
  o.momentum = r.get_double("momentum", 0.99);
  o.epsilon = r.get_double("epsilon", 1e-3);
  o.center = r.get_bool("center", true);
  o.scale = r.get_bool("scale", true);
  auto init = [&](const char* key, InitializerArg& slot) {
    if (r.has(key)) slot = get_initializer(r.raw(key), r.where());
  };
  init("beta_initializer", o.beta_initializer);
  init("gamma_initializer", o.gamma_initializer);
  init("moving_mean_initializer", o.moving_mean_initializer);
  init("moving_variance_initializer", o.moving_variance_initializer);
  if (r.get_bool("renorm", false)) r.fail("renorm", "is not supported (batch renormalization)");
  if (r.has("virtual_batch_size")) r.fail("virtual_batch_size", "is not supported (ghost batch normalization)");
  o.dtype = r.get_dtype();
  auto l = std::make_shared<BatchNormalization>(o);
  apply_base_config(*l, r);
  return l;
}

std::int64_t BatchNormalization::axis_in(std::int64_t rank) const {
  const std::int64_t a = options_.axis < 0 ? options_.axis + rank : options_.axis;
  if (a <= 0 || a >= rank)
    fail(where(), ": axis ", options_.axis, " is not a feature axis of inputs of rank ", rank, " (batch included)");
  return a;
}

void BatchNormalization::build_impl(const Shape& in) {
  const std::int64_t a = axis_in(in.rank() + 1);
  const std::int64_t c = in[static_cast<int>(a - 1)];
  if (c <= 0) fail(where(), ": the normalised axis must have a known size, got per-example shape ", in);
  Generator gen = make_generator(-1);
  auto init = [&](const InitializerArg& i) { return (*i.get())(Shape{c}, gen, dtype()); };
  if (options_.scale) gamma_ = add_weight("gamma", init(options_.gamma_initializer));
  if (options_.center) beta_ = add_weight("beta", init(options_.beta_initializer));
  moving_mean_ = add_weight("moving_mean", init(options_.moving_mean_initializer), false);
  moving_variance_ = add_weight("moving_variance", init(options_.moving_variance_initializer), false);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  if (x.dtype() != dtype())
    fail(where(), ": input dtype ", dtype_name(x.dtype()), " differs from the layer's ", dtype_name(dtype()));
  const BatchNormOptions o{axis_in(x.rank()), options_.epsilon};
  const Tensor gamma = options_.scale ? gamma_.value() : Tensor(), beta = options_.center ? beta_.value() : Tensor();
  if (!training || !trainable())
    return batch_norm_inference(x, moving_mean_.value(), moving_variance_.value(), gamma, beta, o);
  BatchNormTraining t = batch_norm_training(x, gamma, beta, o);
  moving_mean_.assign(moving_average_update(moving_mean_.value(), t.mean, options_.momentum));
  moving_variance_.assign(moving_average_update(moving_variance_.value(), t.variance, options_.momentum));
  return t.y;
}

void register_normalization_layers(Registry<Layer>& reg) {
  reg.add("BatchNormalization", "keras.layers", [](const Config& c) { return BatchNormalization::from_config(c); });
  reg.add_example("BatchNormalization", {{"config", {{"axis", -1}, {"momentum", 0.9}, {"epsilon", 0.01}}},
                                         {"input_shapes", {{3, 4}}}});
}

}  // namespace tg::nn
