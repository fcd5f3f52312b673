#pragma once
/// \file
/// Keras weight initializers as objects (class_name, get_config, from_config), drawn from an
/// explicit generator so a seed reproduces a model. Layer options take them by Keras name
/// ("glorot_uniform") or as objects (`nn::make<nn::VarianceScaling>(2.0, "fan_in", "uniform")`).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "core/random.hpp"
#include "core/tensor.hpp"
#include "nn/config.hpp"

namespace tg::nn {

class Initializer {
 public:
  virtual ~Initializer() = default;
  /// A tensor of `shape` and `dtype`; random ones draw from `gen`, or from their own seed when one was given.
  virtual Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const = 0;
  virtual std::string class_name() const = 0;
  virtual Config get_config(KerasFormat format) const;
};

class Zeros : public Initializer {
 public:
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return "Zeros"; }
  static std::shared_ptr<Zeros> from_config(const Config& c);
};

class Ones : public Initializer {
 public:
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return "Ones"; }
  static std::shared_ptr<Ones> from_config(const Config& c);
};

class Constant : public Initializer {
 public:
  explicit Constant(double value = 0) : value_(value) {}
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return "Constant"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<Constant> from_config(const Config& c);

 private:
  double value_;
};

/// Random initializers carry Keras' optional seed (-1: none, draw from the layer's generator).
class RandomInitializer : public Initializer {
 public:
  std::int64_t seed() const { return seed_; }

 protected:
  explicit RandomInitializer(std::int64_t seed) : seed_(seed) {}
  /// The generator to draw from: the given one, or one of the initializer's own seed.
  Generator& source(Generator& gen, Generator& own) const;
  Config seed_config() const;
  std::int64_t seed_;
};

class RandomUniform : public RandomInitializer {
 public:
  explicit RandomUniform(double minval = -0.05, double maxval = 0.05, std::int64_t seed = -1);
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return "RandomUniform"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<RandomUniform> from_config(const Config& c);

 private:
  double minval_, maxval_;
};

/// RandomNormal, or TruncatedNormal (redrawn beyond two standard deviations) when `truncated`.
class RandomNormal : public RandomInitializer {
 public:
  explicit RandomNormal(double mean = 0, double stddev = 0.05, std::int64_t seed = -1, bool truncated = false);
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return truncated_ ? "TruncatedNormal" : "RandomNormal"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<RandomNormal> from_config(const Config& c);
  static std::shared_ptr<RandomNormal> truncated_from_config(const Config& c);

 private:
  double mean_, stddev_;
  bool truncated_;
};

/// Keras' VarianceScaling: variance scale / fan (fan_in, fan_out or fan_avg), drawn from a
/// truncated normal (stddev sqrt(variance) / 0.8796, cut at 2 stddev), an untruncated normal, or
/// a uniform of limit sqrt(3 variance). GlorotUniform & co. are named presets of it.
class VarianceScaling : public RandomInitializer {
 public:
  explicit VarianceScaling(double scale = 1.0, std::string mode = "fan_in", std::string distribution = "truncated_normal",
                           std::int64_t seed = -1, std::string preset = "");
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return preset_.empty() ? "VarianceScaling" : preset_; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<VarianceScaling> from_config(const Config& c);
  /// "GlorotUniform", "HeNormal", ... with its seed.
  static std::shared_ptr<VarianceScaling> preset(const std::string& class_name, std::int64_t seed = -1);

 private:
  double scale_;
  std::string mode_, distribution_, preset_;
};

/// Keras' Orthogonal (OrthogonalInitializer in Keras 3): the Q of a QR decomposition of a normal
/// matrix, sign-corrected, times `gain`; the recurrent kernels' default.
class Orthogonal : public RandomInitializer {
 public:
  explicit Orthogonal(double gain = 1.0, std::int64_t seed = -1) : RandomInitializer(seed), gain_(gain) {}
  Tensor operator()(const Shape& shape, Generator& gen, DType dtype) const override;
  std::string class_name() const override { return "OrthogonalInitializer"; }
  Config get_config(KerasFormat format) const override;
  static std::shared_ptr<Orthogonal> from_config(const Config& c);

 private:
  double gain_;
};

/// An initializer by Keras name ("glorot_uniform", "he_normal", "zeros", "ones", "orthogonal",
/// "random_normal", ...), by class name ("GlorotUniform"), or from a serialized object
/// ({"class_name", "config"}); throws naming `context` and the known names.
std::shared_ptr<Initializer> get_initializer(const Config& identifier, const std::string& context);
/// Registers the built-in initializers (called by the registry).
template <class T>
class Registry;
void register_initializers(Registry<Initializer>& registry);

/// A layer option that takes an initializer by name or as an object.
class InitializerArg {
 public:
  InitializerArg(const char* name) : InitializerArg(std::string(name)) {}
  InitializerArg(const std::string& name);
  InitializerArg(std::shared_ptr<Initializer> init);
  const std::shared_ptr<Initializer>& get() const { return init_; }
  Config get_config(KerasFormat format) const;

 private:
  std::shared_ptr<Initializer> init_;
};

/// fan_in / fan_out of a kernel shape as Keras computes them ((in, out) for a Dense kernel).
std::pair<double, double> compute_fans(const Shape& shape);

/// Compatibility: an initializer by name applied to a shape.
Tensor initialize(const std::string& initializer, const Shape& shape, Generator& gen, DType dtype = DType::float32);

/// The process-wide generator layers draw from when they are given no seed (keras.utils.set_random_seed).
Generator& global_generator();
void set_random_seed(std::uint64_t seed);

}  // namespace tg::nn
