#pragma once
/// \file
/// Convolution kernels on channels-last (NHWC) tensors with Keras' kernel layouts, float32 and
/// float64: forward, input gradient and kernel gradient of a 2-D convolution and of a depthwise
/// one. No gradients are recorded here (ops/conv.cpp does that). Shapes are checked by the ops;
/// these only assert them.
///
/// conv2d runs on the packed GEMM (core/gemm.hpp) without an im2col buffer:
///   forward         Y[P, out] = patches(X)[P, K] * W[K, out]          P = n*oh*ow, K = kh*kw*c
///   kernel gradient dW[K, out] = patches(X)^T[K, P] * dY[P, out]
///   input gradient  dX = col2im(dY[P, out] * W^T[out, K])
/// The patch matrix is never stored: the GEMM asks for each block of it and a gather routine
/// writes the block straight into its packing buffer (core::PackedA), a rows-layout block for the
/// forward and a k-major block for the kernel gradient, which then run on the GEMM's micro-kernels
/// (6x4 tiles on AVX-512 for 64 or more output channels). The input gradient is the one place
/// with a column buffer: it multiplies a tile of at most 168 output pixels at a time into a
/// reused per-thread buffer (<= 256 KB of float32) and adds it into dX (col2im), image by image,
/// so no thread ever writes another's image.
/// A fused relu's mask and the bias gradient can ride inside the kernel-gradient product
/// (conv2d_backward_kernel_fused): dY is masked as the GEMM packs it (core::PackedB) and the bias
/// gradient is the row a column of ones adds to the patches.
/// Results do not depend on the thread count: the kernel gradient sums over images in a fixed
/// number of groups (set by the problem size alone) and adds the groups in order.
#include <cstdint>

#include "core/tensor.hpp"
#include "core/window2d.hpp"

namespace tg::core {

// [n, h, w, c] x [kh, kw, c, out] (+ [out]) -> [n, oh, ow, out]; relu fused into the store.
// bias may be undefined.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Window2D& g, bool relu = false);
// dy [n, oh, ow, out], kernel [kh, kw, c, out] -> dx [n, h, w, c]
Tensor conv2d_backward_input(const Tensor& dy, const Tensor& kernel, const Window2D& g);
// x [n, h, w, c], dy [n, oh, ow, out] -> dkernel [kh, kw, c, out]
Tensor conv2d_backward_kernel(const Tensor& x, const Tensor& dy, const Window2D& g);

// The kernel gradient (and, with `bias`, the bias gradient) of a convolution whose output went
// through a fused relu (y defined: dy is masked by y > 0), without storing the masked dy: the
// mask is applied as the GEMM packs dy, and the bias gradient is the product's row for a column
// of ones appended to the patches.
void conv2d_backward_kernel_fused(const Tensor& x, const Tensor& dy, const Tensor& y, bool bias, const Window2D& g,
                                  Tensor& dkernel, Tensor& dbias);

// The gradient at a convolution's pre-activation from the gradient at its output, rows of c
// channels: gz = gy where y > 0 when y is defined (a fused relu; else gz = gy itself), and with
// `bias` db[c] = the sum of gz over all other axes (db undefined without). One pass.
void conv2d_output_grad(const Tensor& gy, const Tensor& y, bool bias, Tensor& gz, Tensor& db);

// Depthwise, multiplier m: [n, h, w, c] x [kh, kw, c, m] (+ [c*m]) -> [n, oh, ow, c*m], output
// channel ci*m + j from input channel ci. Direct kernels (core/kernels/window.hpp), vectors over
// channels.
Tensor depthwise_conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Window2D& g);
// dy [n, oh, ow, c*m], kernel [kh, kw, c, m] -> dx [n, h, w, c]
Tensor depthwise_conv2d_backward_input(const Tensor& dy, const Tensor& kernel, const Window2D& g);
// x [n, h, w, c], dy [n, oh, ow, c*m] -> dkernel [kh, kw, c, m]
Tensor depthwise_conv2d_backward_kernel(const Tensor& x, const Tensor& dy, const Window2D& g, std::int64_t m);

}  // namespace tg::core
