#include "summary/summary.hpp"

#include <cctype>
#include <cmath>

namespace tg::summary {

namespace {

thread_local std::shared_ptr<Writer> thread_default;

// Sum of squares in float64, whatever the tensor's dtype.
double sum_squares(const Tensor& t) {
  double s = 0;
  for (double v : t.to_vector<double>()) s += v * v;
  return s;
}

}  // namespace

std::shared_ptr<Writer> set_default_writer(std::shared_ptr<Writer> writer) {
  std::swap(thread_default, writer);
  return writer;
}

const std::shared_ptr<Writer>& default_writer() { return thread_default; }

bool scalar(const std::string& tag, double value, std::int64_t step) {
  if (!thread_default) return false;
  thread_default->scalar(tag, value, step);
  return true;
}

bool histogram(const std::string& tag, const Tensor& values, std::int64_t step) {
  if (!thread_default) return false;
  thread_default->histogram(tag, values, step);
  return true;
}

bool text(const std::string& tag, const std::string& text, std::int64_t step) {
  if (!thread_default) return false;
  thread_default->text(tag, text, step);
  return true;
}

std::string clean_tag(const std::string& name) {
  std::string out;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == '/' ? c : '_');
  }
  const auto first = out.find_first_not_of('/');
  out = first == std::string::npos ? std::string() : out.substr(first);
  return out.empty() ? "_" : out;
}

void gradients(Writer& writer, const std::vector<Variable>& vars, const std::vector<Tensor>& grads, std::int64_t step,
               const GradientSummaryOptions& options) {
  if (vars.size() != grads.size())
    fail("summary::gradients: ", vars.size(), " variables but ", grads.size(), " gradients");
  if (!options.weights_before.empty() && options.weights_before.size() != vars.size())
    fail("summary::gradients: ", vars.size(), " variables but ", options.weights_before.size(), " weights_before");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (grads[i].defined() && !(grads[i].shape() == vars[i].shape()))
      fail("summary::gradients: the gradient of '", vars[i].name(), "' has shape ", grads[i].shape(), ", the variable ",
           vars[i].shape());
    if (!options.weights_before.empty() && !(options.weights_before[i].shape() == vars[i].shape()))
      fail("summary::gradients: weights_before[", i, "] has shape ", options.weights_before[i].shape(), ", '",
           vars[i].name(), "' has ", vars[i].shape());
  }
  double total = 0;
  bool any = false;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const std::string tag = clean_tag(vars[i].name());
    if (options.weight_histograms) writer.histogram(tag + "/histogram", vars[i].value(), step);
    if (!options.weights_before.empty()) {
      const Tensor& before = options.weights_before[i];
      const auto now = vars[i].value().to_vector<double>(), was = before.to_vector<double>();
      double d = 0;
      for (std::size_t k = 0; k < now.size(); ++k) d += (now[k] - was[k]) * (now[k] - was[k]);
      const double base = std::sqrt(sum_squares(before));
      // A zero weight (a fresh bias) has no ratio; it is left out rather than shown as 0 or Inf.
      if (base > 0) writer.scalar(tag + "/update_ratio", std::sqrt(d) / base, step);
    }
    if (!grads[i].defined()) continue;
    if (options.gradient_histograms) writer.histogram(tag + "/gradient_histogram", grads[i], step);
    const double s = sum_squares(grads[i]);
    total += s;
    any = true;
    if (options.norms) writer.scalar(tag + "/gradient_norm", std::sqrt(s), step);
  }
  if (options.norms && any) writer.scalar("gradients/global_norm", std::sqrt(total), step);
}

bool gradients(const std::vector<Variable>& vars, const std::vector<Tensor>& grads, std::int64_t step,
               const GradientSummaryOptions& options) {
  if (!thread_default) return false;
  gradients(*thread_default, vars, grads, step, options);
  return true;
}

}  // namespace tg::summary
