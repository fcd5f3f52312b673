#pragma once
/// \file
/// Differentiable reductions and the broadcast pair (broadcast_to, sum_to). An empty axis list
/// means every axis.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

// [.., d_axis, ..] -> [.., 1 or dropped, ..]
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// Gradient flows to the maximal elements (split evenly on ties, as TensorFlow does).
Tensor reduce_max(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// Index of the largest element along `axis` as int64 (not differentiable; first index on ties).
Tensor argmax(const Tensor& x, std::int64_t axis = -1, bool keepdims = false);
/// x -> shape (NumPy broadcasting); its gradient is sum_to.
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Sums over broadcast dimensions so that x takes `shape`; its gradient is broadcast_to.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tg
