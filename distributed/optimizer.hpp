#pragma once
/// \file
/// DistributedOptimizer (Horovod's name and idea): wraps an nn optimizer so that each step first
/// averages the gradients over the ranks, then applies the same update on every rank. For
/// GradientTape loops; Model::fit averages by itself when an Environment lives.
///
///   tg::distributed::DistributedOptimizer opt(std::make_shared<tg::nn::Adam>());
///   opt.broadcast(model.trainable_variables());        // same start on every rank
///   for (step ...) {
///     auto b = data.shard(step, 16, tg::distributed::rank(), tg::distributed::size());
///     tg::GradientTape tape; ... loss ...;
///     opt.apply_gradients(tape.gradient(loss, vars), vars, b.xs[0].shape()[0]);
///   }
#include <memory>
#include <vector>

#include "autograd/variable.hpp"
#include "core/tensor.hpp"
#include "nn/optimizers.hpp"

namespace tg::distributed {

class DistributedOptimizer {
 public:
  /// Throws std::invalid_argument on a null optimizer.
  explicit DistributedOptimizer(std::shared_ptr<nn::Optimizer> optimizer);
  /// Replaces grads by sum_r(weight_r * grads_r) / sum_r(weight_r) over the ranks (fused calls,
  /// distributed/collectives.hpp), then optimizer().apply_gradients. With per-rank mean gradients
  /// pass the rank's sample count as weight (0 for a rank with none), so a short last batch
  /// counts as in one process; equal batches may keep the default.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars, double weight = 1);
  /// Root's values of `vars` and root's optimizer state for them, on every rank.
  void broadcast(const std::vector<Variable>& vars, int root = 0);
  nn::Optimizer& optimizer() const { return *optimizer_; }
  const std::shared_ptr<nn::Optimizer>& optimizer_ptr() const { return optimizer_; }

 private:
  std::shared_ptr<nn::Optimizer> optimizer_;
};

}  // namespace tg::distributed
