#include "nn/callbacks.hpp"

#include <cmath>
#include <limits>

#include "nn/sequential.hpp"

namespace tg::nn {

EarlyStopping::EarlyStopping(std::string monitor, double min_delta, int patience, std::string mode,
                             bool restore_best_weights)
    : monitor_(std::move(monitor)), min_delta_(std::fabs(min_delta)), patience_(patience), restore_(restore_best_weights) {
  if (mode == "auto") maximize_ = monitor_.find("acc") != std::string::npos;
  else if (mode == "max") maximize_ = true;
  else if (mode == "min") maximize_ = false;
  else fail("EarlyStopping: mode must be 'auto', 'min' or 'max', got '", mode, "'");
}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, const Logs& logs) {
  auto it = logs.find(monitor_);
  if (it == logs.end()) {
    std::string keys;
    for (const auto& [k, v] : logs) keys += (keys.empty() ? "" : ", ") + k;
    fail("EarlyStopping: monitored metric '", monitor_, "' is not in the logs; available: ", keys);
  }
  const double v = it->second;
  const bool improved = maximize_ ? v - min_delta_ > best_ : v + min_delta_ < best_;
  if (improved) {
    best_ = v, best_epoch_ = epoch, wait_ = 0;
    if (restore_ && model_) {
      best_weights_.clear();
      for (const Variable& w : model_->weights()) best_weights_.push_back(w.value().clone());
    }
    return;
  }
  if (++wait_ >= patience_ && epoch > 0) {
    stopped_epoch_ = epoch;
    if (model_) model_->stop_training = true;
  }
}

// Keras 3 restores the best epoch's weights when training ends, whether or not it stopped early.
void EarlyStopping::on_train_end(const Logs&) {
  if (!restore_ || best_weights_.empty() || !model_) return;
  auto ws = model_->weights();
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i].assign(best_weights_[i]);
}

void TerminateOnNaN::on_train_batch_end(std::int64_t, const Logs& logs) {
  auto it = logs.find("loss");
  if (it != logs.end() && !std::isfinite(it->second)) {
    terminated_ = true;
    if (model_) model_->stop_training = true;
  }
}

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
  std::string path = filepath_;
  for (const std::string key : {"{epoch:02d}", "{epoch}"}) {
    const auto at = path.find(key);
    if (at == std::string::npos) continue;
    std::string e = std::to_string(epoch + 1);
    if (key == "{epoch:02d}" && e.size() < 2) e = "0" + e;
    path.replace(at, key.size(), e);
  }
  if (!model_) return;
  if (weights_only_) model_->save_weights(path);
  else model_->save(path);
  saved_.push_back(path);
}

CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), sep_(separator), append_(append) {}

void CSVLogger::on_train_begin(const Logs&) {
  out_.open(filename_, append_ ? std::ios::app : std::ios::trunc);
  if (!out_) fail<std::runtime_error>("CSVLogger: cannot open '", filename_, "' for writing");
  header_written_ = append_ && out_.tellp() > 0;
}

void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
  if (!header_written_) {
    out_ << "epoch";
    for (const auto& [k, v] : logs) out_ << sep_ << k;
    out_ << "\n";
    header_written_ = true;
  }
  out_ << epoch;
  out_.precision(17);
  for (const auto& [k, v] : logs) out_ << sep_ << v;
  out_ << "\n";
  out_.flush();
}

void CSVLogger::on_train_end(const Logs&) { out_.close(); }

}  // namespace tg::nn
