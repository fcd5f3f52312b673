#include "nn/layer.hpp"

#include <map>
#include <mutex>

#include "nn/initializers.hpp"

namespace tg::nn {

namespace {
std::mutex names_mu;
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> m;
  return m;
}
}  // namespace

std::string unique_name(const std::string& prefix) {
  std::lock_guard lock(names_mu);
  const int n = name_counts()[prefix]++;
  return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}

void clear_session() {
  std::lock_guard lock(names_mu);
  name_counts().clear();
}

Layer::Layer(const std::string& name, const std::string& prefix, DType dtype)
    : name_(name.empty() ? unique_name(prefix) : name), dtype_(dtype) {
  if (!is_floating(dtype)) fail("layer '", name_, "': dtype must be float32 or float64, got ", dtype_name(dtype));
}

void Layer::build(const Shape& input_shape) {
  if (built_) {
    if (!(input_shape == input_shape_))
      fail(class_name(), " '", name_, "': already built for input shape ", input_shape_, ", cannot rebuild for ",
           input_shape);
    return;
  }
  build_impl(input_shape);
  input_shape_ = input_shape;
  built_ = true;
}

Tensor Layer::operator()(const Tensor& x, bool training) {
  if (!x.defined()) fail(class_name(), " '", name_, "': the input is undefined");
  if (x.rank() < 1) fail(class_name(), " '", name_, "': expected a batch of inputs, got a scalar");
  Shape per_example;
  for (int d = 1; d < x.rank(); ++d) per_example.push_back(x.shape()[d]);
  if (!built_) {
    build(per_example);
  } else if (!(per_example == input_shape_)) {
    std::string expected = "(None";
    for (std::int64_t d : input_shape_) expected += ", " + std::to_string(d);
    fail(class_name(), " '", name_, "': expected input of shape ", expected, input_shape_.rank() ? ")" : ",)",
         ", got ", x.shape());
  }
  return call(x, training);
}

Variable Layer::add_weight(const std::string& name, const Tensor& value, bool trainable) {
  Variable v(value, name_ + "/" + name, trainable && trainable_);
  weights_.push_back(v);
  return v;
}

std::vector<Variable> Layer::weights() const {
  std::vector<Variable> out = trainable_weights();
  for (const Variable& v : non_trainable_weights()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::trainable_weights() const {
  std::vector<Variable> out;
  for (const Variable& v : weights_)
    if (v.trainable()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  std::vector<Variable> out;
  for (const Variable& v : weights_)
    if (!v.trainable()) out.push_back(v);
  return out;
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const Variable& v : weights_) n += v.value().numel();
  return n;
}

void Layer::set_trainable(bool t) {
  trainable_ = t;
  for (Variable& v : weights_) v.set_trainable(t);
}

Generator Layer::make_generator(std::int64_t seed) {
  if (seed >= 0) return Generator(static_cast<std::uint64_t>(seed));
  return Generator(global_generator().next_u64());
}

}  // namespace tg::nn
