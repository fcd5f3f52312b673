#pragma once
/// \file
/// Cross-entropies as Keras computes them.
///
/// From logits (the stable way to train): the fused ops go through log-sum-exp, so logits of any
/// magnitude give a finite loss, and their gradient is (softmax(logits) - labels) / N in one pass.
/// Taking log(softmax(x)) instead underflows to log(0) = -inf as soon as one logit exceeds another
/// by ~100 in float32.
///
/// From probabilities (Keras' from_logits=false): categorical_crossentropy renormalises the rows
/// to sum to 1, clips to [1e-7, 1 - 1e-7] and takes -sum(y_true * log(p));
/// sparse_categorical_crossentropy clips, takes the log and applies the sparse softmax
/// cross-entropy (Keras 3's TensorFlow backend). These functions compute on exactly the tensor
/// they are given, like tf.keras.backend's; the Keras losses of nn/losses.hpp are the ones that
/// swap a softmax or sigmoid activation's output for its logits, as Keras does.
///
/// Every argument is differentiable, the labels included (distillation, learned soft labels):
/// the gradient of the fused softmax cross-entropy with respect to the labels is -log_softmax.
#include "core/tensor.hpp"

namespace tg {

/// How per-example losses become the result: Keras' default is the mean over the batch.
enum class Reduction { none, sum, mean };

/// Keras' backend epsilon.
inline constexpr double keras_epsilon = 1e-7;

// labels [N, C] (rows summing to 1), logits [N, C] -> scalar (or [N] with Reduction::none)
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, Reduction r = Reduction::mean);
// labels [N] int32/int64 (or integral floats) in [0, C), logits [N, C] -> scalar (or [N])
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                                Reduction r = Reduction::mean);
// labels, logits [N, ...] -> elementwise max(x, 0) - x z + log(1 + exp(-|x|)) (stable)
Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);

// y_true [N, C] one-hot, y_pred [N, C] -> scalar (or [N])
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                Reduction r = Reduction::mean);
// y_true [N] (or [N, 1]) integer labels, y_pred [N, C] -> scalar (or [N])
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                       Reduction r = Reduction::mean);
// y_true, y_pred [N, ...] -> mean over the last axis per example, then the reduction
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           Reduction r = Reduction::mean);
// y_true, y_pred [N, ...] -> mean over the last axis per example, then the reduction
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred, Reduction r = Reduction::mean);

/// Applies a Reduction to per-example losses [N].
Tensor reduce_loss(const Tensor& per_example, Reduction r);

}  // namespace tg
