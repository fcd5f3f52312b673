#include "nn/callbacks.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>

#include "nn/model.hpp"
#include "nn/optimizers.hpp"

namespace tg::nn {

namespace {
// Keras 3's MonitorCallback._set_monitor_op in mode "auto": "loss" / "val_loss" is minimized; a
// compiled metric of the monitored name (without "val_") is maximized when Keras marks it "up"
// (the accuracies, Precision, Recall, AUC) and minimized otherwise. For a name no compiled metric
// has (Keras raises), "acc" in the name decides, as tf.keras 2 did.
bool auto_maximize(const Model* model, const std::string& monitor) {
  const std::string name = monitor.rfind("val_", 0) == 0 ? monitor.substr(4) : monitor;
  if (name == "loss") return false;
  static const std::set<std::string> up = {"Accuracy",  "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
                                           "TopKCategoricalAccuracy", "Precision", "Recall", "AUC"};
  if (model)
    for (const auto& m : model->metrics())
      if (m->name() == name) return up.count(m->class_name()) > 0;
  return monitor.find("acc") != std::string::npos;
}
}  // namespace

EarlyStopping::EarlyStopping(std::string monitor, double min_delta, int patience, std::string mode,
                             bool restore_best_weights)
    : monitor_(std::move(monitor)), min_delta_(std::fabs(min_delta)), patience_(patience), restore_(restore_best_weights) {
  if (mode == "auto") auto_mode_ = true, maximize_ = false;  // resolved by on_train_begin
  else if (mode == "max") maximize_ = true;
  else if (mode == "min") maximize_ = false;
  else fail("EarlyStopping: mode must be 'auto', 'min' or 'max', got '", mode, "'");
}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = 0, stopped_epoch_ = -1, best_epoch_ = -1;
  if (auto_mode_) maximize_ = auto_maximize(model_, monitor_);
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

ReduceLROnPlateau::ReduceLROnPlateau(std::string monitor, double factor, int patience, std::string mode,
                                     double min_delta, int cooldown, double min_lr)
    : monitor_(std::move(monitor)),
      factor_(factor),
      min_delta_(std::fabs(min_delta)),
      min_lr_(min_lr),
      patience_(patience),
      cooldown_(cooldown) {
  if (!(factor < 1.0)) fail("ReduceLROnPlateau: factor must be < 1 (it does not increase the rate), got ", factor);
  if (mode == "auto") auto_mode_ = true, maximize_ = false;  // resolved by on_train_begin
  else if (mode == "max" || mode == "min") maximize_ = mode == "max";
  else fail("ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got '", mode, "'");
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  if (auto_mode_) maximize_ = auto_maximize(model_, monitor_);
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  wait_ = cooldown_counter_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int, const Logs& logs) {
  auto it = logs.find(monitor_);
  if (it == logs.end() || !model_ || !model_->optimizer()) return;  // Keras warns and goes on
  const double current = it->second;
  if (cooldown_counter_ > 0) --cooldown_counter_, wait_ = 0;
  if (maximize_ ? current > best_ + min_delta_ : current < best_ - min_delta_) {
    best_ = current, wait_ = 0;
  } else if (cooldown_counter_ <= 0 && ++wait_ >= patience_) {
    Optimizer& opt = *model_->optimizer();
    const double old_lr = opt.learning_rate();
    if (old_lr > static_cast<float>(min_lr_)) {
      opt.set_learning_rate(std::max(old_lr * factor_, min_lr_));
      cooldown_counter_ = cooldown_, wait_ = 0;
    }
  }
}

LearningRateScheduler::LearningRateScheduler(std::function<double(int, double)> schedule) : schedule_(std::move(schedule)) {
  if (!schedule_) fail("LearningRateScheduler: the schedule function is empty");
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  if (!model_ || !model_->optimizer()) return;
  Optimizer& opt = *model_->optimizer();
  const double lr = schedule_(epoch, opt.learning_rate());
  if (!std::isfinite(lr)) fail("LearningRateScheduler: the schedule returned ", lr, " for epoch ", epoch);
  opt.set_learning_rate(lr);
}

std::string format_filepath(const std::string& pattern, int epoch, const Logs& logs) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    if (close == std::string::npos) fail("ModelCheckpoint: unmatched '{' in the file path '", pattern, "'");
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string key = field.substr(0, colon), spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    double value = 0;
    bool integer = false;
    if (key == "epoch") {
      value = epoch + 1, integer = true;
    } else if (auto it = logs.find(key); it != logs.end()) {
      value = it->second;
    } else {
      std::string known = "epoch";
      for (const auto& [k, v] : logs) known += ", " + k;
      fail("ModelCheckpoint: the file path '", pattern, "' names '", key, "', which is not in the logs (", known, ")");
    }
    // Python's format mini-language, the part file names use: [0][width][.precision][dfeg].
    char type = spec.empty() ? (integer ? 'd' : 'g') : spec.back();
    std::string flags = spec.empty() ? "" : spec.substr(0, spec.size() - 1);
    if (std::string("dfeg").find(type) == std::string::npos) type = integer ? 'd' : 'g', flags = spec;
    if (flags.find_first_not_of("0123456789.+- ") != std::string::npos || flags.size() > 8)
      fail("ModelCheckpoint: unsupported format '{", field, "}' in the file path '", pattern, "'");
    char buf[128];
    const std::string fmt = "%" + flags + (type == 'd' ? std::string("lld") : std::string(1, type));
    if (type == 'd') std::snprintf(buf, sizeof buf, fmt.c_str(), static_cast<long long>(value));
    else std::snprintf(buf, sizeof buf, fmt.c_str(), value);
    out += buf;
    i = close + 1;
  }
  return out;
}

CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), sep_(separator), append_(append) {}

void CSVLogger::on_train_begin(const Logs&) {
  // Keras: in append mode the header is written only into an empty (or missing) file.
  std::error_code ec;
  const bool has_content = append_ && std::filesystem::exists(filename_, ec) && std::filesystem::file_size(filename_, ec) > 0;
  out_.open(filename_, append_ ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary);
  if (!out_) fail<std::runtime_error>("CSVLogger: cannot open '", filename_, "' for writing");
  header_written_ = has_content;
  keys_.clear();
}

namespace {
// Python's repr(float), which csv.writer uses for Keras' float logs: the shortest round-trip
// digits, positional for 1e-4 <= |v| < 1e16 (with ".0" when integral), else d.ddde+XX.
std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, r.ptr);
  const std::size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  const int exp10 = std::stoi(sci.substr(e + 1));
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char ch : mant)
    if (ch != '.') digits += ch;
  std::string out = neg ? "-" : "";
  const int decpt = exp10 + 1;  // value = 0.digits * 10^decpt
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    return out + ebuf;
  }
  if (decpt <= 0) return out + "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  if (digits.size() <= static_cast<std::size_t>(decpt))
    return out + digits + std::string(static_cast<std::size_t>(decpt) - digits.size(), '0') + ".0";
  return out + digits.substr(0, static_cast<std::size_t>(decpt)) + "." + digits.substr(static_cast<std::size_t>(decpt));
}

// csv.excel's QUOTE_MINIMAL: quote a field holding the separator, a quote or a line break.
std::string csv_field(const std::string& f, char sep) {
  if (f.find_first_of(std::string{sep, '"', '\r', '\n'}) == std::string::npos) return f;
  std::string q = "\"";
  for (char ch : f) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}
}  // namespace

// Keras 3's CSVLogger.on_epoch_end: the columns are fixed by the first epoch's logs (sorted keys,
// plus a val_ twin of each when none is a val_ key, so later validation values have a column);
// a missing value is written "NA", lines end in \r\n (csv.excel), floats as Python's repr.
void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
  if (keys_.empty()) {
    for (const auto& [k, v] : logs) keys_.push_back(k);  // a std::map: already sorted
    bool has_val = false;
    for (const auto& k : keys_) has_val = has_val || k.rfind("val_", 0) == 0;
    if (!has_val)
      for (std::size_t i = 0, n = keys_.size(); i < n; ++i) keys_.push_back("val_" + keys_[i]);
  }
  if (!header_written_) {
    out_ << "epoch";
    for (const auto& k : keys_) out_ << sep_ << csv_field(k, sep_);
    out_ << "\r\n";
    header_written_ = true;
  }
  out_ << epoch;
  for (const auto& k : keys_) {
    auto it = logs.find(k);
    out_ << sep_ << (it == logs.end() ? std::string("NA") : python_float_repr(it->second));
  }
  out_ << "\r\n";
  out_.flush();
}

void CSVLogger::on_train_end(const Logs&) { out_.close(); }

}  // namespace tg::nn
