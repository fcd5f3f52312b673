#pragma once
/// \file
/// Keras callbacks for fit: hooks at the start and end of training, epochs and batches.
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/variable.hpp"
#include "core/tensor.hpp"

namespace tg::nn {

class Model;
using Logs = std::map<std::string, double>;

/// What fit's train step shows a callback between computing a batch's gradients and applying them
/// (tapegrad's addition to Keras' hooks, for gradient inspection; see Callback::on_train_batch_gradients).
struct BatchGradients {
  std::int64_t batch;                       // index of the batch within the epoch
  std::int64_t steps;                       // batches in the epoch
  const std::vector<Tensor>& grads;         // grads[i] is the gradient of variables[i] (undefined if none)
  const std::vector<Variable>& variables;   // the model's trainable variables, still holding the old values
};

class Callback {
 public:
  virtual ~Callback() = default;
  void set_model(Model* model) { model_ = model; }
  virtual void on_train_begin(const Logs&) {}
  virtual void on_train_end(const Logs&) {}
  virtual void on_epoch_begin(int, const Logs&) {}
  virtual void on_epoch_end(int, const Logs&) {}
  virtual void on_train_batch_end(std::int64_t, const Logs&) {}
  /// Called by fit after each batch's gradients are computed and before the optimizer applies them.
  virtual void on_train_batch_gradients(const BatchGradients&) {}
  /// True for callbacks that write files (checkpoints, logs): in data-parallel training
  /// (nn/parallel.hpp) fit runs them on rank 0 only, as Horovod advises.
  virtual bool writes_files() const { return false; }

 protected:
  Model* model_ = nullptr;
};

/// What fit returns: every epoch's logs, keyed like Keras' History.history.
struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;
};

/// Stops when `monitor` has not improved by more than min_delta for `patience` epochs. With
/// restore_best_weights, the weights of the best epoch are restored when training ends, whether
/// or not it stopped early (Keras 3's on_train_end).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(std::string monitor = "val_loss", double min_delta = 0, int patience = 0,
                         std::string mode = "auto", bool restore_best_weights = false);
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }

 private:
  std::string monitor_;
  double min_delta_;
  int patience_;
  bool maximize_;
  bool auto_mode_ = false;  // mode "auto": the direction comes from the model's metrics
  bool restore_;
  double best_ = 0;
  int wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
  std::vector<Tensor> best_weights_;
};

/// Stops training as soon as a batch loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  bool terminated() const { return terminated_; }

 private:
  bool terminated_ = false;
};

/// Writes one CSV row per epoch as Keras 3's CSVLogger does: "epoch" and the first epoch's log keys
/// sorted (with "val_" twins, filled with "NA", when that epoch had no validation values), floats
/// as Python's repr, lines ending in "\r\n" (Python's csv.excel dialect). Keys that appear only
/// later are not written (Keras' DictWriter would raise).
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false);
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;

 private:
  std::string filename_;
  char sep_;
  bool append_;
  bool header_written_ = false;
  std::vector<std::string> keys_;  // the columns after "epoch", fixed by the first epoch
  std::ofstream out_;
};

/// Keras' ReduceLROnPlateau: multiplies the optimizer's rate by `factor` when `monitor` has not
/// improved by min_delta for `patience` epochs, then waits `cooldown` epochs; never below min_lr.
class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(std::string monitor = "val_loss", double factor = 0.1, int patience = 10,
                             std::string mode = "auto", double min_delta = 1e-4, int cooldown = 0, double min_lr = 0.0);
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;

 private:
  std::string monitor_;
  double factor_, min_delta_, min_lr_;
  int patience_, cooldown_;
  bool maximize_;
  bool auto_mode_ = false;  // mode "auto": the direction comes from the model's metrics
  double best_ = 0;
  int wait_ = 0, cooldown_counter_ = 0;
};

/// Keras' LearningRateScheduler: at the start of each epoch sets the rate to schedule(epoch, rate).
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int epoch, double learning_rate)> schedule);
  void on_epoch_begin(int epoch, const Logs& logs) override;

 private:
  std::function<double(int, double)> schedule_;
};

/// Keras' file-name templates: "{epoch:02d}", "{epoch}", "{val_loss:.2f}", "{loss:.4f}", ...
/// (Python format specs d, f, e, g with width and precision) filled from the epoch (1-based) and
/// the logs; throws naming an unknown key.
std::string format_filepath(const std::string& pattern, int epoch, const Logs& logs);

/// Callbacks from plain functions (Keras' LambdaCallback); unset ones do nothing.
class LambdaCallback : public Callback {
 public:
  std::function<void(int, const Logs&)> epoch_begin, epoch_end;
  std::function<void(std::int64_t, const Logs&)> batch_end;
  std::function<void(const Logs&)> train_begin, train_end;
  void on_train_begin(const Logs& l) override { if (train_begin) train_begin(l); }
  void on_train_end(const Logs& l) override { if (train_end) train_end(l); }
  void on_epoch_begin(int e, const Logs& l) override { if (epoch_begin) epoch_begin(e, l); }
  void on_epoch_end(int e, const Logs& l) override { if (epoch_end) epoch_end(e, l); }
  void on_train_batch_end(std::int64_t b, const Logs& l) override { if (batch_end) batch_end(b, l); }
};

}  // namespace tg::nn
