#pragma once
/// \file
/// tg::distributed::Environment: the RAII handle of a data-parallel job. Make one at the top of
/// main. Started by `mpirun -np N prog` it initialises MPI and this process is one of N ranks;
/// started on its own (or in a build without MPI) it is the only rank and nothing is initialised,
/// so the same program runs either way.
///
/// While it lives it is installed as nn's process group (nn/parallel.hpp): Model::fit and
/// evaluate then shard their batches over the ranks, average gradients, report global metrics and
/// print on rank 0 only. Its destructor waits (at most `shutdown_timeout` seconds) for every rank
/// to finish, then finalises MPI; a rank that throws should call abort() (or use run()) so the job
/// ends at once instead of leaving the others waiting.
///
///   int main() {
///     tg::distributed::Environment env;
///     return env.run([&] { ... model.fit(x, y, {.batch_size = 32}) ...; return 0; });
///   }
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/parallel.hpp"

namespace tg::distributed {

struct EnvironmentOptions {
  /// Bytes of gradients gathered into one MPI_Allreduce (Horovod's fusion threshold, 64 MiB:
  /// a step of a model below that size makes one call per dtype). TAPEGRAD_FUSION_BYTES overrides.
  std::int64_t fusion_bytes = std::int64_t{64} << 20;
  /// Threads per rank; 0: TAPEGRAD_NUM_THREADS if set, else the node's cores / ranks on the node
  /// (at least 1, at most the cores this process may run on), so the ranks of a node never
  /// oversubscribe it.
  int threads = 0;
  /// How long the destructor waits for the other ranks before it aborts the job.
  double shutdown_timeout = 60;
};

class Environment : public nn::ProcessGroup {
 public:
  explicit Environment(const EnvironmentOptions& options = {});
  ~Environment() override;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// Whether MPI is running (launched by mpirun in a build with MPI).
  bool uses_mpi() const { return mpi_; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  /// This process's rank among the ranks on its node, and their number.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  std::int64_t fusion_bytes() const { return fusion_bytes_; }
  void set_fusion_bytes(std::int64_t bytes);

  /// Waits until every rank got here.
  void barrier() const;
  /// Prints "rank N: message" on stderr and ends the whole job (every rank) with `code`.
  [[noreturn]] void abort(const std::string& message, int code = 1) const;
  /// Runs `body`; if it throws, prints "rank N: <what>" and ends the whole job with code 1 when
  /// there are several ranks (rethrows when this is the only one, for the caller to report).
  int run(const std::function<int()>& body) const;

  // nn::ProcessGroup, used by fit; see also distributed/collectives.hpp.
  std::vector<Tensor> average_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars,
                                        double weight, std::vector<double>* sums = nullptr) override;
  void sum(std::vector<double>& values) override;
  void broadcast(const std::vector<Variable>& vars, int root) override;

 private:
  bool mpi_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::int64_t fusion_bytes_;
  double shutdown_timeout_;
  int uncaught_ = 0;
  nn::ProcessGroup* previous_ = nullptr;
};

/// The living Environment; throws when there is none.
Environment& environment();
/// Rank, size, local rank and local size of the living Environment (0, 1, 0, 1 without one).
int rank();
int size();
int local_rank();
int local_size();
/// Waits for every rank (nothing without an Environment).
void barrier();
/// The living Environment's fusion buffer size (EnvironmentOptions' default without one).
std::int64_t fusion_bytes();

}  // namespace tg::distributed
