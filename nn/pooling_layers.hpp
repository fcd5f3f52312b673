#pragma once
/// \file
/// Keras' pooling layers: MaxPooling1D/2D, AveragePooling1D/2D, and the global ones
/// (GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D), with Keras' config keys (pool_size,
/// strides, padding, data_format; keepdims for the global ones) in both Keras forms. No weights.
/// GlobalAveragePooling1D averages over the unmasked steps when a Keras mask rides on its input.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "nn/layer.hpp"

namespace tg::nn {

/// Windowed pooling over 1 or 2 spatial axes.
class Pooling : public Layer {
 public:
  enum class Kind { max, average };
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  /// The arguments of a config (Keras 2 and 3 keys) as (height, width) pairs.
  struct Args {
    std::array<std::int64_t, 2> pool{2, 2};
    std::optional<std::array<std::int64_t, 2>> strides;
    std::string padding, data_format, name;
  };
  static Args args_from_config(const ConfigReader& r, int rank);

 protected:
  /// pool and strides hold (height, width); a 1-D layer uses the width only.
  Pooling(Kind kind, int rank, std::array<std::int64_t, 2> pool, std::optional<std::array<std::int64_t, 2>> strides,
          const std::string& padding, const std::string& data_format, const std::string& name);
  Tensor call(const Tensor& x, bool training) override;

  Kind kind_;
  int rank_;
  std::array<std::int64_t, 2> pool_, strides_;
  std::string padding_, data_format_;
};

#define TG_POOLING_LAYER(Cls, RANK)                                                                          \
  class Cls : public LayerBase<Cls, Pooling> {                                                               \
   public:                                                                                                   \
    explicit Cls(std::array<std::int64_t, RANK> pool_size = filled(2), std::optional<std::array<std::int64_t, RANK>> strides = {}, \
                 const std::string& padding = "valid", const std::string& data_format = "channels_last", \
                 const std::string& name = "");                                                             \
    std::string class_name() const override { return #Cls; }                                                 \
    static std::shared_ptr<Cls> from_config(const Config& config);                                           \
                                                                                                             \
   private:                                                                                                  \
    static std::array<std::int64_t, RANK> filled(std::int64_t v) {                                           \
      std::array<std::int64_t, RANK> a{};                                                                    \
      a.fill(v);                                                                                             \
      return a;                                                                                              \
    }                                                                                                        \
  };

/// MaxPooling2D(pool_size, strides, padding, data_format): strides default to pool_size.
TG_POOLING_LAYER(MaxPooling2D, 2)
/// AveragePooling2D: padded taps are left out of the average, as TensorFlow's AvgPool.
TG_POOLING_LAYER(AveragePooling2D, 2)
TG_POOLING_LAYER(MaxPooling1D, 1)
TG_POOLING_LAYER(AveragePooling1D, 1)
#undef TG_POOLING_LAYER

/// Pooling over every spatial axis: [N, d.., C] -> [N, C] (or [N, 1.., C] with keepdims).
class GlobalPooling : public Layer {
 public:
  enum class Kind { max, average };
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  Shape compute_output_shape(const Shape& input_shape) const override;
  bool supports_masking() const override { return kind_ == Kind::average && rank_ == 1; }
  Tensor compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>&) const override { return Tensor(); }

 protected:
  GlobalPooling(Kind kind, int rank, const std::string& data_format, bool keepdims, const std::string& name);
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;

  Kind kind_;
  int rank_;
  std::string data_format_;
  bool keepdims_;
};

#define TG_GLOBAL_POOLING_LAYER(Cls)                                                                        \
  class Cls : public LayerBase<Cls, GlobalPooling> {                                                        \
   public:                                                                                                  \
    explicit Cls(const std::string& data_format = "channels_last", bool keepdims = false, const std::string& name = ""); \
    std::string class_name() const override { return #Cls; }                                               \
    static std::shared_ptr<Cls> from_config(const Config& config);                                          \
  };

TG_GLOBAL_POOLING_LAYER(GlobalAveragePooling2D)
TG_GLOBAL_POOLING_LAYER(GlobalMaxPooling2D)
TG_GLOBAL_POOLING_LAYER(GlobalAveragePooling1D)
TG_GLOBAL_POOLING_LAYER(GlobalMaxPooling1D)
#undef TG_GLOBAL_POOLING_LAYER

template <class T>
class Registry;
void register_pooling_layers(Registry<Layer>& registry);

}  // namespace tg::nn
