#include "nn/reshaping_layers.hpp"

#include "core/elementwise.hpp"
#include "nn/conv_layers.hpp"
#include "nn/registry.hpp"
#include "ops/arithmetic.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

std::string where_of(const Config& c, const char* cls) {
  return std::string(cls) + " '" + ConfigReader(c, cls).get_string("name", "") + "'";
}

// Keras' padding / cropping argument: n, (a, b) = ((a, a), (b, b)), or ((top, bottom), (left, right)).
Padding2D read_padding(const ConfigReader& r, const char* key, std::int64_t fallback) {
  const Config& v = r.raw(key);
  if (v.is_null()) return {{{fallback, fallback}, {fallback, fallback}}};
  if (v.is_number_integer()) {
    const std::int64_t n = v.get<std::int64_t>();
    return {{{n, n}, {n, n}}};
  }
  if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
    const std::int64_t a = v[0].get<std::int64_t>(), b = v[1].get<std::int64_t>();
    return {{{a, a}, {b, b}}};
  }
  Padding2D p{};
  bool ok = v.is_array() && v.size() == 2;
  for (std::size_t i = 0; ok && i < 2; ++i) {
    ok = v[i].is_array() && v[i].size() == 2 && v[i][0].is_number_integer() && v[i][1].is_number_integer();
    if (ok) p[i] = {v[i][0].get<std::int64_t>(), v[i][1].get<std::int64_t>()};
  }
  if (!ok) r.fail(key, "must be an integer, two integers, or two pairs of integers");
  return p;
}

Config padding_config(const Padding2D& p) {
  return Config::array({Config::array({p[0][0], p[0][1]}), Config::array({p[1][0], p[1][1]})});
}

void check_padding(const Padding2D& p, const std::string& where, const char* what) {
  for (const auto& axis : p)
    for (std::int64_t v : axis)
      if (v < 0) fail(where, ": ", what, " must be >= 0, got ((", p[0][0], ", ", p[0][1], "), (", p[1][0], ", ", p[1][1], "))");
}

// The (height, width) positions of a per-example [H, W, C] or [C, H, W] shape.
std::array<int, 2> spatial_axes(const Shape& in, const std::string& data_format, const std::string& where) {
  if (in.rank() != 3) fail(where, ": expected inputs of rank 4 (batch, height, width, channels), got per-example shape ", in);
  return data_format == "channels_first" ? std::array<int, 2>{1, 2} : std::array<int, 2>{0, 1};
}

}  // namespace

// ---- Reshape ----------------------------------------------------------------------------------

Reshape::Reshape(std::vector<std::int64_t> target_shape, const std::string& name)
    : LayerBase(name, "reshape"), target_(std::move(target_shape)) {
  int unknown = 0;
  for (std::int64_t d : target_) {
    if (d == -1) ++unknown;
    else if (d < 0) fail(where(), ": target_shape entries must be positive or -1, got ", d);
  }
  if (unknown > 1) fail(where(), ": target_shape may hold one -1, got ", Config(target_).dump());
}

Config Reshape::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["target_shape"] = target_;
  return c;
}

std::shared_ptr<Reshape> Reshape::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "Reshape"));
  const Config& t = r.raw("target_shape");
  if (!t.is_array()) r.fail("target_shape", "is required (a list of integers)");
  std::vector<std::int64_t> target;
  for (const auto& d : t) target.push_back(d.is_null() ? -1 : d.is_number_integer() ? d.get<std::int64_t>() : -2);
  auto l = std::make_shared<Reshape>(target, r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Shape Reshape::compute_output_shape(const Shape& in) const {
  std::int64_t n_in = 1, n_known = 1;
  for (std::int64_t d : in) n_in = d < 0 || n_in < 0 ? -1 : n_in * d;
  for (std::int64_t d : target_)
    if (d != -1) n_known *= d;
  std::vector<std::int64_t> resolved = target_;
  for (std::int64_t& d : resolved)
    if (d == -1) d = n_in < 0 ? -1 : n_in / std::max<std::int64_t>(n_known, 1);
  const Shape out(resolved);
  std::int64_t n_out = 1;
  for (std::int64_t d : out) n_out = d < 0 || n_out < 0 ? -1 : n_out * d;
  if (n_in >= 0 && n_out >= 0 && n_in != n_out)
    fail(where(), ": cannot reshape per-example shape ", in, " (", n_in, " values) to ", Config(target_).dump());
  return out;
}

Tensor Reshape::call(const Tensor& x, bool) {
  std::vector<std::int64_t> shape{x.dim(0)};
  Shape per(std::vector<std::int64_t>(x.shape().begin() + 1, x.shape().end()));
  for (std::int64_t d : compute_output_shape(per)) shape.push_back(d);
  return reshape(x, shape);
}

// ---- ZeroPadding2D, Cropping2D ----------------------------------------------------------------

ZeroPadding2D::ZeroPadding2D(Padding2D padding, const std::string& data_format, const std::string& name)
    : LayerBase(name, "zero_padding2d"), padding_(padding), data_format_(check_data_format(data_format, "ZeroPadding2D")) {
  check_padding(padding_, where(), "padding");
}

Config ZeroPadding2D::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["padding"] = padding_config(padding_);
  c["data_format"] = data_format_;
  return c;
}

