// The Optimizer base: argument checks, the iteration counter and learning rate, slot storage,
// state()/load_state() and get_optimizer(). The update rules are in optimizer_rules.cpp.
#include "nn/optimizers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "core/error.hpp"

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
  if (n < 0) fail<std::invalid_argument>(name(), ".set_iterations: iterations must be >= 0, got ", n);
  iterations_ = n;
}

double Optimizer::learning_rate() const { return schedule_ ? (*schedule_)(iterations_) : learning_rate_; }

void Optimizer::set_learning_rate(double learning_rate) {
  schedule_.reset();
  learning_rate_ = learning_rate;
}

void Optimizer::set_learning_rate(std::shared_ptr<LearningRateSchedule> schedule) {
  if (!schedule) fail<std::invalid_argument>(name(), ".set_learning_rate: the schedule is null");
  schedule_ = std::move(schedule);
}

std::map<std::string, double> Optimizer::config() const {
  return {{"learning_rate", learning_rate()}, {"use_ema", 0.0}, {"ema_momentum", 0.99}};
}

void Optimizer::check_variable(const Variable& v, const char* op) const {
  if (!v.defined()) fail<std::invalid_argument>(name(), ".", op, ": a variable is undefined");
  if (!is_float(v.dtype()))
    fail<std::invalid_argument>(name(), ".", op, ": variable '", v.name(), "' has dtype ", v.dtype(),
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
    fail<std::invalid_argument>(name(), ".apply_gradients: got ", grads.size(), " gradients for ", vars.size(),
                                " variables");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    check_variable(vars[i], "apply_gradients");
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    const Variable& v = vars[i];
    if (g.dtype() != v.dtype())
      fail<std::invalid_argument>(name(), ".apply_gradients: gradient for variable '", v.name(), "' has dtype ",
                                  g.dtype(), ", the variable has dtype ", v.dtype());
    if (!(g.shape() == v.shape()))
      fail<std::invalid_argument>(name(), ".apply_gradients: gradient for variable '", v.name(), "' has shape ",
                                  g.shape(), ", the variable has shape ", v.shape());
  }
  begin_step(learning_rate(), iterations_ + 1);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!grads[i].defined()) continue;
    Entry& e = entry(vars[i]);
    Tensor w = vars[i].value();
    w.mark_modified();  // a tape that recorded the old value must not differentiate with the new one
    update(w, grads[i], e.slots.data());
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
  const std::string op = name() + ".load_state";
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
  if (key == "sgd") return std::make_shared<SGD>();
  if (key == "adam") return std::make_shared<Adam>();
  if (key == "adamw") return std::make_shared<AdamW>();
  if (key == "rmsprop") return std::make_shared<RMSprop>();
  throw std::invalid_argument("unknown optimizer '" + name + "'; expected one of: sgd, adam, adamw, rmsprop");
}

}  // namespace tg::nn
