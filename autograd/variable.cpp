#include "autograd/variable.hpp"

#include <stdexcept>

#include "autograd/tape.hpp"

namespace tg {

Variable::Variable(Tensor value, std::string name, bool trainable) : state_(std::make_shared<State>()) {
  if (!value.defined()) throw std::invalid_argument("Variable '" + name + "': the initial value is undefined");
  state_->value = std::move(value);
  state_->name = std::move(name);
  autograd::set_variable_name(state_->value, state_->name);
  set_trainable(trainable);
}

const Tensor& Variable::value() const {
  if (!state_) throw std::logic_error("tapegrad: use of an undefined Variable");
  return state_->value;
}
const std::string& Variable::name() const {
  static const std::string none;
  return state_ ? state_->name : none;
}
bool Variable::trainable() const { return state_ && state_->trainable; }

void Variable::set_trainable(bool trainable) {
  state_->trainable = trainable;
  autograd::mark_trainable_variable(state_->value, trainable && is_floating(state_->value.dtype()));
}

void Variable::assign(const Tensor& v) const {
  if (!(v.shape() == value().shape()))
    fail("Variable '", name(), "': cannot assign a value of shape ", v.shape(), " to a variable of shape ", value().shape());
  state_->value.copy_from(v);
}

}  // namespace tg
