#pragma once
/// \file
/// Keras' image augmentation layers RandomFlip, RandomRotation, RandomTranslation, RandomZoom:
/// identity at inference; in training each image gets its own random affine map, sampled as
/// TensorFlow's ImageProjectiveTransformV3 does (fill_mode reflect / wrap / constant / nearest,
/// bilinear or nearest interpolation). The augmentations are applied to data, not recorded: no
/// gradient flows back through them (Keras puts them first, on the inputs).
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "nn/layer.hpp"

namespace tg::nn {

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
void register_augmentation_layers(Registry<Layer>& registry);

}  // namespace tg::nn
