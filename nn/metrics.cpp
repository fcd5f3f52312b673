#include "nn/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/reduce.hpp"
#include "nn/registry.hpp"

namespace tg::nn {

Config Metric::get_config(KerasFormat) const { return {{"name", name_}, {"dtype", "float32"}}; }

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

Config BinaryAccuracy::get_config(KerasFormat format) const {
  Config c = Metric::get_config(format);
  c["threshold"] = threshold_;
  return c;
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

TopKCategoricalAccuracy::TopKCategoricalAccuracy(std::int64_t k, std::string name) : Metric(std::move(name)), k_(k) {
  if (k < 1) fail("TopKCategoricalAccuracy: k must be >= 1, got ", k);
}

Config TopKCategoricalAccuracy::get_config(KerasFormat format) const {
  Config c = Metric::get_config(format);
  c["k"] = k_;
  return c;
}

void TopKCategoricalAccuracy::update_state(const Tensor& y_true, const Tensor& y_pred) {
  if (!(y_true.shape() == y_pred.shape()) || y_pred.rank() != 2)
    fail(name(), ": y_true of shape ", y_true.shape(), " and y_pred of shape ", y_pred.shape(), " must both be [N, classes]");
  const auto labels = core::argmax(y_true, -1).to_vector<std::int64_t>();
  const auto p = y_pred.to_vector<double>();
  const std::int64_t c = y_pred.shape()[1];
  double hits = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    // tf.math.in_top_k: the target is in the top k unless k or more scores are strictly greater.
    const double target = p[i * static_cast<std::size_t>(c) + static_cast<std::size_t>(labels[i])];
    std::int64_t greater = 0;
    for (std::int64_t j = 0; j < c; ++j) greater += p[i * static_cast<std::size_t>(c) + static_cast<std::size_t>(j)] > target;
    hits += greater < k_;
  }
  add(hits, static_cast<double>(labels.size()));
}

void MeanAbsoluteErrorMetric::update_state(const Tensor& y_true, const Tensor& y_pred) {
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  if (t.size() != p.size()) fail(name(), ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  double s = 0;
  for (std::size_t i = 0; i < t.size(); ++i) s += std::fabs(t[i] - p[i]);
  // Keras averages the per-example means; with equal-size examples that is the element mean.
  add(s, static_cast<double>(t.size()));
}

void Metric::set_state(const std::vector<double>& s) {
  if (s.size() != 2) fail(name(), ".set_state: expected 2 values (total, count), got ", s.size());
  total_ = s[0], count_ = s[1];
}

void Precision::set_state(const std::vector<double>& s) {
  if (s.size() != 3) fail(name(), ".set_state: expected 3 values (tp, fp, fn), got ", s.size());
  tp_ = s[0], fp_ = s[1], fn_ = s[2];
}

std::vector<double> AUC::state() const {
  std::vector<double> s;
  for (const auto* v : {&tp_, &fp_, &tn_, &fn_}) s.insert(s.end(), v->begin(), v->end());
  return s;
}

void AUC::set_state(const std::vector<double>& s) {
  const std::size_t n = thresholds_.size();
  if (s.size() != 4 * n) fail(name(), ".set_state: expected ", 4 * n, " values (tp, fp, tn, fn per threshold), got ", s.size());
  std::size_t k = 0;
  for (auto* v : {&tp_, &fp_, &tn_, &fn_}) v->assign(s.begin() + static_cast<std::ptrdiff_t>(k), s.begin() + static_cast<std::ptrdiff_t>(k + n)), k += n;
}

Precision::Precision(double threshold, std::string name, bool recall)
    : Metric(std::move(name)), threshold_(threshold), recall_(recall) {
  if (!(threshold >= 0 && threshold <= 1)) fail(class_name(), ": threshold must be in [0, 1], got ", threshold);
}

Config Precision::get_config(KerasFormat format) const {
  Config c = Metric::get_config(format);
  c["thresholds"] = threshold_;
  c["top_k"] = nullptr;
  c["class_id"] = nullptr;
  return c;
}

void Precision::update_state(const Tensor& y_true, const Tensor& y_pred) {
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  if (t.size() != p.size()) fail(name(), ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool pos = p[i] > threshold_, truth = t[i] != 0;
    tp_ += pos && truth, fp_ += pos && !truth, fn_ += !pos && truth;
  }
}

double Precision::result() const {
  const double den = recall_ ? tp_ + fn_ : tp_ + fp_;
  return den > 0 ? tp_ / den : 0.0;  // Keras' divide_no_nan
}

AUC::AUC(std::int64_t num_thresholds, std::string name) : Metric(std::move(name)) {
  if (num_thresholds < 2) fail("AUC: num_thresholds must be > 1, got ", num_thresholds);
  // Keras: (i + 1) / (n - 1) for i < n - 2, between -epsilon and 1 + epsilon.
  thresholds_.push_back(0.0 - 1e-7);
  for (std::int64_t i = 0; i < num_thresholds - 2; ++i)
    thresholds_.push_back(static_cast<double>(i + 1) / static_cast<double>(num_thresholds - 1));
  thresholds_.push_back(1.0 + 1e-7);
  reset_state();
}

Config AUC::get_config(KerasFormat format) const {
  Config c = Metric::get_config(format);
  c["num_thresholds"] = static_cast<std::int64_t>(thresholds_.size());
  c["curve"] = "ROC";
  c["summation_method"] = "interpolation";
  c["multi_label"] = false;
  return c;
}

void AUC::reset_state() {
  const std::size_t n = thresholds_.size();
  tp_.assign(n, 0), fp_.assign(n, 0), tn_.assign(n, 0), fn_.assign(n, 0);
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred) {
  const auto t = y_true.to_vector<double>(), p = y_pred.to_vector<double>();
  if (t.size() != p.size()) fail(name(), ": y_true of shape ", y_true.shape(), " does not match y_pred of shape ", y_pred.shape());
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool truth = t[i] != 0;
    for (std::size_t k = 0; k < thresholds_.size(); ++k) {
      const bool pos = p[i] > thresholds_[k];
      tp_[k] += pos && truth, fp_[k] += pos && !truth, tn_[k] += !pos && !truth, fn_[k] += !pos && truth;
    }
  }
}

double AUC::result() const {
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  double area = 0;
  for (std::size_t k = 0; k + 1 < thresholds_.size(); ++k) {
    const double tpr0 = ratio(tp_[k], tp_[k] + fn_[k]), tpr1 = ratio(tp_[k + 1], tp_[k + 1] + fn_[k + 1]);
    const double fpr0 = ratio(fp_[k], fp_[k] + tn_[k]), fpr1 = ratio(fp_[k + 1], fp_[k + 1] + tn_[k + 1]);
    area += (fpr0 - fpr1) * (tpr0 + tpr1) / 2;
  }
  return area;
}

std::shared_ptr<Metric> get_metric(const std::string& name, const std::string& loss_name) {
  if (name == "accuracy" || name == "acc") {
    if (loss_name == "sparse_categorical_crossentropy") return std::make_shared<SparseCategoricalAccuracy>(name);
    if (loss_name == "categorical_crossentropy") return std::make_shared<CategoricalAccuracy>(name);
    if (loss_name == "binary_crossentropy") return std::make_shared<BinaryAccuracy>(name);
    return std::make_shared<Accuracy>(name);
  }
  static const std::map<std::string, std::string> aliases = {
      {"sparse_categorical_accuracy", "SparseCategoricalAccuracy"},
      {"categorical_accuracy", "CategoricalAccuracy"},
      {"binary_accuracy", "BinaryAccuracy"},
      {"top_k_categorical_accuracy", "TopKCategoricalAccuracy"},
      {"mean_absolute_error", "MeanAbsoluteError"},
      {"mae", "MeanAbsoluteError"},
      {"precision", "Precision"},
      {"recall", "Recall"},
      {"auc", "AUC"}};
  auto it = aliases.find(name);
  const std::string cls = it != aliases.end() ? it->second : name;
  if (!metric_registry().contains(cls)) {
    std::string known = "accuracy";
    for (const auto& [k, v] : aliases) known += ", " + k;
    fail("unknown metric '", shorten(name), "'; expected one of: ", known, ", or a class name (", metric_registry().list(), ")");
  }
  Config c = Config::object();
  if (it != aliases.end() && name != "mae") c["name"] = name;
  return metric_registry().create(cls, c, "get_metric");
}

void register_metrics(Registry<Metric>& reg) {
  const std::string m = "keras.metrics";
  auto nm = [](const Config& c, const std::string& fallback) {
    return c.is_object() && c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>() : fallback;
  };
  reg.add("SparseCategoricalAccuracy", m,
          [nm](const Config& c) { return std::make_shared<SparseCategoricalAccuracy>(nm(c, "sparse_categorical_accuracy")); });
  reg.add("CategoricalAccuracy", m,
          [nm](const Config& c) { return std::make_shared<CategoricalAccuracy>(nm(c, "categorical_accuracy")); });
  reg.add("BinaryAccuracy", m, [nm](const Config& c) {
    return std::make_shared<BinaryAccuracy>(nm(c, "binary_accuracy"), ConfigReader(c, "BinaryAccuracy").get_double("threshold", 0.5));
  });
  reg.add("Accuracy", m, [nm](const Config& c) { return std::make_shared<Accuracy>(nm(c, "accuracy")); });
  reg.add("TopKCategoricalAccuracy", m, [nm](const Config& c) {
    return std::make_shared<TopKCategoricalAccuracy>(ConfigReader(c, "TopKCategoricalAccuracy").get_int("k", 5),
                                                     nm(c, "top_k_categorical_accuracy"));
  });
  reg.add("MeanAbsoluteError", m,
          [nm](const Config& c) { return std::make_shared<MeanAbsoluteErrorMetric>(nm(c, "mean_absolute_error")); });
  reg.add("Precision", m, [nm](const Config& c) {
    return std::make_shared<Precision>(ConfigReader(c, "Precision").get_double("thresholds", 0.5), nm(c, "precision"));
  });
  reg.add("Recall", m, [nm](const Config& c) {
    return std::make_shared<Recall>(ConfigReader(c, "Recall").get_double("thresholds", 0.5), nm(c, "recall"));
  });
  reg.add("AUC", m, [nm](const Config& c) {
    return std::make_shared<AUC>(ConfigReader(c, "AUC").get_int("num_thresholds", 200), nm(c, "auc"));
  });
}

}  // namespace tg::nn
