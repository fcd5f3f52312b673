#include "nn/activation_layers.hpp"

#include "core/elementwise.hpp"
#include "nn/registry.hpp"
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"

namespace tg::nn {

LeakyReLU::LeakyReLU(double negative_slope, const std::string& name) : LayerBase(name, "leaky_re_lu"), slope_(negative_slope) {
  if (!(negative_slope >= 0)) fail(where(), ": negative_slope must be >= 0, got ", negative_slope);
}

Config LeakyReLU::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c[format == KerasFormat::keras2 ? "alpha" : "negative_slope"] = slope_;
  return c;
}

std::shared_ptr<LeakyReLU> LeakyReLU::from_config(const Config& config) {
  const ConfigReader r(config, "LeakyReLU");
  const double slope = r.has("negative_slope") ? r.get_double("negative_slope", 0.3) : r.get_double("alpha", 0.3);
  auto l = std::make_shared<LeakyReLU>(slope, r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return leaky_relu(x, slope_); }

ELU::ELU(double alpha, const std::string& name) : LayerBase(name, "elu"), alpha_(alpha) {}

Config ELU::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["alpha"] = alpha_;
  return c;
}

std::shared_ptr<ELU> ELU::from_config(const Config& config) {
  const ConfigReader r(config, "ELU");
  auto l = std::make_shared<ELU>(r.get_double("alpha", 1.0), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor ELU::call(const Tensor& x, bool) { return elu(x, alpha_); }

PReLU::PReLU(PReLUOptions options) : LayerBase(options.name, "p_re_lu", options.dtype), options_(std::move(options)) {
  for (std::int64_t a : options_.shared_axes)
    if (a < 1) fail(where(), ": shared_axes are per-example axes counted from 1 (the batch is axis 0), got ", a);
}

Config PReLU::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["alpha_initializer"] = options_.alpha_initializer.get_config(format);
  c["alpha_regularizer"] = nullptr;
  c["alpha_constraint"] = nullptr;
  c["shared_axes"] = options_.shared_axes.empty() ? Config(nullptr) : Config(options_.shared_axes);
  return c;
}

std::shared_ptr<PReLU> PReLU::from_config(const Config& config) {
  const ConfigReader r(config, "PReLU");
  PReLUOptions o;
  o.name = r.get_string("name", "");
  if (r.has("alpha_initializer")) o.alpha_initializer = get_initializer(r.raw("alpha_initializer"), r.where());
  if (r.raw("shared_axes").is_array()) o.shared_axes = r.get_ints("shared_axes", r.raw("shared_axes").size(), 1);
  else if (r.raw("shared_axes").is_number_integer()) o.shared_axes = {r.get_int("shared_axes", 1)};
  o.dtype = r.get_dtype();
  auto l = std::make_shared<PReLU>(o);
  apply_base_config(*l, r);
  return l;
}

void PReLU::build_impl(const Shape& in) {
  Shape s = in;
  for (std::int64_t a : options_.shared_axes) {
    if (a > in.rank()) fail(where(), ": shared axis ", a, " is beyond the input's ", in.rank(), " per-example axes");
    s[static_cast<int>(a - 1)] = 1;
  }
  for (std::int64_t d : s)
    if (d < 0) fail(where(), ": every non-shared input dimension must be known, got ", in);
  Generator gen = make_generator(-1);
  alpha_ = add_weight("alpha", (*options_.alpha_initializer.get())(s, gen, dtype()));
}

// x >= 0: x; below: alpha * x (alpha broadcast over the batch and the shared axes).
Tensor PReLU::call(const Tensor& x, bool) { return sub(relu(x), mul(alpha_.value(), relu(neg(x)))); }

void register_activation_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("LeakyReLU", m, [](const Config& c) { return LeakyReLU::from_config(c); });
  reg.add("ELU", m, [](const Config& c) { return ELU::from_config(c); });
  reg.add("PReLU", m, [](const Config& c) { return PReLU::from_config(c); });
  reg.add_example("LeakyReLU", {{"config", {{"negative_slope", 0.1}}}, {"input_shapes", {{5}}}});
  reg.add_example("ELU", {{"config", {{"alpha", 0.7}}}, {"input_shapes", {{5}}}});
  reg.add_example("PReLU", {{"config", {{"shared_axes", {1}}}}, {"input_shapes", {{3, 4}}}});
}

}  // namespace tg::nn
