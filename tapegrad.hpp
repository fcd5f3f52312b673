#pragma once
// The whole public API of tapegrad.
#include "autograd/tape.hpp"
#include "autograd/variable.hpp"
#include "core/allocator.hpp"
#include "core/isa.hpp"
#include "core/parallel.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "nn/nn.hpp"
#include "ops/linalg.hpp"
#include "ops/ops.hpp"
