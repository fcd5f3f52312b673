#include "nn/preprocessing_layers.hpp"

#include <cmath>

#include "nn/conv_layers.hpp"
#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/image.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

std::string where_of(const Config& c, const char* cls) {
  return std::string(cls) + " '" + ConfigReader(c, cls).get_string("name", "") + "'";
}

}  // namespace

// ---- Rescaling --------------------------------------------------------------------------------

Rescaling::Rescaling(double scale, double offset, const std::string& name)
    : LayerBase(name, "rescaling"), scale_(scale), offset_(offset) {}

Config Rescaling::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["scale"] = scale_;
  c["offset"] = offset_;
  return c;
}

std::shared_ptr<Rescaling> Rescaling::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "Rescaling"));
  if (!r.raw("scale").is_number()) r.fail("scale", "is required and must be a number (per-channel scales are not supported)");
  if (r.has("offset") && !r.raw("offset").is_number()) r.fail("offset", "must be a number (per-channel offsets are not supported)");
  auto l = std::make_shared<Rescaling>(r.get_double("scale", 1), r.get_double("offset", 0), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor Rescaling::call(const Tensor& x, bool) {
  const Tensor y = mul(x, scalar_like(x, scale_));
  return offset_ == 0 ? y : add(y, scalar_like(x, offset_));
}

// ---- Normalization ----------------------------------------------------------------------------

Normalization::Normalization(NormalizationOptions options) : LayerBase(options.name, "normalization"), options_(std::move(options)) {
  if (options_.mean.has_value() != options_.variance.has_value())
    fail(where(), ": give both mean and variance, or neither (then they are weights set by adapt())");
}

Config Normalization::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["axis"] = options_.axis ? Config(*options_.axis) : Config(nullptr);
  auto values = [](const std::optional<std::vector<double>>& v) {
    return !v ? Config(nullptr) : v->size() == 1 ? Config(v->front()) : Config(*v);
  };
  c["mean"] = values(options_.mean);
  c["variance"] = values(options_.variance);
  c["invert"] = options_.invert;
  return c;
}

std::shared_ptr<Normalization> Normalization::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "Normalization"));
  NormalizationOptions o;
  o.name = r.get_string("name", "");
  const Config& axis = r.raw("axis");
  if (axis.is_null() && config.contains("axis")) o.axis.reset();
  else if (axis.is_number_integer()) o.axis = std::vector<std::int64_t>{axis.get<std::int64_t>()};
  else if (axis.is_array()) o.axis = r.get_ints("axis", axis.size(), -1);
  auto values = [&](const char* key) -> std::optional<std::vector<double>> {
    const Config& v = r.raw(key);
    if (v.is_null()) return std::nullopt;
    if (v.is_number()) return std::vector<double>{v.get<double>()};
    std::vector<double> out;
    for (const auto& e : v) {
      if (!e.is_number()) r.fail(key, "must be a number or a list of numbers");
      out.push_back(e.get<double>());
    }
    return out;
  };
  o.mean = values("mean");
  o.variance = values("variance");
  o.invert = r.get_bool("invert", false);
  auto l = std::make_shared<Normalization>(o);
  apply_base_config(*l, r);
  return l;
}

void Normalization::build_impl(const Shape& in) {
  // Keras: the kept axes (batch counted) keep their size, the others broadcast.
  std::vector<std::int64_t> bshape(static_cast<std::size_t>(in.rank() + 1), 1);
  std::vector<std::int64_t> kept;
  if (options_.axis)
    for (std::int64_t a : *options_.axis) {
      const std::int64_t ax = a < 0 ? a + in.rank() + 1 : a;
      if (ax <= 0 || ax > in.rank()) fail(where(), ": axis ", a, " is not a feature axis of per-example shape ", in);
      if (in[static_cast<int>(ax - 1)] < 0) fail(where(), ": axis ", a, " must have a known size, got ", in);
      bshape[static_cast<std::size_t>(ax)] = in[static_cast<int>(ax - 1)];
      kept.push_back(in[static_cast<int>(ax - 1)]);
    }
  broadcast_ = Shape(bshape);
  const Shape wshape(kept);
  if (options_.mean) {
    auto expand = [&](const std::vector<double>& v, const char* what) {
      if (v.size() != 1 && static_cast<std::int64_t>(v.size()) != wshape.numel())
        fail(where(), ": ", what, " has ", v.size(), " values, the kept axes ", wshape, " need ", wshape.numel(), " (or 1)");
      Tensor t = Tensor::from_vector(v.size() == 1 ? std::vector<double>(static_cast<std::size_t>(wshape.numel()), v[0]) : v,
                                     wshape);
      return core::convert(t, dtype());
    };
    mean_ = expand(*options_.mean, "mean");
    variance_ = expand(*options_.variance, "variance");
    return;
  }
  mean_w_ = add_weight("mean", Tensor::zeros(wshape, dtype()), false);
  variance_w_ = add_weight("variance", Tensor::ones(wshape, dtype()), false);
  count_w_ = add_weight("count", Tensor::zeros(Shape{}, DType::int64), false);
}

