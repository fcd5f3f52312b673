#pragma once
/// \file
/// tg::distributed: data-parallel training over MPI (Environment, collectives, DistributedOptimizer).
#include "distributed/collectives.hpp"
#include "distributed/environment.hpp"
#include "distributed/optimizer.hpp"
