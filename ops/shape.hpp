#pragma once
/// \file
/// Differentiable shape and layout ops.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

/// A view with a new shape (one entry may be -1).
Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& shape);
/// [N, d1, d2, ...] -> [N, d1*d2*...], as Keras' Flatten.
Tensor flatten(const Tensor& x);
/// Reverses the axes, or applies `perm` (out.shape[i] = x.shape[perm[i]]).
Tensor transpose(const Tensor& x);
Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm);
/// Joins along `axis`.
Tensor concat(const std::vector<Tensor>& xs, std::int64_t axis);
/// Elements [begin, end) along `axis`.
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t begin, std::int64_t end);
/// Rows [begin, end) of the first axis as a view sharing x's storage (slice on axis 0, no copy).
Tensor slice_rows(const Tensor& x, std::int64_t begin, std::int64_t end);
/// [N, ...] rows picked by int32/int64 indices [K] -> [K, ...] (for batching).
Tensor gather_rows(const Tensor& x, const Tensor& indices);
/// An independent copy; the gradient passes through unchanged.
Tensor clone(const Tensor& x);
/// x converted to `dtype`; between float dtypes the gradient is cast back to x's dtype, as
/// tf.cast does. Casting to or from an integer dtype is not differentiable (no gradient flows).
Tensor cast(const Tensor& x, DType dtype);

}  // namespace tg
