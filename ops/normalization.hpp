#pragma once
/// \file
/// Batch normalization as Keras' BatchNormalization computes it, over any channel axis (last by
/// default), float32 and float64.
///
/// Training mode normalises with the batch statistics: mean and biased variance (the mean of
/// squared deviations, as Keras 3's ops.moments) over every axis but `axis`, and returns them so
/// the layer can update its moving averages with moving_average_update(). The moving variance
/// Keras 3 keeps is updated with that same biased batch variance
/// (keras/src/layers/normalization/batch_normalization.py, call(): moving_variance * momentum +
/// variance * (1 - momentum) with variance from _moments() = ops.moments). tf.keras 2.x differs:
/// its fused path (the default for 4-D channels-last inputs) hands fused_batch_norm the
/// exponential_avg_factor, and that kernel updates the moving variance with the unbiased (Bessel
/// corrected, n / (n - 1)) batch variance; a layer reproducing tf.keras 2 scales `variance` by
/// count / (count - 1) before the update.
///
/// Inference mode uses the given moving statistics. Both compute
/// y = x * (gamma / sqrt(var + epsilon)) + (beta - mean * gamma / sqrt(var + epsilon)), the order
/// of TensorFlow's tf.nn.batch_normalization. An undefined gamma means 1 (Keras' scale=False),
/// an undefined beta 0 (center=False).
#include <cstdint>

#include "core/tensor.hpp"

namespace tg {

struct BatchNormOptions {
  std::int64_t axis = -1;
  double epsilon = 1e-3;
};

/// The output of training-mode batch normalization and the batch statistics it used
/// (not differentiable: the layer feeds them to the moving averages only).
struct BatchNormTraining {
  Tensor y;
  Tensor mean;      // [C]
  Tensor variance;  // [C], biased
  std::int64_t count = 0;  // elements per channel the statistics were taken over
};

/// Differentiable in x, gamma and beta; the backward pass is fused (one pass for the sums, one
/// for dx) unless an outer tape records it, which gets the same rule in differentiable ops.
// x [.., C, ..] with gamma, beta [C] -> y like x
BatchNormTraining batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      const BatchNormOptions& options = {});

/// Differentiable in every input.
// x [.., C, ..] with moving_mean, moving_variance, gamma, beta [C] -> y like x
Tensor batch_norm_inference(const Tensor& x, const Tensor& moving_mean, const Tensor& moving_variance,
                            const Tensor& gamma, const Tensor& beta, const BatchNormOptions& options = {});

/// Keras' moving-average update, moving * momentum + value * (1 - momentum), in that order and in
/// the moving value's dtype. Not recorded (Keras assigns it to a non-trainable variable).
Tensor moving_average_update(const Tensor& moving, const Tensor& value, double momentum = 0.99);

}  // namespace tg
