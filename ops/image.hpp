#pragma once
/// \file
/// Differentiable spatial ops on channels-last [N, H, W, C] tensors, as Keras' ZeroPadding2D,
/// Cropping2D, UpSampling2D (nearest) and Resizing (bilinear) compute them.
#include <array>
#include <cstdint>

#include "core/tensor.hpp"

namespace tg {

/// ((top, bottom), (left, right)), Keras' ZeroPadding2D / Cropping2D form.
using Padding2D = std::array<std::array<std::int64_t, 2>, 2>;

// [N, H, W, C] -> [N, top + H + bottom, left + W + right, C]; gradient: the crop.
Tensor zero_padding2d(const Tensor& x, const Padding2D& padding = {{{1, 1}, {1, 1}}});
// [N, H, W, C] -> [N, H - top - bottom, W - left - right, C]; gradient: zero padding.
Tensor cropping2d(const Tensor& x, const Padding2D& cropping);
/// Nearest neighbour: each pixel repeated size[0] x size[1] times. Gradient: the block sums.
// [N, H, W, C] -> [N, H * size[0], W * size[1], C]
Tensor upsampling2d(const Tensor& x, const std::array<std::int64_t, 2>& size = {2, 2});
/// tf.image.resize(x, (height, width), "bilinear") as Keras' Resizing layer calls it: half-pixel
/// centres (source = (dst + 0.5) * in / out - 0.5, clamped to the image), no antialiasing, the
/// interpolation weights computed in the tensor's dtype (float for float32, as TensorFlow).
// [N, H, W, C] -> [N, height, width, C]
Tensor resize_bilinear(const Tensor& x, std::int64_t height, std::int64_t width);

}  // namespace tg
