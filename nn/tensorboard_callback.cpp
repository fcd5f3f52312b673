#include "nn/tensorboard_callback.hpp"

#include <filesystem>

#include "nn/optimizers.hpp"
#include "nn/sequential.hpp"
#include "summary/summary.hpp"
#include "summary/writer.hpp"

namespace tg::nn {

UpdateFreq::UpdateFreq(int n) : UpdateFreq(static_cast<std::int64_t>(n)) {}
UpdateFreq::UpdateFreq(std::int64_t n) : batches(n) {
  if (n < 0) fail("TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of batches, got ", n);
}
UpdateFreq::UpdateFreq(const char* name) : UpdateFreq(std::string(name ? name : "")) {}
UpdateFreq::UpdateFreq(const std::string& name) {
  if (name == "epoch") batches = 0;
  else if (name == "batch") batches = 1;
  else fail("TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of batches, got '", name, "'");
}

TensorBoard::TensorBoard(std::string log_dir, TensorBoardOptions options)
    : log_dir_(std::move(log_dir)), options_(std::move(options)) {
  if (log_dir_.empty()) fail("TensorBoard: log_dir is empty");
  if (options_.histogram_freq < 0) fail("TensorBoard: histogram_freq must be >= 0, got ", options_.histogram_freq);
}

TensorBoard::TensorBoard(std::string log_dir, int histogram_freq, UpdateFreq update_freq)
    : TensorBoard(std::move(log_dir), TensorBoardOptions{.histogram_freq = histogram_freq, .update_freq = update_freq}) {}

TensorBoard::~TensorBoard() = default;

bool TensorBoard::histogram_epoch(int epoch) const {
  return options_.histogram_freq > 0 && epoch % options_.histogram_freq == 0;
}

summary::Writer& TensorBoard::validation_writer() {
  if (!validation_)
    validation_ = std::make_unique<summary::Writer>((std::filesystem::path(log_dir_) / "validation").string(),
                                                    summary::WriterOptions{.flush_secs = options_.flush_secs});
  return *validation_;
}

void TensorBoard::on_train_begin(const Logs&) {
  // The train writer opens now, so a log directory that cannot be written stops fit before any step.
  train_ = std::make_unique<summary::Writer>((std::filesystem::path(log_dir_) / "train").string(),
                                             summary::WriterOptions{.flush_secs = options_.flush_secs});
  validation_.reset();
  global_batch_ = 0;
}

void TensorBoard::on_train_end(const Logs&) {
  if (train_) train_->close();
  if (validation_) validation_->close();
  train_.reset();
  validation_.reset();
  grads_.clear(), before_.clear(), vars_.clear();
}

void TensorBoard::on_epoch_begin(int epoch, const Logs&) { epoch_ = epoch; }

void TensorBoard::on_train_batch_end(std::int64_t, const Logs& logs) {
  ++global_batch_;
  if (!train_ || options_.update_freq.batches <= 0 || global_batch_ % options_.update_freq.batches != 0) return;
  for (const auto& [name, value] : logs) train_->scalar("batch_" + summary::clean_tag(name), value, global_batch_);
}

void TensorBoard::on_train_batch_gradients(const BatchGradients& step) {
  // Only the last batch of a histogram epoch is kept: handles to its gradients (no copy) and a copy
  // of the weights the optimizer is about to change, for the update ratio.
  if (!options_.write_gradients || !histogram_epoch(epoch_) || step.batch != step.steps - 1) return;
  grads_ = step.grads;
  vars_ = step.variables;
  before_.clear();
  for (const Variable& v : vars_) before_.push_back(core::copy(v.value()));
}

void TensorBoard::on_epoch_end(int epoch, const Logs& logs) {
  if (!train_) return;
  for (const auto& [name, value] : logs)
    if (name.rfind("val_", 0) != 0) train_->scalar("epoch_" + summary::clean_tag(name), value, epoch);
  if (model_ && model_->optimizer()) train_->scalar("epoch_learning_rate", model_->optimizer()->learning_rate(), epoch);
  bool any_val = false;
  for (const auto& [name, value] : logs)
    if (name.rfind("val_", 0) == 0) {
      const std::string metric = summary::clean_tag(name.substr(4));
      validation_writer().scalar("epoch_" + metric, value, epoch);
      if (model_ && model_->optimizer())
        validation_writer().scalar("evaluation_" + metric + "_vs_iterations", value, model_->optimizer()->iterations());
      any_val = true;
    }
  if (histogram_epoch(epoch) && model_) {
    for (const auto& layer : model_->layers())
      for (const Variable& w : layer->weights()) train_->histogram(summary::clean_tag(w.name()) + "/histogram", w.value(), epoch);
    if (!vars_.empty())
      summary::gradients(*train_, vars_, grads_, epoch,
                         {.weight_histograms = false, .gradient_histograms = true, .norms = true, .weights_before = before_});
  }
  grads_.clear(), before_.clear(), vars_.clear();
  train_->flush();
  if (any_val) validation_->flush();
}

}  // namespace tg::nn
