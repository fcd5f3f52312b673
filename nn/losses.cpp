#include "nn/losses.hpp"

#include <map>

#include "core/elementwise.hpp"
#include "nn/activations.hpp"
#include "nn/registry.hpp"
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"
#include "ops/inspect.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {

Config loss_base(const Loss& l, KerasFormat format) {
  return {{"name", l.name()}, {"reduction", format == KerasFormat::keras2 ? "auto" : "sum_over_batch_size"}};
}

// Keras' losses on the last axis: per-example mean, then the reduction.
Tensor last_axis_mean(const Tensor& elem, Reduction r) {
  if (elem.rank() < 1) fail("loss: expected predictions of rank >= 1, got a scalar");
  return reduce_loss(elem.rank() == 1 ? elem : mean(elem, {-1}), r);
}

void same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (!(a.shape() == b.shape())) fail(op, ": y_true of shape ", a.shape(), " does not match y_pred of shape ", b.shape());
}

Tensor smooth(const Tensor& y, double s, double over) { return s == 0 ? y : y * (1 - s) + s / over; }

}  // namespace

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& y_true, const Tensor& y_pred) {
  const int rt = y_true.rank(), rp = y_pred.rank();
  auto drop_last = [](const Tensor& t) {
    std::vector<std::int64_t> s(t.shape().begin(), t.shape().end() - 1);
    return reshape(t, s);
  };
  auto add_last = [](const Tensor& t) {
    std::vector<std::int64_t> s(t.shape().begin(), t.shape().end());
    s.push_back(1);
    return reshape(t, s);
  };
  if (rt == rp + 1 && y_true.shape().back() == 1) return {rp == 1 ? y_true : drop_last(y_true), rp == 1 ? add_last(y_pred) : y_pred};
  if (rp == rt + 1 && y_pred.shape().back() == 1) return {rt == 1 ? add_last(y_true) : y_true, rt == 1 ? y_pred : drop_last(y_pred)};
  return {y_true, y_pred};
}

Config Loss::get_config(KerasFormat format) const { return loss_base(*this, format); }

Config Loss::compile_config(KerasFormat format) const {
  if (has_default_arguments()) return name();
  return serialize_object("keras.losses", class_name(), get_config(format), format);
}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  if (!from_logits)
    if (Tensor logits = keras_logits(y_pred, LogitsOf::softmax); logits.defined())
      return sparse_categorical_crossentropy(y_true, logits, true, r);
  return sparse_categorical_crossentropy(y_true, y_pred, from_logits, r);
}

Config SparseCategoricalCrossentropy::get_config(KerasFormat format) const {
  Config c = loss_base(*this, format);
  c["from_logits"] = from_logits;
  return c;
}

std::shared_ptr<SparseCategoricalCrossentropy> SparseCategoricalCrossentropy::from_config(const Config& c) {
  return std::make_shared<SparseCategoricalCrossentropy>(ConfigReader(c, "SparseCategoricalCrossentropy").get_bool("from_logits", false));
}

Tensor CategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt0, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  const double classes = yp.rank() ? static_cast<double>(yp.shape().back()) : 1.0;
  const Tensor yt = smooth(cast(yt0, yp.dtype()), label_smoothing, classes);
  if (!from_logits)
    if (Tensor logits = keras_logits(y_pred, LogitsOf::softmax); logits.defined())
      return categorical_crossentropy(yt, logits, true, r);
  return categorical_crossentropy(yt, yp, from_logits, r);
}

Config CategoricalCrossentropy::get_config(KerasFormat format) const {
  Config c = loss_base(*this, format);
  c["from_logits"] = from_logits;
  c["label_smoothing"] = label_smoothing;
  c["axis"] = -1;
  return c;
}

std::shared_ptr<CategoricalCrossentropy> CategoricalCrossentropy::from_config(const Config& c) {
  const ConfigReader r(c, "CategoricalCrossentropy");
  return std::make_shared<CategoricalCrossentropy>(r.get_bool("from_logits", false), r.get_double("label_smoothing", 0));
}

