#pragma once
/// \file
/// Keras weight initializers, drawn from an explicit generator so a seed reproduces a model.
#include <string>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace tg::nn {

/// fan_in / fan_out of a kernel shape as Keras computes them ((in, out) for a Dense kernel).
std::pair<double, double> compute_fans(const Shape& shape);

/// "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
/// "zeros", "ones". The *_normal ones draw from a normal truncated at two standard deviations, as
/// Keras does. Throws std::invalid_argument naming an unknown initializer.
Tensor initialize(const std::string& initializer, const Shape& shape, Generator& gen, DType dtype = DType::float32);
/// Throws unless `initializer` is a known name.
void check_initializer(const std::string& initializer, const std::string& context);

/// The process-wide generator layers draw from when they are given no seed (keras.utils.set_random_seed).
Generator& global_generator();
void set_random_seed(std::uint64_t seed);

}  // namespace tg::nn
