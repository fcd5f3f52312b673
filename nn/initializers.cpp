#include "nn/initializers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>

#include "nn/registry.hpp"

namespace tg::nn {

std::pair<double, double> compute_fans(const Shape& s) {
  if (s.rank() < 1) return {1, 1};
  if (s.rank() == 1) return {static_cast<double>(s[0]), static_cast<double>(s[0])};
  if (s.rank() == 2) return {static_cast<double>(s[0]), static_cast<double>(s[1])};
  // Convolution kernels: (..spatial.., in, out).
  double receptive = 1;
  for (int d = 0; d < s.rank() - 2; ++d) receptive *= static_cast<double>(s[d]);
  return {receptive * static_cast<double>(s[s.rank() - 2]), receptive * static_cast<double>(s[s.rank() - 1])};
}

namespace {

// Normal(mean, stddev) truncated to two standard deviations, by rejection.
Tensor truncated_normal(const Shape& shape, double mean, double stddev, Generator& gen, DType dtype) {
  Tensor t(shape, DType::float64);
  double* p = t.data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    double z;
    do z = gen.next_normal();
    while (std::fabs(z) > 2.0);
    p[i] = mean + z * stddev;
  }
  return core::convert(t, dtype);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::int64_t seed_of(const ConfigReader& r) { return r.has("seed") ? r.get_int("seed", -1) : -1; }

}  // namespace

Config Initializer::get_config(KerasFormat) const { return Config::object(); }

Tensor Zeros::operator()(const Shape& shape, Generator&, DType dtype) const { return Tensor::zeros(shape, dtype); }
std::shared_ptr<Zeros> Zeros::from_config(const Config&) { return std::make_shared<Zeros>(); }
Tensor Ones::operator()(const Shape& shape, Generator&, DType dtype) const { return Tensor::ones(shape, dtype); }
std::shared_ptr<Ones> Ones::from_config(const Config&) { return std::make_shared<Ones>(); }

Tensor Constant::operator()(const Shape& shape, Generator&, DType dtype) const { return Tensor::full(shape, value_, dtype); }
Config Constant::get_config(KerasFormat) const { return {{"value", value_}}; }
std::shared_ptr<Constant> Constant::from_config(const Config& c) {
  return std::make_shared<Constant>(ConfigReader(c, "Constant initializer").get_double("value", 0));
}

Generator& RandomInitializer::source(Generator& gen, Generator& own) const {
  if (seed_ < 0) return gen;
  own = Generator(static_cast<std::uint64_t>(seed_));
  return own;
}

Config RandomInitializer::seed_config() const { return seed_ < 0 ? Config(nullptr) : Config(seed_); }

RandomUniform::RandomUniform(double minval, double maxval, std::int64_t seed)
    : RandomInitializer(seed), minval_(minval), maxval_(maxval) {
  if (!(minval <= maxval)) fail("RandomUniform: minval ", minval, " exceeds maxval ", maxval);
}
Tensor RandomUniform::operator()(const Shape& shape, Generator& gen, DType dtype) const {
  Generator own(0);
  return core::convert(Tensor::uniform(shape, minval_, maxval_, source(gen, own), DType::float64), dtype);
}
Config RandomUniform::get_config(KerasFormat) const {
  return {{"minval", minval_}, {"maxval", maxval_}, {"seed", seed_config()}};
}
std::shared_ptr<RandomUniform> RandomUniform::from_config(const Config& c) {
  const ConfigReader r(c, "RandomUniform initializer");
  return std::make_shared<RandomUniform>(r.get_double("minval", -0.05), r.get_double("maxval", 0.05), seed_of(r));
}

RandomNormal::RandomNormal(double mean, double stddev, std::int64_t seed, bool truncated)
    : RandomInitializer(seed), mean_(mean), stddev_(stddev), truncated_(truncated) {
  if (!(stddev >= 0)) fail(class_name(), ": stddev must be >= 0, got ", stddev);
}
Tensor RandomNormal::operator()(const Shape& shape, Generator& gen, DType dtype) const {
  Generator own(0);
  Generator& g = source(gen, own);
  if (truncated_) return truncated_normal(shape, mean_, stddev_, g, dtype);
  return core::convert(Tensor::normal(shape, mean_, stddev_, g, DType::float64), dtype);
}
Config RandomNormal::get_config(KerasFormat) const {
  return {{"mean", mean_}, {"stddev", stddev_}, {"seed", seed_config()}};
}
std::shared_ptr<RandomNormal> RandomNormal::from_config(const Config& c) {
  const ConfigReader r(c, "RandomNormal initializer");
  return std::make_shared<RandomNormal>(r.get_double("mean", 0), r.get_double("stddev", 0.05), seed_of(r));
}
std::shared_ptr<RandomNormal> RandomNormal::truncated_from_config(const Config& c) {
  const ConfigReader r(c, "TruncatedNormal initializer");
  return std::make_shared<RandomNormal>(r.get_double("mean", 0), r.get_double("stddev", 0.05), seed_of(r), true);
}

namespace {
struct Preset {
  double scale;
  const char* mode;
  const char* distribution;
};
const std::map<std::string, Preset>& presets() {
  static const std::map<std::string, Preset> m = {
      {"GlorotUniform", {1.0, "fan_avg", "uniform"}}, {"GlorotNormal", {1.0, "fan_avg", "truncated_normal"}},
      {"HeUniform", {2.0, "fan_in", "uniform"}},      {"HeNormal", {2.0, "fan_in", "truncated_normal"}},
      {"LecunUniform", {1.0, "fan_in", "uniform"}},   {"LecunNormal", {1.0, "fan_in", "truncated_normal"}}};
  return m;
}
}  // namespace

VarianceScaling::VarianceScaling(double scale, std::string mode, std::string distribution, std::int64_t seed,
                                 std::string preset)
    : RandomInitializer(seed),
      scale_(scale),
      mode_(std::move(mode)),
      distribution_(std::move(distribution)),
      preset_(std::move(preset)) {
  if (!(scale > 0)) fail("VarianceScaling: scale must be positive, got ", scale);
  if (mode_ != "fan_in" && mode_ != "fan_out" && mode_ != "fan_avg")
    fail("VarianceScaling: mode must be fan_in, fan_out or fan_avg, got '", shorten(mode_), "'");
  if (distribution_ == "normal") distribution_ = "truncated_normal";  // Keras 2's old spelling
  if (distribution_ != "truncated_normal" && distribution_ != "untruncated_normal" && distribution_ != "uniform")
    fail("VarianceScaling: distribution must be truncated_normal, untruncated_normal or uniform, got '",
         shorten(distribution_), "'");
}

Tensor VarianceScaling::operator()(const Shape& shape, Generator& gen, DType dtype) const {
  const auto [fan_in, fan_out] = compute_fans(shape);
  const double fan = mode_ == "fan_in" ? fan_in : mode_ == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
  const double variance = scale_ / std::max(1.0, fan);
  Generator own(0);
  Generator& g = source(gen, own);
  if (distribution_ == "uniform") {
    const double limit = std::sqrt(3 * variance);
    return core::convert(Tensor::uniform(shape, -limit, limit, g, DType::float64), dtype);
  }
  if (distribution_ == "untruncated_normal")
    return core::convert(Tensor::normal(shape, 0, std::sqrt(variance), g, DType::float64), dtype);
  // 0.87962566103423978 is the std of a unit normal truncated at +-2.
  return truncated_normal(shape, 0, std::sqrt(variance) / 0.87962566103423978, g, dtype);
}

Config VarianceScaling::get_config(KerasFormat) const {
  if (!preset_.empty()) return {{"seed", seed_config()}};
  return {{"scale", scale_}, {"mode", mode_}, {"distribution", distribution_}, {"seed", seed_config()}};
}

std::shared_ptr<VarianceScaling> VarianceScaling::from_config(const Config& c) {
  const ConfigReader r(c, "VarianceScaling initializer");
  return std::make_shared<VarianceScaling>(r.get_double("scale", 1.0), r.get_string("mode", "fan_in"),
                                           r.get_string("distribution", "truncated_normal"), seed_of(r));
}

std::shared_ptr<VarianceScaling> VarianceScaling::preset(const std::string& class_name, std::int64_t seed) {
  const Preset& p = presets().at(class_name);
  return std::make_shared<VarianceScaling>(p.scale, p.mode, p.distribution, seed, class_name);
}

Tensor Orthogonal::operator()(const Shape& shape, Generator& gen, DType dtype) const {
  if (shape.rank() < 2) fail("OrthogonalInitializer: needs a shape of rank >= 2, got ", shape);
  // Keras: flatten to (prod(shape[:-1]), shape[-1]), QR of a normal matrix of the taller
  // orientation, Q times sign(diag(R)), transposed back when wide, times gain.
  const std::int64_t cols = shape.back(), rows = shape.numel() / std::max<std::int64_t>(cols, 1);
  const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  Generator own(0);
  Generator& g = source(gen, own);
  std::vector<double> a(static_cast<std::size_t>(m * n));  // column-major m x n
  for (double& v : a) v = g.next_normal();
  // Modified Gram-Schmidt: Q columns orthonormal, r_jj kept for the sign correction.
  for (std::int64_t j = 0; j < n; ++j) {
    double* qj = a.data() + j * m;
    for (std::int64_t k = 0; k < j; ++k) {
      const double* qk = a.data() + k * m;
      double dot = 0;
      for (std::int64_t i = 0; i < m; ++i) dot += qk[i] * qj[i];
      for (std::int64_t i = 0; i < m; ++i) qj[i] -= dot * qk[i];
    }
    double norm = 0;
    for (std::int64_t i = 0; i < m; ++i) norm += qj[i] * qj[i];
    norm = std::sqrt(norm);
    if (norm == 0) norm = 1;
    for (std::int64_t i = 0; i < m; ++i) qj[i] /= norm;  // r_jj = norm > 0: the sign is already +
  }
  Tensor out(Shape{rows, cols}, DType::float64);
  double* o = out.data<double>();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      o[r * cols + c] = gain_ * (rows >= cols ? a[static_cast<std::size_t>(c * m + r)] : a[static_cast<std::size_t>(r * m + c)]);
  return core::convert(core::view(out, std::span<const std::int64_t>(shape.begin(), static_cast<std::size_t>(shape.rank()))),
                       dtype);
}

Config Orthogonal::get_config(KerasFormat) const { return {{"gain", gain_}, {"seed", seed_config()}}; }

std::shared_ptr<Orthogonal> Orthogonal::from_config(const Config& c) {
  const ConfigReader r(c, "Orthogonal initializer");
  return std::make_shared<Orthogonal>(r.get_double("gain", 1.0), seed_of(r));
}

void register_initializers(Registry<Initializer>& reg) {
  const std::string m = "keras.initializers";
  auto add = [&](const std::string& name, Registry<Initializer>::Factory f) { reg.add(name, m, std::move(f)); };
  add("Zeros", [](const Config& c) { return Zeros::from_config(c); });
  add("Ones", [](const Config& c) { return Ones::from_config(c); });
  add("Constant", [](const Config& c) { return Constant::from_config(c); });
  add("RandomUniform", [](const Config& c) { return RandomUniform::from_config(c); });
  add("RandomNormal", [](const Config& c) { return RandomNormal::from_config(c); });
  add("TruncatedNormal", [](const Config& c) { return RandomNormal::truncated_from_config(c); });
  add("VarianceScaling", [](const Config& c) { return VarianceScaling::from_config(c); });
  add("OrthogonalInitializer", [](const Config& c) { return Orthogonal::from_config(c); });
  add("Orthogonal", [](const Config& c) { return Orthogonal::from_config(c); });  // Keras 2's name
  for (const auto& [name, p] : presets())
    add(name, [name = name](const Config& c) {
      return VarianceScaling::preset(name, seed_of(ConfigReader(c.is_object() ? c : Config::object(), name)));
    });
}

std::shared_ptr<Initializer> get_initializer(const Config& id, const std::string& context) {
  if (id.is_null()) return std::make_shared<Zeros>();
  if (id.is_string()) {
    // Keras' snake_case aliases.
    static const std::map<std::string, std::string> aliases = {
        {"zeros", "Zeros"},
        {"ones", "Ones"},
        {"constant", "Constant"},
        {"random_uniform", "RandomUniform"},
        {"uniform", "RandomUniform"},
        {"random_normal", "RandomNormal"},
        {"normal", "RandomNormal"},
        {"truncated_normal", "TruncatedNormal"},
        {"variance_scaling", "VarianceScaling"},
        {"glorot_uniform", "GlorotUniform"},
        {"glorot_normal", "GlorotNormal"},
        {"he_uniform", "HeUniform"},
        {"he_normal", "HeNormal"},
        {"lecun_uniform", "LecunUniform"},
        {"lecun_normal", "LecunNormal"},
        {"orthogonal", "OrthogonalInitializer"}};
    const std::string name = id.get<std::string>();
    auto it = aliases.find(lower(name));
    const std::string cls = it != aliases.end() ? it->second : name;
    if (!initializer_registry().contains(cls)) {
      std::string known;
      for (const auto& [k, v] : aliases) known += (known.empty() ? "" : ", ") + k;
      fail(context, ": unknown initializer '", shorten(name), "'; expected one of: ", known, ", or a class name (",
           initializer_registry().list(), ")");
    }
    return initializer_registry().create(cls, Config::object(), context);
  }
  if (id.is_object() && id.contains("class_name") && id["class_name"].is_string()) {
    const Config cfg = id.contains("config") && id["config"].is_object() ? id["config"] : Config::object();
    return initializer_registry().create(id["class_name"].get<std::string>(), cfg, context);
  }
  fail(context, ": an initializer must be a name or a {class_name, config} object, got ", shorten(id.dump()));
}

InitializerArg::InitializerArg(const std::string& name) : init_(get_initializer(Config(name), "initializer")) {}
InitializerArg::InitializerArg(std::shared_ptr<Initializer> init) : init_(std::move(init)) {
  if (!init_) fail("initializer: a null initializer was given");
}

Config InitializerArg::get_config(KerasFormat format) const {
  // tf.keras 2 calls the orthogonal initializer "Orthogonal", Keras 3 "OrthogonalInitializer".
  std::string cls = init_->class_name();
  if (format == KerasFormat::keras2 && cls == "OrthogonalInitializer") cls = "Orthogonal";
  return serialize_object("keras.initializers", cls, init_->get_config(format), format);
}

Tensor initialize(const std::string& init, const Shape& shape, Generator& gen, DType dtype) {
  return (*get_initializer(Config(init), "initialize"))(shape, gen, dtype);
}

namespace {
std::mutex seed_mu;
Generator& generator_storage() {
  static Generator g(1337);
  return g;
}
}  // namespace

Generator& global_generator() { return generator_storage(); }

void set_random_seed(std::uint64_t seed) {
  std::lock_guard lock(seed_mu);
  generator_storage() = Generator(seed);
}

}  // namespace tg::nn