Tensor BinaryCrossentropy::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const Tensor logits = from_logits ? Tensor() : keras_logits(y_pred, LogitsOf::sigmoid);
  const Tensor& pred = logits.defined() ? logits : y_pred;
  const auto [yt0, yp] = squeeze_or_expand_to_same_rank(y_true, pred);
  const Tensor yt = smooth(cast(yt0, yp.dtype()), label_smoothing, 2.0);
  return binary_crossentropy(yt, yp, from_logits || logits.defined(), r);
}

Config BinaryCrossentropy::get_config(KerasFormat format) const {
  Config c = loss_base(*this, format);
  c["from_logits"] = from_logits;
  c["label_smoothing"] = label_smoothing;
  c["axis"] = -1;
  return c;
}

std::shared_ptr<BinaryCrossentropy> BinaryCrossentropy::from_config(const Config& c) {
  const ConfigReader r(c, "BinaryCrossentropy");
  return std::make_shared<BinaryCrossentropy>(r.get_bool("from_logits", false), r.get_double("label_smoothing", 0));
}

Tensor MeanSquaredError::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  return mean_squared_error(yt, yp, r);
}
std::shared_ptr<MeanSquaredError> MeanSquaredError::from_config(const Config&) { return std::make_shared<MeanSquaredError>(); }

Tensor MeanAbsoluteError::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  same_shape(yt, yp, "mean_absolute_error");
  return last_axis_mean(abs(sub(yp, cast(yt, yp.dtype()))), r);
}
std::shared_ptr<MeanAbsoluteError> MeanAbsoluteError::from_config(const Config&) {
  return std::make_shared<MeanAbsoluteError>();
}

namespace {
// The one check of the cross-entropies' options.
void check_crossentropy(const CrossentropyOptions& o, const char* loss, bool smoothing_allowed) {
  if (!smoothing_allowed && o.label_smoothing != 0)
    fail(loss, ": label_smoothing is not an option of this loss (Keras' sparse cross-entropy has none), got ",
         o.label_smoothing);
  if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
    fail(loss, ": label_smoothing must be in [0, 1], got ", o.label_smoothing);
}
}  // namespace

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(const CrossentropyOptions& o) : from_logits(o.from_logits) {
  check_crossentropy(o, "SparseCategoricalCrossentropy", false);
}
CategoricalCrossentropy::CategoricalCrossentropy(const CrossentropyOptions& o)
    : from_logits(o.from_logits), label_smoothing(o.label_smoothing) {
  check_crossentropy(o, "CategoricalCrossentropy", true);
}
BinaryCrossentropy::BinaryCrossentropy(const CrossentropyOptions& o)
    : from_logits(o.from_logits), label_smoothing(o.label_smoothing) {
  check_crossentropy(o, "BinaryCrossentropy", true);
}

Huber::Huber(double d) : delta(d) {
  if (!(d > 0)) fail("Huber: delta must be positive, got ", d);
}

Tensor Huber::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  same_shape(yt, yp, "huber_loss");
  const Tensor e = sub(yp, cast(yt, yp.dtype()));
  const Tensor a = abs(e);
  const Tensor small = core::less_equal(a, core::scalar_like(a, delta));  // constant mask
  const Tensor quad = 0.5 * square(e), lin = delta * a - 0.5 * delta * delta;
  return last_axis_mean(add(mul(quad, small), mul(lin, core::sub(core::scalar_like(small, 1), small))), r);
}

Config Huber::get_config(KerasFormat format) const {
  Config c = loss_base(*this, format);
  c["delta"] = delta;
  return c;
}

std::shared_ptr<Huber> Huber::from_config(const Config& c) {
  return std::make_shared<Huber>(ConfigReader(c, "Huber").get_double("delta", 1.0));
}

Tensor KLDivergence::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt0, yp0] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  same_shape(yt0, yp0, "kl_divergence");
  const Tensor yt = clip_by_value(cast(yt0, yp0.dtype()), keras_epsilon, 1), yp = clip_by_value(yp0, keras_epsilon, 1);
  const Tensor elem = mul(yt, log(div(yt, yp)));
  return reduce_loss(elem.rank() == 1 ? elem : sum(elem, {-1}), r);
}
std::shared_ptr<KLDivergence> KLDivergence::from_config(const Config&) { return std::make_shared<KLDivergence>(); }

