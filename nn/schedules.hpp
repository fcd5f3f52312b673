#pragma once
/// \file
/// Learning-rate schedules, as keras.optimizers.schedules: a function of the optimizer's
/// `iterations` (the number of updates applied before the current one).
#include <cstdint>
#include <map>
#include <string>

namespace tg::nn {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate for the update that follows `step` completed updates.
  virtual double operator()(std::int64_t step) const = 0;
  /// The Keras class name ("ExponentialDecay").
  virtual std::string name() const = 0;
  /// The constructor arguments as Keras' get_config() numbers (booleans as 0 or 1).
  virtual std::map<std::string, double> config() const = 0;
};

/// initial_learning_rate * decay_rate ^ (step / decay_steps); the exponent is floored when
/// `staircase`. Evaluated in double (Keras evaluates in the rate's dtype, float32 by default).
class ExponentialDecay : public LearningRateSchedule {
 public:
  /// Throws std::invalid_argument unless decay_steps > 0.
  ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                   bool staircase = false);
  double operator()(std::int64_t step) const override;
  std::string name() const override { return "ExponentialDecay"; }
  std::map<std::string, double> config() const override;

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

}  // namespace tg::nn
