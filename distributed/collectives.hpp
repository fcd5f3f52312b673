#pragma once
/// \file
/// Collective operations over the ranks of the living tg::distributed::Environment (identities
/// when there is none, or one rank): allreduce of float32/float64 tensors through a fusion
/// buffer, broadcast of variables (with a check that the ranks' models agree) and of optimizer
/// state. Every rank must make the same calls in the same order, as with MPI itself.
#include <cstdint>
#include <vector>

#include "autograd/variable.hpp"
#include "core/tensor.hpp"

namespace tg::nn {
class Optimizer;
}

namespace tg::distributed {

/// The sum over ranks of each tensor, or its mean with `average`, as new tensors (the inputs are
/// not changed). float32 and float64 only, each rank passing the same shapes and dtypes in the
/// same order. The tensors of one dtype travel packed in a fusion buffer: ceil(bytes /
/// fusion_bytes) in-place MPI_Allreduce calls per dtype, not one per tensor.
std::vector<Tensor> allreduce(const std::vector<Tensor>& tensors, bool average = true);

/// sum_r(weight_r * tensors_r) / sum_r(weight_r), computed in the same fused calls as allreduce
/// (the weights travel with the data). tensors[i] has the shape and dtype of like[i]; an undefined
/// tensor counts as zero and the result is undefined where every rank's was. The average of
/// per-rank mean gradients over batches of different sizes: weight = this rank's sample count.
/// `sums`, when given, is summed over the ranks in place in the same calls (it travels in float32
/// when every tensor is float32: exact for counts below 2^24, 7 digits for the rest).
std::vector<Tensor> weighted_average(const std::vector<Tensor>& tensors, const std::vector<Variable>& like, double weight,
                                     std::vector<double>* sums = nullptr);

/// Copies root's values of `vars` into every rank's variables. First checks that every rank has
/// the same number of variables with the same shapes and dtypes; if not, throws on every rank
/// std::invalid_argument naming the first rank and the first variable that differ.
void broadcast(const std::vector<Variable>& vars, int root = 0);
/// The same for tensors (written in place).
void broadcast(const std::vector<Tensor>& tensors, int root = 0);
/// Root's optimizer state for `vars` (iteration count, learning rate, slots) on every rank.
void broadcast(nn::Optimizer& optimizer, const std::vector<Variable>& vars, int root = 0);

/// Allreduce calls this process made so far, each one MPI_Allreduce or one ring allreduce (for
/// tests of the fusion: compare before/after).
std::int64_t allreduce_calls();

}  // namespace tg::distributed
