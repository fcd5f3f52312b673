#pragma once
/// \file
/// Batching: a shuffled index over (x, y) whose batches are gathered row by row on demand, so an
/// epoch never copies the whole data set.
#include <cstdint>
#include <vector>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace tg::nn {

class Dataset {
 public:
  /// x [N, ...] and y [N, ...] (y may be undefined, for predict). Throws if the lengths differ.
  Dataset(Tensor x, Tensor y = Tensor());
  std::int64_t size() const { return n_; }
  /// Reorders the index with a Fisher-Yates shuffle from `gen`.
  void shuffle(Generator& gen);
  std::int64_t num_batches(std::int64_t batch_size) const { return (n_ + batch_size - 1) / batch_size; }
  struct Batch {
    Tensor x, y;
  };
  /// Batch i: rows [i*batch_size, min((i+1)*batch_size, N)) of the current order.
  Batch batch(std::int64_t i, std::int64_t batch_size) const;

 private:
  Tensor x_, y_;
  std::int64_t n_;
  bool shuffled_ = false;
  Tensor index_;  // int64 [N]
};

}  // namespace tg::nn
