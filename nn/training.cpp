// Sequential's compile / fit / evaluate / predict: Keras' training loop.
#include <cmath>
#include <cstring>
#include <iostream>

#include "autograd/tape.hpp"
#include "nn/data.hpp"
#include "nn/optimizers.hpp"
#include "nn/progbar.hpp"
#include "nn/sequential.hpp"

namespace tg::nn {

void Sequential::compile(std::shared_ptr<Optimizer> optimizer, std::shared_ptr<Loss> loss,
                         const std::vector<std::string>& metrics) {
  if (!optimizer) fail("Sequential '", name_, "'.compile: the optimizer is null");
  if (!loss) fail("Sequential '", name_, "'.compile: the loss is null");
  std::vector<std::shared_ptr<Metric>> ms;
  for (const std::string& m : metrics) ms.push_back(get_metric(m, loss->name()));  // throws before any change
  optimizer_ = std::move(optimizer);
  loss_ = std::move(loss);
  metrics_ = std::move(ms);
}

void Sequential::compile(const std::string& optimizer, const std::string& loss, const std::vector<std::string>& metrics) {
  compile(get_optimizer(optimizer), get_loss(loss), metrics);
}

void Sequential::check_compiled(const char* what) const {
  if (!optimizer_ || !loss_) fail("Sequential '", name_, "'.", what, ": the model must be compiled first (compile(optimizer, loss))");
}

void Sequential::check_xy(const Tensor& x, const Tensor& y, const char* what) const {
  if (!x.defined() || x.rank() < 1) fail("Sequential '", name_, "'.", what, ": x must be a batch [N, ...]");
  if (y.defined() && (y.rank() < 1 || y.shape()[0] != x.shape()[0]))
    fail("Sequential '", name_, "'.", what, ": x has ", x.shape()[0], " samples (shape ", x.shape(), ") but y has ",
         y.rank() ? y.shape()[0] : 0, " (shape ", y.shape(), ")");
  if (built()) {
    Shape per;
    for (int d = 1; d < x.rank(); ++d) per.push_back(x.shape()[d]);
    if (!(per == input_shape())) {
      std::string want = "(None";
      for (std::int64_t d : input_shape()) want += ", " + std::to_string(d);
      fail("Sequential '", name_, "'.", what, ": expected input of shape ", want, ") but x has shape ", x.shape());
    }
  }
  // Sparse labels are checked against the class count before any weight changes.
  if (y.defined() && loss_ && loss_->name() == "sparse_categorical_crossentropy" && built()) {
    const std::int64_t classes = output_shape().back();
    const auto v = y.to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!(v[i] >= 0 && v[i] < static_cast<double>(classes)) || v[i] != std::floor(v[i]))
        fail("Sequential '", name_, "'.", what, ": label ", v[i], " at index ", i, " is outside [0, ", classes,
             ") for a model with ", classes, " outputs");
  }
}

double Sequential::train_step(const Tensor& x, const Tensor& y,
                              const std::function<void(const std::vector<Tensor>&, const std::vector<Variable>&)>& on_gradients) {
  const std::vector<Variable> vars = trainable_variables();
  GradientTape tape;
  const Tensor y_pred = (*this)(x, /*training=*/true);
  const Tensor loss = (*loss_)(y, y_pred);
  const std::vector<Tensor> grads = tape.gradient(loss, vars);
  if (on_gradients) on_gradients(grads, vars);  // the gradient hook: see Callback::on_train_batch_gradients
  optimizer_->apply_gradients(grads, vars);
  for (const auto& m : metrics_) m->update_state(y, y_pred);
  return loss.item();
}

std::map<std::string, double> Sequential::train_on_batch(const Tensor& x, const Tensor& y) {
  check_compiled("train_on_batch");
  if (!built() && x.defined() && x.rank() >= 1) build(Shape(std::vector<std::int64_t>(x.shape().begin() + 1, x.shape().end())));
  check_xy(x, y, "train_on_batch");
  for (const auto& m : metrics_) m->reset_state();
  std::map<std::string, double> logs{{"loss", train_step(x, y)}};
  for (const auto& m : metrics_) logs[m->name()] = m->result();
  return logs;
}

