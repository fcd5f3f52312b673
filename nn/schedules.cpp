#include "nn/schedules.hpp"

#include <cmath>
#include <stdexcept>

namespace tg::nn {

ExponentialDecay::ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_learning_rate_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {
  if (decay_steps <= 0)
    throw std::invalid_argument("ExponentialDecay: decay_steps must be positive, got " + std::to_string(decay_steps));
}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_learning_rate_ * std::pow(decay_rate_, p);
}

std::map<std::string, double> ExponentialDecay::config() const {
  return {{"initial_learning_rate", initial_learning_rate_},
          {"decay_steps", static_cast<double>(decay_steps_)},
          {"decay_rate", decay_rate_},
          {"staircase", staircase_ ? 1.0 : 0.0}};
}

}  // namespace tg::nn
