#pragma once
/// \file
/// Reductions over any set of axes. An empty axis list reduces over every axis (Keras' axis=None).
/// Results do not depend on the thread count: each output is reduced by one fixed order.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace tg::core {

enum class ReduceOp { sum, mean, max, min, prod };

// [.., d_axis, ..] -> [.., 1 or dropped, ..]
Tensor reduce(ReduceOp op, const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
inline Tensor sum(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdims = false) {
  return reduce(ReduceOp::sum, t, axes, keepdims);
}
inline Tensor mean(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdims = false) {
  return reduce(ReduceOp::mean, t, axes, keepdims);
}
inline Tensor max(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdims = false) {
  return reduce(ReduceOp::max, t, axes, keepdims);
}
inline Tensor min(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdims = false) {
  return reduce(ReduceOp::min, t, axes, keepdims);
}
inline Tensor prod(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdims = false) {
  return reduce(ReduceOp::prod, t, axes, keepdims);
}
/// For each element, the product of the other elements of its slice over `axes` (the gradient of
/// prod), exact with zeros: prefix times suffix products, never a division. x -> x.shape.
Tensor prod_of_others(const Tensor& t, const std::vector<std::int64_t>& axes = {});
/// Index of the largest element along `axis` (first one on ties; a NaN counts as largest), int64.
Tensor argmax(const Tensor& t, std::int64_t axis = -1, bool keepdims = false);

/// Sums `grad` over the broadcast dimensions so it takes `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& grad, const Shape& shape);

/// Normalised, sorted, unique axes; empty input means all axes. Throws naming `op`.
std::vector<int> normalize_axes(const std::vector<std::int64_t>& axes, int rank, const char* op);

}  // namespace tg::core
