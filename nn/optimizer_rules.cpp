// The update rules of SGD, Adam, AdamW and RMSprop: per-call scalars computed once, then one fused
// kernel pass per variable (core/kernels/optim_impl.hpp) split over threads.
//
// Per-call scalars (1 - beta_1, rho, epsilon, Adam's alpha, ...) are computed in double and rounded
// once to the variable's dtype; the elementwise formulas then run in that dtype.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "nn/optimizers.hpp"

namespace tg::nn {

namespace {

namespace kern = core::kern;

// Chunks start on multiples of 64 elements (aligned SIMD loads on every ISA); 16K elements per
// task: the Dense(784, 128) kernel (100,352 elements) splits, a bias runs on the calling thread.
constexpr std::int64_t kBlock = 64;
constexpr std::int64_t kGrain = 16384;

template <class F>
void over_chunks(std::int64_t n, const F& f) {
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  tg::parallel_for(0, blocks, kGrain / kBlock, [&](std::int64_t b, std::int64_t e) {
    const std::int64_t begin = b * kBlock, end = std::min(e * kBlock, n);
    f(begin, end - begin);
  });
}

// p + off, or null when p is null (offsetting a null pointer is undefined).
template <class T>
T* at(T* p, std::int64_t off) { return p ? p + off : nullptr; }

std::vector<std::string> sgd_slots(double momentum) {
  if (!(momentum >= 0.0 && momentum <= 1.0))
    fail<std::invalid_argument>("SGD: momentum must be a float between [0, 1], got ", momentum);
  return momentum != 0.0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
}

std::vector<std::string> adam_slots(bool amsgrad) {
  return amsgrad ? std::vector<std::string>{"momentum", "velocity", "velocity_hat"}
                 : std::vector<std::string>{"momentum", "velocity"};
}

std::vector<std::string> rmsprop_slots(double rho, double momentum, double epsilon, bool centered) {
  if (!(rho >= 0.0 && rho <= 1.0)) fail<std::invalid_argument>("RMSprop: `rho` must be in [0, 1], got ", rho);
  if (!(momentum >= 0.0 && momentum <= 1.0))
    fail<std::invalid_argument>("RMSprop: `momentum` must be in [0, 1], got ", momentum);
  if (!(epsilon > 0.0)) fail<std::invalid_argument>("RMSprop: `epsilon` must be positive, got ", epsilon);
  std::vector<std::string> s{"velocity"};
  if (momentum > 0) s.emplace_back("momentum");
  if (centered) s.emplace_back("average_gradient");
  return s;
}

double checked_weight_decay(double wd) {
  if (!(wd >= 0)) fail<std::invalid_argument>("AdamW: weight_decay must be >= 0, got ", wd);
  return wd;
}

template <class T>
void run_sgd(Tensor& w, const Tensor& g, Tensor* slots, const kern::SgdParams<T>& p) {
  T* wp = w.data<T>();
  const T* gp = g.data<T>();
  T* mp = p.use_momentum ? slots[0].data<T>() : nullptr;
  const auto fn = kern::optim_table<T>().sgd;
  over_chunks(w.numel(), [&](std::int64_t b, std::int64_t n) { fn(wp + b, gp + b, at(mp, b), p, n); });
}

// alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) in double, then rounded once to T. Keras computes
// it in the variable's dtype; in float32, 1 - 0.999^t cancels about five digits on the first steps
// (alpha off by ~1e-5 relative), which double avoids. Elementwise, the ops are Keras' in T.
template <class T>
kern::AdamParams<T> adam_params(double lr, std::int64_t step, double beta_1, double beta_2, double epsilon,
                                double weight_decay, bool amsgrad) {
  const double t = static_cast<double>(step);
  const double alpha = lr * std::sqrt(1.0 - std::pow(beta_2, t)) / (1.0 - std::pow(beta_1, t));
  return {static_cast<T>(alpha),
          static_cast<T>(1.0 - beta_1),
          static_cast<T>(1.0 - beta_2),
          static_cast<T>(epsilon),
          static_cast<T>(weight_decay >= 0 ? weight_decay : 0.0),
          static_cast<T>(lr),
          amsgrad,
          weight_decay >= 0};
}

template <class T>
void run_adam(Tensor& w, const Tensor& g, Tensor* slots, const kern::AdamParams<T>& p) {
  T* wp = w.data<T>();
  const T* gp = g.data<T>();
  T* mp = slots[0].data<T>();
  T* vp = slots[1].data<T>();
  T* hp = p.amsgrad ? slots[2].data<T>() : nullptr;
  const auto fn = kern::optim_table<T>().adam;
  over_chunks(w.numel(), [&](std::int64_t b, std::int64_t n) { fn(wp + b, gp + b, mp + b, vp + b, at(hp, b), p, n); });
}

template <class T>
void run_rmsprop(Tensor& w, const Tensor& g, Tensor* slots, const kern::RmspropParams<T>& p) {
  T* wp = w.data<T>();
  const T* gp = g.data<T>();
  T* vel = slots[0].data<T>();
  T* mom = p.use_momentum ? slots[1].data<T>() : nullptr;
  Tensor* average_slot = slots + (p.use_momentum ? 2 : 1);
  T* avg = p.centered ? average_slot->data<T>() : nullptr;
  const auto fn = kern::optim_table<T>().rmsprop;
  over_chunks(w.numel(),
              [&](std::int64_t b, std::int64_t n) { fn(wp + b, gp + b, vel + b, at(mom, b), at(avg, b), p, n); });
}

}  // namespace

// ---- SGD ----

SGD::SGD(double learning_rate, double momentum, bool nesterov)
    : SGD(SGDOptions{.learning_rate = learning_rate, .momentum = momentum, .nesterov = nesterov}) {}

SGD::SGD(std::shared_ptr<LearningRateSchedule> learning_rate, double momentum, bool nesterov)
    : SGD(SGDOptions{.schedule = learning_rate, .momentum = momentum, .nesterov = nesterov}) {
  if (!learning_rate_schedule()) throw std::invalid_argument("SGD: the learning-rate schedule is null");
}

SGD::SGD(const SGDOptions& o)
    : Optimizer(o.learning_rate, o.schedule, "SGD", sgd_slots(o.momentum)), momentum_(o.momentum), nesterov_(o.nesterov) {
  set_common(o.common);
}

void SGD::add_config(Config& c, KerasFormat) const {
  c["momentum"] = momentum_;
  c["nesterov"] = nesterov_;
}

std::shared_ptr<SGD> SGD::from_config(const Config& cfg) {
  const ConfigReader r(cfg, "SGD");
  auto opt = std::make_shared<SGD>(SGDOptions{.momentum = r.get_double("momentum", 0.0), .nesterov = r.get_bool("nesterov", false)});
  apply_common_config(*opt, r);
  return opt;
}

void SGD::begin_step(double learning_rate, std::int64_t) {
  const bool use_momentum = momentum_ != 0.0;
  params_f32_ = {static_cast<float>(learning_rate), static_cast<float>(momentum_), use_momentum, nesterov_};
  params_f64_ = {learning_rate, momentum_, use_momentum, nesterov_};
}

void SGD::update(Tensor& w, const Tensor& g, Tensor* slots) {
  if (w.dtype() == DType::float32)
    run_sgd(w, g, slots, params_f32_);
  else
    run_sgd(w, g, slots, params_f64_);
}

// ---- Adam, AdamW ----

Adam::Adam(double learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad)
    : Adam(AdamOptions{.learning_rate = learning_rate, .beta_1 = beta_1, .beta_2 = beta_2, .epsilon = epsilon, .amsgrad = amsgrad}) {}

Adam::Adam(std::shared_ptr<LearningRateSchedule> learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad)
    : Adam(AdamOptions{.schedule = learning_rate, .beta_1 = beta_1, .beta_2 = beta_2, .epsilon = epsilon, .amsgrad = amsgrad}) {
  if (!learning_rate_schedule()) throw std::invalid_argument("Adam: the learning-rate schedule is null");
}

Adam::Adam(const AdamOptions& o) : Adam(o, "adam") {}

Adam::Adam(const AdamOptions& o, std::string scope)
    : Optimizer(o.learning_rate, o.schedule, std::move(scope), adam_slots(o.amsgrad)),
      beta_1_(o.beta_1),
      beta_2_(o.beta_2),
      epsilon_(o.epsilon),
      amsgrad_(o.amsgrad) {
  set_common(o.common);
}

void Adam::add_config(Config& c, KerasFormat) const {
  c["beta_1"] = beta_1_;
  c["beta_2"] = beta_2_;
  c["epsilon"] = epsilon_;
  c["amsgrad"] = amsgrad_;
}

namespace {
AdamOptions adam_options(const ConfigReader& r) {
  return AdamOptions{.beta_1 = r.get_double("beta_1", 0.9),
                     .beta_2 = r.get_double("beta_2", 0.999),
                     .epsilon = r.get_double("epsilon", 1e-7),
                     .amsgrad = r.get_bool("amsgrad", false)};
}
}  // namespace

std::shared_ptr<Adam> Adam::from_config(const Config& cfg) {
  const ConfigReader r(cfg, "Adam");
  auto opt = std::make_shared<Adam>(adam_options(r));
  apply_common_config(*opt, r);
  return opt;
}

void Adam::begin_step(double learning_rate, std::int64_t step) {
  const double wd = common().weight_decay.value_or(-1.0);
  params_f32_ = adam_params<float>(learning_rate, step, beta_1_, beta_2_, epsilon_, wd, amsgrad_);
  params_f64_ = adam_params<double>(learning_rate, step, beta_1_, beta_2_, epsilon_, wd, amsgrad_);
}

void Adam::update(Tensor& w, const Tensor& g, Tensor* slots) {
  if (w.dtype() == DType::float32)
    run_adam(w, g, slots, params_f32_);
  else
    run_adam(w, g, slots, params_f64_);
}

namespace {
AdamOptions with_decay(AdamOptions o, double weight_decay) {
  o.common.weight_decay = checked_weight_decay(weight_decay);
  return o;
}
}  // namespace

AdamW::AdamW(double learning_rate, double weight_decay, double beta_1, double beta_2, double epsilon, bool amsgrad)
    : Adam(with_decay({.learning_rate = learning_rate, .beta_1 = beta_1, .beta_2 = beta_2, .epsilon = epsilon, .amsgrad = amsgrad},
                      weight_decay),
           "adamw") {}

AdamW::AdamW(std::shared_ptr<LearningRateSchedule> learning_rate, double weight_decay, double beta_1, double beta_2,
             double epsilon, bool amsgrad)
    : Adam(with_decay({.schedule = learning_rate, .beta_1 = beta_1, .beta_2 = beta_2, .epsilon = epsilon, .amsgrad = amsgrad},
                      weight_decay),
           "adamw") {
  if (!learning_rate_schedule()) throw std::invalid_argument("AdamW: the learning-rate schedule is null");
}

AdamW::AdamW(const AdamOptions& o) : Adam(with_decay(o, o.common.weight_decay.value_or(0.004)), "adamw") {}

std::shared_ptr<AdamW> AdamW::from_config(const Config& cfg) {
  const ConfigReader r(cfg, "AdamW");
  auto opt = std::make_shared<AdamW>(with_decay(adam_options(r), r.get_double("weight_decay", 0.004)));
  apply_common_config(*opt, r);
  return opt;
}

// ---- RMSprop ----

RMSprop::RMSprop(double learning_rate, double rho, double momentum, double epsilon, bool centered)
    : RMSprop(RMSpropOptions{.learning_rate = learning_rate, .rho = rho, .momentum = momentum, .epsilon = epsilon, .centered = centered}) {}

RMSprop::RMSprop(std::shared_ptr<LearningRateSchedule> learning_rate, double rho, double momentum, double epsilon,
                 bool centered)
    : RMSprop(RMSpropOptions{.schedule = learning_rate, .rho = rho, .momentum = momentum, .epsilon = epsilon, .centered = centered}) {
  if (!learning_rate_schedule()) throw std::invalid_argument("RMSprop: the learning-rate schedule is null");
}

RMSprop::RMSprop(const RMSpropOptions& o)
    : Optimizer(o.learning_rate, o.schedule, "rmsprop", rmsprop_slots(o.rho, o.momentum, o.epsilon, o.centered)),
      rho_(o.rho),
      momentum_(o.momentum),
      epsilon_(o.epsilon),
      centered_(o.centered) {
  set_common(o.common);
}

void RMSprop::add_config(Config& c, KerasFormat) const {
  c["rho"] = rho_;
  c["momentum"] = momentum_;
  c["epsilon"] = epsilon_;
  c["centered"] = centered_;
}

std::shared_ptr<RMSprop> RMSprop::from_config(const Config& cfg) {
  const ConfigReader r(cfg, "RMSprop");
  auto opt = std::make_shared<RMSprop>(RMSpropOptions{.rho = r.get_double("rho", 0.9),
                                                      .momentum = r.get_double("momentum", 0.0),
                                                      .epsilon = r.get_double("epsilon", 1e-7),
                                                      .centered = r.get_bool("centered", false)});
  apply_common_config(*opt, r);
  return opt;
}

void RMSprop::begin_step(double learning_rate, std::int64_t) {
  const bool use_momentum = momentum_ > 0;
  params_f32_ = {static_cast<float>(learning_rate), static_cast<float>(rho_), static_cast<float>(1.0 - rho_),
                 static_cast<float>(epsilon_),      static_cast<float>(momentum_), use_momentum, centered_};
  params_f64_ = {learning_rate, rho_, 1.0 - rho_, epsilon_, momentum_, use_momentum, centered_};
}

void RMSprop::update(Tensor& w, const Tensor& g, Tensor* slots) {
  if (w.dtype() == DType::float32)
    run_rmsprop(w, g, slots, params_f32_);
  else
    run_rmsprop(w, g, slots, params_f64_);
}

}  // namespace tg::nn
