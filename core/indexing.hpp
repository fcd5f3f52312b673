#pragma once
/// \file
/// Indexing kernels that copy: a strided slice over every axis and its scatter (the adjoint, which
/// also pads), gather along any axis with indices of any shape and its scatter-add, one-hot.
/// They know nothing of gradients; the differentiable versions are in ops/indexing.hpp.
#include <cstdint>
#include <span>

#include "core/tensor.hpp"

namespace tg::core {

/// One axis of a strided slice: `count` elements at start, start + step, ... (step may be negative).
struct AxisSlice {
  std::int64_t start = 0;
  std::int64_t step = 1;
  std::int64_t count = 0;
};

/// The whole of an axis of length n.
inline AxisSlice full_axis(std::int64_t n) { return {0, 1, n}; }

/// out[i0, i1, ..] = x[s0.start + i0 s0.step, s1.start + i1 s1.step, ..], one AxisSlice per axis,
/// each inside its axis. x -> [s0.count, s1.count, ..]
Tensor strided_slice(const Tensor& x, std::span<const AxisSlice> spec);
/// The adjoint of strided_slice: a tensor of `shape` filled with `fill`, with `src` written where
/// strided_slice(·, spec) reads. With fill = 0 it is the slice's gradient; with step 1 it pads.
/// src [s0.count, ..] -> shape
Tensor strided_scatter(const Tensor& src, const Shape& shape, std::span<const AxisSlice> spec, double fill = 0);

/// tf.gather: x [A.., n, B..] and int32/int64 `indices` [I..] with values in [0, n) -> [A.., I.., B..].
Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis);
/// The adjoint of gather: zeros of `shape` with the slices of `src` added at their indices (a
/// repeated index adds up). src [A.., I.., B..] -> shape [A.., n, B..]
Tensor scatter_add(const Tensor& src, const Tensor& indices, std::int64_t axis, const Shape& shape);

/// indices [I..] -> [I.., depth] of `dtype`: on_value at each index, off_value elsewhere. An index
/// outside [0, depth) gives a row of off_value, as tf.one_hot.
Tensor one_hot(const Tensor& indices, std::int64_t depth, double on_value, double off_value, DType dtype);

}  // namespace tg::core
