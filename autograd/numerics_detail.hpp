#pragma once
// Between the tape (autograd/tape.cpp) and check_numerics (autograd/numerics.cpp); not installed API.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tape.hpp"

namespace tg::autograd::numerics {

// How a checked op's output was made: the op, its inputs' shapes and dtypes and their own origins.
struct Origin {
  struct Input {
    Shape shape;
    DType dtype = DType::float32;
    std::shared_ptr<const Origin> from;            // null: a leaf, or a chain cut for length
    std::shared_ptr<const std::string> variable;   // the Variable's name when the input is one
    bool cut = false;                              // `from` was dropped to bound the chain's memory
  };
  const char* op = "";
  const char* in_backward_of = nullptr;  // the op whose backward rule ran this one
  std::uint64_t version = 0;             // the output's storage version when made
  int depth = 1;
  std::vector<Input> inputs;
};

extern std::atomic<bool> enabled_flag;
inline bool enabled() { return enabled_flag.load(std::memory_order_relaxed); }

// Called by record() while enabled: throws NumericsError when `output` holds NaN or Inf, else
// returns the output's origin (which record() hangs on the output).
std::shared_ptr<const Origin> check_forward(const char* op, const std::vector<Tensor>& inputs, const Tensor& output);
// Called by gradient() after a backward rule: throws when a needed input gradient holds NaN or Inf.
void check_backward(const char* op, const Origin* origin, const Tensor& grad, const Needs& needs,
                    const std::vector<Tensor>& input_grads);

// Marks this thread as running `op`'s backward rule, so ops inside it say so.
class BackwardScope {
 public:
  explicit BackwardScope(const char* op);
  ~BackwardScope();
  BackwardScope(const BackwardScope&) = delete;
  BackwardScope& operator=(const BackwardScope&) = delete;

 private:
  const char* previous_;
};

// Per-tensor state kept by the tape (autograd/tape.cpp).
std::shared_ptr<const Origin> origin_of(const Tensor& t);
std::shared_ptr<const std::string> variable_name_of(const Tensor& t);

}  // namespace tg::autograd::numerics
