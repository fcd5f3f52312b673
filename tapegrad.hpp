#pragma once
// The whole public API of tapegrad.
#include "core/allocator.hpp"
#include "core/isa.hpp"
#include "core/parallel.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
