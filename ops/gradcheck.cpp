#include "ops/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/tape.hpp"
#include "core/reduce.hpp"

namespace tg {

namespace {
double scalar_value(const Tensor& y) { return core::sum(core::convert(y, DType::float64)).item(); }
}  // namespace

GradCheckResult check_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                const std::vector<Tensor>& inputs, double eps, double atol, double rtol) {
  std::vector<Tensor> xs;
  for (const Tensor& x : inputs) xs.push_back(core::copy(core::convert(x, DType::float64)));

  std::vector<Tensor> analytic;
  {
    GradientTape tape;
    for (const Tensor& x : xs) tape.watch(x);
    const Tensor y = f(xs);
    if (y.dtype() != DType::float64)
      fail("check_gradients: f returned ", dtype_name(y.dtype()), "; with float64 inputs it must compute in float64");
    analytic = tape.gradient(y, xs);
  }

  GradCheckResult r;
  double worst = -1;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    double* p = xs[i].data<double>();
    const std::vector<double> a =
        analytic[i].defined() ? analytic[i].to_vector<double>() : std::vector<double>(static_cast<std::size_t>(xs[i].numel()), 0.0);
    for (std::int64_t j = 0; j < xs[i].numel(); ++j) {
      const double saved = p[j];
      p[j] = saved + eps;
      const double up = scalar_value(f(xs));
      p[j] = saved - eps;
      const double down = scalar_value(f(xs));
      p[j] = saved;
      const double numeric = (up - down) / (2 * eps);
      const double an = a[static_cast<std::size_t>(j)];
      const double abs_err = std::fabs(an - numeric);
      const double rel_err = abs_err / std::max(std::fabs(numeric), 1e-12);
      const double excess = abs_err - (atol + rtol * std::fabs(numeric));
      r.max_abs_error = std::max(r.max_abs_error, abs_err);
      r.max_rel_error = std::max(r.max_rel_error, std::min(rel_err, abs_err > atol ? rel_err : 0.0));
      if (excess > 0 || std::isnan(an) != std::isnan(numeric)) r.passed = false;
      if (excess > worst || std::isnan(an)) {
        worst = std::isnan(an) ? INFINITY : excess;
        r.worst_input = i, r.worst_index = j, r.analytic = an, r.numeric = numeric;
      }
    }
  }
  std::ostringstream os;
  os << (r.passed ? "gradients match" : "gradients differ") << ": worst at input " << r.worst_input << ", element "
     << r.worst_index << ": analytic " << r.analytic << ", numeric " << r.numeric << " (max abs error "
     << r.max_abs_error << ")";
  r.message = os.str();
  return r;
}

}  // namespace tg
