#include "nn/layers.hpp"

#include "nn/activations.hpp"
#include "nn/initializers.hpp"
#include "ops/activation.hpp"
#include "ops/dropout.hpp"
#include "ops/linalg.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

Dense::Dense(std::int64_t units, const std::string& activation, DenseOptions options)
    : Layer(options.name, "dense", options.dtype),
      units_(units),
      activation_(canonical_activation(activation)),
      options_(std::move(options)) {
  if (units <= 0) fail("Dense '", name(), "': units must be positive, got ", units);
  check_activation(activation, "Dense '" + name() + "'");
  check_initializer(options_.kernel_initializer, "Dense '" + name() + "' kernel_initializer");
  check_initializer(options_.bias_initializer, "Dense '" + name() + "' bias_initializer");
}

Shape Dense::compute_output_shape(const Shape& input_shape) const {
  if (input_shape.rank() < 1) fail("Dense '", name(), "': expected inputs of rank >= 2 (batch, features)");
  Shape out = input_shape;
  out[out.rank() - 1] = units_;
  return out;
}

void Dense::build_impl(const Shape& input_shape) {
  if (input_shape.rank() < 1) fail("Dense '", name(), "': expected inputs of rank >= 2 (batch, features), got a batch of scalars");
  const std::int64_t in = input_shape.back();
  Generator gen = make_generator(options_.seed);
  kernel_ = add_weight("kernel", initialize(options_.kernel_initializer, Shape{in, units_}, gen, dtype()));
  if (options_.use_bias) bias_ = add_weight("bias", initialize(options_.bias_initializer, Shape{units_}, gen, dtype()));
}

Tensor Dense::call(const Tensor& x, bool) {
  if (x.dtype() != dtype())
    fail("Dense '", name(), "': input dtype ", dtype_name(x.dtype()), " differs from the layer's ", dtype_name(dtype()));
  const bool fuse_relu = activation_ == "relu";
  Tensor in2 = x.rank() == 2 ? x : reshape(x, {-1, x.shape().back()});
  Tensor y = dense(in2, kernel_.value(), options_.use_bias ? bias_.value() : Tensor(), fuse_relu);
  if (x.rank() != 2) {
    std::vector<std::int64_t> out(x.shape().begin(), x.shape().end());
    out.back() = units_;
    y = reshape(y, out);
  }
  return fuse_relu ? y : nn::activation(activation_, y);
}

Flatten::Flatten(const std::string& name) : Layer(name, "flatten") {}

Shape Flatten::compute_output_shape(const Shape& input_shape) const { return Shape{input_shape.numel()}; }

Tensor Flatten::call(const Tensor& x, bool) { return flatten(x); }

Activation::Activation(const std::string& act, const std::string& name)
    : Layer(name, "activation"), activation_(canonical_activation(act)) {
  check_activation(act, "Activation '" + this->name() + "'");
}

Tensor Activation::call(const Tensor& x, bool) { return nn::activation(activation_, x); }

ReLU::ReLU(const std::string& name) : Layer(name, "re_lu") {}
Tensor ReLU::call(const Tensor& x, bool) { return relu(x); }

Softmax::Softmax(std::int64_t axis, const std::string& name) : Layer(name, "softmax"), axis_(axis) {}
Tensor Softmax::call(const Tensor& x, bool) { return softmax_activation(x, axis_); }

Dropout::Dropout(double rate, std::int64_t seed, const std::string& name)
    : Layer(name, "dropout"), rate_(rate), gen_(make_generator(seed)) {
  if (!(rate >= 0 && rate < 1)) fail("Dropout '", this->name(), "': rate must be in [0, 1), got ", rate);
}

Tensor Dropout::call(const Tensor& x, bool training) { return dropout(x, rate_, gen_, training); }

InputLayer::InputLayer(const Shape& shape, const std::string& name) : Layer(name, "input_layer"), shape_(shape) {
  build(shape);
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

}  // namespace tg::nn
