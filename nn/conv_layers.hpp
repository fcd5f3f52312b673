#pragma once
/// \file
/// Keras' convolution layers: Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
/// with Keras' config keys and defaults (Keras 2 and 3 forms), kernel layouts and weight names:
///   * Conv1D / Conv2D: kernel (k.., in / groups, filters), bias (filters,);
///   * DepthwiseConv2D: depthwise_kernel (kh, kw, in, depth_multiplier), bias (in * depth_multiplier,);
///   * SeparableConv2D: depthwise_kernel (kh, kw, in, m), pointwise_kernel (1, 1, in * m, filters), bias;
///   * Conv2DTranspose: kernel (kh, kw, filters, in), bias (filters,).
/// channels_first inputs (written by converters from PyTorch) are moved to channels_last for the
/// computation and back, as Keras does on CPU; the weights are the same in both layouts.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/initializers.hpp"
#include "nn/regularizers.hpp"
#include "nn/layer.hpp"

namespace tg::nn {

/// The arguments Keras' convolution layers share, for N spatial axes (1 or 2). Depthwise and
/// separable layers read `kernel_initializer` as their depthwise_initializer.
template <int N>
struct ConvLayerOptions {
  std::array<std::int64_t, N> strides = filled(1);
  std::string padding = "valid";  // "valid", "same"; Conv1D also "causal"
  std::string data_format = "channels_last";
  std::array<std::int64_t, N> dilation_rate = filled(1);
  std::int64_t groups = 1;        // Conv1D / Conv2D: input channels split into this many groups
  std::string activation = "linear";
  bool use_bias = true;
  InitializerArg kernel_initializer = "glorot_uniform";
  InitializerArg bias_initializer = "zeros";
  InitializerArg pointwise_initializer = "glorot_uniform";  // SeparableConv2D only
  RegularizerArg kernel_regularizer{};     // Keras' depthwise_regularizer for the depthwise layers
  RegularizerArg bias_regularizer{};
  RegularizerArg pointwise_regularizer{};  // SeparableConv2D only
  std::int64_t depth_multiplier = 1;                         // DepthwiseConv2D / SeparableConv2D
  std::optional<std::array<std::int64_t, N>> output_padding{};  // Conv2DTranspose only
  std::string name{};
  std::int64_t seed = -1;
  DType dtype = DType::float32;

  static std::array<std::int64_t, N> filled(std::int64_t v) {
    std::array<std::int64_t, N> a{};
    a.fill(v);
    return a;
  }
};
using Conv1DLayerOptions = ConvLayerOptions<1>;
using Conv2DLayerOptions = ConvLayerOptions<2>;

/// What the five layers share: arguments, config keys, shapes. Spatial sizes are kept as 2-D
/// (a Conv1D is a Conv2D over a height of 1).
class ConvBase : public Layer {
 public:
  enum class Kind { conv1d, conv2d, depthwise, separable, transpose };
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::int64_t filters() const { return filters_; }
  const std::string& activation() const { return activation_; }
  const std::string& data_format() const { return data_format_; }

 protected:
  ConvBase(Kind kind, std::int64_t filters, std::vector<std::int64_t> kernel_size, std::vector<std::int64_t> strides,
           std::vector<std::int64_t> dilation, const std::string& padding, const ConvLayerOptions<2>& common,
           const std::string& prefix);
  /// The options of a config for `kind` (reads Keras 2 and 3 keys); the class name goes into messages.
  static ConvLayerOptions<2> options_from_config(const ConfigReader& r, int rank, Kind kind);
  template <class L>
  static std::shared_ptr<L> finish(std::shared_ptr<L> layer, const ConfigReader& r) {
    apply_base_config(*layer, r);
    return layer;
  }
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  std::vector<Tensor> own_regularization_losses() const override;
  std::int64_t channels(const Shape& input_shape) const;

  Kind kind_;
  std::int64_t filters_;  // depth_multiplier for DepthwiseConv2D
  std::vector<std::int64_t> kernel_size_, strides_, dilation_;
  std::string padding_, data_format_, activation_;
  ConvLayerOptions<2> o_;  // initializers, use_bias, groups, output_padding, seed
  Variable kernel_, pointwise_, bias_;
};

/// Conv2D(filters, kernel_size): cross-correlation of NHWC inputs with a (kh, kw, in, filters) kernel.
class Conv2D : public LayerBase<Conv2D, ConvBase> {
 public:
  Conv2D(std::int64_t filters, std::array<std::int64_t, 2> kernel_size, Conv2DLayerOptions options = {});
  std::string class_name() const override { return "Conv2D"; }
  static std::shared_ptr<Conv2D> from_config(const Config& config);
};

/// Conv1D(filters, kernel_size) on [N, steps, channels]; padding "causal" pads the start only.
class Conv1D : public LayerBase<Conv1D, ConvBase> {
 public:
  Conv1D(std::int64_t filters, std::int64_t kernel_size, Conv1DLayerOptions options = {});
  std::string class_name() const override { return "Conv1D"; }
  static std::shared_ptr<Conv1D> from_config(const Config& config);
};

/// DepthwiseConv2D(kernel_size): each input channel convolved with its own depth_multiplier filters.
class DepthwiseConv2D : public LayerBase<DepthwiseConv2D, ConvBase> {
 public:
  explicit DepthwiseConv2D(std::array<std::int64_t, 2> kernel_size, Conv2DLayerOptions options = {});
  std::string class_name() const override { return "DepthwiseConv2D"; }
  static std::shared_ptr<DepthwiseConv2D> from_config(const Config& config);
};

/// SeparableConv2D(filters, kernel_size): a depthwise convolution, then a 1x1 convolution.
class SeparableConv2D : public LayerBase<SeparableConv2D, ConvBase> {
 public:
  SeparableConv2D(std::int64_t filters, std::array<std::int64_t, 2> kernel_size, Conv2DLayerOptions options = {});
  std::string class_name() const override { return "SeparableConv2D"; }
  static std::shared_ptr<SeparableConv2D> from_config(const Config& config);
};

/// Conv2DTranspose(filters, kernel_size): the input gradient of a Conv2D (Keras' output size rule:
/// ops/conv.hpp).
class Conv2DTranspose : public LayerBase<Conv2DTranspose, ConvBase> {
 public:
  Conv2DTranspose(std::int64_t filters, std::array<std::int64_t, 2> kernel_size, Conv2DLayerOptions options = {});
  std::string class_name() const override { return "Conv2DTranspose"; }
  static std::shared_ptr<Conv2DTranspose> from_config(const Config& config);
};

template <class T>
class Registry;
void register_conv_layers(Registry<Layer>& registry);

/// NHWC <-> NCHW for layers with a data_format (a no-op for channels_last): [N, C, d..] -> [N, d.., C].
Tensor to_channels_last(const Tensor& x, const std::string& data_format);
Tensor from_channels_last(const Tensor& x, const std::string& data_format);
/// Reads a data_format config value, checking it.
std::string check_data_format(const std::string& data_format, const std::string& where);

}  // namespace tg::nn
