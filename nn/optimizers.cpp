// The Optimizer base: argument checks, the iteration counter and learning rate, slot storage,
// state()/load_state() and get_optimizer(). The update rules are in optimizer_rules.cpp.
#include "nn/optimizers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "core/elementwise.hpp"
#include "core/error.hpp"
#include "core/reduce.hpp"
#include "nn/registry.hpp"

namespace tg::nn {

namespace {

bool is_float(DType dt) { return dt == DType::float32 || dt == DType::float64; }

// Keras 3: add_variable_from_reference names a slot "<var.path with '/' -> '_'>_<slot>".
std::string slot_path(const std::string& scope, const std::string& var_path, const std::string& kind) {
  std::string p = var_path;
  std::replace(p.begin(), p.end(), '/', '_');
  return scope + "/" + p + "_" + kind;
}

}  // namespace

Optimizer::Optimizer(double learning_rate, std::shared_ptr<LearningRateSchedule> schedule, std::string scope,
                     std::vector<std::string> slot_names)
    : learning_rate_(learning_rate),
      schedule_(std::move(schedule)),
      scope_(std::move(scope)),
      slot_names_(std::move(slot_names)) {}

Optimizer::~Optimizer() = default;

void Optimizer::set_iterations(std::int64_t n) {
  if (n < 0) fail<std::invalid_argument>(class_name(), ".set_iterations: iterations must be >= 0, got ", n);
  iterations_ = n;
}

double Optimizer::learning_rate() const { return schedule_ ? (*schedule_)(iterations_) : learning_rate_; }

void Optimizer::set_learning_rate(double learning_rate) {
  schedule_.reset();
  learning_rate_ = learning_rate;
}

void Optimizer::set_learning_rate(std::shared_ptr<LearningRateSchedule> schedule) {
  if (!schedule) fail<std::invalid_argument>(class_name(), ".set_learning_rate: the schedule is null");
  schedule_ = std::move(schedule);
}

void Optimizer::set_common(const OptimizerCommon& c) {
  auto check = [&](const std::optional<double>& v, const char* what, bool allow_zero) {
    if (v && !(*v > 0 || (allow_zero && *v == 0)))
      fail<std::invalid_argument>(class_name(), ": ", what, " must be ", allow_zero ? ">= 0" : "positive", ", got ", *v);
  };
  check(c.weight_decay, "weight_decay", true);
  check(c.clipnorm, "clipnorm", false);
  check(c.clipvalue, "clipvalue", false);
  check(c.global_clipnorm, "global_clipnorm", false);
  if (int(bool(c.clipnorm)) + int(bool(c.clipvalue)) + int(bool(c.global_clipnorm)) > 1)
    fail<std::invalid_argument>(class_name(), ": only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras)");
  common_ = c;
}

namespace {
Config optional_json(const std::optional<double>& v) { return v ? Config(*v) : Config(nullptr); }
}  // namespace

Config Optimizer::get_config(KerasFormat format) const {
  const bool keras3 = format == KerasFormat::keras3 || tf2_slot_names().empty();
  const Config lr = schedule_ ? serialize_object("keras.optimizers.schedules", schedule_->class_name(),
                                                 schedule_->get_config(format), format)
                              : Config(learning_rate());
  Config c;
  if (keras3) {
    c = {{"name", scope_},
         {"learning_rate", lr},
         {"weight_decay", optional_json(common_.weight_decay)},
         {"clipnorm", optional_json(common_.clipnorm)},
         {"global_clipnorm", optional_json(common_.global_clipnorm)},
         {"clipvalue", optional_json(common_.clipvalue)},
         {"use_ema", false},
         {"ema_momentum", 0.99},
         {"ema_overwrite_frequency", nullptr},
         {"loss_scale_factor", nullptr},
         {"gradient_accumulation_steps", nullptr}};
  } else {
    // tf.keras 2.10 (OptimizerV2): name = class name, `decay`, clip keys only when set; it
    // rejects Keras 3's use_ema & co. as unknown arguments.
    c = {{"name", class_name()}, {"learning_rate", lr}, {"decay", 0.0}};
    if (common_.clipnorm) c["clipnorm"] = *common_.clipnorm;
    if (common_.clipvalue) c["clipvalue"] = *common_.clipvalue;
    if (common_.global_clipnorm) c["global_clipnorm"] = *common_.global_clipnorm;
  }
  add_config(c, format);
  return c;
}

void Optimizer::apply_common_config(Optimizer& opt, const ConfigReader& r) {
  OptimizerCommon c = opt.common_;
  for (auto [key, slot] : {std::pair{"weight_decay", &c.weight_decay}, std::pair{"clipnorm", &c.clipnorm},
                           std::pair{"clipvalue", &c.clipvalue}, std::pair{"global_clipnorm", &c.global_clipnorm}})
    if (r.has(key)) *slot = r.get_double(key, 0);
  opt.set_common(c);
  // The learning rate: a number, or a serialized schedule.
  const Config& lr = r.has("learning_rate") ? r.raw("learning_rate") : r.raw("lr");
  if (lr.is_number()) opt.set_learning_rate(lr.get<double>());
  else if (lr.is_object()) opt.set_learning_rate(schedule_from_config(lr, r.where()));
  else if (!lr.is_null()) r.fail("learning_rate", "must be a number or a learning-rate schedule");
}

// Keras 3's _clip_gradients: clipnorm per variable, else the global norm, else clip by value.
std::vector<Tensor> Optimizer::clip(const std::vector<Tensor>& grads) const {
  if (!common_.clipnorm && !common_.clipvalue && !common_.global_clipnorm) return grads;
  std::vector<Tensor> out = grads;
  auto sumsq = [](const Tensor& g) { return core::sum(core::square(core::convert(g, DType::float64))).item(); };
  if (common_.clipnorm) {
    const double cn = *common_.clipnorm;
    for (Tensor& g : out) {
      if (!g.defined()) continue;
      const double l2 = std::sqrt(sumsq(g));  // Keras: values * clipnorm / max(l2norm, clipnorm)
      g = core::div(core::mul(g, core::scalar_like(g, cn)), core::scalar_like(g, std::max(l2, cn)));
    }
  } else if (common_.global_clipnorm) {
    double total = 0;
    for (const Tensor& g : out)
      if (g.defined()) total += sumsq(g);
    const double norm = std::sqrt(total), cn = *common_.global_clipnorm;
    const double scale = cn * std::min(1.0 / norm, 1.0 / cn);  // tf.clip_by_global_norm
    for (Tensor& g : out)
      if (g.defined()) g = core::mul(g, core::scalar_like(g, scale));
  } else {
    const double v = *common_.clipvalue;
    for (Tensor& g : out)
      if (g.defined()) g = core::minimum(core::maximum(g, core::scalar_like(g, -v)), core::scalar_like(g, v));
  }
  return out;
}

void Optimizer::check_variable(const Variable& v, const char* op) const {
  if (!v.defined()) fail<std::invalid_argument>(class_name(), ".", op, ": a variable is undefined");
  if (!is_float(v.dtype()))
    fail<std::invalid_argument>(class_name(), ".", op, ": variable '", v.name(), "' has dtype ", v.dtype(),
                                "; optimizers update float32 or float64 variables");
}

Optimizer::Entry& Optimizer::entry(const Variable& v) const {
  const Tensor& value = v.value();
  auto it = entries_.find(value.id());
  if (it != entries_.end()) return it->second;
  Entry e;
  e.var = value;
  e.slots.reserve(slot_names_.size());
  for (std::size_t k = 0; k < slot_names_.size(); ++k) e.slots.push_back(Tensor::zeros(value.shape(), value.dtype()));
  return entries_.emplace(value.id(), std::move(e)).first->second;
}

void Optimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
  // Everything is checked before the first update, so a bad call leaves every variable untouched.
  if (grads.size() != vars.size())
    fail<std::invalid_argument>(class_name(), ".apply_gradients: got ", grads.size(), " gradients for ", vars.size(),
                                " variables");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    check_variable(vars[i], "apply_gradients");
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    const Variable& v = vars[i];
    if (g.dtype() != v.dtype())
      fail<std::invalid_argument>(class_name(), ".apply_gradients: gradient for variable '", v.name(), "' has dtype ",
                                  g.dtype(), ", the variable has dtype ", v.dtype());
    if (!(g.shape() == v.shape()))
      fail<std::invalid_argument>(class_name(), ".apply_gradients: gradient for variable '", v.name(), "' has shape ",
                                  g.shape(), ", the variable has shape ", v.shape());
  }
  const std::vector<Tensor> clipped = clip(grads);
  const double lr = learning_rate();
  begin_step(lr, iterations_ + 1);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!clipped[i].defined()) continue;
    Entry& e = entry(vars[i]);
    Tensor w = vars[i].value();
    w.mark_modified();  // a tape that recorded the old value must not differentiate with the new one
    if (common_.weight_decay && *common_.weight_decay > 0 && !fused_weight_decay())  // w - (w * wd) * lr, as Keras
      w.copy_from(core::sub(w, core::mul(core::mul(w, core::scalar_like(w, *common_.weight_decay)), core::scalar_like(w, lr))));
    update(w, clipped[i], e.slots.data());
  }
  ++iterations_;
}

