#pragma once
/// \file
/// Keras' Embedding and Masking layers, the two ways a sequence model gets a mask: Embedding with
/// mask_zero=True masks the steps whose id is 0, Masking the steps whose features all equal
/// mask_value. The mask rides on the output (nn::keras_mask) into the recurrent layers.
#include <cstdint>
#include <string>

#include "nn/initializers.hpp"
#include "nn/layer.hpp"

namespace tg::nn {

struct EmbeddingOptions {
  InitializerArg embeddings_initializer = "uniform";  // RandomUniform(-0.05, 0.05), Keras' default
  bool mask_zero = false;
  std::int64_t input_length = -1;  // Keras 2's input_length (kept for its configs); -1: None
  std::string name{};
  DType dtype = DType::float32;
};

/// Embedding(input_dim, output_dim): integer ids [N, ...] -> rows of `embeddings`
/// (input_dim, output_dim), [N, ..., output_dim]. Ids may come as floats (Keras files often
/// declare float32 inputs); they are truncated to integers as tf.cast does. An id outside
/// [0, input_dim) throws naming the layer and the id.
class Embedding : public LayerBase<Embedding> {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options = {});
  std::string class_name() const override { return "Embedding"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Embedding> from_config(const Config& config);
  Shape compute_output_shape(const Shape& input_shape) const override;
  bool supports_masking() const override { return options_.mask_zero; }
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  const Variable& embeddings() const { return embeddings_; }

 protected:
  void build_impl(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
  Variable embeddings_;
};

/// Masking(mask_value): masks the time steps whose features all equal mask_value and zeroes them.
/// [N, T, ...] -> same, with mask [N, T].
class Masking : public LayerBase<Masking> {
 public:
  explicit Masking(double mask_value = 0.0, const std::string& name = "");
  std::string class_name() const override { return "Masking"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Masking> from_config(const Config& config);
  bool supports_masking() const override { return true; }
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double mask_value_;
};

template <class T>
class Registry;
void register_embedding_layers(Registry<Layer>& registry);

}  // namespace tg::nn
