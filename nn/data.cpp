#include "nn/data.hpp"

#include "core/transform.hpp"

namespace tg::nn {

Dataset::Dataset(Tensor x, Tensor y)
    : Dataset(std::vector<Tensor>{std::move(x)}, y.defined() ? std::vector<Tensor>{std::move(y)} : std::vector<Tensor>{}) {}

Dataset::Dataset(std::vector<Tensor> xs, std::vector<Tensor> ys) : xs_(std::move(xs)), ys_(std::move(ys)) {
  if (xs_.empty()) fail("Dataset: at least one input is required");
  for (std::size_t i = 0; i < xs_.size(); ++i)
    if (!xs_[i].defined() || xs_[i].rank() < 1) fail("Dataset: input ", i, " must be a batch of examples [N, ...]");
  n_ = xs_.front().shape()[0];
  auto check = [&](const Tensor& t, const char* what, std::size_t i) {
    if (!t.defined() || t.rank() < 1 || t.shape()[0] != n_)
      fail("Dataset: ", what, " ", i, " has ", t.defined() && t.rank() ? t.shape()[0] : 0, " examples (shape ",
           t.defined() ? t.shape().str() : std::string("undefined"), ") but input 0 has ", n_, " (shape ",
           xs_.front().shape(), ")");
  };
  for (std::size_t i = 1; i < xs_.size(); ++i) check(xs_[i], "input", i);
  for (std::size_t i = 0; i < ys_.size(); ++i) check(ys_[i], "target", i);
  index_ = Tensor::arange(0, static_cast<double>(n_), 1, DType::int64);
}

void Dataset::shuffle(Generator& gen) {
  std::int64_t* p = index_.data<std::int64_t>();
  for (std::int64_t i = n_ - 1; i > 0; --i) std::swap(p[i], p[gen.next_below(static_cast<std::uint64_t>(i + 1))]);
  shuffled_ = true;
}

Dataset::Batch Dataset::batch(std::int64_t i, std::int64_t batch_size) const {
  Batches all = batch_all(i, batch_size);
  return {all.xs.front(), all.ys.empty() ? Tensor() : all.ys.front()};
}

Dataset::Batches Dataset::batch_all(std::int64_t i, std::int64_t batch_size) const {
  if (batch_size <= 0) fail("Dataset::batch: batch_size must be positive, got ", batch_size);
  const std::int64_t lo = i * batch_size, hi = std::min(n_, lo + batch_size);
  if (lo >= hi) fail("Dataset::batch: batch ", i, " of size ", batch_size, " is past the end of ", n_, " examples");
  return rows(lo, hi);
}

std::int64_t Dataset::shard_rows(std::int64_t i, std::int64_t batch_size, int rank, int size) const {
  if (batch_size <= 0) fail("Dataset::shard: batch_size must be positive, got ", batch_size);
  if (size < 1 || rank < 0 || rank >= size) fail("Dataset::shard: rank ", rank, " is not in [0, ", size, ")");
  const std::int64_t global = batch_size * size, start = i * global;
  if (i < 0 || start >= n_) fail("Dataset::shard: global batch ", i, " of size ", global, " is past the end of ", n_, " examples");
  const std::int64_t lo = std::min(n_, start + rank * batch_size), hi = std::min(n_, lo + batch_size);
  return hi - lo;
}

Dataset::Batches Dataset::shard(std::int64_t i, std::int64_t batch_size, int rank, int size) const {
  const std::int64_t count = shard_rows(i, batch_size, rank, size);
  const std::int64_t lo = std::min(n_, i * batch_size * size + rank * batch_size);
  return rows(lo, lo + count);
}

Dataset::Batches Dataset::rows(std::int64_t lo, std::int64_t hi) const {
  Batches b;
  const Tensor idx = core::rows_view(index_, lo, hi);
  auto take = [&](const Tensor& t) { return shuffled_ ? core::gather_rows(t, idx) : core::rows_view(t, lo, hi); };
  for (const Tensor& x : xs_) b.xs.push_back(take(x));
  for (const Tensor& y : ys_) b.ys.push_back(take(y));
  return b;
}

}  // namespace tg::nn
