#pragma once
/// \file
/// Batching: a shuffled index over inputs and targets whose batches are gathered row by row on
/// demand, so an epoch never copies the whole data set. Several inputs or targets (a model with
/// several inputs or outputs) share one index.
#include <cstdint>
#include <vector>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace tg::nn {

class Dataset {
 public:
  /// x [N, ...] and y [N, ...] (y may be undefined, for predict). Throws if the lengths differ.
  Dataset(Tensor x, Tensor y = Tensor());
  /// Several inputs and targets, all with the same first dimension N (ys may be empty).
  Dataset(std::vector<Tensor> xs, std::vector<Tensor> ys);
  std::int64_t size() const { return n_; }
  /// Reorders the index with a Fisher-Yates shuffle from `gen`.
  void shuffle(Generator& gen);
  std::int64_t num_batches(std::int64_t batch_size) const { return (n_ + batch_size - 1) / batch_size; }
  struct Batch {
    Tensor x, y;  // the first input and target (`const auto [x, y] = data.batch(i, 32);`)
  };
  struct Batches {
    std::vector<Tensor> xs, ys;  // every input and target
  };
  /// Batch i: rows [i*batch_size, min((i+1)*batch_size, N)) of the current order.
  Batch batch(std::int64_t i, std::int64_t batch_size) const;
  Batches batch_all(std::int64_t i, std::int64_t batch_size) const;

  /// Data-parallel sharding. With `size` processes at per-process batch B, global batch i is rows
  /// [i*size*B, min((i+1)*size*B, N)) of the current order, the batch one process at batch size*B
  /// would take; process `rank` takes its slice [i*size*B + rank*B, + B) of it, cut at N. Every
  /// process shuffles with the same seed, so each sample is seen exactly once per epoch. A short
  /// last global batch leaves the last ranks fewer rows, possibly none (0-row tensors).
  Batches shard(std::int64_t i, std::int64_t batch_size, int rank, int size) const;
  /// The number of global batches of `size` x `batch_size`.
  std::int64_t num_global_batches(std::int64_t batch_size, int size) const { return num_batches(batch_size * size); }
  /// Rows of global batch i that `rank` takes (shard's first dimension).
  std::int64_t shard_rows(std::int64_t i, std::int64_t batch_size, int rank, int size) const;
  /// The current order (int64 [N]).
  const Tensor& index() const { return index_; }

 private:
  std::vector<Tensor> xs_, ys_;
  std::int64_t n_ = 0;
  bool shuffled_ = false;
  Batches rows(std::int64_t lo, std::int64_t hi) const;
  Tensor index_;  // int64 [N]
};

}  // namespace tg::nn
