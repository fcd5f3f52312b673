#include "distributed/environment.hpp"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <thread>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "distributed/collectives.hpp"
#include "distributed/comm.hpp"

namespace tg::distributed {

namespace {

Environment* current = nullptr;
std::terminate_handler previous_terminate = nullptr;

// An exception nobody caught, on one rank of several: say which rank and why, then end the job
// rather than let the other ranks wait for this one forever.
[[noreturn]] void terminate_job() {
  std::string what = "std::terminate called";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
      what = "an exception of unknown type";
    }
  }
  comm::abort_job(what);
}

}  // namespace

Environment::Environment(const EnvironmentOptions& options)
    : fusion_bytes_(options.fusion_bytes), shutdown_timeout_(options.shutdown_timeout), uncaught_(std::uncaught_exceptions()) {
  if (current) fail("tg::distributed::Environment: one already exists in this process (make one, at the top of main)");
  if (const char* env = std::getenv("TAPEGRAD_FUSION_BYTES")) fusion_bytes_ = std::atoll(env);
  if (fusion_bytes_ < 8) fail("tg::distributed::Environment: fusion_bytes must be at least 8, got ", fusion_bytes_);
  if (!(shutdown_timeout_ > 0)) fail("tg::distributed::Environment: shutdown_timeout must be positive, got ", shutdown_timeout_);
  if (options.threads < 0) fail("tg::distributed::Environment: threads must be >= 0, got ", options.threads);
  if (comm::launched_by_mpi()) comm::init();  // a build without MPI throws here when several processes were launched
  mpi_ = comm::active();
  rank_ = comm::rank(), size_ = comm::size(), local_rank_ = comm::local_rank(), local_size_ = comm::local_size();
  // Threads: an explicit count wins, then TAPEGRAD_NUM_THREADS (core reads it), then a fair share
  // of the node. set_num_threads also caps at the cores this process may run on (mpirun binds).
  if (options.threads > 0) {
    set_num_threads(options.threads);
  } else if (!std::getenv("TAPEGRAD_NUM_THREADS") && local_size_ > 1) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    set_num_threads(std::max(1, cores / local_size_));
  }
  if (mpi_ && size_ > 1) previous_terminate = std::set_terminate(terminate_job);
  current = this;
  previous_ = nn::set_process_group(this);
}

Environment::~Environment() {
  nn::set_process_group(previous_);
  current = nullptr;
  if (!mpi_) return;
  if (size_ > 1 && std::uncaught_exceptions() > uncaught_)
    comm::abort_job("an exception left the scope of tg::distributed::Environment; ending the job so the other ranks do not wait "
                    "(catch it and call Environment::abort, or use Environment::run, to see its message)");
  if (size_ > 1) std::set_terminate(previous_terminate);
  comm::finalize(shutdown_timeout_);
}

void Environment::set_fusion_bytes(std::int64_t bytes) {
  if (bytes < 8) fail("tg::distributed::Environment: fusion_bytes must be at least 8, got ", bytes);
  fusion_bytes_ = bytes;
}

void Environment::barrier() const { comm::barrier(); }

void Environment::abort(const std::string& message, int code) const { comm::abort_job(message, code); }

int Environment::run(const std::function<int()>& body) const {
  try {
    return body();
  } catch (const std::exception& e) {
    if (size_ > 1) comm::abort_job(e.what());
    throw;
  }
}

std::vector<Tensor> Environment::average_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars,
                                                   double weight, std::vector<double>* sums) {
  return weighted_average(grads, vars, weight, sums);
}

void Environment::sum(std::vector<double>& values) {
  comm::allreduce_sum(values.data(), static_cast<std::int64_t>(values.size()), DType::float64);
}

void Environment::broadcast(const std::vector<Variable>& vars, int root) { distributed::broadcast(vars, root); }

Environment& environment() {
  if (!current) throw std::logic_error("tg::distributed::environment(): no tg::distributed::Environment exists");
  return *current;
}
int rank() { return current ? current->rank() : 0; }
int size() { return current ? current->size() : 1; }
int local_rank() { return current ? current->local_rank() : 0; }
int local_size() { return current ? current->local_size() : 1; }
void barrier() {
  if (current) current->barrier();
}
std::int64_t fusion_bytes() { return current ? current->fusion_bytes() : EnvironmentOptions{}.fusion_bytes; }

}  // namespace tg::distributed
