#include "nn/metrics.hpp"

#include "core/reduce.hpp"

namespace tg::nn {

void Mean::update_state(const Tensor& values, const Tensor&) {
  const auto v = values.to_vector<double>();
  double s = 0;
  for (double x : v) s += x;
  add(s, static_cast<double>(v.size()));
}

void SparseCategoricalAccuracy::update_state(const Tensor& y_true, const Tensor& y_pred) {
  if (y_pred.rank() != 2) fail(name(), ": y_pred must have shape [N, classes], got ", y_pred.shape());
  const auto labels = y_true.to_vector<double>();
  if (static_cast<std::int64_t>(labels.size()) != y_pred.shape()[0])
    fail(name(), ": ", labels.size(), " labels for ", y_pred.shape()[0], " predictions");
  const auto pred = core::argmax(y_pred, -1).to_vector<std::int64_t>();
  double hits = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) hits += static_cast<double>(pred[i]) == labels[i];
  add(hits, static_cast<double>(pred.size()));
}

void CategoricalAccuracy::update_state(const Tensor& y_true, const Tensor& y_pred) {
  if (!(y_true.shape() == y_pred.shape()))
    fail(name(), ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  const auto a = core::argmax(y_true, -1).to_vector<std::int64_t>();
  const auto b = core::argmax(y_pred, -1).to_vector<std::int64_t>();
  double hits = 0;
  for (std::size_t i = 0; i < a.size(); ++i) hits += a[i] == b[i];
  add(hits, static_cast<double>(a.size()));
}

void BinaryAccuracy::update_state(const Tensor& y_true, const Tensor& y_pred) {
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  if (t.size() != p.size()) fail(name(), ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  double hits = 0;
  for (std::size_t i = 0; i < t.size(); ++i) hits += (p[i] > threshold_ ? 1.0 : 0.0) == t[i];
  add(hits, static_cast<double>(t.size()));
}

void Accuracy::update_state(const Tensor& y_true, const Tensor& y_pred) {
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  if (t.size() != p.size()) fail(name(), ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  double hits = 0;
  for (std::size_t i = 0; i < t.size(); ++i) hits += t[i] == p[i];
  add(hits, static_cast<double>(t.size()));
}

std::shared_ptr<Metric> get_metric(const std::string& name, const std::string& loss_name) {
  if (name == "accuracy" || name == "acc") {
    if (loss_name == "sparse_categorical_crossentropy") return std::make_shared<SparseCategoricalAccuracy>(name);
    if (loss_name == "categorical_crossentropy") return std::make_shared<CategoricalAccuracy>(name);
    if (loss_name == "binary_crossentropy") return std::make_shared<BinaryAccuracy>(name);
    return std::make_shared<Accuracy>(name);
  }
  if (name == "sparse_categorical_accuracy") return std::make_shared<SparseCategoricalAccuracy>();
  if (name == "categorical_accuracy") return std::make_shared<CategoricalAccuracy>();
  if (name == "binary_accuracy") return std::make_shared<BinaryAccuracy>();
  fail("unknown metric '", name,
       "'; expected one of: accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy");
}

}  // namespace tg::nn
