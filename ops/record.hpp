#pragma once
// Shared by op files: the shorthand for recording an op and returning its input gradients.
#include <vector>

#include "autograd/tape.hpp"

namespace tg::ops::detail {

using Grads = std::vector<Tensor>;
using autograd::Needs;
inline bool needs(const Needs& mask, std::size_t i) { return mask[i]; }

}  // namespace tg::ops::detail
