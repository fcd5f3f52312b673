#pragma once
/// \file
/// Keras' weight regularizers: L1, L2 and L1L2, by object or by name ("l1", "l2", "l1_l2"), as
/// layer options (`DenseOptions::kernel_regularizer`). A regularized weight's penalty joins the
/// training loss through Layer::regularization_losses(), Keras' `model.losses`:
///   L1:   l1 * sum(|w|)          (default l1 = 0.01)
///   L2:   l2 * sum(w^2)          (default l2 = 0.01)
///   L1L2: l1 * sum(|w|) + l2 * sum(w^2)   (defaults 0 and 0)
/// Keras 2.0-2.3 wrote every regularizer as L1L2; tf.keras 2.4+ and Keras 3 write L1 and L2.
#include <memory>
#include <string>

#include "core/tensor.hpp"
#include "nn/config.hpp"

namespace tg::nn {

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  virtual std::string class_name() const = 0;
  virtual Config get_config() const = 0;
  /// The penalty of one weight: a scalar of the weight's dtype, recorded on an alive tape.
  virtual Tensor operator()(const Tensor& weight) const = 0;
};

class L1L2 : public Regularizer {
 public:
  explicit L1L2(double l1 = 0.0, double l2 = 0.0);
  std::string class_name() const override { return "L1L2"; }
  Config get_config() const override;
  Tensor operator()(const Tensor& weight) const override;
  double l1() const { return l1_; }
  double l2() const { return l2_; }

 protected:
  double l1_, l2_;
};

class L1 : public L1L2 {
 public:
  explicit L1(double l1 = 0.01) : L1L2(l1, 0.0) {}
  std::string class_name() const override { return "L1"; }
  Config get_config() const override;
};

class L2 : public L1L2 {
 public:
  explicit L2(double l2 = 0.01) : L1L2(0.0, l2) {}
  std::string class_name() const override { return "L2"; }
  Config get_config() const override;
};

/// A regularizer from a Keras config entry: null (none), a name, or {class_name, config}.
std::shared_ptr<Regularizer> get_regularizer(const Config& id, const std::string& context);

/// A layer option: no regularizer (the default), a name ("l2") or an object.
class RegularizerArg {
 public:
  RegularizerArg() = default;
  RegularizerArg(std::nullptr_t) {}
  RegularizerArg(const char* name) : RegularizerArg(std::string(name)) {}
  RegularizerArg(const std::string& name);
  RegularizerArg(std::shared_ptr<Regularizer> regularizer) : reg_(std::move(regularizer)) {}
  explicit operator bool() const { return reg_ != nullptr; }
  const std::shared_ptr<Regularizer>& get() const { return reg_; }
  /// null when none is set, else Keras' serialized object in `format`'s form.
  Config get_config(KerasFormat format) const;
  /// The option from a layer config's key (absent or null: none).
  static RegularizerArg from_config(const Config& layer_config, const std::string& key, const std::string& where);

 private:
  std::shared_ptr<Regularizer> reg_;
};

template <class T>
class Registry;
Registry<Regularizer>& regularizer_registry();
void register_regularizers(Registry<Regularizer>& registry);

}  // namespace tg::nn
