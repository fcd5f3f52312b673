// Model's compile / fit / evaluate / predict / train_on_batch: Keras' training loop, for any
// number of inputs and outputs.
#include <cmath>
#include <cstring>
#include <iostream>

#include "autograd/tape.hpp"
#include "core/elementwise.hpp"
#include "nn/data.hpp"
#include "nn/model.hpp"
#include "nn/optimizers.hpp"
#include "nn/parallel.hpp"
#include "nn/progbar.hpp"
#include "ops/arithmetic.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"

namespace tg::nn {

namespace {
Shape per_example(const Tensor& x) { return Shape(std::vector<std::int64_t>(x.shape().begin() + 1, x.shape().end())); }
// The installed process group when there is more than one process (nn/parallel.hpp), else null.
ProcessGroup* parallel_group() {
  ProcessGroup* g = process_group();
  return g && g->size() > 1 ? g : nullptr;
}
}  // namespace

void Model::compile(std::shared_ptr<Optimizer> optimizer, std::shared_ptr<Loss> loss, const std::vector<std::string>& metrics) {
  if (!loss) fail(where(), ".compile: the loss is null");
  compile(std::move(optimizer), std::vector<std::shared_ptr<Loss>>{loss}, metrics);
}

void Model::compile(std::shared_ptr<Optimizer> optimizer, std::vector<std::shared_ptr<Loss>> losses,
                    const std::vector<std::string>& metrics, std::vector<double> loss_weights) {
  if (!optimizer) fail(where(), ".compile: the optimizer is null");
  if (losses.empty()) fail(where(), ".compile: no loss was given");
  for (std::size_t i = 0; i < losses.size(); ++i)
    if (!losses[i]) fail(where(), ".compile: loss ", i, " is null");
  const std::size_t outs = std::max<std::size_t>(1, num_outputs());
  if (losses.size() == 1 && outs > 1) losses.assign(outs, losses.front());  // Keras: one loss for every output
  if (losses.size() != outs) fail(where(), ".compile: ", losses.size(), " losses for ", outs, " outputs");
  if (loss_weights.empty()) loss_weights.assign(outs, 1.0);
  if (loss_weights.size() != outs) fail(where(), ".compile: ", loss_weights.size(), " loss_weights for ", outs, " outputs");
  std::vector<std::shared_ptr<Metric>> ms;
  for (std::size_t o = 0; o < outs; ++o)
    for (const std::string& m : metrics) ms.push_back(get_metric(m, losses[o]->name()));  // throws before any change
  optimizer_ = std::move(optimizer);
  losses_ = std::move(losses);
  loss_weights_ = std::move(loss_weights);
  metric_names_ = metrics;
  metrics_ = std::move(ms);
}

void Model::compile(const std::string& optimizer, const std::string& loss, const std::vector<std::string>& metrics) {
  compile(get_optimizer(optimizer), get_loss(loss), metrics);
}

const std::shared_ptr<Loss>& Model::loss() const {
  static const std::shared_ptr<Loss> none;
  return losses_.empty() ? none : losses_.front();
}

void Model::check_compiled(const char* what) const {
  if (!compiled()) fail(where(), ".", what, ": the model must be compiled first (compile(optimizer, loss))");
}

void Model::check_data(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const char* what) {
  if (xs.empty()) fail(where(), ".", what, ": no input was given");
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (!xs[i].defined() || xs[i].rank() < 1) fail(where(), ".", what, ": input ", i, " must be a batch [N, ...]");
  const std::int64_t n = xs.front().shape()[0];
  for (std::size_t i = 0; i < ys.size(); ++i)
    if (!ys[i].defined() || ys[i].rank() < 1 || ys[i].shape()[0] != n)
      fail(where(), ".", what, ": x has ", n, " samples (shape ", xs.front().shape(), ") but y", ys.size() > 1 ? " " + std::to_string(i) : "",
           " has ", ys[i].defined() && ys[i].rank() ? ys[i].shape()[0] : 0, " (shape ",
           ys[i].defined() ? ys[i].shape().str() : std::string("undefined"), ")");
  if (!built()) {
    std::vector<Shape> shapes;
    for (const Tensor& x : xs) shapes.push_back(per_example(x));
    build(shapes);
  } else {
    if (xs.size() != input_shapes().size())
      fail(where(), ".", what, ": the model takes ", input_shapes().size(), " inputs, got ", xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const Shape want = input_shapes()[i], got = per_example(xs[i]);
      bool ok = want.rank() == got.rank();
      for (int d = 0; ok && d < want.rank(); ++d) ok = want[d] < 0 || want[d] == got[d];
      if (!ok) {
        std::string w = "(None";
        for (std::int64_t d : want) w += ", " + (d < 0 ? std::string("None") : std::to_string(d));
        fail(where(), ".", what, ": expected input", xs.size() > 1 ? " " + std::to_string(i) : "", " of shape ", w,
             ") but x has shape ", xs[i].shape());
      }
    }
  }
  // Sparse labels are checked against the class count before any weight changes.
  const auto outs = compute_output_shapes(input_shapes());
  for (std::size_t o = 0; o < ys.size() && o < losses_.size() && o < outs.size(); ++o) {
    if (losses_[o]->name() != "sparse_categorical_crossentropy" || outs[o].rank() < 1) continue;
    const std::int64_t classes = outs[o].back();
    const auto v = ys[o].to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!(v[i] >= 0 && v[i] < static_cast<double>(classes)) || v[i] != std::floor(v[i]))
        fail(where(), ".", what, ": label ", v[i], " at index ", i, " is outside [0, ", classes, ") for a model with ", classes,
             " outputs");
  }
}

