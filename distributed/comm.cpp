// MPI behind plain functions (see comm.hpp). Built with TG_HAVE_MPI over MPI, else for one process.
#include "distributed/comm.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <thread>

#include "core/error.hpp"

#ifdef TG_HAVE_MPI
#include <mpi.h>
#endif

namespace tg::distributed::comm {

namespace {
std::atomic<std::int64_t> calls{0};
[[maybe_unused]] int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}
}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

std::int64_t allreduce_calls() { return calls.load(std::memory_order_relaxed); }

#ifdef TG_HAVE_MPI

namespace {
MPI_Comm local_comm = MPI_COMM_NULL;
bool is_active = false, finalized = false;
// MPI counts are int: big messages go in pieces.
constexpr std::int64_t max_count = std::int64_t{1} << 30;

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::float32: return MPI_FLOAT;
    case DType::float64: return MPI_DOUBLE;
    case DType::int32: return MPI_INT32_T;
    case DType::int64: return MPI_INT64_T;
  }
  return MPI_BYTE;
}
}  // namespace

bool compiled_with_mpi() { return true; }
bool active() { return is_active; }

void init() {
  if (is_active) return;
  if (finalized) fail("tg::distributed::Environment: MPI was already finalised in this process and cannot start again");
  int provided = 0;
  // Funneled: only the thread that made the Environment calls MPI; oneTBB workers never do.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    fail("tg::distributed::Environment: MPI_Init_thread failed");
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local_comm);
  is_active = true;
}

void finalize(double timeout_seconds) {
  if (!is_active) return;
  MPI_Request req;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (int done = 0;;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) break;
    if (std::chrono::steady_clock::now() > deadline)
      abort_job("tg::distributed::Environment: the other ranks did not reach the end of the job within " +
                std::to_string(timeout_seconds) + " s (one of them stopped early or is stuck); aborting the job");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  MPI_Comm_free(&local_comm);
  MPI_Finalize();
  is_active = false;
  finalized = true;
}

int rank() {
  int r = 0;
  if (is_active) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int size() {
  int n = 1;
  if (is_active) MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}
int local_rank() {
  int r = 0;
  if (is_active) MPI_Comm_rank(local_comm, &r);
  return r;
}
int local_size() {
  int n = 1;
  if (is_active) MPI_Comm_size(local_comm, &n);
  return n;
}

void allreduce_sum(void* data, std::int64_t count, DType dtype) {
  if (!is_active) return;
  char* p = static_cast<char*>(data);
  for (std::int64_t done = 0; done < count;) {
    const std::int64_t n = std::min(max_count, count - done);
    MPI_Allreduce(MPI_IN_PLACE, p + done * static_cast<std::int64_t>(dtype_size(dtype)), static_cast<int>(n), mpi_type(dtype),
                  MPI_SUM, MPI_COMM_WORLD);
    calls.fetch_add(1, std::memory_order_relaxed);
    done += n;
  }
}

void allreduce_min(std::int64_t* data, std::int64_t count) {
  if (!is_active) return;
  MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  calls.fetch_add(1, std::memory_order_relaxed);
}

void broadcast(void* data, std::int64_t bytes, int root) {
  if (!is_active) return;
  char* p = static_cast<char*>(data);
  for (std::int64_t done = 0; done < bytes;) {
    const std::int64_t n = std::min(max_count, bytes - done);
    MPI_Bcast(p + done, static_cast<int>(n), MPI_BYTE, root, MPI_COMM_WORLD);
    done += n;
  }
}

void barrier() {
  if (is_active) MPI_Barrier(MPI_COMM_WORLD);
}

void abort_job(const std::string& message, int code) {
  std::cout.flush();
  std::cerr << "rank " << rank() << ": " << message << std::endl;
  if (is_active) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

#else  // one process

bool compiled_with_mpi() { return false; }
bool active() { return false; }
void init() {
  if (env_int("OMPI_COMM_WORLD_SIZE") > 1 || env_int("PMI_SIZE") > 1)
    fail("tg::distributed::Environment: started by an MPI launcher with several processes, but tapegrad was built "
         "without MPI (apt-get install libopenmpi-dev openmpi-bin, then reconfigure)");
}
void finalize(double) {}
int rank() { return 0; }
int size() { return 1; }
int local_rank() { return 0; }
int local_size() { return 1; }
void allreduce_sum(void*, std::int64_t, DType) {}
void allreduce_min(std::int64_t*, std::int64_t) {}
void broadcast(void*, std::int64_t, int) {}
void barrier() {}
void abort_job(const std::string& message, int code) {
  std::cout.flush();
  std::cerr << "rank 0: " << message << std::endl;
  std::_Exit(code);
}

#endif

}  // namespace tg::distributed::comm