std::shared_ptr<ZeroPadding2D> ZeroPadding2D::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "ZeroPadding2D"));
  auto l = std::make_shared<ZeroPadding2D>(read_padding(r, "padding", 1), r.get_string("data_format", "channels_last"),
                                           r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Shape ZeroPadding2D::compute_output_shape(const Shape& in) const {
  const auto ax = spatial_axes(in, data_format_, where());
  Shape out = in;
  for (int i = 0; i < 2; ++i)
    if (in[ax[i]] >= 0) out[ax[i]] = in[ax[i]] + padding_[i][0] + padding_[i][1];
  return out;
}

Tensor ZeroPadding2D::call(const Tensor& x, bool) {
  return from_channels_last(zero_padding2d(to_channels_last(x, data_format_), padding_), data_format_);
}

Cropping2D::Cropping2D(Padding2D cropping, const std::string& data_format, const std::string& name)
    : LayerBase(name, "cropping2d"), cropping_(cropping), data_format_(check_data_format(data_format, "Cropping2D")) {
  check_padding(cropping_, where(), "cropping");
}

Config Cropping2D::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["cropping"] = padding_config(cropping_);
  c["data_format"] = data_format_;
  return c;
}

std::shared_ptr<Cropping2D> Cropping2D::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "Cropping2D"));
  auto l = std::make_shared<Cropping2D>(read_padding(r, "cropping", 0), r.get_string("data_format", "channels_last"),
                                        r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Shape Cropping2D::compute_output_shape(const Shape& in) const {
  const auto ax = spatial_axes(in, data_format_, where());
  Shape out = in;
  for (int i = 0; i < 2; ++i) {
    if (in[ax[i]] < 0) continue;
    out[ax[i]] = in[ax[i]] - cropping_[i][0] - cropping_[i][1];
    if (out[ax[i]] <= 0) fail(where(), ": cropping removes all of per-example shape ", in);
  }
  return out;
}

Tensor Cropping2D::call(const Tensor& x, bool) {
  return from_channels_last(cropping2d(to_channels_last(x, data_format_), cropping_), data_format_);
}

// ---- UpSampling2D -----------------------------------------------------------------------------

UpSampling2D::UpSampling2D(std::array<std::int64_t, 2> size, const std::string& data_format,
                           const std::string& interpolation, const std::string& name)
    : LayerBase(name, "up_sampling2d"),
      size_(size),
      data_format_(check_data_format(data_format, "UpSampling2D")),
      interpolation_(interpolation) {
  if (size[0] < 1 || size[1] < 1) fail(where(), ": size must be positive, got (", size[0], ", ", size[1], ")");
  if (interpolation != "nearest" && interpolation != "bilinear")
    fail(where(), ": interpolation must be 'nearest' or 'bilinear', got '", shorten(interpolation), "'");
}

Config UpSampling2D::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["size"] = std::vector<std::int64_t>{size_[0], size_[1]};
  c["data_format"] = data_format_;
  c["interpolation"] = interpolation_;
  return c;
}

