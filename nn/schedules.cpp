#include "nn/schedules.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/registry.hpp"

namespace tg::nn {

namespace {
std::int64_t positive_steps(std::int64_t steps, const char* who) {
  if (steps <= 0) fail<std::invalid_argument>(who, ": decay_steps must be positive, got ", steps);
  return steps;
}
// Keras 3 writes the schedule's name; tf.keras 2 a null one for ExponentialDecay.
Config name_of(const LearningRateSchedule& s, KerasFormat f) {
  return f == KerasFormat::keras3 ? Config(s.class_name()) : Config(nullptr);
}
}  // namespace

ExponentialDecay::ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(positive_steps(decay_steps, "ExponentialDecay")),
      decay_rate_(decay_rate),
      staircase_(staircase) {}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ * std::pow(decay_rate_, p);
}

Config ExponentialDecay::get_config(KerasFormat f) const {
  return {{"initial_learning_rate", initial_learning_rate_}, {"decay_steps", decay_steps_}, {"decay_rate", decay_rate_},
          {"staircase", staircase_},                         {"name", name_of(*this, f)}};
}

std::shared_ptr<ExponentialDecay> ExponentialDecay::from_config(const Config& c) {
  const ConfigReader r(c, "ExponentialDecay");
  return std::make_shared<ExponentialDecay>(r.get_double("initial_learning_rate", 0), r.require_int("decay_steps"),
                                            r.get_double("decay_rate", 0), r.get_bool("staircase", false));
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (values_.size() != boundaries_.size() + 1)
    fail<std::invalid_argument>("PiecewiseConstantDecay: ", values_.size(), " values for ", boundaries_.size(),
                                " boundaries; expected one more value than boundaries");
  for (std::size_t i = 1; i < boundaries_.size(); ++i)
    if (!(boundaries_[i] > boundaries_[i - 1])) fail<std::invalid_argument>("PiecewiseConstantDecay: boundaries must increase");
}

double PiecewiseConstantDecay::operator()(std::int64_t step) const {
  const double s = static_cast<double>(step);
  for (std::size_t i = 0; i < boundaries_.size(); ++i)
    if (s <= boundaries_[i]) return values_[i];
  return values_.back();
}

Config PiecewiseConstantDecay::get_config(KerasFormat f) const {
  return {{"boundaries", boundaries_}, {"values", values_}, {"name", name_of(*this, f)}};
}

std::shared_ptr<PiecewiseConstantDecay> PiecewiseConstantDecay::from_config(const Config& c) {
  const ConfigReader r(c, "PiecewiseConstantDecay");
  auto list = [&](const char* key) {
    std::vector<double> v;
    if (!r.raw(key).is_array()) r.fail(key, "must be a list of numbers");
    for (const auto& e : r.raw(key)) {
      if (!e.is_number()) r.fail(key, "must be a list of numbers");
      v.push_back(e.get<double>());
    }
    return v;
  };
  return std::make_shared<PiecewiseConstantDecay>(list("boundaries"), list("values"));
}

CosineDecay::CosineDecay(double initial_learning_rate, std::int64_t decay_steps, double alpha,
                         std::optional<double> warmup_target, std::int64_t warmup_steps)
    : initial_(initial_learning_rate),
      alpha_(alpha),
      decay_steps_(positive_steps(decay_steps, "CosineDecay")),
      warmup_steps_(warmup_steps),
      warmup_target_(warmup_target) {
  if (warmup_steps < 0) fail<std::invalid_argument>("CosineDecay: warmup_steps must be >= 0, got ", warmup_steps);
}

double CosineDecay::operator()(std::int64_t step) const {
  const double pi = 3.14159265358979323846;
  auto decay = [&](double s, double from) {
    const double cosine = 0.5 * (1.0 + std::cos(pi * s / static_cast<double>(decay_steps_)));
    return from * ((1 - alpha_) * cosine + alpha_);
  };
  double s = static_cast<double>(step);
  if (!warmup_target_) return decay(std::min(s, static_cast<double>(decay_steps_)), initial_);
  s = std::min(s, static_cast<double>(decay_steps_ + warmup_steps_));
  if (s < static_cast<double>(warmup_steps_))
    return (*warmup_target_ - initial_) * (s / static_cast<double>(warmup_steps_)) + initial_;
  return decay(s - static_cast<double>(warmup_steps_), *warmup_target_);
}