Tensor Normalization::call(const Tensor& x, bool) {
  const Tensor mean = options_.mean ? mean_ : mean_w_.value(), var = options_.mean ? variance_ : variance_w_.value();
  std::vector<std::int64_t> b(broadcast_.begin(), broadcast_.end());
  const Tensor m = reshape(mean, b), v = reshape(var, b);
  // Keras: max(sqrt(variance), backend.epsilon()), epsilon 1e-7.
  const Tensor sd = maximum(sqrt(v), scalar_like(v, 1e-7));
  return options_.invert ? add(m, mul(x, sd)) : div(sub(x, m), sd);
}

// ---- Resizing ---------------------------------------------------------------------------------

Resizing::Resizing(std::int64_t height, std::int64_t width, const std::string& data_format, const std::string& name)
    : LayerBase(name, "resizing"), height_(height), width_(width), data_format_(check_data_format(data_format, "Resizing")) {
  if (height < 1 || width < 1) fail(where(), ": height and width must be positive, got ", height, " and ", width);
}

Config Resizing::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["height"] = height_;
  c["width"] = width_;
  c["interpolation"] = "bilinear";
  c["crop_to_aspect_ratio"] = false;
  if (format == KerasFormat::keras3) {
    c["pad_to_aspect_ratio"] = false;
    c["fill_mode"] = "constant";
    c["fill_value"] = 0.0;
    c["data_format"] = data_format_;
  }
  return c;
}

std::shared_ptr<Resizing> Resizing::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "Resizing"));
  if (r.get_string("interpolation", "bilinear") != "bilinear")
    r.fail("interpolation", "'" + shorten(r.get_string("interpolation", "")) + "' is not supported (bilinear only)");
  if (r.get_bool("crop_to_aspect_ratio", false)) r.fail("crop_to_aspect_ratio", "true is not supported");
  if (r.get_bool("pad_to_aspect_ratio", false)) r.fail("pad_to_aspect_ratio", "true is not supported");
  auto l = std::make_shared<Resizing>(r.require_int("height"), r.require_int("width"), r.get_string("data_format", "channels_last"),
                                      r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Shape Resizing::compute_output_shape(const Shape& in) const {
  if (in.rank() != 3) fail(where(), ": expected inputs of rank 4 (batch, height, width, channels), got per-example shape ", in);
  Shape out = in;
  const int h = data_format_ == "channels_first" ? 1 : 0;
  out[h] = height_, out[h + 1] = width_;
  return out;
}

Tensor Resizing::call(const Tensor& x, bool) {
  return from_channels_last(resize_bilinear(to_channels_last(x, data_format_), height_, width_), data_format_);
}

void register_preprocessing_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("Rescaling", m, [](const Config& c) { return Rescaling::from_config(c); });
  reg.add("Normalization", m, [](const Config& c) { return Normalization::from_config(c); });
  reg.add("Resizing", m, [](const Config& c) { return Resizing::from_config(c); });
  reg.add_example("Rescaling", {{"config", {{"scale", 1.0 / 255}, {"offset", -0.5}}}, {"input_shapes", {{4, 3}}}});
  reg.add_example("Normalization", {{"config", {{"axis", -1}}}, {"input_shapes", {{2, 3}}}});
  reg.add_example("Resizing", {{"config", {{"height", 3}, {"width", 5}}}, {"input_shapes", {{4, 4, 2}}}});
}

}  // namespace tg::nn
