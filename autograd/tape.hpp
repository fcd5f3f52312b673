#pragma once
/// \file
/// Reverse-mode automatic differentiation in the style of TensorFlow's GradientTape.
///
///     tg::GradientTape tape;                 // records while alive
///     tape.watch(x);                         // plain tensors must be watched; trainable Variables are watched automatically
///     tg::Tensor y = tg::mul(x, x);
///     auto grads = tape.gradient(y, {x});    // grads[0] == 2 * x
///
/// A tape records only ops that touch a tensor it watches (or a tensor such an op produced), on the
/// thread that made it. With no tape alive, ops record nothing and allocate nothing for autograd.
/// Gradients of sources the target does not depend on are undefined tensors (`!g.defined()`),
/// as TensorFlow returns None. Backward rules are written with differentiable ops, so a
/// tape that is recording while another tape's `gradient` runs records that computation:
/// nested tapes give higher-order gradients.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace tg {

class Variable;

namespace autograd {

/// Which inputs of a recorded op need a gradient: `needs[i]` for input i, any number of inputs.
class Needs {
 public:
  explicit Needs(std::size_t n = 0) : bits_(n, false) {}
  bool operator[](std::size_t i) const { return i < bits_.size() && bits_[i]; }
  void set(std::size_t i) { bits_.at(i) = true; }
  bool any() const;
  std::size_t size() const { return bits_.size(); }

 private:
  std::vector<bool> bits_;
};

/// Computes the gradients of an op's inputs from the gradient of its output. Entries for inputs
/// with `!needs[i]` may be left undefined.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad, const Needs& needs)>;

struct Node;
struct TapeState;

/// Whether an op must call record(): true when some alive, recording tape tracks one of `inputs`,
/// and always while check_numerics is enabled (record() then checks the output; see
/// autograd/numerics.hpp). Cheap when no tape is alive and the checks are off.
bool should_record(std::initializer_list<const Tensor*> inputs);
bool should_record(const std::vector<Tensor>& inputs);
/// Only the tape half of should_record: for a backward rule choosing between a fused first-order
/// path and a differentiable one (so enabling check_numerics never changes which path runs).
bool tape_records(std::initializer_list<const Tensor*> inputs);
bool tape_records(const std::vector<Tensor>& inputs);
/// Records `output = op(inputs)` on every recording tape that tracks one of the inputs.
void record(const char* op, std::vector<Tensor> inputs, const Tensor& output, BackwardFn backward);

/// True for a tensor that belongs to a trainable Variable (watched by every tape automatically).
bool is_trainable_variable(const Tensor& t);
void mark_trainable_variable(const Tensor& t, bool trainable);
/// Names a Variable's tensor, for check_numerics' reports.
void set_variable_name(const Tensor& t, const std::string& name);

}  // namespace autograd

/// Observes (and may replace) the gradient flowing into `t`: `fn(grad)` returns the gradient to
/// propagate further (return `grad` itself to only observe). Hooks live as long as `t` does.
void register_hook(const Tensor& t, std::function<Tensor(const Tensor& grad)> fn);

class GradientTape {
 public:
  /// A persistent tape allows several `gradient` calls; otherwise the first call frees the
  /// record and a second one throws.
  explicit GradientTape(bool persistent = false, bool watch_accessed_variables = true);
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  void watch(const Tensor& t);
  void watch(const Variable& v);

  /// One gradient per source, in order. A non-scalar target is summed, or weighted by
  /// `output_gradients` (same shape as the target) when given. Sources may be any tensors of
  /// the recorded graph, intermediate ones included. Throws std::runtime_error naming the op
  /// when a value an op on the path was recorded with has since been changed in place
  /// (Variable::assign, an optimizer step, fill, copy_from), as PyTorch does: the gradient
  /// would otherwise be computed silently from the new values.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               const Tensor& output_gradients = Tensor());
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources,
                               const Tensor& output_gradients = Tensor());
  std::vector<Tensor> gradient(const Tensor& target, std::initializer_list<Tensor> sources,
                               const Tensor& output_gradients = Tensor()) {
    return gradient(target, std::vector<Tensor>(sources), output_gradients);
  }
  /// The gradient for a single source.
  Tensor gradient(const Tensor& target, const Tensor& source) { return gradient(target, std::vector<Tensor>{source})[0]; }

  /// Pauses recording on this tape until `resume_recording()` (TF's stop_recording scope).
  void stop_recording();
  void resume_recording();
  bool persistent() const;
  /// Number of recorded ops (for tests and diagnostics).
  std::size_t size() const;

 private:
  std::unique_ptr<autograd::TapeState> state_;
};

/// Scope guard: no tape records while it lives (inference pays no autograd cost).
class NoRecordScope {
 public:
  NoRecordScope();
  ~NoRecordScope();
  NoRecordScope(const NoRecordScope&) = delete;
  NoRecordScope& operator=(const NoRecordScope&) = delete;
};

/// The same values, cut off from every tape: gradients do not flow through it.
Tensor stop_gradient(const Tensor& t);

}  // namespace tg