std::shared_ptr<UpSampling2D> UpSampling2D::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "UpSampling2D"));
  const auto s = r.get_ints("size", 2, 2);
  auto l = std::make_shared<UpSampling2D>(std::array<std::int64_t, 2>{s[0], s[1]}, r.get_string("data_format", "channels_last"),
                                          r.get_string("interpolation", "nearest"), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Shape UpSampling2D::compute_output_shape(const Shape& in) const {
  const auto ax = spatial_axes(in, data_format_, where());
  Shape out = in;
  for (int i = 0; i < 2; ++i)
    if (in[ax[i]] >= 0) out[ax[i]] = in[ax[i]] * size_[static_cast<std::size_t>(i)];
  return out;
}

Tensor UpSampling2D::call(const Tensor& input, bool) {
  const Tensor x = to_channels_last(input, data_format_);
  const Tensor y = interpolation_ == "nearest" ? upsampling2d(x, size_)
                                               : resize_bilinear(x, x.dim(1) * size_[0], x.dim(2) * size_[1]);
  return from_channels_last(y, data_format_);
}

// ---- SpatialDropout2D -------------------------------------------------------------------------

SpatialDropout2D::SpatialDropout2D(double rate, const std::string& data_format, std::int64_t seed, const std::string& name)
    : LayerBase(name, "spatial_dropout2d"),
      rate_(rate),
      data_format_(check_data_format(data_format, "SpatialDropout2D")),
      seed_(seed),
      gen_(make_generator(seed)) {
  if (!(rate >= 0 && rate < 1)) fail(where(), ": rate must be in [0, 1), got ", rate);
}

Config SpatialDropout2D::get_config(KerasFormat format) const {
  Config c = base_config(format);
  c["rate"] = rate_;
  c["seed"] = seed_ < 0 ? Config(nullptr) : Config(seed_);
  // tf.keras 2 writes Dropout's keys; Keras 3 adds data_format.
  if (format == KerasFormat::keras2) c["noise_shape"] = nullptr;
  else c["data_format"] = data_format_;
  return c;
}

std::shared_ptr<SpatialDropout2D> SpatialDropout2D::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "SpatialDropout2D"));
  auto l = std::make_shared<SpatialDropout2D>(r.get_double("rate", 0), r.get_string("data_format", "channels_last"),
                                              r.get_int("seed", -1), r.get_string("name", ""));
  apply_base_config(*l, r);
  return l;
}

Tensor SpatialDropout2D::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0) return x;
  if (x.rank() != 4) fail(where(), ": expected inputs of rank 4, got ", x.shape());
  const bool first = data_format_ == "channels_first";
  const Shape noise = first ? Shape{x.dim(0), x.dim(1), 1, 1} : Shape{x.dim(0), 1, 1, x.dim(3)};
  // One keep/drop draw per (example, channel), broadcast over the feature map; a constant mask.
  const Tensor u = Tensor::uniform(noise, 0, 1, gen_, x.dtype());
  const Tensor keep = core::greater_equal(u, core::scalar_like(u, rate_));
  return mul(x, core::mul(keep, core::scalar_like(keep, 1 / (1 - rate_))));
}

void register_reshaping_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("Reshape", m, [](const Config& c) { return Reshape::from_config(c); });
  reg.add("ZeroPadding2D", m, [](const Config& c) { return ZeroPadding2D::from_config(c); });
  reg.add("Cropping2D", m, [](const Config& c) { return Cropping2D::from_config(c); });
  reg.add("UpSampling2D", m, [](const Config& c) { return UpSampling2D::from_config(c); });
  reg.add("SpatialDropout2D", m, [](const Config& c) { return SpatialDropout2D::from_config(c); });
  reg.add_example("Reshape", {{"config", {{"target_shape", {3, -1}}}}, {"input_shapes", {{2, 6}}}});
  reg.add_example("ZeroPadding2D", {{"config", {{"padding", {{1, 0}, {2, 1}}}}}, {"input_shapes", {{3, 2, 2}}}});
  reg.add_example("Cropping2D", {{"config", {{"cropping", {{1, 0}, {0, 2}}}, {"data_format", "channels_first"}}},
                                 {"input_shapes", {{2, 4, 5}}}});
  reg.add_example("UpSampling2D", {{"config", {{"size", {2, 3}}}}, {"input_shapes", {{2, 3, 2}}}});
  reg.add_example("SpatialDropout2D", {{"config", {{"rate", 0.3}}}, {"input_shapes", {{3, 3, 4}}}});
}

}  // namespace tg::nn
