#include "nn/augmentation_layers.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nn/conv_layers.hpp"
#include "nn/registry.hpp"

namespace tg::nn {

namespace {

std::string where_of(const Config& c, const char* cls) {
  return std::string(cls) + " '" + ConfigReader(c, cls).get_string("name", "") + "'";
}

// A Keras factor: f means (-f, f), a pair (low, high) as it is.
std::array<double, 2> read_factor(const ConfigReader& r, const char* key, bool required) {
  const Config& v = r.raw(key);
  if (v.is_number()) return {-std::fabs(v.get<double>()), std::fabs(v.get<double>())};
  if (v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number()) return {v[0].get<double>(), v[1].get<double>()};
  if (!required && v.is_null()) return {0, 0};
  r.fail(key, "must be a number or a pair of numbers (low, high)");
}

Config factor_config(const std::array<double, 2>& f) { return Config::array({f[0], f[1]}); }

// TensorFlow's map_coord for one axis of `len` pixels (ImageProjectiveTransformV3's fill modes).
double map_coord(double c, double len, const std::string& mode) {
  if (mode == "reflect") {
    if (len <= 1) return 0;
    const double sz2 = 2 * len;
    if (c < 0) {
      if (c < -sz2) c = sz2 * std::trunc(-c / sz2) + c;
      c = c < -len ? c + sz2 : -c - 1;
    } else if (c > len - 1) {
      c -= sz2 * std::trunc(c / sz2);
      if (c >= len) c = sz2 - c - 1;
    }
    return std::clamp(c, 0.0, len - 1);
  }
  if (mode == "wrap") {
    if (len <= 1) return 0;
    if (c < 0) c += len * (std::trunc(-c / len) + 1);
    else if (c > len - 1) c -= len * std::trunc(c / len);
    return std::clamp(c, 0.0, len - 1);
  }
  if (mode == "nearest") return std::clamp(c, 0.0, len - 1);
  return c;  // constant: out-of-range reads give fill_value
}

// Applies one inverse map per image of an NHWC tensor; a new tensor, not recorded.
template <class T>
void transform_images(const T* in, T* out, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t ch,
                      const std::vector<std::array<double, 6>>& maps, const AugmentationOptions& o) {
  const bool nearest = o.interpolation == "nearest";
  for (std::int64_t b = 0; b < n; ++b) {
    const auto& m = maps[static_cast<std::size_t>(b)];
    const T* img = in + b * h * w * ch;
    auto read = [&](double yy, double xx, std::int64_t c) -> double {
      if (yy < 0 || yy > static_cast<double>(h - 1) || xx < 0 || xx > static_cast<double>(w - 1)) return o.fill_value;
      return static_cast<double>(img[(static_cast<std::int64_t>(yy) * w + static_cast<std::int64_t>(xx)) * ch + c]);
    };
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x) {
        const double xi = map_coord(m[0] * static_cast<double>(x) + m[1] * static_cast<double>(y) + m[2], static_cast<double>(w), o.fill_mode);
        const double yi = map_coord(m[3] * static_cast<double>(x) + m[4] * static_cast<double>(y) + m[5], static_cast<double>(h), o.fill_mode);
        T* dst = out + ((b * h + y) * w + x) * ch;
        for (std::int64_t c = 0; c < ch; ++c) {
          double v;
          if (nearest) {
            v = read(std::round(yi), std::round(xi), c);
          } else {
            const double y0 = std::floor(yi), x0 = std::floor(xi), fy = yi - y0, fx = xi - x0;
            v = (1 - fy) * ((1 - fx) * read(y0, x0, c) + fx * read(y0, x0 + 1, c)) +
                fy * ((1 - fx) * read(y0 + 1, x0, c) + fx * read(y0 + 1, x0 + 1, c));
          }
          dst[c] = static_cast<T>(v);
        }
      }
  }
}

double draw_in(const std::array<double, 2>& range, Generator& gen) {
  return range[0] + (range[1] - range[0]) * gen.next_double();
}

}  // namespace

// ---- the augmentation layers ------------------------------------------------------------------