Tensor LogCosh::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  same_shape(yt, yp, "log_cosh");
  // log(cosh(x)) = |x| + log(1 + exp(-2|x|)) - log(2): no overflow for any x.
  const Tensor a = abs(sub(yp, cast(yt, yp.dtype())));
  return last_axis_mean(a + log(1.0 + exp(-2.0 * a)) - std::log(2.0), r);
}
std::shared_ptr<LogCosh> LogCosh::from_config(const Config&) { return std::make_shared<LogCosh>(); }

Tensor Hinge::call(const Tensor& y_true, const Tensor& y_pred, Reduction r) const {
  const auto [yt0, yp] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  same_shape(yt0, yp, "hinge");
  Tensor yt = cast(yt0, yp.dtype());
  bool binary = true;
  for (double v : yt.to_vector<double>()) binary = binary && (v == 0 || v == 1);
  if (binary) yt = 2.0 * yt - 1.0;  // Keras converts {0, 1} labels to {-1, 1}
  return last_axis_mean(relu(1.0 - mul(yt, yp)), r);
}
std::shared_ptr<Hinge> Hinge::from_config(const Config&) { return std::make_shared<Hinge>(); }

void register_losses(Registry<Loss>& reg) {
  const std::string m = "keras.losses";
  reg.add("SparseCategoricalCrossentropy", m, [](const Config& c) { return SparseCategoricalCrossentropy::from_config(c); });
  reg.add("CategoricalCrossentropy", m, [](const Config& c) { return CategoricalCrossentropy::from_config(c); });
  reg.add("BinaryCrossentropy", m, [](const Config& c) { return BinaryCrossentropy::from_config(c); });
  reg.add("MeanSquaredError", m, [](const Config& c) { return MeanSquaredError::from_config(c); });
  reg.add("MeanAbsoluteError", m, [](const Config& c) { return MeanAbsoluteError::from_config(c); });
  reg.add("Huber", m, [](const Config& c) { return Huber::from_config(c); });
  reg.add("KLDivergence", m, [](const Config& c) { return KLDivergence::from_config(c); });
  reg.add("LogCosh", m, [](const Config& c) { return LogCosh::from_config(c); });
  reg.add("Hinge", m, [](const Config& c) { return Hinge::from_config(c); });
}

namespace {
const std::map<std::string, std::string>& loss_aliases() {
  static const std::map<std::string, std::string> m = {
      {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"},
      {"categorical_crossentropy", "CategoricalCrossentropy"},
      {"binary_crossentropy", "BinaryCrossentropy"},
      {"mean_squared_error", "MeanSquaredError"},
      {"mse", "MeanSquaredError"},
      {"mean_absolute_error", "MeanAbsoluteError"},
      {"mae", "MeanAbsoluteError"},
      {"huber", "Huber"},
      {"huber_loss", "Huber"},
      {"kl_divergence", "KLDivergence"},
      {"kld", "KLDivergence"},
      {"kullback_leibler_divergence", "KLDivergence"},
      {"log_cosh", "LogCosh"},
      {"logcosh", "LogCosh"},
      {"hinge", "Hinge"}};
  return m;
}
}  // namespace

std::shared_ptr<Loss> get_loss(const std::string& name) {
  auto it = loss_aliases().find(name);
  if (it != loss_aliases().end()) return loss_registry().create(it->second, Config::object(), "get_loss");
  if (loss_registry().contains(name)) return loss_registry().create(name, Config::object(), "get_loss");
  std::string known;
  for (const auto& [k, v] : loss_aliases()) known += (known.empty() ? "" : ", ") + k;
  fail("unknown loss '", shorten(name), "'; expected one of: ", known, ", or a class name (", loss_registry().list(), ")");
}

std::shared_ptr<Loss> loss_from_config(const Config& j, const std::string& where) {
  if (j.is_string()) return get_loss(j.get<std::string>());
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    fail(where, ": the loss is neither a name nor a {class_name, config} object: ", shorten(j.dump()));
  const Config cfg = j.contains("config") && j["config"].is_object() ? j["config"] : Config::object();
  return loss_registry().create(j["class_name"].get<std::string>(), cfg, where);
}

}  // namespace tg::nn
