// MPI behind plain functions (see comm.hpp). Built with TG_HAVE_MPI over MPI, else for one process.
#include "distributed/comm.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <thread>
#include <vector>

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

// A ring allreduce (reduce-scatter, then allgather, over MPI_Sendrecv with the neighbours), used for
// float sums from ring_min_bytes up. Open MPI 4.1's own choice for these sizes ran at 0.10-0.15 GB/s
// from 256 KiB up between two ranks on one machine (2 ms for the seed model's 407 KB of gradients),
// against 2-3.5 GB/s for its ring (coll_tuned_allreduce_algorithm 4), measured 2026-12-02 with
// bench_mpi allreduce; a library should not need MCA settings to be fast. Each chunk is summed on
// one rank, in ring order, and copied to the others, so every rank gets the same bits.
constexpr std::int64_t ring_min_bytes = std::int64_t{128} << 10;

template <class T>
void ring_allreduce(T* data, std::int64_t count, MPI_Datatype type) {
  const int p = size(), r = rank(), next = (r + 1) % p, prev = (r + p - 1) % p;
  auto begin = [&](int c) { return count * ((c % p + p) % p) / p; };
  auto length = [&](int c) { return count * ((c % p + p) % p + 1) / p - begin(c); };
  static std::vector<T> incoming;  // kept between calls: no allocation and page faults per step
  if (incoming.size() < static_cast<std::size_t>(count / p + 1)) incoming.resize(static_cast<std::size_t>(count / p + 1));
  for (int s = 0; s < p - 1; ++s) {  // after step s, chunk r - s - 1 holds s + 2 ranks' terms here
    const int out = r - s, in = r - s - 1;
    MPI_Sendrecv(data + begin(out), static_cast<int>(length(out)), type, next, 0, incoming.data(),
                 static_cast<int>(length(in)), type, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    T* dst = data + begin(in);
    for (std::int64_t i = 0, n = length(in); i < n; ++i) dst[i] += incoming[static_cast<std::size_t>(i)];
  }
  for (int s = 0; s < p - 1; ++s) {  // rank r now owns the full sum of chunk r + 1; pass them round
    const int out = r + 1 - s, in = r - s;
    MPI_Sendrecv(data + begin(out), static_cast<int>(length(out)), type, next, 1, data + begin(in),
                 static_cast<int>(length(in)), type, prev, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
}

void allreduce_sum(void* data, std::int64_t count, DType dtype) {
  if (!is_active) return;
  const std::int64_t bytes = count * static_cast<std::int64_t>(dtype_size(dtype));
  if (size() > 1 && is_floating(dtype) && bytes >= ring_min_bytes && count / size() < max_count) {
    if (dtype == DType::float32) ring_allreduce(static_cast<float*>(data), count, MPI_FLOAT);
    else ring_allreduce(static_cast<double*>(data), count, MPI_DOUBLE);
    calls.fetch_add(1, std::memory_order_relaxed);
    return;
  }
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
