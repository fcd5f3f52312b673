#pragma once
/// \file
/// Learning-rate schedules, as keras.optimizers.schedules: a function of the optimizer's
/// `iterations` (the number of updates applied before the current one), each describing itself
/// (name = Keras class name, get_config, from_config). Evaluated in double; Keras evaluates in the
/// rate's dtype (float32 by default).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/config.hpp"

namespace tg::nn {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate for the update that follows `step` completed updates.
  virtual double operator()(std::int64_t step) const = 0;
  /// The Keras class name ("ExponentialDecay").
  virtual std::string class_name() const = 0;
  /// Keras' get_config() for the schedule.
  virtual Config get_config(KerasFormat format) const = 0;
};

/// initial_learning_rate * decay_rate ^ (step / decay_steps); the exponent is floored when
/// `staircase`.
class ExponentialDecay : public LearningRateSchedule {
 public:
  /// Throws std::invalid_argument unless decay_steps > 0.
  ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                   bool staircase = false);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<ExponentialDecay> from_config(const Config& c);

  double initial_learning_rate() const { return initial_learning_rate_; }
  std::int64_t decay_steps() const { return decay_steps_; }
  double decay_rate() const { return decay_rate_; }
  bool staircase() const { return staircase_; }

 private:
  double initial_learning_rate_;
  std::int64_t decay_steps_;
  double decay_rate_;
  bool staircase_;
};

/// values[0] while step <= boundaries[0], values[i] while step <= boundaries[i], then the last.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  /// Throws unless values has one more entry than boundaries, which must increase.
  PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<PiecewiseConstantDecay> from_config(const Config& c);

 private:
  std::vector<double> boundaries_, values_;
};

/// Cosine decay to alpha * the rate over decay_steps, after an optional linear warmup from
/// initial_learning_rate to warmup_target over warmup_steps (Keras 3's CosineDecay).
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, std::int64_t decay_steps, double alpha = 0.0,
              std::optional<double> warmup_target = std::nullopt, std::int64_t warmup_steps = 0);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<CosineDecay> from_config(const Config& c);

 private:
  double initial_, alpha_;
  std::int64_t decay_steps_, warmup_steps_;
  std::optional<double> warmup_target_;
};

/// (initial - end) * (1 - step / decay_steps)^power + end, with step capped at decay_steps (or,
/// with `cycle`, decay_steps stretched to the next multiple above step).
class PolynomialDecay : public LearningRateSchedule {
 public:
  PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps, double end_learning_rate = 0.0001,
                  double power = 1.0, bool cycle = false);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "PolynomialDecay"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<PolynomialDecay> from_config(const Config& c);

 private:
  double initial_, end_, power_;
  std::int64_t decay_steps_;
  bool cycle_;
};

/// initial / (1 + decay_rate * step / decay_steps), the quotient floored when `staircase`.
class InverseTimeDecay : public LearningRateSchedule {
 public:
  InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate, bool staircase = false);
  double operator()(std::int64_t step) const override;
  std::string class_name() const override { return "InverseTimeDecay"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<InverseTimeDecay> from_config(const Config& c);

 private:
  double initial_, decay_rate_;
  std::int64_t decay_steps_;
  bool staircase_;
};

/// A schedule from {"class_name", "config"}; throws naming the known schedules.
std::shared_ptr<LearningRateSchedule> schedule_from_config(const Config& identifier, const std::string& where);
template <class T>
class Registry;
void register_schedules(Registry<LearningRateSchedule>& registry);

}  // namespace tg::nn