Config CosineDecay::get_config(KerasFormat f) const {
  return {{"initial_learning_rate", initial_},
          {"decay_steps", decay_steps_},
          {"alpha", alpha_},
          {"name", name_of(*this, f)},
          {"warmup_target", warmup_target_ ? Config(*warmup_target_) : Config(nullptr)},
          {"warmup_steps", warmup_steps_}};
}

std::shared_ptr<CosineDecay> CosineDecay::from_config(const Config& c) {
  const ConfigReader r(c, "CosineDecay");
  std::optional<double> target;
  if (r.has("warmup_target")) target = r.get_double("warmup_target", 0);
  return std::make_shared<CosineDecay>(r.get_double("initial_learning_rate", 0), r.require_int("decay_steps"),
                                       r.get_double("alpha", 0), target, r.get_int("warmup_steps", 0));
}

PolynomialDecay::PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps, double end_learning_rate,
                                 double power, bool cycle)
    : initial_(initial_learning_rate),
      end_(end_learning_rate),
      power_(power),
      decay_steps_(positive_steps(decay_steps, "PolynomialDecay")),
      cycle_(cycle) {}

double PolynomialDecay::operator()(std::int64_t step) const {
  double s = static_cast<double>(step), d = static_cast<double>(decay_steps_);
  if (cycle_) d *= s == 0 ? 1.0 : std::ceil(s / d);
  else s = std::min(s, d);
  return (initial_ - end_) * std::pow(1 - s / d, power_) + end_;
}

Config PolynomialDecay::get_config(KerasFormat f) const {
  return {{"initial_learning_rate", initial_}, {"decay_steps", decay_steps_}, {"end_learning_rate", end_},
          {"power", power_},                   {"cycle", cycle_},             {"name", name_of(*this, f)}};
}

std::shared_ptr<PolynomialDecay> PolynomialDecay::from_config(const Config& c) {
  const ConfigReader r(c, "PolynomialDecay");
  return std::make_shared<PolynomialDecay>(r.get_double("initial_learning_rate", 0), r.require_int("decay_steps"),
                                           r.get_double("end_learning_rate", 0.0001), r.get_double("power", 1.0),
                                           r.get_bool("cycle", false));
}

InverseTimeDecay::InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate, bool staircase)
    : initial_(initial_learning_rate),
      decay_rate_(decay_rate),
      decay_steps_(positive_steps(decay_steps, "InverseTimeDecay")),
      staircase_(staircase) {}

double InverseTimeDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_ / (1 + decay_rate_ * p);
}

Config InverseTimeDecay::get_config(KerasFormat f) const {
  return {{"initial_learning_rate", initial_}, {"decay_steps", decay_steps_}, {"decay_rate", decay_rate_},
          {"staircase", staircase_},           {"name", name_of(*this, f)}};
}

std::shared_ptr<InverseTimeDecay> InverseTimeDecay::from_config(const Config& c) {
  const ConfigReader r(c, "InverseTimeDecay");
  return std::make_shared<InverseTimeDecay>(r.get_double("initial_learning_rate", 0), r.require_int("decay_steps"),
                                            r.get_double("decay_rate", 0), r.get_bool("staircase", false));
}

std::shared_ptr<LearningRateSchedule> schedule_from_config(const Config& j, const std::string& where) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    fail<std::invalid_argument>(where, ": a learning-rate schedule must be a {class_name, config} object, got ", shorten(j.dump()));
  const Config cfg = j.contains("config") && j["config"].is_object() ? j["config"] : Config::object();
  return schedule_registry().create(j["class_name"].get<std::string>(), cfg, where);
}

void register_schedules(Registry<LearningRateSchedule>& reg) {
  const std::string m = "keras.optimizers.schedules";
  reg.add("ExponentialDecay", m, [](const Config& c) { return ExponentialDecay::from_config(c); });
  reg.add("PiecewiseConstantDecay", m, [](const Config& c) { return PiecewiseConstantDecay::from_config(c); });
  reg.add("CosineDecay", m, [](const Config& c) { return CosineDecay::from_config(c); });
  reg.add("PolynomialDecay", m, [](const Config& c) { return PolynomialDecay::from_config(c); });
  reg.add("InverseTimeDecay", m, [](const Config& c) { return InverseTimeDecay::from_config(c); });
}

}  // namespace tg::nn
