#pragma once
/// \file
/// 2-D pooling kernels on channels-last (NHWC) tensors, float32 and float64: windows over
/// [n, h, w, c] whose taps in the padding are left out (core/window2d.hpp). Vectorised over
/// channels (core/kernels/window.hpp); no gradients recorded here (ops/pooling.cpp does that).
#include "core/tensor.hpp"
#include "core/window2d.hpp"

namespace tg::core {

// [n, h, w, c] -> [n, oh, ow, c]: the maximum over each window's taps inside the input.
Tensor max_pool2d(const Tensor& x, const Window2D& g);
// x [n, h, w, c], dy [n, oh, ow, c] -> dx [n, h, w, c]: each dy element goes to the first tap
// holding its window's maximum (TensorFlow's MaxPoolGrad), summed where windows overlap.
Tensor max_pool2d_backward(const Tensor& x, const Tensor& dy, const Window2D& g);
// x [n, h, w, c], d [n, h, w, c] -> [n, oh, ow, c]: d at the tap max_pool2d picked, the adjoint
// of max_pool2d_backward in dy (its gradient).
Tensor max_pool2d_gather(const Tensor& x, const Tensor& d, const Window2D& g);
// [n, h, w, c] -> [n, oh, ow, c]: the mean over each window's taps inside the input (padding
// is not counted, as TensorFlow's AvgPool).
Tensor avg_pool2d(const Tensor& x, const Window2D& g);
// dy [n, oh, ow, c] -> dx [n, h, w, c]: each dy element spread evenly over its window's taps.
Tensor avg_pool2d_backward(const Tensor& dy, const Window2D& g);

}  // namespace tg::core
