#pragma once
/// \file
/// Gradient checking: compares tape gradients with central differences computed in float64.
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

struct GradCheckResult {
  bool passed = true;
  double max_abs_error = 0;  // over every element of every input
  double max_rel_error = 0;
  // The worst element: which input, its flat index, and both derivatives there.
  std::size_t worst_input = 0;
  std::int64_t worst_index = -1;
  double analytic = 0, numeric = 0;
  std::string message;  // a readable report of the worst element
};

/// f maps the inputs to a tensor; a non-scalar result is summed. Inputs are converted to float64
/// copies; each element is perturbed by ±eps. An element passes when
/// |analytic - numeric| <= atol + rtol * |numeric|.
GradCheckResult check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                const std::vector<Tensor>& inputs, double eps = 1e-6, double atol = 1e-6,
                                double rtol = 1e-5);

}  // namespace tg