Tensor Model::batch_weights(const Tensor& sample_weight, const std::vector<Tensor>& ys,
                            const std::map<std::int64_t, double>& class_weight) const {
  if (class_weight.empty()) return sample_weight;
  if (ys.size() != 1) fail(where(), ": class_weight needs a model with one output");
  // Class ids from sparse labels (N,) or (N, 1), or the argmax of one-hot labels (N, C).
  const Tensor& y = ys.front();
  std::vector<double> ids;
  if (y.rank() == 1 || (y.rank() == 2 && y.shape()[1] == 1)) {
    ids = y.to_vector<double>();
  } else {
    const std::int64_t n = y.shape()[0], c = y.numel() / std::max<std::int64_t>(n, 1);
    const auto v = y.to_vector<double>();
    for (std::int64_t i = 0; i < n; ++i) {
      std::int64_t best = 0;
      for (std::int64_t j = 1; j < c; ++j)
        if (v[static_cast<std::size_t>(i * c + j)] > v[static_cast<std::size_t>(i * c + best)]) best = j;
      ids.push_back(static_cast<double>(best));
    }
  }
  std::vector<double> w(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    // Keras rounds the labels (np.round: half to even, as nearbyint) before looking up the class.
    auto it = class_weight.find(static_cast<std::int64_t>(std::nearbyint(ids[i])));
    w[i] = it == class_weight.end() ? 1.0 : it->second;
  }
  Tensor cw = Tensor::from_vector(w, Shape{static_cast<std::int64_t>(w.size())});
  if (!sample_weight.defined()) return cw;
  return core::mul(core::convert(sample_weight, DType::float64), cw);
}

Tensor Model::compute_loss(const std::vector<Tensor>& ys, const std::vector<Tensor>& preds, const Tensor& sample_weight) const {
  if (ys.size() != losses_.size() || preds.size() != losses_.size())
    fail(where(), ": ", ys.size(), " targets and ", preds.size(), " predictions for ", losses_.size(), " outputs");
  Tensor total;
  for (std::size_t o = 0; o < losses_.size(); ++o) {
    Tensor l;
    if (!sample_weight.defined()) {
      l = (*losses_[o])(ys[o], preds[o]);
    } else {
      // Keras' sum_over_batch_size: sum(loss * weight) / N.
      const Tensor per = losses_[o]->per_sample(ys[o], preds[o]);
      if (sample_weight.numel() != per.numel())
        fail(where(), ": sample_weight has ", sample_weight.numel(), " values for a batch of ", per.numel());
      l = mean(mul(per, cast(reshape(sample_weight, {per.numel()}), per.dtype())));
    }
    if (loss_weights_[o] != 1.0) l = l * loss_weights_[o];
    total = total.defined() ? add(total, l) : l;
  }
  for (const Tensor& penalty : regularization_losses()) total = add(total, cast(penalty, total.dtype()));
  return total;
}

void Model::update_metrics(const std::vector<Tensor>& ys, const std::vector<Tensor>& preds) {
  const std::size_t per = metric_names_.size();
  for (std::size_t o = 0; o < ys.size(); ++o)
    for (std::size_t k = 0; k < per; ++k) metrics_[o * per + k]->update_state(ys[o], preds[o]);
}

