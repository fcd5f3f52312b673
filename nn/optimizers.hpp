#pragma once
/// \file
/// Keras 3 optimizers: SGD, Adam, AdamW, RMSprop. Each update is one fused SIMD pass over a
/// variable (core/kernels/optim.hpp) that writes the variable's storage in place, so every handle
/// to the variable (layers, tapes) sees the new values.
///
/// Formulas and the order of their operations follow keras/src/optimizers/{sgd,adam,adamw,rmsprop}.py
/// and base_optimizer.py, evaluated in the variable's dtype. One difference: a constant learning
/// rate is kept in double, where Keras keeps it in a floatx (float32) variable; float32 variables
/// see the same value, float64 variables see Keras-with-floatx-float64 numbers.
///
/// State naming (what state() returns): the header slots, then kind-major (every variable's first
/// slot kind, then every variable's second, ...). Keras 3's `optimizer.variables` (the
/// "optimizer/vars/<i>" entries of a .keras file) are variable-major instead; io/keras_compile.cpp
/// reorders when it writes or reads them.
///   "<scope>/iteration"                     int64 scalar, the `iterations` counter
///   "<scope>/learning_rate"                 float64 scalar, only when the rate is a constant
///   "<scope>/<var path, '/'->'_'>_<slot>"   per slot kind (Keras' build order), then per variable
/// where <scope> is Keras' default optimizer `name` ("SGD", "adam", "adamw", "rmsprop") and <slot>
/// is "momentum" (SGD with momentum != 0); "momentum", "velocity", ["velocity_hat"] (Adam, AdamW);
/// "velocity", ["momentum"], ["average_gradient"] (RMSprop). Example: "adam/dense_kernel_momentum".
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "autograd/variable.hpp"
#include "core/kernels/optim.hpp"
#include "core/tensor.hpp"
#include "nn/config.hpp"
#include "nn/schedules.hpp"

namespace tg::nn {

/// What every Keras 3 optimizer accepts besides its own arguments (std::nullopt: Keras' None).
/// Gradients are clipped first (clipnorm per variable, else global_clipnorm, else clipvalue),
/// then weight decay w -= w * weight_decay * lr is applied, then the update (keras/src/optimizers/
/// base_optimizer.py, apply()).
struct OptimizerCommon {
  std::optional<double> weight_decay{}, clipnorm{}, clipvalue{}, global_clipnorm{};
};

class Optimizer {
 public:
  /// One named optimizer state tensor (see the file comment for the names).
  struct Slot {
    std::string name;
    Tensor value;
  };

  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of each variable with its gradient (grads[i] updates vars[i]), then iterations + 1.
  /// Undefined gradients are skipped. Throws std::invalid_argument, before touching any variable,
  /// when the counts differ or a gradient's shape or dtype differs from its variable's (the message
  /// names the variable and both shapes or dtypes), or a variable is not float32/float64.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars);

  /// The number of apply_gradients calls so far (Keras `iterations`).
  std::int64_t iterations() const { return iterations_; }
  /// Throws std::invalid_argument when n < 0.
  void set_iterations(std::int64_t n);

  /// The rate the next update uses: the schedule at iterations(), or the constant.
  double learning_rate() const;
  /// Replaces the rate (and any schedule) with a constant.
  void set_learning_rate(double learning_rate);
  /// Replaces the rate with a schedule; a null schedule throws std::invalid_argument.
  void set_learning_rate(std::shared_ptr<LearningRateSchedule> schedule);
  /// The schedule, or null for a constant rate.
  const std::shared_ptr<LearningRateSchedule>& learning_rate_schedule() const { return schedule_; }

  /// The Keras class name: "SGD", "Adam", "AdamW", "RMSprop".
  virtual std::string class_name() const = 0;
  /// The instance name (Keras' optimizer.name: "SGD", "adam", "adamw", "rmsprop" by default), the
  /// prefix of its state names.
  const std::string& name() const { return scope_; }
  /// Keras' get_config(): the Keras 3 keys (name, learning_rate, weight_decay, clipnorm, ...,
  /// then the optimizer's own), or tf.keras 2's OptimizerV2 keys (name, learning_rate, decay, ...)
  /// for keras2 when the optimizer had that form (AdamW did not: it is written in Keras 3's).
  Config get_config(KerasFormat format) const;
  /// tf.keras 2 (optimizer_v2) slot names for this optimizer's slot kinds ("momentum" -> "m"),
  /// empty when it has no tf.keras 2.10 form.
  virtual std::map<std::string, std::string> tf2_slot_names() const { return {}; }
  const OptimizerCommon& common() const { return common_; }
  /// Sets the arguments of OptimizerCommon (validated: each must be positive when given).
  void set_common(const OptimizerCommon& common);
  /// Keras' default optimizer `name` attribute, the prefix of state names: "SGD", "adam", ...
  const std::string& scope() const { return scope_; }
  /// The per-variable slot kinds, in Keras' build order ("momentum", "velocity", ...).
  const std::vector<std::string>& slot_names() const { return slot_names_; }

