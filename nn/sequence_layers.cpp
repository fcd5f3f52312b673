#include "nn/sequence_layers.hpp"

#include "nn/registry.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

// ---- TimeDistributed --------------------------------------------------------------------------

TimeDistributed::TimeDistributed(std::shared_ptr<Layer> layer, const std::string& name)
    : LayerBase(name, "time_distributed", layer ? layer->dtype() : DType::float32), layer_(std::move(layer)) {
  if (!layer_) fail(where(), ": needs a layer to wrap");
}

Config TimeDistributed::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["layer"] = serialize_layer(*layer_, format);
  return c;
}

std::shared_ptr<TimeDistributed> TimeDistributed::from_config(const Config& config) {
  const ConfigReader r(config, "TimeDistributed '" + ConfigReader(config, "TimeDistributed").get_string("name", "") + "'");
  if (!r.raw("layer").is_object()) r.fail("layer", "is required: the wrapped layer");
  auto l = std::make_shared<TimeDistributed>(deserialize_layer(r.raw("layer"), r.where()), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

namespace {
Shape step_shape(const Shape& in, const std::string& where) {
  if (in.rank() < 2) fail(where, ": expected inputs [N, T, ...] of rank >= 3, got per-example shape ", in);
  Shape s;
  for (int d = 1; d < in.rank(); ++d) s.push_back(in[d]);
  return s;
}
}  // namespace

Shape TimeDistributed::compute_output_shape(const Shape& in) const {
  const Shape step = layer_->compute_output_shapes({step_shape(in, where())}).front();
  Shape out{in[0]};
  for (std::int64_t d : step) out.push_back(d);
  return out;
}

void TimeDistributed::build_impl(const Shape& in) {
  layer_->set_weight_scope(weight_scope() + "/" + layer_->name());
  layer_->build(step_shape(in, where()));
  accept_any_length(0, 0);
}

// The steps become a batch of N * T examples for the wrapped layer.
Tensor TimeDistributed::call(const Tensor& x, bool training) {
  if (x.rank() < 3) fail(where(), ": expected inputs [N, T, ...], got ", x.shape());
  std::vector<std::int64_t> merged{x.shape()[0] * x.shape()[1]};
  for (int d = 2; d < x.rank(); ++d) merged.push_back(x.shape()[d]);
  const Tensor y = (*layer_)(reshape(x, merged), training);
  std::vector<std::int64_t> out{x.shape()[0], x.shape()[1]};
  for (int d = 1; d < y.rank(); ++d) out.push_back(y.shape()[d]);
  return reshape(y, out);
}

// ---- RepeatVector -----------------------------------------------------------------------------

RepeatVector::RepeatVector(std::int64_t n, const std::string& name) : LayerBase(name, "repeat_vector"), n_(n) {
  if (n <= 0) fail(where(), ": n must be positive, got ", n);
}

Config RepeatVector::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["n"] = n_;
  return c;
}

std::shared_ptr<RepeatVector> RepeatVector::from_config(const Config& config) {
  const ConfigReader r(config, "RepeatVector");
  auto l = std::make_shared<RepeatVector>(r.require_int("n"), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Shape RepeatVector::compute_output_shape(const Shape& in) const {
  if (in.rank() != 1) fail(where(), ": expected inputs [N, F], got per-example shape ", in);
  return Shape{n_, in[0]};
}

Tensor RepeatVector::call(const Tensor& x, bool) {
  if (x.rank() != 2) fail(where(), ": expected inputs [N, F], got ", x.shape());
  return tile(expand_dims(x, 1), {1, n_, 1});
}

void register_sequence_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("TimeDistributed", m, [](const Config& c) { return TimeDistributed::from_config(c); });
  reg.add("RepeatVector", m, [](const Config& c) { return RepeatVector::from_config(c); });
  reg.add_example("TimeDistributed",
                  {{"config", {{"layer", {{"class_name", "Dense"}, {"config", {{"units", 2}}}}}}}, {"input_shapes", {{5, 4}}}});
  reg.add_example("RepeatVector", {{"config", {{"n", 3}}}, {"input_shapes", {{4}}}});
}

}  // namespace tg::nn
