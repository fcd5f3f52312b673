#pragma once
/// \file
/// Keras metrics: stateful accumulators over batches.
#include <memory>
#include <string>

#include "core/tensor.hpp"

namespace tg::nn {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  const std::string& name() const { return name_; }
  // y_true [N, ...], y_pred [N, ...]
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred) = 0;
  double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset_state() { total_ = count_ = 0; }

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
  void update(double value, double weight = 1) { add(value * weight, weight); }
  void update_state(const Tensor& values, const Tensor&) override;
};

/// Integer labels [N] (or [N, 1]) against class scores [N, C]: argmax(y_pred) == y_true.
class SparseCategoricalAccuracy : public Metric {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// One-hot labels [N, C] against scores [N, C]: argmax(y_pred) == argmax(y_true).
class CategoricalAccuracy : public Metric {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// Elementwise (y_pred > threshold) == y_true.
class BinaryAccuracy : public Metric {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5)
      : Metric(std::move(name)), threshold_(threshold) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;

 private:
  double threshold_;
};

/// Elementwise y_pred == y_true (Keras' Accuracy).
class Accuracy : public Metric {
 public:
  explicit Accuracy(std::string name = "accuracy") : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

/// A metric by name. "accuracy"/"acc" resolves as Keras' compile does: to sparse categorical,
/// categorical or binary accuracy depending on the loss; the metric keeps the name it was asked by.
std::shared_ptr<Metric> get_metric(const std::string& name, const std::string& loss_name);

}  // namespace tg::nn
