#pragma once
/// \file
/// Keras' merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise, with
/// NumPy broadcasting of the per-example shapes) and Concatenate(axis). Called on a list of
/// tensors: `nn::Add()({a, b})`.
#include <string>

#include "nn/layer.hpp"

namespace tg::nn {

/// The elementwise merges, one class per Keras class name.
class Merge : public Layer {
 public:
  enum class Op { add, subtract, multiply, average, maximum, minimum };
  std::string class_name() const override;
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  bool supports_masking() const override { return true; }
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;

 protected:
  Merge(Op op, const std::string& name);
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;

 private:
  Op op_;
};

#define TG_MERGE_LAYER(Cls, op, prefix)                                                   \
  class Cls : public LayerBase<Cls, Merge> {                                              \
   public:                                                                                \
    explicit Cls(const std::string& name = "") : LayerBase(Merge::Op::op, name) {}        \
    static std::shared_ptr<Cls> from_config(const Config& config);                        \
  };
// One line per Keras class; the prefix for automatic names is Keras' snake_case of the class.
TG_MERGE_LAYER(Add, add, "add")
TG_MERGE_LAYER(Subtract, subtract, "subtract")
TG_MERGE_LAYER(Multiply, multiply, "multiply")
TG_MERGE_LAYER(Average, average, "average")
TG_MERGE_LAYER(Maximum, maximum, "maximum")
TG_MERGE_LAYER(Minimum, minimum, "minimum")
#undef TG_MERGE_LAYER

/// Concatenate(axis): joins along `axis` of the batch tensors (-1: the last).
class Concatenate : public LayerBase<Concatenate> {
 public:
  explicit Concatenate(std::int64_t axis = -1, const std::string& name = "");
  std::string class_name() const override { return "Concatenate"; }
  Config get_config(KerasFormat format = KerasFormat::keras3) const override;
  static std::shared_ptr<Concatenate> from_config(const Config& config);
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& input_shapes) const override;
  bool supports_masking() const override { return true; }
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;

 protected:
  void build_multi(const std::vector<Shape>& input_shapes) override;
  std::vector<Tensor> call_multi(const std::vector<Tensor>& xs, const CallArgs& args) override;

 private:
  int batch_axis(int rank) const;
  std::int64_t axis_;
};

template <class T>
class Registry;
void register_merge_layers(Registry<Layer>& registry);

}  // namespace tg::nn
