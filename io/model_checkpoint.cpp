#include "io/model_checkpoint.hpp"

#include <limits>

#include "io/keras_model_io.hpp"

namespace tg::nn {

ModelCheckpoint::ModelCheckpoint(std::string filepath, std::string monitor, bool save_best_only, bool save_weights_only,
                                 std::string mode)
    : filepath_(std::move(filepath)), monitor_(std::move(monitor)), best_only_(save_best_only), weights_only_(save_weights_only) {
  if (mode == "auto") maximize_ = monitor_.find("acc") != std::string::npos;
  else if (mode == "max" || mode == "min") maximize_ = mode == "max";
  else fail("ModelCheckpoint: mode must be 'auto', 'min' or 'max', got '", mode, "'");
}

void ModelCheckpoint::on_train_begin(const Logs&) {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

void ModelCheckpoint::on_epoch_end(int epoch, const Logs& logs) {
  if (best_only_) {
    auto it = logs.find(monitor_);
    if (it == logs.end()) fail("ModelCheckpoint: monitored metric '", monitor_, "' is not in the logs");
    if (!(maximize_ ? it->second > best_ : it->second < best_)) return;
    best_ = it->second;
  }
  const std::string path = format_filepath(filepath_, epoch, logs);
  if (!model_) return;
  if (weights_only_) save_weights(*model_, path);
  else save_model(*model_, path);
  saved_.push_back(path);
}

}  // namespace tg::nn