std::vector<std::string> Optimizer::state_names(const std::vector<Variable>& vars) const {
  std::vector<std::string> names{scope_ + "/iteration"};
  if (!schedule_) names.push_back(scope_ + "/learning_rate");
  for (const std::string& kind : slot_names_)
    for (const Variable& v : vars) names.push_back(slot_path(scope_, v.name(), kind));
  return names;
}

std::vector<Optimizer::Slot> Optimizer::state(const std::vector<Variable>& vars) const {
  for (const Variable& v : vars) check_variable(v, "state");
  const std::vector<std::string> names = state_names(vars);
  std::vector<Slot> out;
  out.reserve(names.size());
  std::size_t n = 0;
  out.push_back({names[n++], Tensor::scalar(static_cast<double>(iterations_), DType::int64)});
  if (!schedule_) out.push_back({names[n++], Tensor::scalar(learning_rate_, DType::float64)});
  for (std::size_t k = 0; k < slot_names_.size(); ++k)
    for (const Variable& v : vars) out.push_back({names[n++], entry(v).slots[k].clone()});
  return out;
}

void Optimizer::load_state(const std::vector<Variable>& vars, const std::vector<Slot>& slots) {
  const std::string op = class_name() + ".load_state";
  for (const Variable& v : vars) check_variable(v, "load_state");
  const std::vector<std::string> names = state_names(vars);

  std::map<std::string, std::size_t> expected;  // name -> position in `names`
  for (std::size_t i = 0; i < names.size(); ++i)
    if (!expected.emplace(names[i], i).second)
      fail<std::invalid_argument>(op, ": two variables would share the slot name '", names[i],
                                  "'; variable names must be unique");
  std::vector<const Tensor*> given(names.size(), nullptr);
  for (const Slot& s : slots) {
    auto it = expected.find(s.name);
    if (it == expected.end())
      fail<std::invalid_argument>(op, ": unknown slot '", s.name, "'; expected names like '", names.back(), "'");
    if (given[it->second]) fail<std::invalid_argument>(op, ": slot '", s.name, "' is given twice");
    if (!s.value.defined()) fail<std::invalid_argument>(op, ": slot '", s.name, "' is undefined");
    given[it->second] = &s.value;
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    if (!given[i]) fail<std::invalid_argument>(op, ": missing slot '", names[i], "'");

  // Scalars: the counter and (for a constant rate) the rate.
  std::size_t n = 0;
  const Tensor& it_t = *given[n++];
  if (it_t.numel() != 1) fail<std::invalid_argument>(op, ": slot '", names[0], "' has shape ", it_t.shape(), ", expected ()");
  const double it_v = it_t.item();
  if (!(it_v >= 0) || it_v != std::floor(it_v))
    fail<std::invalid_argument>(op, ": slot '", names[0], "' holds ", it_v, ", expected a count >= 0");
  double lr_v = learning_rate_;
  if (!schedule_) {
    const Tensor& lr_t = *given[n];
    if (lr_t.numel() != 1) fail<std::invalid_argument>(op, ": slot '", names[n], "' has shape ", lr_t.shape(), ", expected ()");
    lr_v = lr_t.item();
    ++n;
  }
  // Per-variable slots: same shape as the variable, a float dtype (converted to the variable's).
  std::vector<Tensor> staged;
  staged.reserve(names.size() - n);
  for (std::size_t k = 0; k < slot_names_.size(); ++k)
    for (const Variable& v : vars) {
      const Tensor& t = *given[n];
      if (!(t.shape() == v.shape()))
        fail<std::invalid_argument>(op, ": slot '", names[n], "' has shape ", t.shape(), ", variable '", v.name(),
                                    "' has shape ", v.shape());
      if (!is_float(t.dtype()))
        fail<std::invalid_argument>(op, ": slot '", names[n], "' has dtype ", t.dtype(), ", expected ", v.dtype());
      ++n;
      Tensor copy(v.shape(), v.dtype());
      copy.copy_from(t);
      staged.push_back(std::move(copy));
    }

  // Everything checked and copied: commit.
  std::size_t s = 0;
  for (std::size_t k = 0; k < slot_names_.size(); ++k)
    for (const Variable& v : vars) entry(v).slots[k] = std::move(staged[s++]);
  iterations_ = static_cast<std::int64_t>(it_v);
  learning_rate_ = lr_v;
}

std::shared_ptr<Optimizer> get_optimizer(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const std::string& cls : optimizer_registry().names()) {
    std::string lower = cls;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == key) return optimizer_registry().create(cls, Config::object(), "get_optimizer");
  }
  fail<std::invalid_argument>("unknown optimizer '", shorten(name), "'; expected one of: sgd, adam, adamw, rmsprop (known classes: ",
                              optimizer_registry().list(), ")");
}

std::shared_ptr<Optimizer> optimizer_from_config(const Config& j, const std::string& where) {
  if (j.is_string()) return get_optimizer(j.get<std::string>());
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string())
    fail<std::invalid_argument>(where, ": an optimizer must be a name or a {class_name, config} object, got ", shorten(j.dump()));
  std::string cls = j["class_name"].get<std::string>();
  if (cls.rfind("Custom>", 0) == 0) cls = cls.substr(7);  // tf.keras 2.11+ registers its optimizers so
  const Config cfg = j.contains("config") && j["config"].is_object() ? j["config"] : Config::object();
  if (!optimizer_registry().contains(cls)) return get_optimizer(cls);  // case-insensitive names, or the error
  return optimizer_registry().create(cls, cfg, where);
}

void register_optimizers(Registry<Optimizer>& reg) {
  const std::string m = "keras.optimizers";
  reg.add("SGD", m, [](const Config& c) { return SGD::from_config(c); });
  reg.add("Adam", m, [](const Config& c) { return Adam::from_config(c); });
  reg.add("AdamW", m, [](const Config& c) { return AdamW::from_config(c); });
  reg.add("RMSprop", m, [](const Config& c) { return RMSprop::from_config(c); });
}

}  // namespace tg::nn
