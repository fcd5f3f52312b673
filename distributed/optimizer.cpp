#include "distributed/optimizer.hpp"

#include <stdexcept>

#include "distributed/collectives.hpp"

namespace tg::distributed {

DistributedOptimizer::DistributedOptimizer(std::shared_ptr<nn::Optimizer> optimizer) : optimizer_(std::move(optimizer)) {
  if (!optimizer_) throw std::invalid_argument("tg::distributed::DistributedOptimizer: the optimizer is null");
}

void DistributedOptimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars, double weight) {
  optimizer_->apply_gradients(weighted_average(grads, vars, weight), vars);
}

void DistributedOptimizer::broadcast(const std::vector<Variable>& vars, int root) {
  distributed::broadcast(vars, root);
  distributed::broadcast(*optimizer_, vars, root);
}

}  // namespace tg::distributed
