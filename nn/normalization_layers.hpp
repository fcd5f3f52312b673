#pragma once
/// \file
/// Keras' BatchNormalization layer. Weights in Keras' order: gamma (scale=True), beta
/// (center=True), then the non-trainable moving_mean and moving_variance. Called with training =
/// true on a trainable layer it normalises with the batch statistics and moves the moving ones by
/// `momentum` (Keras 3's rule, biased batch variance: ops/normalization.hpp); otherwise, and always
/// when the layer is frozen (trainable = false, as Keras 2.1+), it uses the moving statistics.
#include <cstdint>
#include <string>

#include "nn/initializers.hpp"
#include "nn/layer.hpp"

namespace tg::nn {

struct BatchNormalizationOptions {
  std::int64_t axis = -1;  // counted with the batch axis, as Keras: 3 for NHWC, 1 for NCHW
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  InitializerArg beta_initializer = "zeros";
  InitializerArg gamma_initializer = "ones";
  InitializerArg moving_mean_initializer = "zeros";
  InitializerArg moving_variance_initializer = "ones";
  std::string name{};
  DType dtype = DType::float32;
};

class BatchNormalization : public LayerBase<BatchNormalization> {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  std::string class_name() const override { return "BatchNormalization"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<BatchNormalization> from_config(const Config& config);
  bool supports_masking() const override { return true; }
  const BatchNormalizationOptions& options() const { return options_; }
  const Variable& moving_mean() const { return moving_mean_; }
  const Variable& moving_variance() const { return moving_variance_; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t axis_in(std::int64_t rank) const;  // the axis of a [N, *input] tensor of that rank
  BatchNormalizationOptions options_;
  Variable gamma_, beta_, moving_mean_, moving_variance_;
};

template <class T>
class Registry;
void register_normalization_layers(Registry<Layer>& registry);

}  // namespace tg::nn
