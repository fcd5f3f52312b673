#pragma once
// Shared by op files: the shorthand for recording an op and returning its input gradients.
#include <vector>

#include "autograd/tape.hpp"

namespace tg::ops::detail {

using Grads = std::vector<Tensor>;
inline bool needs(std::uint32_t mask, int i) { return (mask >> i & 1u) != 0; }

}  // namespace tg::ops::detail
