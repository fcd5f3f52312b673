#pragma once
/// \file
/// The few MPI calls distributed/ makes, behind plain functions, so that mpi.h stays inside
/// distributed/comm.cpp and a build without MPI (TG_HAVE_MPI unset) has the same functions for one
/// process: sums and broadcasts are then the identity. Internal to distributed/.
#include <cstdint>
#include <string>

#include "core/dtype.hpp"

namespace tg::distributed::comm {

/// Whether this build can run over MPI.
bool compiled_with_mpi();
/// Whether an MPI launcher started this process (Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE;
/// PMIx and PMI launchers set PMIX_RANK / PMI_RANK).
bool launched_by_mpi();
/// MPI_Init_thread (funneled) and the node-local communicator. Throws if MPI was already finalised.
void init();
bool active();  // between init() and finalize()
/// Finalizes after every rank reached this point within `timeout_seconds`; otherwise prints why on
/// stderr and aborts the whole job (a rank that left early must not leave the others hanging).
void finalize(double timeout_seconds);
int rank();
int size();
int local_rank();
int local_size();
/// In-place sum over ranks of `count` elements of `dtype` (float32, float64, int64); float sums
/// from 128 KiB up go round a ring of MPI_Sendrecv calls (comm.cpp says why).
void allreduce_sum(void* data, std::int64_t count, DType dtype);
/// In-place minimum over ranks.
void allreduce_min(std::int64_t* data, std::int64_t count);
/// Copies `bytes` bytes at `data` from `root` to every rank.
void broadcast(void* data, std::int64_t bytes, int root);
void barrier();
/// Prints "rank N: message" on stderr and ends every process of the job with exit code `code`
/// (MPI_Abort); just exits without MPI.
[[noreturn]] void abort_job(const std::string& message, int code = 1);
/// Allreduce calls made so far by this process, MPI_Allreduce or ring (to check gradient fusion).
std::int64_t allreduce_calls();

}  // namespace tg::distributed::comm