RandomImageLayer::RandomImageLayer(Kind kind, AugmentationOptions options, const std::string& prefix)
    : Layer(options.name, prefix), kind_(kind), options_(std::move(options)), gen_(make_generator(options_.seed)) {
  const std::string& f = options_.fill_mode;
  if (f != "reflect" && f != "wrap" && f != "constant" && f != "nearest")
    fail(prefix, " '", name(), "': fill_mode must be reflect, wrap, constant or nearest, got '", shorten(f), "'");
  if (options_.interpolation != "bilinear" && options_.interpolation != "nearest")
    fail(prefix, " '", name(), "': interpolation must be bilinear or nearest, got '", shorten(options_.interpolation), "'");
  check_data_format(options_.data_format, prefix + " '" + name() + "'");
}

AugmentationOptions RandomImageLayer::options_from_config(const ConfigReader& r) {
  AugmentationOptions o;
  o.fill_mode = r.get_string("fill_mode", "reflect");
  o.fill_value = r.get_double("fill_value", 0);
  o.interpolation = r.get_string("interpolation", "bilinear");
  o.data_format = r.get_string("data_format", "channels_last");
  o.seed = r.get_int("seed", -1);
  o.name = r.get_string("name", "");
  return o;
}

Config RandomImageLayer::get_config(KerasFormat format) const {
  Config c = base_config(format);
  add_config(c, format);
  c["seed"] = options_.seed < 0 ? Config(nullptr) : Config(options_.seed);
  if (kind_ != Kind::flip) {
    c["fill_mode"] = options_.fill_mode;
    c["fill_value"] = options_.fill_value;
    c["interpolation"] = options_.interpolation;
  }
  if (format == KerasFormat::keras3) c["data_format"] = options_.data_format;
  return c;
}

Tensor RandomImageLayer::call(const Tensor& input, bool training) {
  if (!training) return input;
  if (input.rank() != 4) fail(where(), ": expected images of rank 4, got ", input.shape());
  const Tensor x = to_channels_last(input, options_.data_format);
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  std::vector<std::array<double, 6>> maps;
  for (std::int64_t b = 0; b < n; ++b) maps.push_back(draw(h, w, gen_));
  Tensor y(x.shape(), x.dtype());
  if (x.dtype() == DType::float32) transform_images(x.data<float>(), y.data<float>(), n, h, w, c, maps, options_);
  else if (x.dtype() == DType::float64) transform_images(x.data<double>(), y.data<double>(), n, h, w, c, maps, options_);
  else fail(where(), ": expected float32 or float64 images, got ", dtype_name(x.dtype()));
  return from_channels_last(y, options_.data_format);
}

RandomFlip::RandomFlip(const std::string& mode, AugmentationOptions options)
    : LayerBase(Kind::flip, std::move(options), "random_flip"), mode_(mode) {
  if (mode != "horizontal" && mode != "vertical" && mode != "horizontal_and_vertical")
    fail(where(), ": mode must be horizontal, vertical or horizontal_and_vertical, got '", shorten(mode), "'");
}

std::array<double, 6> RandomFlip::draw(std::int64_t h, std::int64_t w, Generator& gen) const {
  std::array<double, 6> m{1, 0, 0, 0, 1, 0};
  if (mode_ != "vertical" && gen.next_double() < 0.5) m[0] = -1, m[2] = static_cast<double>(w - 1);
  if (mode_ != "horizontal" && gen.next_double() < 0.5) m[4] = -1, m[5] = static_cast<double>(h - 1);
  return m;
}

void RandomFlip::add_config(Config& c, KerasFormat) const { c["mode"] = mode_; }

std::shared_ptr<RandomFlip> RandomFlip::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "RandomFlip"));
  auto l = std::make_shared<RandomFlip>(r.get_string("mode", "horizontal_and_vertical"), options_from_config(r));
  apply_base_config(*l, r);
  return l;
}

RandomRotation::RandomRotation(std::array<double, 2> factor, AugmentationOptions options)
    : LayerBase(Kind::rotation, std::move(options), "random_rotation"), factor_(factor) {
  if (factor[0] > factor[1]) fail(where(), ": factor (", factor[0], ", ", factor[1], ") must have low <= high");
}

std::array<double, 6> RandomRotation::draw(std::int64_t h, std::int64_t w, Generator& gen) const {
  // Keras' rotation about the image centre (tf.keras image_preprocessing.get_rotation_matrix).
  const double a = draw_in(factor_, gen) * 2 * std::numbers::pi, cs = std::cos(a), sn = std::sin(a);
  const double wm = static_cast<double>(w - 1), hm = static_cast<double>(h - 1);
  return {cs, -sn, (wm - (cs * wm - sn * hm)) / 2, sn, cs, (hm - (sn * wm + cs * hm)) / 2};
}

