#pragma once
// Every differentiable op.
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"
#include "ops/compare.hpp"
#include "ops/crossentropy.hpp"
#include "ops/dropout.hpp"
#include "ops/gradcheck.hpp"
#include "ops/indexing.hpp"
#include "ops/inspect.hpp"
#include "ops/recurrent.hpp"
#include "ops/math.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"
