#pragma once
/// \file
/// Variable: a named tensor that layers own and optimizers update in place. Trainable variables
/// are watched by every GradientTape automatically, as in TensorFlow.
#include <memory>
#include <string>

#include "core/tensor.hpp"

namespace tg {

class Variable {
 public:
  Variable() = default;
  Variable(Tensor value, std::string name, bool trainable = true);

  bool defined() const { return state_ != nullptr; }
  /// The variable's tensor (a handle: ops on it are recorded by tapes; writes are seen by all).
  const Tensor& value() const;
  /// A Variable works wherever a Tensor is read, as in TensorFlow: `x * w`, `w + 1.0`, `-w`,
  /// `matmul(x, w)` use and record value().
  operator const Tensor&() const { return value(); }
  const std::string& name() const;
  bool trainable() const;
  void set_trainable(bool trainable);
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  /// Copies `v` into the variable's storage (same shape required; dtype converted).
  void assign(const Tensor& v) const;
  /// Two Variable handles are the same variable when they share state.
  bool is_same(const Variable& o) const { return state_ == o.state_; }

 private:
  struct State {
    Tensor value;
    std::string name;
    bool trainable = true;
  };
  std::shared_ptr<State> state_;
};

}  // namespace tg