// Keras' log names: "accuracy" with one output, "<output>_accuracy" with several.
std::vector<std::pair<std::string, double>> Model::metric_logs() const {
  std::vector<std::pair<std::string, double>> out;
  const std::size_t per = metric_names_.size();
  const auto names = num_outputs() > 1 ? output_names() : std::vector<std::string>{};
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    const std::string prefix = names.empty() ? "" : names[i / per] + "_";
    out.emplace_back(prefix + metrics_[i]->name(), metrics_[i]->result());
  }
  return out;
}

std::vector<std::pair<std::string, double>> Model::metric_logs(ProcessGroup* group) const {
  if (!group) return metric_logs();
  // Sum every metric's state over the ranks, read the results, then put the local states back
  // (they keep accumulating this rank's batches).
  std::vector<std::vector<double>> local;
  std::vector<double> all;
  for (const auto& m : metrics_) local.push_back(m->state()), all.insert(all.end(), local.back().begin(), local.back().end());
  group->sum(all);
  std::size_t k = 0;
  for (std::size_t i = 0; i < metrics_.size(); k += local[i].size(), ++i)
    metrics_[i]->set_state(std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(k),
                                               all.begin() + static_cast<std::ptrdiff_t>(k + local[i].size())));
  auto out = metric_logs();
  for (std::size_t i = 0; i < metrics_.size(); ++i) metrics_[i]->set_state(local[i]);
  return out;
}

double Model::train_step(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const Tensor& weights,
                         const std::function<void(const std::vector<Tensor>&, const std::vector<Variable>&)>& on_gradients,
                         ProcessGroup* group, std::vector<double>* step) {
  const std::vector<Variable> vars = trainable_variables();
  const std::int64_t n = xs.front().shape()[0];
  std::vector<Tensor> grads(vars.size()), preds;
  double loss_value = 0;
  if (n > 0 || !group) {  // a rank whose slice of a short last batch is empty only joins the reduction
    GradientTape tape;
    preds = (*this)(xs, /*training=*/true);
    const Tensor loss = compute_loss(ys, preds, weights);
    grads = tape.gradient(loss, vars);
    loss_value = loss.item();
  }
  if (step) (*step)[0] = loss_value * static_cast<double>(n), (*step)[1] = static_cast<double>(n);
  if (group) grads = group->average_gradients(grads, vars, static_cast<double>(n), step);
  if (on_gradients) on_gradients(grads, vars);  // the gradient hook: see Callback::on_train_batch_gradients
  optimizer_->apply_gradients(grads, vars);
  if (!preds.empty()) update_metrics(ys, preds);
  return loss_value;
}

std::map<std::string, double> Model::train_on_batch(const Tensor& x, const Tensor& y) {
  return train_on_batch(std::vector<Tensor>{x}, std::vector<Tensor>{y});
}

std::map<std::string, double> Model::train_on_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  check_compiled("train_on_batch");
  check_data(xs, ys, "train_on_batch");
  for (const auto& m : metrics_) m->reset_state();
  // With several processes (nn/parallel.hpp) each passes its own batch: the step averages the
  // gradients weighted by rows, and the loss and metrics returned are those of all the batches.
  ProcessGroup* group = parallel_group();
  std::vector<double> step{0, 0};
  double loss = train_step(xs, ys, Tensor(), {}, group, &step);
  if (group && step[1] > 0) loss = step[0] / step[1];
  std::map<std::string, double> logs{{"loss", loss}};
  for (const auto& [k, v] : metric_logs(group)) logs[k] = v;
  return logs;
}

History Model::fit(const Tensor& x, const Tensor& y, const FitOptions& opt) {
  if (!y.defined()) fail(where(), ".fit: y is required");
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, opt);
}

