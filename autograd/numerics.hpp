#pragma once
/// \file
/// check_numerics: TensorFlow's tf.debugging.enable_check_numerics and PyTorch's anomaly detection.
///
///     tg::enable_check_numerics();
///     tg::Tensor y = tg::log(x);    // x holds -1: throws NumericsError naming 'log', x's shape and dtype,
///                                   // and the ops that made x
///
/// While enabled, every op that goes through autograd::record (every differentiable op of ops/,
/// with or without a tape) checks its output, and GradientTape::gradient checks every gradient a
/// backward rule returns (ops run inside a backward rule are checked as they run). The first NaN or
/// Inf throws a NumericsError that names the op, the shapes and dtypes of its inputs, which inputs
/// already held a non-finite value, and the chain of ops that produced each input. core:: kernels
/// called directly (optimizer updates) are not checked themselves; a value they spoil is caught at
/// the next op that reads it, which names it as an input that already held NaN or Inf.
///
/// Disabled (the default) it costs one relaxed atomic load per op (callgrind: +0.02% instructions on
/// a training step, +0.1% on a chain of scalar ops). Enabled, each op scans its output
/// once and keeps a small record of how the output was made (freed with the tensor; chains are cut
/// after 32 ops): callgrind counts 1.12x the instructions of a training step of the Fashion-MNIST
/// MLP at batch 32, 1.37x on a chain of scalar ops (bench/bench_check_numerics.cpp).
/// The switch is process-wide, as TensorFlow's.
#include <stdexcept>
#include <string>

namespace tg {

/// The first NaN or Inf found by check_numerics. what() holds the full report.
class NumericsError : public std::runtime_error {
 public:
  NumericsError(std::string op, bool in_backward, const std::string& message)
      : std::runtime_error(message), op_(std::move(op)), in_backward_(in_backward) {}
  /// The op whose output went non-finite; in a backward pass, the op whose backward rule did it.
  const std::string& op() const { return op_; }
  /// True when found while GradientTape::gradient ran a backward rule.
  bool in_backward() const { return in_backward_; }

 private:
  std::string op_;
  bool in_backward_;
};

void enable_check_numerics();
void disable_check_numerics();
bool check_numerics_enabled();

/// Enables the checks while alive, then restores the previous setting.
class CheckNumericsScope {
 public:
  CheckNumericsScope() : was_(check_numerics_enabled()) { enable_check_numerics(); }
  ~CheckNumericsScope() {
    if (!was_) disable_check_numerics();
  }
  CheckNumericsScope(const CheckNumericsScope&) = delete;
  CheckNumericsScope& operator=(const CheckNumericsScope&) = delete;

 private:
  bool was_;
};

}  // namespace tg
