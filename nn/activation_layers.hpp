#pragma once
/// \file
/// Keras' advanced activation layers: LeakyReLU, ELU, PReLU (ReLU and Softmax are in
/// nn/layers.hpp). Keras 3 calls LeakyReLU's slope `negative_slope`; Keras 2 called it `alpha`
/// (default 0.3 in both): both are read, each form is written as its Keras wrote it.
#include <string>
#include <vector>

#include "nn/initializers.hpp"
#include "nn/layer.hpp"

namespace tg::nn {

/// x for x >= 0, negative_slope * x below.
class LeakyReLU : public LayerBase<LeakyReLU> {
 public:
  explicit LeakyReLU(double negative_slope = 0.3, const std::string& name = "");
  std::string class_name() const override { return "LeakyReLU"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<LeakyReLU> from_config(const Config& config);
  bool supports_masking() const override { return true; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double slope_;
};

/// x for x > 0, alpha * (exp(x) - 1) below.
class ELU : public LayerBase<ELU> {
 public:
  explicit ELU(double alpha = 1.0, const std::string& name = "");
  std::string class_name() const override { return "ELU"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<ELU> from_config(const Config& config);
  bool supports_masking() const override { return true; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double alpha_;
};

struct PReLUOptions {
  InitializerArg alpha_initializer = "zeros";
  std::vector<std::int64_t> shared_axes{};  // axes (1-based, batch excluded as in Keras) sharing one alpha
  std::string name{};
  DType dtype = DType::float32;
};

/// x for x >= 0, alpha * x below, with a learned alpha per feature (weight "alpha" of the input's
/// per-example shape, 1 along shared_axes).
class PReLU : public LayerBase<PReLU> {
 public:
  explicit PReLU(PReLUOptions options = {});
  std::string class_name() const override { return "PReLU"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<PReLU> from_config(const Config& config);
  bool supports_masking() const override { return true; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  PReLUOptions options_;
  Variable alpha_;
};

template <class T>
class Registry;
void register_activation_layers(Registry<Layer>& registry);

}  // namespace tg::nn