History Model::fit(const std::vector<Tensor>& xs_in, const std::vector<Tensor>& ys_in, const FitOptions& opt) {
  check_compiled("fit");
  if (opt.epochs < 0) fail(where(), ".fit: epochs must be >= 0, got ", opt.epochs);
  if (opt.batch_size <= 0) fail(where(), ".fit: batch_size must be positive, got ", opt.batch_size);
  if (!(opt.validation_split >= 0 && opt.validation_split < 1))
    fail(where(), ".fit: validation_split must be in [0, 1), got ", opt.validation_split);
  if (ys_in.empty()) fail(where(), ".fit: y is required");
  check_data(xs_in, ys_in, "fit");
  const std::int64_t n_all = xs_in.front().shape()[0];
  if (opt.sample_weight.defined() && opt.sample_weight.numel() != n_all)
    fail(where(), ".fit: sample_weight has ", opt.sample_weight.numel(), " values for ", n_all, " samples");

  std::vector<Tensor> xs = xs_in, ys = ys_in, xv = opt.xs_val, yv = opt.ys_val;
  Tensor sw = opt.sample_weight;
  if (opt.x_val.defined()) xv = {opt.x_val}, yv = {opt.y_val};
  if (opt.validation_split > 0) {  // the last fraction, before shuffling (Keras)
    const auto split = static_cast<std::int64_t>(std::floor(static_cast<double>(n_all) * (1 - opt.validation_split)));
    xv.clear(), yv.clear();
    for (Tensor& x : xs) xv.push_back(core::rows_view(x, split, n_all)), x = core::rows_view(x, 0, split);
    for (Tensor& y : ys) yv.push_back(core::rows_view(y, split, n_all)), y = core::rows_view(y, 0, split);
    if (sw.defined()) sw = core::rows_view(core::view(sw, {n_all}), 0, split);
  }
  if (!xv.empty()) check_data(xv, yv, "fit (validation data)");

  std::vector<Tensor> data_ys = ys;
  if (sw.defined()) data_ys.push_back(core::view(sw, {sw.numel()}));  // batched with the rest
  Dataset data(xs, data_ys);
  Generator gen(opt.seed);
  History history;
  stop_training = false;
  // Data parallelism (nn/parallel.hpp): every rank starts from rank 0's weights, batch_size is the
  // per-rank batch, only rank 0 prints and runs the callbacks that write files.
  ProcessGroup* group = parallel_group();
  const int rank = group ? group->rank() : 0, ranks = group ? group->size() : 1;
  if (group) group->broadcast(weights(), 0);
  std::vector<std::shared_ptr<Callback>> callbacks;
  for (const auto& cb : opt.callbacks)
    if (rank == 0 || !cb->writes_files()) callbacks.push_back(cb);
  for (const auto& cb : callbacks) cb->set_model(this);
  for (const auto& cb : callbacks) cb->on_train_begin({});
  const std::int64_t steps = data.num_global_batches(opt.batch_size, ranks);
  for (int epoch = 0; epoch < opt.epochs && !stop_training; ++epoch) {
    for (const auto& cb : callbacks) cb->on_epoch_begin(epoch, {});
    if (opt.shuffle) data.shuffle(gen);  // the same order on every rank: the same seed
    for (const auto& m : metrics_) m->reset_state();
    Mean loss_mean("loss");
    Progbar bar(std::cout, epoch + 1, opt.epochs, steps, rank == 0 ? opt.verbose : 0);
    auto items = [&] {  // a collective with a group: every rank calls it at the same steps
      LogItems li{{"loss", loss_mean.result()}};
      for (const auto& kv : metric_logs(group)) li.push_back(kv);
      return li;
    };
    for (std::int64_t s = 0; s < steps && !stop_training; ++s) {
      auto batch = group ? data.shard(s, opt.batch_size, rank, ranks) : data.batch_all(s, opt.batch_size);
      Tensor w;
      if (sw.defined()) w = batch.ys.back(), batch.ys.pop_back();
      w = batch_weights(w, batch.ys, opt.class_weight);
      // Gradient hook: callbacks see each batch's gradients before the optimizer step.
      const auto show_gradients = [&](const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
        for (const auto& cb : callbacks) cb->on_train_batch_gradients({s, steps, grads, vars});
      };
      // {loss * rows, rows, whether rank 0 draws}, summed over the ranks with the gradients: the
      // global batch's loss (each rank's mean weighted by its rows) at no extra message.
      std::vector<double> step{0, 0, bar.wants_update(s + 1) ? 1.0 : 0.0};
      const double local_loss = callbacks.empty() ? train_step(batch.xs, batch.ys, w, {}, group, &step)
                                                  : train_step(batch.xs, batch.ys, w, show_gradients, group, &step);
      const double loss = group && step[1] > 0 ? step[0] / step[1] : local_loss;
      loss_mean.update(loss, step[1]);
      if (step[2] > 0) bar.update(s + 1, items());
      if (!callbacks.empty()) {
        Logs bl{{"loss", loss}};
        for (const auto& cb : callbacks) cb->on_train_batch_end(s, bl);
      }
    }
    LogItems li = items();
    if (!xv.empty()) {
      const auto v = evaluate(xv, yv, opt.batch_size, 0);
      for (const auto& [k, val] : v) li.emplace_back("val_" + k, val);
      // evaluate reset the metrics; the epoch's training values are already in `li`.
    }
    bar.finish(li);
    Logs logs(li.begin(), li.end());
    history.epoch.push_back(epoch);
    for (const auto& [k, v] : logs) history.history[k].push_back(v);
    for (const auto& cb : callbacks) cb->on_epoch_end(epoch, logs);
  }
  for (const auto& cb : callbacks) cb->on_train_end({});
  return history;
}

