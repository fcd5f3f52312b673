#pragma once
/// \file
/// Histograms as TensorFlow's histogram summary makes them (tensorflow/core/lib/histogram), so
/// TensorBoard's histogram and distribution dashboards show tapegrad's values as they show Keras'.
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace tg::summary {

/// The fields of TensorFlow's HistogramProto. bucket[i] counts the values v with
/// bucket_limit[i-1] <= v < bucket_limit[i] (from -DBL_MAX for i = 0).
struct Histogram {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  std::vector<double> bucket_limit, bucket;
};

/// TensorFlow's default bucket limits: -DBL_MAX, the negatives of the positive limits in
/// decreasing order, 0, then 1e-12, 1.1e-12, 1.21e-12, ... (each 1.1 times the last, while below
/// 1e20), DBL_MAX: 1551 limits.
const std::vector<double>& default_bucket_limits();

/// Buckets every element of `values` (any dtype, read as double, row-major order) with the default
/// limits: a value goes to the first bucket whose limit exceeds it; then each run of empty buckets
/// collapses into one entry holding the run's last limit, as TensorFlow's
/// EncodeToProto(preserve_zero_buckets = false) writes it. An empty tensor gives one bucket
/// (DBL_MAX, 0) with min DBL_MAX and max -DBL_MAX, as TensorFlow. Throws std::invalid_argument
/// naming `tag` and the counts when a value is NaN or Inf (TensorFlow's histogram op refuses them too).
Histogram make_histogram(const Tensor& values, const std::string& tag);

}  // namespace tg::summary
