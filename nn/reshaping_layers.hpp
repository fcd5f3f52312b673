#pragma once
/// \file
/// Keras' reshaping layers: Reshape, ZeroPadding2D, Cropping2D, UpSampling2D, and
/// SpatialDropout2D (which drops whole channels), with Keras' config keys in both Keras forms.
/// The 2-D layers take data_format channels_last (default) or channels_first.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/layer.hpp"
#include "ops/image.hpp"

namespace tg::nn {

/// Reshape(target_shape): the per-example shape becomes target_shape (one entry may be -1).
class Reshape : public LayerBase<Reshape> {
 public:
  explicit Reshape(std::vector<std::int64_t> target_shape, const std::string& name = "");
  std::string class_name() const override { return "Reshape"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Reshape> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<std::int64_t> target_;
};

/// ZeroPadding2D(((top, bottom), (left, right))) and Cropping2D, which removes as much.
class ZeroPadding2D : public LayerBase<ZeroPadding2D> {
 public:
  explicit ZeroPadding2D(Padding2D padding = {{{1, 1}, {1, 1}}}, const std::string& data_format = "channels_last",
                         const std::string& name = "");
  std::string class_name() const override { return "ZeroPadding2D"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<ZeroPadding2D> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Padding2D padding_;
  std::string data_format_;
};

class Cropping2D : public LayerBase<Cropping2D> {
 public:
  explicit Cropping2D(Padding2D cropping = {{{0, 0}, {0, 0}}}, const std::string& data_format = "channels_last",
                      const std::string& name = "");
  std::string class_name() const override { return "Cropping2D"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Cropping2D> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  Padding2D cropping_;
  std::string data_format_;
};

/// UpSampling2D(size): interpolation "nearest" (each pixel repeated) or "bilinear" (Keras'
/// tf.image.resize, half-pixel centres).
class UpSampling2D : public LayerBase<UpSampling2D> {
 public:
  explicit UpSampling2D(std::array<std::int64_t, 2> size = {2, 2}, const std::string& data_format = "channels_last",
                        const std::string& interpolation = "nearest", const std::string& name = "");
  std::string class_name() const override { return "UpSampling2D"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<UpSampling2D> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::array<std::int64_t, 2> size_;
  std::string data_format_, interpolation_;
};

/// SpatialDropout2D(rate): while training, each (example, channel) feature map is zeroed with
/// probability rate and the rest scaled by 1 / (1 - rate); identity otherwise.
class SpatialDropout2D : public LayerBase<SpatialDropout2D> {
 public:
  explicit SpatialDropout2D(double rate, const std::string& data_format = "channels_last", std::int64_t seed = -1,
                            const std::string& name = "");
  std::string class_name() const override { return "SpatialDropout2D"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<SpatialDropout2D> from_config(const Config& config);

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
  std::string data_format_;
  std::int64_t seed_;
  Generator gen_;
};

template <class T>
class Registry;
void register_reshaping_layers(Registry<Layer>& registry);

}  // namespace tg::nn
