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
/// Gradient flows to the minimal elements (split evenly on ties).
Tensor reduce_min(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// The product; its gradient is exact with zeros (the product of the other elements, never a
/// division by x).
Tensor prod(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// The variance, sum((x - mean)^2) / (N - ddof) over N elements: ddof = 0 is Keras' and NumPy's
/// default, ddof = 1 the unbiased estimate (PyTorch's default, its `correction`). N <= ddof
/// divides by 0, as NumPy does.
Tensor var(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false, std::int64_t ddof = 0);
/// sqrt(var(x, axes, keepdims, ddof)); the gradient of a zero standard deviation is 0, as PyTorch.
Tensor std(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false, std::int64_t ddof = 0);
/// log(sum(exp(x))) with the maximum taken out first: finite for any finite x, -inf for a slice of
/// -inf, +inf when one element is +inf. Its gradient is softmax(x) over the slice.
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
/// Index of the largest element along `axis` as int64 (not differentiable; first index on ties).
Tensor argmax(const Tensor& x, std::int64_t axis = -1, bool keepdims = false);
/// x -> shape (NumPy broadcasting); its gradient is sum_to.
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Sums over broadcast dimensions so that x takes `shape`; its gradient is broadcast_to.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace tg
