#include "ops/inspect.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/elementwise.hpp"
#include "core/reduce.hpp"
#include "ops/arithmetic.hpp"
#include "ops/record.hpp"

namespace tg {

using ops::detail::Grads;

Tensor clip_by_value(const Tensor& x, double lo, double hi) {
  if (!(lo <= hi)) fail("clip_by_value: lower bound ", lo, " exceeds upper bound ", hi);
  const Tensor l = scalar_like(x, lo), h = scalar_like(x, hi);
  Tensor y = core::minimum(core::maximum(x, l), h);
  if (autograd::should_record({&x}))
    autograd::record("clip_by_value", {x}, y, [x, l, h](const Tensor& g, const autograd::Needs&) {
      return Grads{mul(g, core::mul(core::greater_equal(x, l), core::less_equal(x, h)))};
    });
  return y;
}

double global_norm(const std::vector<Tensor>& ts) {
  double s = 0;
  for (const Tensor& t : ts)
    if (t.defined() && t.numel()) s += core::sum(core::square(core::convert(t, DType::float64))).item();
  return std::sqrt(s);
}

std::pair<std::vector<Tensor>, double> clip_by_global_norm(const std::vector<Tensor>& ts, double clip_norm) {
  if (!(clip_norm > 0)) fail("clip_by_global_norm: clip_norm must be positive, got ", clip_norm);
  const double norm = global_norm(ts);
  const double scale = clip_norm / std::max(norm, clip_norm);
  std::vector<Tensor> out;
  for (const Tensor& t : ts) out.push_back(!t.defined() || scale == 1.0 ? t : t * scale);
  return {out, norm};
}

std::string describe(const Tensor& t) {
  std::ostringstream os;
  os << "shape=" << t.shape() << " dtype=" << dtype_name(t.dtype());
  const auto v = t.to_vector<double>();
  double mn = INFINITY, mx = -INFINITY, sum = 0, sq = 0;
  std::int64_t nan = 0, inf = 0, finite = 0;
  for (double x : v) {
    if (std::isnan(x)) ++nan;
    else if (std::isinf(x)) ++inf;
    else {
      ++finite;
      mn = std::min(mn, x), mx = std::max(mx, x), sum += x, sq += x * x;
    }
  }
  const double mean = finite ? sum / static_cast<double>(finite) : NAN;
  const double var = finite ? std::max(0.0, sq / static_cast<double>(finite) - mean * mean) : NAN;
  os.precision(6);
  os << " min=" << (finite ? mn : NAN) << " max=" << (finite ? mx : NAN) << " mean=" << mean << " std=" << std::sqrt(var)
     << " l2=" << std::sqrt(sq) << " nan=" << nan << " inf=" << inf;
  return os.str();
}

const Tensor& check_numerics(const Tensor& t, const std::string& what) {
  std::int64_t nan = 0, inf = 0;
  for (double x : t.to_vector<double>()) nan += std::isnan(x), inf += std::isinf(x);
  if (nan || inf) {
    std::ostringstream os;
    os << "check_numerics: " << what << " of shape " << t.shape() << " has " << nan << " NaN and " << inf << " Inf values";
    throw std::runtime_error(os.str());
  }
  return t;
}

}  // namespace tg
