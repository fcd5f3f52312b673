#include "summary/histogram.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "core/error.hpp"

namespace tg::summary {

const std::vector<double>& default_bucket_limits() {
  static const std::vector<double> limits = [] {
    // InitDefaultBucketsInner: limits grow by 10% from 1e-12 up to 1e20, mirrored for negatives.
    std::vector<double> pos;
    for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) pos.push_back(v);
    pos.push_back(DBL_MAX);
    std::vector<double> all;
    for (auto it = pos.rbegin(); it != pos.rend(); ++it) all.push_back(-*it);
    all.push_back(0.0);
    all.insert(all.end(), pos.begin(), pos.end());
    return all;
  }();
  return limits;
}

Histogram make_histogram(const Tensor& values, const std::string& tag) {
  if (!values.defined()) fail("summary::histogram '", tag, "': the tensor is undefined");
  const std::vector<double>& limits = default_bucket_limits();
  std::vector<double> counts(limits.size(), 0.0);
  Histogram h;
  h.min = DBL_MAX, h.max = -DBL_MAX;
  std::int64_t nan = 0, inf = 0;
  for (double v : values.to_vector<double>()) {
    if (!std::isfinite(v)) {
      (std::isnan(v) ? nan : inf) += 1;
      continue;
    }
    const auto b = static_cast<std::size_t>(std::upper_bound(limits.begin(), limits.end(), v) - limits.begin());
    counts[std::min(b, counts.size() - 1)] += 1.0;  // DBL_MAX itself: TensorFlow would index past the end
    h.min = std::min(h.min, v);
    h.max = std::max(h.max, v);
    h.num += 1;
    h.sum += v;
    h.sum_squares += v * v;
  }
  if (nan || inf)
    fail("summary::histogram '", tag, "': the ", dtype_name(values.dtype()), " ", values.shape(), " tensor holds ", nan,
         " NaN and ", inf, " Inf values; a histogram needs finite values (TensorFlow refuses them too)");
  for (std::size_t i = 0; i < counts.size();) {
    double end = limits[i], count = counts[i];
    ++i;
    if (count <= 0.0)
      while (i < counts.size() && counts[i] <= 0.0) end = limits[i++];
    h.bucket_limit.push_back(end);
    h.bucket.push_back(count);
  }
  return h;
}

}  // namespace tg::summary
