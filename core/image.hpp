#pragma once
/// \file
/// Spatial layout kernels on channels-last [n, h, w, c] tensors: zero padding and cropping,
/// nearest-neighbour upsampling and its block sum, bilinear resizing and its transpose. No
/// gradients here (ops/image.cpp records them).
#include <cstdint>

#include "core/tensor.hpp"

namespace tg::core {

// [n, h, w, c] -> [n, top + h + bottom, left + w + right, c], zeros around.
Tensor pad2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right);
// [n, h, w, c] -> [n, h - top - bottom, w - left - right, c]
Tensor crop2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right);
// [n, h, w, c] -> [n, h * sh, w * sw, c]: y[i, j] = x[i / sh, j / sw]
Tensor upsample_nearest2d(const Tensor& x, std::int64_t sh, std::int64_t sw);
// [n, h * sh, w * sw, c] -> [n, h, w, c]: the sum over each sh x sw block (upsampling's transpose)
Tensor block_sum2d(const Tensor& y, std::int64_t sh, std::int64_t sw);
// [n, h, w, c] -> [n, oh, ow, c]: TensorFlow's bilinear resize with half-pixel centres and no
// antialiasing (tf.image.resize, ResizeBilinear with half_pixel_centers=true).
Tensor resize_bilinear(const Tensor& x, std::int64_t oh, std::int64_t ow);
// dy [n, oh, ow, c] -> dx [n, h, w, c]: the transpose of resize_bilinear (its gradient).
Tensor resize_bilinear_backward(const Tensor& dy, std::int64_t h, std::int64_t w);

}  // namespace tg::core