History Sequential::fit(const Tensor& x_in, const Tensor& y_in, const FitOptions& opt) {
  check_compiled("fit");
  if (opt.epochs < 0) fail("Sequential '", name_, "'.fit: epochs must be >= 0, got ", opt.epochs);
  if (opt.batch_size <= 0) fail("Sequential '", name_, "'.fit: batch_size must be positive, got ", opt.batch_size);
  if (!(opt.validation_split >= 0 && opt.validation_split < 1))
    fail("Sequential '", name_, "'.fit: validation_split must be in [0, 1), got ", opt.validation_split);
  if (!y_in.defined()) fail("Sequential '", name_, "'.fit: y is required");
  if (!built() && x_in.defined() && x_in.rank() >= 1)
    build(Shape(std::vector<std::int64_t>(x_in.shape().begin() + 1, x_in.shape().end())));
  check_xy(x_in, y_in, "fit");

  Tensor x = x_in, y = y_in, x_val = opt.x_val, y_val = opt.y_val;
  if (opt.validation_split > 0) {  // the last fraction, before shuffling (Keras)
    const std::int64_t n = x_in.shape()[0];
    const auto split = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * (1 - opt.validation_split)));
    x = x_in.slice_rows(0, split), y = y_in.slice_rows(0, split);
    x_val = x_in.slice_rows(split, n), y_val = y_in.slice_rows(split, n);
  }
  if (x_val.defined()) check_xy(x_val, y_val, "fit (validation data)");

  Dataset data(x, y);
  Generator gen(opt.seed);
  History history;
  stop_training = false;
  for (const auto& cb : opt.callbacks) cb->set_model(this);
  for (const auto& cb : opt.callbacks) cb->on_train_begin({});
  const std::int64_t steps = data.num_batches(opt.batch_size);
  for (int epoch = 0; epoch < opt.epochs && !stop_training; ++epoch) {
    for (const auto& cb : opt.callbacks) cb->on_epoch_begin(epoch, {});
    if (opt.shuffle) data.shuffle(gen);
    for (const auto& m : metrics_) m->reset_state();
    Mean loss_mean("loss");
    Progbar bar(std::cout, epoch + 1, opt.epochs, steps, opt.verbose);
    auto items = [&] {
      LogItems li{{"loss", loss_mean.result()}};
      for (const auto& m : metrics_) li.emplace_back(m->name(), m->result());
      return li;
    };
    for (std::int64_t s = 0; s < steps && !stop_training; ++s) {
      const auto batch = data.batch(s, opt.batch_size);
      // Gradient hook: callbacks see each batch's gradients before the optimizer step.
      const auto show_gradients = [&](const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
        for (const auto& cb : opt.callbacks) cb->on_train_batch_gradients({s, steps, grads, vars});
      };
      const double loss = opt.callbacks.empty() ? train_step(batch.x, batch.y) : train_step(batch.x, batch.y, show_gradients);
      loss_mean.update(loss, static_cast<double>(batch.x.shape()[0]));
      if (bar.wants_update(s + 1)) bar.update(s + 1, items());
      if (!opt.callbacks.empty()) {
        Logs bl{{"loss", loss}};
        for (const auto& cb : opt.callbacks) cb->on_train_batch_end(s, bl);
      }
    }
    LogItems li = items();
    if (x_val.defined()) {
      const auto v = evaluate(x_val, y_val, opt.batch_size, 0);
      li.emplace_back("val_loss", v.at("loss"));
      for (const auto& m : metrics_) li.emplace_back("val_" + m->name(), v.at(m->name()));
      // evaluate reset the metrics; the epoch's training values are already in `li`.
    }
    bar.finish(li);
    Logs logs(li.begin(), li.end());
    history.epoch.push_back(epoch);
    for (const auto& [k, v] : logs) history.history[k].push_back(v);
    for (const auto& cb : opt.callbacks) cb->on_epoch_end(epoch, logs);
  }
  for (const auto& cb : opt.callbacks) cb->on_train_end({});
  return history;
}

std::map<std::string, double> Sequential::evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size, int verbose) {
  check_compiled("evaluate");
  if (batch_size <= 0) fail("Sequential '", name_, "'.evaluate: batch_size must be positive, got ", batch_size);
  if (!built() && x.defined() && x.rank() >= 1) build(Shape(std::vector<std::int64_t>(x.shape().begin() + 1, x.shape().end())));
  check_xy(x, y, "evaluate");
  NoRecordScope no_tape;
  Dataset data(x, y);
  Mean loss_mean("loss");
  for (const auto& m : metrics_) m->reset_state();
  const std::int64_t steps = data.num_batches(batch_size);
  Progbar bar(std::cout, 1, 1, steps, verbose);
  for (std::int64_t s = 0; s < steps; ++s) {
    const auto batch = data.batch(s, batch_size);
    const Tensor y_pred = (*this)(batch.x, false);
    loss_mean.update((*loss_)(batch.y, y_pred).item(), static_cast<double>(batch.x.shape()[0]));
    for (const auto& m : metrics_) m->update_state(batch.y, y_pred);
  }
  std::map<std::string, double> out{{"loss", loss_mean.result()}};
  LogItems li{{"loss", loss_mean.result()}};
  for (const auto& m : metrics_) {
    out[m->name()] = m->result();
    li.emplace_back(m->name(), m->result());
  }
  bar.finish(li);
  return out;
}

Tensor Sequential::predict(const Tensor& x, std::int64_t batch_size) {
  if (batch_size <= 0) fail("Sequential '", name_, "'.predict: batch_size must be positive, got ", batch_size);
  if (!built() && x.defined() && x.rank() >= 1) build(Shape(std::vector<std::int64_t>(x.shape().begin() + 1, x.shape().end())));
  check_xy(x, Tensor(), "predict");
  NoRecordScope no_tape;
  const std::int64_t n = x.shape()[0];
  Shape out_shape = output_shape();
  Shape full{n};
  for (std::int64_t d : out_shape) full.push_back(d);
  Tensor out(full, layers_.back()->dtype());
  const std::int64_t row = out_shape.numel();
  for (std::int64_t lo = 0; lo < n; lo += batch_size) {
    const std::int64_t hi = std::min(n, lo + batch_size);
    const Tensor y = (*this)(x.slice_rows(lo, hi), false);
    std::memcpy(static_cast<char*>(out.raw_data()) + static_cast<std::size_t>(lo * row) * dtype_size(out.dtype()),
                y.raw_data(), static_cast<std::size_t>((hi - lo) * row) * dtype_size(out.dtype()));
  }
  return out;
}

}  // namespace tg::nn