  /// Copies of the iteration counter, the constant rate and every slot of `vars`, named and ordered
  /// as in the file comment. Creates zero slots for variables not updated yet.
  std::vector<Slot> state(const std::vector<Variable>& vars) const;
  /// Restores what state(vars) returned (any order, matched by name). Checks every name, shape
  /// and dtype first and throws std::invalid_argument on a missing, unknown or mismatched slot,
  /// leaving the optimizer unchanged; otherwise assigns all of them.
  void load_state(const std::vector<Variable>& vars, const std::vector<Slot>& slots);

 protected:
  /// The optimizer's own keys of get_config().
  virtual void add_config(Config& c, KerasFormat format) const = 0;
  /// Applies the common arguments of a config to an optimizer made by from_config.
  static void apply_common_config(Optimizer& opt, const ConfigReader& r);
  /// A non-null `schedule` wins over `learning_rate`.
  Optimizer(double learning_rate, std::shared_ptr<LearningRateSchedule> schedule, std::string scope,
            std::vector<std::string> slot_names);

  /// Called once per apply_gradients before any update: the rate and Keras' step (iterations + 1).
  virtual void begin_step(double learning_rate, std::int64_t step) = 0;
  /// Updates `w` in place from `g` (same shape, dtype float32 or float64) and the variable's slots
  /// (slot_names().size() tensors of w's shape and dtype).
  virtual void update(Tensor& w, const Tensor& g, Tensor* slots) = 0;
  /// True when update() applies the weight decay itself (Adam's fused kernel).
  virtual bool fused_weight_decay() const { return false; }

 private:
  struct Entry {
    Tensor var;                  // keeps the identity the key names alive
    std::vector<Tensor> slots;   // one per slot_names(), allocated once
  };
  Entry& entry(const Variable& v) const;
  void check_variable(const Variable& v, const char* op) const;
  std::vector<std::string> state_names(const std::vector<Variable>& vars) const;

  std::vector<Tensor> clip(const std::vector<Tensor>& grads) const;
  double learning_rate_;
  std::shared_ptr<LearningRateSchedule> schedule_;
  OptimizerCommon common_;
  std::string scope_;
  std::vector<std::string> slot_names_;
  std::int64_t iterations_ = 0;
  mutable std::unordered_map<std::uint64_t, Entry> entries_;  // keyed by Tensor::id()
};

struct SGDOptions {
  double learning_rate = 0.01;
  std::shared_ptr<LearningRateSchedule> schedule{};  // wins over learning_rate when set
  double momentum = 0.0;
  bool nesterov = false;
  OptimizerCommon common{};
};

/// Gradient descent, with optional (Nesterov) momentum.
class SGD : public Optimizer {
 public:
  /// Throws std::invalid_argument unless 0 <= momentum <= 1 (as Keras).
  explicit SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false);
  explicit SGD(std::shared_ptr<LearningRateSchedule> learning_rate, double momentum = 0.0, bool nesterov = false);
  explicit SGD(const SGDOptions& o);
  std::string class_name() const override { return "SGD"; }
  static std::shared_ptr<SGD> from_config(const Config& c);
  std::map<std::string, std::string> tf2_slot_names() const override { return {{"momentum", "momentum"}}; }
  double momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }

 protected:
  void add_config(Config& c, KerasFormat format) const override;
  void begin_step(double learning_rate, std::int64_t step) override;
  void update(Tensor& w, const Tensor& g, Tensor* slots) override;

 private:
  double momentum_;
  bool nesterov_;
  core::kern::SgdParams<float> params_f32_{};
  core::kern::SgdParams<double> params_f64_{};
};

