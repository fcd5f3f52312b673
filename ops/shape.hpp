#pragma once
/// \file
/// Differentiable shape and layout ops. (Slicing, gather and pad are in ops/indexing.hpp.)
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "ops/indexing.hpp"  // slice

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
/// Rows [begin, end) of the first axis as a view sharing x's storage (slice on axis 0, no copy).
Tensor slice_rows(const Tensor& x, std::int64_t begin, std::int64_t end);
/// [N, ...] rows picked by int32/int64 indices [K] -> [K, ...] (for batching).
Tensor gather_rows(const Tensor& x, const Tensor& indices);
/// Joins tensors of one shape and dtype along a new axis in [-(rank+1), rank]:
/// n x [d0, d1] -> [n, d0, d1] (axis 0), [d0, n, d1] (axis 1), ...
Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis = 0);
/// Splits along `axis` into `num` equal parts (num must divide the axis length), as tf.split.
std::vector<Tensor> split(const Tensor& x, std::int64_t num, std::int64_t axis = 0);
/// Splits along `axis` into parts of the given sizes (one may be -1: what the others leave).
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, std::int64_t axis = 0);
/// `split(x, {3})` is one part of size 3, not three parts.
inline std::vector<Tensor> split(const Tensor& x, std::initializer_list<std::int64_t> sizes, std::int64_t axis = 0) {
  return split(x, std::vector<std::int64_t>(sizes), axis);
}
/// Drops axes of length 1: all of them (no axes given), or the given ones, each of which must have
/// length 1. A view, like reshape.
Tensor squeeze(const Tensor& x, const std::vector<std::int64_t>& axes = {});
/// Inserts an axis of length 1 at `axis` in [-(rank+1), rank] (-1 appends). A view.
Tensor expand_dims(const Tensor& x, std::int64_t axis);
/// Repeats x multiples[d] times along each axis d, as tf.tile (one multiple >= 0 per axis).
/// [d0, d1] -> [d0 m0, d1 m1]
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& multiples);
/// An independent copy; the gradient passes through unchanged.
Tensor clone(const Tensor& x);
/// x converted to `dtype`; between float dtypes the gradient is cast back to x's dtype, as
/// tf.cast does. Casting to or from an integer dtype is not differentiable (no gradient flows).
Tensor cast(const Tensor& x, DType dtype);

}  // namespace tg