void RandomRotation::add_config(Config& c, KerasFormat format) const {
  c["factor"] = factor_config(factor_);
  if (format == KerasFormat::keras3) c["value_range"] = Config::array({0, 255});
}

std::shared_ptr<RandomRotation> RandomRotation::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "RandomRotation"));
  auto l = std::make_shared<RandomRotation>(read_factor(r, "factor", true), options_from_config(r));
  apply_base_config(*l, r);
  return l;
}

RandomTranslation::RandomTranslation(std::array<double, 2> height_factor, std::array<double, 2> width_factor,
                                     AugmentationOptions options)
    : LayerBase(Kind::translation, std::move(options), "random_translation"), height_(height_factor), width_(width_factor) {}

std::array<double, 6> RandomTranslation::draw(std::int64_t h, std::int64_t w, Generator& gen) const {
  const double dy = draw_in(height_, gen) * static_cast<double>(h), dx = draw_in(width_, gen) * static_cast<double>(w);
  return {1, 0, -dx, 0, 1, -dy};
}

void RandomTranslation::add_config(Config& c, KerasFormat) const {
  c["height_factor"] = factor_config(height_);
  c["width_factor"] = factor_config(width_);
}

std::shared_ptr<RandomTranslation> RandomTranslation::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "RandomTranslation"));
  auto l = std::make_shared<RandomTranslation>(read_factor(r, "height_factor", true), read_factor(r, "width_factor", true),
                                               options_from_config(r));
  apply_base_config(*l, r);
  return l;
}

RandomZoom::RandomZoom(std::array<double, 2> height_factor, std::optional<std::array<double, 2>> width_factor,
                       AugmentationOptions options)
    : LayerBase(Kind::zoom, std::move(options), "random_zoom"), height_(height_factor), width_(width_factor) {
  if (height_[0] <= -1 || (width_ && (*width_)[0] <= -1)) fail(where(), ": zoom factors must be above -1");
}

std::array<double, 6> RandomZoom::draw(std::int64_t h, std::int64_t w, Generator& gen) const {
  const double zy = 1 + draw_in(height_, gen), zx = width_ ? 1 + draw_in(*width_, gen) : zy;
  const double wm = static_cast<double>(w - 1), hm = static_cast<double>(h - 1);
  return {zx, 0, wm / 2 * (1 - zx), 0, zy, hm / 2 * (1 - zy)};
}

void RandomZoom::add_config(Config& c, KerasFormat) const {
  c["height_factor"] = factor_config(height_);
  c["width_factor"] = width_ ? factor_config(*width_) : Config(nullptr);
}

std::shared_ptr<RandomZoom> RandomZoom::from_config(const Config& config) {
  const ConfigReader r(config, where_of(config, "RandomZoom"));
  std::optional<std::array<double, 2>> width;
  if (r.has("width_factor")) width = read_factor(r, "width_factor", true);
  auto l = std::make_shared<RandomZoom>(read_factor(r, "height_factor", true), width, options_from_config(r));
  apply_base_config(*l, r);
  return l;
}

void register_augmentation_layers(Registry<Layer>& reg) {
  const std::string m = "keras.layers";
  reg.add("RandomFlip", m, [](const Config& c) { return RandomFlip::from_config(c); });
  reg.add("RandomRotation", m, [](const Config& c) { return RandomRotation::from_config(c); });
  reg.add("RandomTranslation", m, [](const Config& c) { return RandomTranslation::from_config(c); });
  reg.add("RandomZoom", m, [](const Config& c) { return RandomZoom::from_config(c); });
  reg.add_example("RandomFlip", {{"config", {{"mode", "horizontal"}, {"seed", 3}}}, {"input_shapes", {{4, 4, 2}}}});
  reg.add_example("RandomRotation", {{"config", {{"factor", 0.1}, {"fill_mode", "constant"}}}, {"input_shapes", {{4, 4, 2}}}});
  reg.add_example("RandomTranslation", {{"config", {{"height_factor", 0.1}, {"width_factor", {-0.2, 0.1}}}},
                                        {"input_shapes", {{4, 4, 2}}}});
  reg.add_example("RandomZoom", {{"config", {{"height_factor", {-0.2, 0.2}}}}, {"input_shapes", {{4, 4, 2}}}});
}

}  // namespace tg::nn