struct AdamOptions {
  double learning_rate = 0.001;
  std::shared_ptr<LearningRateSchedule> schedule{};
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  bool amsgrad = false;
  OptimizerCommon common{};  // AdamW's weight_decay defaults to 0.004 when unset
};

/// Adam with Keras' epsilon placement: epsilon is added to sqrt(v) after the bias correction was
/// folded into the step size (not PyTorch's sqrt(v_hat) + epsilon).
class Adam : public Optimizer {
 public:
  explicit Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                bool amsgrad = false);
  explicit Adam(std::shared_ptr<LearningRateSchedule> learning_rate, double beta_1 = 0.9, double beta_2 = 0.999,
                double epsilon = 1e-7, bool amsgrad = false);
  explicit Adam(const AdamOptions& o);
  std::string class_name() const override { return "Adam"; }
  static std::shared_ptr<Adam> from_config(const Config& c);
  std::map<std::string, std::string> tf2_slot_names() const override {
    return {{"momentum", "m"}, {"velocity", "v"}, {"velocity_hat", "vhat"}};
  }
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }

 protected:
  Adam(const AdamOptions& o, std::string scope);
  void add_config(Config& c, KerasFormat format) const override;
  void begin_step(double learning_rate, std::int64_t step) override;
  void update(Tensor& w, const Tensor& g, Tensor* slots) override;
  bool fused_weight_decay() const override { return true; }

 private:
  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  core::kern::AdamParams<float> params_f32_{};
  core::kern::AdamParams<double> params_f64_{};
};

/// Adam with decoupled weight decay: w -= w * weight_decay * learning_rate before each Adam step.
class AdamW : public Adam {
 public:
  /// Throws std::invalid_argument when weight_decay < 0.
  explicit AdamW(double learning_rate = 0.001, double weight_decay = 0.004, double beta_1 = 0.9,
                 double beta_2 = 0.999, double epsilon = 1e-7, bool amsgrad = false);
  explicit AdamW(std::shared_ptr<LearningRateSchedule> learning_rate, double weight_decay = 0.004,
                 double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7, bool amsgrad = false);
  explicit AdamW(const AdamOptions& o);
  std::string class_name() const override { return "AdamW"; }
  static std::shared_ptr<AdamW> from_config(const Config& c);
  std::map<std::string, std::string> tf2_slot_names() const override { return {}; }  // tf.keras 2.11+ only
  double weight_decay() const { return common().weight_decay.value_or(0.0); }
};

struct RMSpropOptions {
  double learning_rate = 0.001;
  std::shared_ptr<LearningRateSchedule> schedule{};
  double rho = 0.9, momentum = 0.0, epsilon = 1e-7;
  bool centered = false;
  OptimizerCommon common{};
};

/// RMSprop, optionally centered and with (plain) momentum.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(double learning_rate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7,
                   bool centered = false);
  explicit RMSprop(std::shared_ptr<LearningRateSchedule> learning_rate, double rho = 0.9, double momentum = 0.0,
                   double epsilon = 1e-7, bool centered = false);
  explicit RMSprop(const RMSpropOptions& o);
  std::string class_name() const override { return "RMSprop"; }
  static std::shared_ptr<RMSprop> from_config(const Config& c);
  std::map<std::string, std::string> tf2_slot_names() const override {
    return {{"velocity", "rms"}, {"momentum", "momentum"}, {"average_gradient", "mg"}};
  }
  double rho() const { return rho_; }
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }
  bool centered() const { return centered_; }

 protected:
  void add_config(Config& c, KerasFormat format) const override;
  void begin_step(double learning_rate, std::int64_t step) override;
  void update(Tensor& w, const Tensor& g, Tensor* slots) override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
  core::kern::RmspropParams<float> params_f32_{};
  core::kern::RmspropParams<double> params_f64_{};
};

/// "sgd", "adam", "adamw" or "rmsprop" (any case), or a class name, with Keras' defaults; anything
/// else throws std::invalid_argument naming the known optimizers.
std::shared_ptr<Optimizer> get_optimizer(const std::string& name);
/// An optimizer from {"class_name", "config"} (either Keras generation, "Custom>Adam" of tf.keras
/// 2.11+ included) or a bare name; its learning-rate schedule too.
std::shared_ptr<Optimizer> optimizer_from_config(const Config& identifier, const std::string& where);
template <class T>
class Registry;
void register_optimizers(Registry<Optimizer>& registry);

}  // namespace tg::nn
