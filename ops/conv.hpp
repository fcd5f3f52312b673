#pragma once
/// \file
/// Differentiable convolutions on channels-last (NHWC) tensors with Keras' kernel layouts and
/// TensorFlow's padding, float32 and float64. Every op is differentiable in its input, kernel and
/// bias to any order: the gradients are themselves recorded convolutions (the input gradient of a
/// convolution is a transposed convolution, its kernel gradient a convolution of input and dy).
///
/// Padding "same" follows TensorFlow: output = ceil(input / stride), total padding
/// max((output - 1) * stride + dilated_kernel - input, 0), the odd pixel at the bottom/right.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/tensor.hpp"

namespace tg {

/// Keras' Conv2D arguments (`padding` "valid" or "same", any case).
struct Conv2DOptions {
  std::array<std::int64_t, 2> strides{1, 1};
  std::string padding = "valid";
  std::array<std::int64_t, 2> dilation_rate{1, 1};
};

/// Keras' DepthwiseConv2D takes the same arguments.
using DepthwiseConv2DOptions = Conv2DOptions;

/// Keras' Conv1D arguments (`padding` "valid", "same" or "causal": causal pads only the start
/// with dilation * (kernel - 1) steps).
struct Conv1DOptions {
  std::int64_t strides = 1;
  std::string padding = "valid";
  std::int64_t dilation_rate = 1;
};

/// Keras' Conv2DTranspose arguments. Without output_padding the output size is Keras'
/// deconv_output_length rule: "valid" in * stride + max(kernel - stride, 0), "same" in * stride
/// (kernel dilated). With it: (in - 1) * stride + kernel - 2 * pad + output_padding, pad =
/// kernel / 2 for "same" and 0 for "valid"; output_padding must be below the stride.
struct Conv2DTransposeOptions {
  std::array<std::int64_t, 2> strides{1, 1};
  std::string padding = "valid";
  std::array<std::int64_t, 2> dilation_rate{1, 1};
  std::optional<std::array<std::int64_t, 2>> output_padding{};
};

/// Keras' Conv2D computation, with relu fused into the same pass when asked.
// [N, H, W, in] x [kh, kw, in, out] (+ [out]) -> [N, OH, OW, out]; bias may be undefined.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias = Tensor(), const Conv2DOptions& options = {},
              bool relu = false);

/// Keras' DepthwiseConv2D: output channel c * m + j is input channel c convolved with kernel[.., c, j].
// [N, H, W, in] x [kh, kw, in, m] (+ [in * m]) -> [N, OH, OW, in * m]
Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias = Tensor(),
                        const DepthwiseConv2DOptions& options = {});

/// Keras' Conv1D (a conv2d over a height of 1).
// [N, L, in] x [k, in, out] (+ [out]) -> [N, OL, out]
Tensor conv1d(const Tensor& x, const Tensor& kernel, const Tensor& bias = Tensor(), const Conv1DOptions& options = {},
              bool relu = false);

/// Keras' Conv2DTranspose: the gradient of a conv2d with respect to its input, whose forward
/// input is the output here.
// [N, H, W, in] x [kh, kw, out, in] (+ [out]) -> [N, OH, OW, out]
Tensor conv2d_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias = Tensor(),
                        const Conv2DTransposeOptions& options = {});

namespace ops::detail {
/// TensorFlow's output size and padding before, for one spatial axis of a window op; throws
/// naming `op` for an unknown padding or a window that does not fit ("valid" on a small input).
struct AxisPadding {
  std::int64_t out = 0, before = 0;
};
AxisPadding tf_padding(const char* op, const std::string& padding, std::int64_t in, std::int64_t kernel,
                       std::int64_t stride, std::int64_t dilation);
}  // namespace ops::detail

}  // namespace tg
