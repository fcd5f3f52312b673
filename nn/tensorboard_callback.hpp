#pragma once
/// \file
/// Keras' TensorBoard callback, plus the gradient views Keras lacks.
///
///     model.fit(x, y, {.epochs = 5, .validation_split = 0.1,
///                      .callbacks = {std::make_shared<tg::nn::TensorBoard>("logs/run1", 1)}});
///     // then: tensorboard --logdir logs    (or: tapegrad logs logs/run1)
///
/// Layout and tags as Keras 3 writes them:
///   <log_dir>/train       epoch_<metric> (epoch_loss, epoch_accuracy, ...) and epoch_learning_rate, step = epoch;
///                         batch_<metric> every update_freq batches, step = batches since fit began (from 1);
///                         with histogram_freq, at every histogram_freq-th epoch (step = epoch):
///                         <layer>/<weight>/histogram for every weight (Keras' tag, with the layer's name)
///   <log_dir>/validation  epoch_<metric> for the val_ logs (prefix dropped), step = epoch;
///                         evaluation_<metric>_vs_iterations, step = the optimizer's iterations
/// and, with histogram_freq and write_gradients (tapegrad's addition), from the last batch of those
/// epochs, in train: <layer>/<weight>/gradient_histogram, <layer>/<weight>/gradient_norm,
/// <layer>/<weight>/update_ratio (||update|| / ||weight||) and gradients/global_norm. Tags start with
/// the layer's name, so TensorBoard's UI groups them by layer.
#include <memory>
#include <string>
#include <vector>

#include "nn/callbacks.hpp"

namespace tg::summary {
class Writer;
}

namespace tg::nn {

/// Keras' update_freq: "epoch" (no batch scalars), "batch" (every batch), or every n batches.
struct UpdateFreq {
  std::int64_t batches = 0;  // 0: "epoch"
  UpdateFreq(int n);
  UpdateFreq(std::int64_t n);
  UpdateFreq(const char* name);
  UpdateFreq(const std::string& name);
};

struct TensorBoardOptions {
  int histogram_freq = 0;           // epochs between histograms; 0: none (Keras)
  UpdateFreq update_freq = "epoch";
  bool write_gradients = true;      // with histogram_freq: gradient histograms, norms and update ratios
  double flush_secs = 2;            // see summary::WriterOptions; the callback also flushes every epoch
};

class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::string log_dir = "logs", TensorBoardOptions options = {});
  TensorBoard(std::string log_dir, int histogram_freq, UpdateFreq update_freq = "epoch");
  ~TensorBoard() override;

  void on_train_begin(const Logs&) override;
  bool writes_files() const override { return true; }
  void on_train_end(const Logs&) override;
  void on_epoch_begin(int epoch, const Logs&) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_train_batch_gradients(const BatchGradients& step) override;

  const std::string& log_dir() const { return log_dir_; }

 private:
  bool histogram_epoch(int epoch) const;
  summary::Writer& validation_writer();

  std::string log_dir_;
  TensorBoardOptions options_;
  std::unique_ptr<summary::Writer> train_, validation_;
  std::int64_t global_batch_ = 0;
  int epoch_ = 0;
  // The last batch of a histogram epoch: its gradients, variables and their values before the step.
  std::vector<Tensor> grads_, before_;
  std::vector<Variable> vars_;
};

}  // namespace tg::nn
