#pragma once
/// \file
/// Keras' preprocessing layers that real image and tabular models start with: Rescaling,
/// Normalization (with its adapted mean and variance as weights), Resizing (bilinear, as
/// TensorFlow), and the augmentation layers RandomFlip, RandomRotation, RandomTranslation,
/// RandomZoom, which pass their input through at inference and transform each image at random
/// in training. The augmentations are applied to data, not recorded: no gradient flows back
/// through them (Keras puts them first, on the inputs).
#include <array>
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

/// What the four augmentation layers share: seed, fill_mode ("reflect", "wrap", "constant",
/// "nearest"), fill_value, interpolation ("bilinear", "nearest"), data_format, and the factors
/// as (low, high) ranges.
struct AugmentationOptions {
  std::string fill_mode = "reflect";
  double fill_value = 0;
  std::string interpolation = "bilinear";
  std::string data_format = "channels_last";
  std::int64_t seed = -1;
  std::string name{};
};

class RandomImageLayer : public Layer {
 public:
  enum class Kind { flip, rotation, translation, zoom };
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;

 protected:
  RandomImageLayer(Kind kind, AugmentationOptions options, const std::string& prefix);
  static AugmentationOptions options_from_config(const ConfigReader& r);
  Tensor call(const Tensor& x, bool training) override;
  /// The inverse map of one image (output pixel -> input pixel), as TensorFlow's projective
  /// transforms: x_in = a0 x + a1 y + a2, y_in = b0 x + b1 y + b2.
  virtual std::array<double, 6> draw(std::int64_t height, std::int64_t width, Generator& gen) const = 0;
  virtual void add_config(Config& c, KerasFormat format) const = 0;

  Kind kind_;
  AugmentationOptions options_;
  Generator gen_;
};

/// RandomFlip(mode): "horizontal", "vertical" or "horizontal_and_vertical"; each direction
/// flipped with probability 1/2 per image.
class RandomFlip : public LayerBase<RandomFlip, RandomImageLayer> {
 public:
  explicit RandomFlip(const std::string& mode = "horizontal_and_vertical", AugmentationOptions options = {});
  std::string class_name() const override { return "RandomFlip"; }
  static std::shared_ptr<RandomFlip> from_config(const Config& config);

 protected:
  std::array<double, 6> draw(std::int64_t height, std::int64_t width, Generator& gen) const override;
  void add_config(Config& c, KerasFormat format) const override;

 private:
  std::string mode_;
};

/// RandomRotation(factor): an angle drawn from [low, high] * 2 pi (factor f means [-f, f]).
class RandomRotation : public LayerBase<RandomRotation, RandomImageLayer> {
 public:
  explicit RandomRotation(std::array<double, 2> factor, AugmentationOptions options = {});
  std::string class_name() const override { return "RandomRotation"; }
  static std::shared_ptr<RandomRotation> from_config(const Config& config);

 protected:
  std::array<double, 6> draw(std::int64_t height, std::int64_t width, Generator& gen) const override;
  void add_config(Config& c, KerasFormat format) const override;

 private:
  std::array<double, 2> factor_;
};

/// RandomTranslation(height_factor, width_factor): shifts by fractions of the image size.
class RandomTranslation : public LayerBase<RandomTranslation, RandomImageLayer> {
 public:
  RandomTranslation(std::array<double, 2> height_factor, std::array<double, 2> width_factor, AugmentationOptions options = {});
  std::string class_name() const override { return "RandomTranslation"; }
  static std::shared_ptr<RandomTranslation> from_config(const Config& config);

 protected:
  std::array<double, 6> draw(std::int64_t height, std::int64_t width, Generator& gen) const override;
  void add_config(Config& c, KerasFormat format) const override;

 private:
  std::array<double, 2> height_, width_;
};

/// RandomZoom(height_factor, width_factor): zooms by 1 + a draw from the range (positive: zoom
/// out, as Keras); no width_factor keeps the aspect ratio.
class RandomZoom : public LayerBase<RandomZoom, RandomImageLayer> {
 public:
  RandomZoom(std::array<double, 2> height_factor, std::optional<std::array<double, 2>> width_factor = {},
             AugmentationOptions options = {});
  std::string class_name() const override { return "RandomZoom"; }
  static std::shared_ptr<RandomZoom> from_config(const Config& config);

 protected:
  std::array<double, 6> draw(std::int64_t height, std::int64_t width, Generator& gen) const override;
  void add_config(Config& c, KerasFormat format) const override;

 private:
  std::array<double, 2> height_;
  std::optional<std::array<double, 2>> width_;
};

template <class T>
class Registry;
void register_preprocessing_layers(Registry<Layer>& registry);

}  // namespace tg::nn
