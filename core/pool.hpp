#pragma once
/// \file
/// 2-D pooling kernels on channels-last (NHWC) tensors, float32 and float64: windows over
/// [n, h, w, c] whose taps in the padding are left out (core/window2d.hpp). Vectorised over
/// channels (core/kernels/window.hpp); no gradients recorded here (ops/pooling.cpp does that).
#include <cstdint>
#include <memory>

#include "core/tensor.hpp"
#include "core/window2d.hpp"

namespace tg::core {

// [n, h, w, c] -> [n, oh, ow, c]: the maximum over each window's taps inside the input.
Tensor max_pool2d(const Tensor& x, const Window2D& g);
// Which tap of its window each output element of max_pool2d came from (one byte per element of
// y; the taps inside the input, in window order): saved by the forward pass, it spares the
// backward pass a second read of x, 4x larger than y for 2x2 windows.
using PoolArgmax = std::shared_ptr<const std::uint8_t>;
// max_pool2d that also returns the argmax (null when a window has more than 255 taps).
Tensor max_pool2d(const Tensor& x, const Window2D& g, PoolArgmax& argmax);
// x [n, h, w, c], dy [n, oh, ow, c] -> dx [n, h, w, c]: each dy element goes to the first tap
// holding its window's maximum (TensorFlow's MaxPoolGrad), summed where windows overlap.
Tensor max_pool2d_backward(const Tensor& x, const Tensor& dy, const Window2D& g);
// The same from the argmax of max_pool2d(x, g, argmax); dtype is x's.
Tensor max_pool2d_backward(const PoolArgmax& argmax, const Tensor& dy, const Window2D& g);
// x [n, h, w, c], d [n, h, w, c] -> [n, oh, ow, c]: d at the tap max_pool2d picked, the adjoint
// of max_pool2d_backward in dy (its gradient).
Tensor max_pool2d_gather(const Tensor& x, const Tensor& d, const Window2D& g);
// [n, h, w, c] -> [n, oh, ow, c]: the mean over each window's taps inside the input (padding
// is not counted, as TensorFlow's AvgPool).
Tensor avg_pool2d(const Tensor& x, const Window2D& g);
// dy [n, oh, ow, c] -> dx [n, h, w, c]: each dy element spread evenly over its window's taps.
Tensor avg_pool2d_backward(const Tensor& dy, const Window2D& g);

}  // namespace tg::core
