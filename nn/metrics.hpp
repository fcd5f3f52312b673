#pragma once
/// \file
/// Keras metrics: stateful accumulators over batches, each describing itself (class_name,
/// get_config, from_config).
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "nn/config.hpp"

namespace tg::nn {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  const std::string& name() const { return name_; }
  virtual std::string class_name() const = 0;
  /// The function tf.keras 2 wraps in a MeanMetricWrapper when it saves a compiled metric
  /// ("sparse_categorical_accuracy"); empty for metrics that are not a mean of a function.
  virtual std::string fn_name() const { return ""; }
  virtual Config get_config(KerasFormat format) const;
  // y_true [N, ...], y_pred [N, ...]
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred) = 0;
  virtual double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  virtual void reset_state() { total_ = count_ = 0; }
  /// The accumulated state as numbers that add up across shards of the data (Keras' metric
  /// variables: totals and counts), so that data-parallel training sums them over processes
  /// (nn/parallel.hpp). set_state takes back what state() returned.
  virtual std::vector<double> state() const { return {total_, count_}; }
  virtual void set_state(const std::vector<double>& s);

 protected:
  void add(double total, double count) { total_ += total, count_ += count; }

 private:
  std::string name_;
  double total_ = 0, count_ = 0;
};

/// Weighted mean of values (Keras' Mean; fit uses it for the loss, weighted by batch size).
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean") : Metric(std::move(name)) {}
  std::string class_name() const override { return "Mean"; }
  void update(double value, double weight = 1) { add(value * weight, weight); }
  void update_state(const Tensor& values, const Tensor&) override;
};

/// Integer labels [N] (or [N, 1]) against class scores [N, C]: argmax(y_pred) == y_true.
class SparseCategoricalAccuracy : public Metric {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : Metric(std::move(name)) {}
  std::string class_name() const override { return "SparseCategoricalAccuracy"; }
  std::string fn_name() const override { return "sparse_categorical_accuracy"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// One-hot labels [N, C] against scores [N, C]: argmax(y_pred) == argmax(y_true).
class CategoricalAccuracy : public Metric {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : Metric(std::move(name)) {}
  std::string class_name() const override { return "CategoricalAccuracy"; }
  std::string fn_name() const override { return "categorical_accuracy"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// Elementwise (y_pred > threshold) == y_true.
class BinaryAccuracy : public Metric {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5)
      : Metric(std::move(name)), threshold_(threshold) {}
  std::string class_name() const override { return "BinaryAccuracy"; }
  std::string fn_name() const override { return "binary_accuracy"; }
  Config get_config(KerasFormat format) const override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;

 private:
  double threshold_;
};

/// Elementwise y_pred == y_true (Keras' Accuracy).
class Accuracy : public Metric {
 public:
  explicit Accuracy(std::string name = "accuracy") : Metric(std::move(name)) {}
  std::string class_name() const override { return "Accuracy"; }
  std::string fn_name() const override { return "accuracy"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// One-hot labels [N, C]: whether the true class is among the k highest scores.
class TopKCategoricalAccuracy : public Metric {
 public:
  explicit TopKCategoricalAccuracy(std::int64_t k = 5, std::string name = "top_k_categorical_accuracy");
  std::string class_name() const override { return "TopKCategoricalAccuracy"; }
  std::string fn_name() const override { return "top_k_categorical_accuracy"; }
  Config get_config(KerasFormat format) const override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;

 private:
  std::int64_t k_;
};

/// mean(|y_true - y_pred|) over every element seen.
class MeanAbsoluteErrorMetric : public Metric {
 public:
  explicit MeanAbsoluteErrorMetric(std::string name = "mean_absolute_error") : Metric(std::move(name)) {}
  std::string class_name() const override { return "MeanAbsoluteError"; }
  std::string fn_name() const override { return "mean_absolute_error"; }
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// Precision (kind precision: TP / (TP + FP)) or Recall (TP / (TP + FN)) of y_pred > threshold
/// against binary labels, accumulated over batches as Keras' confusion-matrix counts.
class Precision : public Metric {
 public:
  explicit Precision(double threshold = 0.5, std::string name = "precision", bool recall = false);
  std::string class_name() const override { return recall_ ? "Recall" : "Precision"; }
  Config get_config(KerasFormat format) const override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  double result() const override;
  void reset_state() override { tp_ = fp_ = fn_ = 0; }
  std::vector<double> state() const override { return {tp_, fp_, fn_}; }
  void set_state(const std::vector<double>& s) override;

 private:
  double threshold_;
  bool recall_;
  double tp_ = 0, fp_ = 0, fn_ = 0;
};

class Recall : public Precision {
 public:
  explicit Recall(double threshold = 0.5, std::string name = "recall") : Precision(threshold, std::move(name), true) {}
};

/// Keras' AUC with its defaults: ROC curve, 200 thresholds, interpolation (trapezoidal) sums.
class AUC : public Metric {
 public:
  explicit AUC(std::int64_t num_thresholds = 200, std::string name = "auc");
  std::string class_name() const override { return "AUC"; }
  Config get_config(KerasFormat format) const override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  double result() const override;
  void reset_state() override;
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& s) override;

 private:
  std::vector<double> thresholds_, tp_, fp_, tn_, fn_;
};

/// A metric by name. "accuracy"/"acc" resolves as Keras' compile does: to sparse categorical,
/// categorical or binary accuracy depending on the loss; the metric keeps the name it was asked by.
std::shared_ptr<Metric> get_metric(const std::string& name, const std::string& loss_name);
template <class T>
class Registry;
void register_metrics(Registry<Metric>& registry);

}  // namespace tg::nn
