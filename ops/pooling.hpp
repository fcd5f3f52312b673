#pragma once
/// \file
/// Differentiable pooling on channels-last tensors, as Keras' pooling layers compute it
/// (TensorFlow's padding: see ops/conv.hpp). Windows leave out taps in the padding: a max never
/// sees them and an average divides by the taps inside, as TensorFlow's AvgPool does. The
/// gradient of a max pool goes to the first tap holding the maximum (TensorFlow's MaxPoolGrad);
/// global max pooling is Keras' reduce_max, whose gradient splits evenly between ties.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/tensor.hpp"

namespace tg {

/// Keras' MaxPooling2D / AveragePooling2D arguments; no strides means strides = pool_size.
struct Pool2DOptions {
  std::array<std::int64_t, 2> pool_size{2, 2};
  std::optional<std::array<std::int64_t, 2>> strides{};
  std::string padding = "valid";
};

/// Keras' MaxPooling1D / AveragePooling1D arguments; no strides means strides = pool_size.
struct Pool1DOptions {
  std::int64_t pool_size = 2;
  std::optional<std::int64_t> strides{};
  std::string padding = "valid";
};

// [N, H, W, C] -> [N, OH, OW, C]
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options = {});
Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options = {});
// [N, L, C] -> [N, OL, C]
Tensor max_pool1d(const Tensor& x, const Pool1DOptions& options = {});
Tensor avg_pool1d(const Tensor& x, const Pool1DOptions& options = {});

// [N, H, W, C] -> [N, C] (or [N, 1, 1, C] with keepdims)
Tensor global_average_pooling2d(const Tensor& x, bool keepdims = false);
Tensor global_max_pooling2d(const Tensor& x, bool keepdims = false);
// [N, L, C] -> [N, C] (or [N, 1, C] with keepdims)
Tensor global_average_pooling1d(const Tensor& x, bool keepdims = false);
Tensor global_max_pooling1d(const Tensor& x, bool keepdims = false);

}  // namespace tg
