#pragma once
// Every differentiable op.
#include "ops/activation.hpp"
#include "ops/arithmetic.hpp"
#include "ops/conv.hpp"
#include "ops/crossentropy.hpp"
#include "ops/dropout.hpp"
#include "ops/gradcheck.hpp"
#include "ops/image.hpp"
#include "ops/inspect.hpp"
#include "ops/normalization.hpp"
#include "ops/pooling.hpp"
#include "ops/reduction.hpp"
#include "ops/shape.hpp"