std::map<std::string, double> Model::evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size, int verbose) {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, batch_size, verbose);
}

std::map<std::string, double> Model::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                                              std::int64_t batch_size, int verbose, const Tensor& sample_weight) {
  check_compiled("evaluate");
  if (batch_size <= 0) fail(where(), ".evaluate: batch_size must be positive, got ", batch_size);
  check_data(xs, ys, "evaluate");
  if (xs.front().shape()[0] == 0) fail(where(), ".evaluate: there are no samples to evaluate (x has shape ", xs.front().shape(), ")");
  NoRecordScope no_tape;
  std::vector<Tensor> data_ys = ys;
  if (sample_weight.defined()) data_ys.push_back(core::view(sample_weight, {sample_weight.numel()}));
  Dataset data(xs, data_ys);
  Mean loss_mean("loss");
  for (const auto& m : metrics_) m->reset_state();
  // Data parallelism (nn/parallel.hpp): each rank evaluates its slice of every global batch; the
  // totals are summed over the ranks at the end.
  ProcessGroup* group = parallel_group();
  const int rank = group ? group->rank() : 0, ranks = group ? group->size() : 1;
  const std::int64_t steps = data.num_global_batches(batch_size, ranks);
  Progbar bar(std::cout, 1, 1, steps, rank == 0 ? verbose : 0);
  for (std::int64_t s = 0; s < steps; ++s) {
    auto batch = group ? data.shard(s, batch_size, rank, ranks) : data.batch_all(s, batch_size);
    if (batch.xs.front().shape()[0] == 0) continue;
    Tensor w;
    if (sample_weight.defined()) w = batch.ys.back(), batch.ys.pop_back();
    const std::vector<Tensor> preds = (*this)(batch.xs, false);
    loss_mean.update(compute_loss(batch.ys, preds, w).item(), static_cast<double>(batch.xs.front().shape()[0]));
    update_metrics(batch.ys, preds);
  }
  if (group) {
    std::vector<double> totals = loss_mean.state();
    group->sum(totals);
    loss_mean.set_state(totals);
  }
  std::map<std::string, double> out{{"loss", loss_mean.result()}};
  LogItems li{{"loss", loss_mean.result()}};
  for (const auto& [k, v] : metric_logs(group)) {
    out[k] = v;
    li.emplace_back(k, v);
  }
  bar.finish(li);
  return out;
}

Tensor Model::predict(const Tensor& x, std::int64_t batch_size) {
  return predict(std::vector<Tensor>{x}, batch_size).front();
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, std::int64_t batch_size) {
  if (batch_size <= 0) fail(where(), ".predict: batch_size must be positive, got ", batch_size);
  check_data(xs, {}, "predict");
  NoRecordScope no_tape;
  const std::int64_t n = xs.front().shape()[0];
  std::vector<Tensor> out;
  for (std::int64_t lo = 0; lo < n || (n == 0 && lo == 0); lo += batch_size) {
    const std::int64_t hi = std::min(n, lo + batch_size);
    std::vector<Tensor> batch;
    for (const Tensor& x : xs) batch.push_back(core::rows_view(x, lo, hi));
    const std::vector<Tensor> ys = (*this)(batch, false);
    if (out.empty())
      for (const Tensor& y : ys) {
        Shape full = y.shape();
        full[0] = n;
        out.emplace_back(full, y.dtype());
      }
    for (std::size_t o = 0; o < ys.size(); ++o) {
      const std::int64_t row = ys[o].numel() / std::max<std::int64_t>(hi - lo, 1);
      const std::size_t esz = dtype_size(ys[o].dtype());
      if (hi > lo)
        std::memcpy(static_cast<char*>(out[o].raw_data()) + static_cast<std::size_t>(lo * row) * esz, ys[o].raw_data(),
                    static_cast<std::size_t>((hi - lo) * row) * esz);
    }
    if (n == 0) break;
  }
  return out;
}

}  // namespace tg::nn
