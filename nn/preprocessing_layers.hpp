#pragma once
/// \file
/// Keras' preprocessing layers that real image and tabular models start with: Rescaling,
/// Normalization (with its adapted mean and variance as weights), Resizing (bilinear, as
/// TensorFlow). The augmentation layers are in nn/augmentation_layers.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/layer.hpp"

namespace tg::nn {

/// y = x * scale + offset.
class Rescaling : public LayerBase<Rescaling> {
 public:
  explicit Rescaling(double scale, double offset = 0, const std::string& name = "");
  std::string class_name() const override { return "Rescaling"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Rescaling> from_config(const Config& config);

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double scale_, offset_;
};

/// Normalization(axis): (x - mean) / max(sqrt(variance), 1e-7) along the kept axes (invert:
/// mean + x * that). Without mean and variance in the config they are the non-trainable weights
/// mean, variance (and count, which Keras keeps for old files), as adapt() left them.
struct NormalizationOptions {
  std::optional<std::vector<std::int64_t>> axis = std::vector<std::int64_t>{-1};  // nullopt: one value for all
  std::optional<std::vector<double>> mean{}, variance{};
  bool invert = false;
  std::string name{};
};

class Normalization : public LayerBase<Normalization> {
 public:
  explicit Normalization(NormalizationOptions options = {});
  std::string class_name() const override { return "Normalization"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Normalization> from_config(const Config& config);

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  NormalizationOptions options_;
  Shape broadcast_;  // [1, ...] with the kept axes' sizes
  Tensor mean_, variance_;  // from the config, when given
  Variable mean_w_, variance_w_, count_w_;
};

/// Resizing(height, width): tf.image.resize, bilinear with half-pixel centres.
class Resizing : public LayerBase<Resizing> {
 public:
  Resizing(std::int64_t height, std::int64_t width, const std::string& data_format = "channels_last", const std::string& name = "");
  std::string class_name() const override { return "Resizing"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Resizing> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t height_, width_;
  std::string data_format_;
};

template <class T>
class Registry;
void register_preprocessing_layers(Registry<Layer>& registry);

}  // namespace tg::nn
