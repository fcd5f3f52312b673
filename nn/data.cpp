#include "nn/data.hpp"

#include "core/transform.hpp"

namespace tg::nn {

Dataset::Dataset(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {
  if (!x_.defined() || x_.rank() < 1) fail("Dataset: x must be a batch of examples [N, ...]");
  n_ = x_.shape()[0];
  if (y_.defined() && (y_.rank() < 1 || y_.shape()[0] != n_))
    fail("Dataset: x has ", n_, " examples (shape ", x_.shape(), ") but y has ",
         y_.rank() ? y_.shape()[0] : 0, " (shape ", y_.shape(), ")");
  index_ = Tensor::arange(0, static_cast<double>(n_), 1, DType::int64);
}

void Dataset::shuffle(Generator& gen) {
  std::int64_t* p = index_.data<std::int64_t>();
  for (std::int64_t i = n_ - 1; i > 0; --i) std::swap(p[i], p[gen.next_below(static_cast<std::uint64_t>(i + 1))]);
  shuffled_ = true;
}

Dataset::Batch Dataset::batch(std::int64_t i, std::int64_t batch_size) const {
  const std::int64_t lo = i * batch_size, hi = std::min(n_, lo + batch_size);
  if (lo >= hi) fail("Dataset::batch: batch ", i, " of size ", batch_size, " is past the end of ", n_, " examples");
  if (!shuffled_) return {x_.slice_rows(lo, hi), y_.defined() ? y_.slice_rows(lo, hi) : Tensor()};
  const Tensor idx = index_.slice_rows(lo, hi);
  return {core::gather_rows(x_, idx), y_.defined() ? core::gather_rows(y_, idx) : Tensor()};
}

}  // namespace tg::nn
