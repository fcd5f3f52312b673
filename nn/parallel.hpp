#pragma once
/// \file
/// The hook through which Model::fit / evaluate share their work among processes (data
/// parallelism). nn only defines the interface; a runtime above it (tg::distributed, over MPI)
/// implements it and installs itself while it lives. With nothing installed there is one process
/// and fit behaves exactly as it always did.
///
/// What fit does when a group of size N > 1 is installed (Horovod's recipe, built in):
///   - broadcasts every model variable from rank 0 at train begin (and checks the models agree);
///   - batch_size is the per-rank batch: step s covers the global batch of N * batch_size samples
///     of the shuffled order (the same order on every rank: same seed), rank r takes its slice;
///   - gradients are averaged over ranks, each rank's mean gradient weighted by its sample count,
///     so a short last batch counts exactly as it does in one process;
///   - the loss and metrics reported (progress bar, History, callbacks) are global;
///   - only rank 0 prints, and callbacks that write files (writes_files()) run on rank 0 only.
/// train_on_batch averages the gradients of every rank's own batch (weighted by rows) and returns
/// the loss and metrics of all of them; predict is unchanged: every rank predicts all its input.
#include <vector>

#include "autograd/variable.hpp"
#include "core/tensor.hpp"

namespace tg::nn {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// sum_r(weight_r * grads_r) / sum_r(weight_r), the same on every rank. grads[i] belongs to
  /// vars[i]; an undefined gradient counts as zero, and the result is undefined only where no rank
  /// had a gradient. A rank with no samples passes weight 0 (and may pass undefined gradients).
  /// `sums`, when given, is summed over ranks in place in the same message (fit's step loss and
  /// sample count ride with the gradients instead of costing a call of their own).
  virtual std::vector<Tensor> average_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars,
                                                double weight, std::vector<double>* sums = nullptr) = 0;
  /// Sums `values` over ranks in place (losses, sample counts, metric states).
  virtual void sum(std::vector<double>& values) = 0;
  /// Copies the root's values of `vars` into every rank's; throws (on every rank) when the ranks'
  /// variables differ in count, shape or dtype, naming the first difference.
  virtual void broadcast(const std::vector<Variable>& vars, int root) = 0;
};

/// The installed group, or null when this is the only process.
ProcessGroup* process_group();
/// Installs `group` (null uninstalls); returns the previous one. The group must outlive its
/// installation (tg::distributed::Environment installs itself and uninstalls in its destructor).
ProcessGroup* set_process_group(ProcessGroup* group);
/// This process's rank (0 without a group) and the group size (1 without a group).
int process_rank();
int process_count();

}  // namespace tg::nn
