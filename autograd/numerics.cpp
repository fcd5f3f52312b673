// check_numerics: the output scan, the report, and the record of how each checked value was made.
#include "autograd/numerics.hpp"

#include <bit>
#include <cmath>
#include <sstream>

#include "autograd/numerics_detail.hpp"

namespace tg {

void enable_check_numerics() { autograd::numerics::enabled_flag.store(true, std::memory_order_relaxed); }
void disable_check_numerics() { autograd::numerics::enabled_flag.store(false, std::memory_order_relaxed); }
bool check_numerics_enabled() { return autograd::numerics::enabled(); }

namespace autograd::numerics {

std::atomic<bool> enabled_flag{false};

namespace {

constexpr int max_depth = 32;    // ops kept behind a value (bounds memory in long loops)
constexpr int shown_depth = 6;   // ops shown behind an input in a report
thread_local const char* backward_op = nullptr;

// True when every element is finite: an exponent of all ones marks NaN and Inf. Branch-free so the
// compiler vectorises it; the counts are taken only when this fails.
template <class T, class U>
bool all_finite(const T* p, std::int64_t n) {
  constexpr U exp_mask = std::is_same_v<T, float> ? U(0x7f800000u) : U(0x7ff0000000000000ull);
  U bad = 0;
  for (std::int64_t i = 0; i < n; ++i) bad |= static_cast<U>((std::bit_cast<U>(p[i]) & exp_mask) == exp_mask);
  return bad == 0;
}

bool all_finite(const Tensor& t) {
  if (t.dtype() == DType::float32) return all_finite<float, std::uint32_t>(static_cast<const float*>(t.raw_data()), t.numel());
  if (t.dtype() == DType::float64) return all_finite<double, std::uint64_t>(static_cast<const double*>(t.raw_data()), t.numel());
  return true;  // integers are always finite
}

struct Counts {
  std::int64_t nan = 0, inf = 0;
};

Counts count(const Tensor& t) {
  Counts c;
  if (!t.defined() || !is_floating(t.dtype())) return c;
  for (double v : t.to_vector<double>()) c.nan += std::isnan(v), c.inf += std::isinf(v);
  return c;
}

std::string desc(const Shape& s, DType d) { return std::string(dtype_name(d)) + " " + s.str(); }

std::string counts_str(const Counts& c) {
  return std::to_string(c.nan) + " NaN and " + std::to_string(c.inf) + " Inf values";
}

// An origin's chain as an expression: matmul(relu(dense(<float32 (32, 784)>, 'dense/kernel', ...)), ...).
void render(std::ostringstream& os, const Origin::Input& in, int depth, int& budget) {
  if (in.variable) {
    os << "variable '" << *in.variable << "'";
    return;
  }
  if (!in.from) {
    os << (in.cut ? "..." : "<" + desc(in.shape, in.dtype) + ">");
    return;
  }
  if (depth >= shown_depth || budget <= 0) {
    os << in.from->op << "(...)";
    return;
  }
  --budget;
  os << in.from->op << "(";
  for (std::size_t i = 0; i < in.from->inputs.size(); ++i) {
    if (i) os << ", ";
    render(os, in.from->inputs[i], depth + 1, budget);
  }
  os << ")";
}

// One line per input: its shape and dtype, whether it already held NaN or Inf, and what made it.
void describe_inputs(std::ostringstream& os, const std::vector<Origin::Input>& ins, const std::vector<Tensor>* values) {
  for (std::size_t i = 0; i < ins.size(); ++i) {
    const Origin::Input& in = ins[i];
    os << "\n  input " << i << ": " << desc(in.shape, in.dtype);
    if (in.variable) os << ", variable '" << *in.variable << "'";
    if (values) {
      const Tensor& t = (*values)[i];
      const Counts c = count(t);
      if (c.nan || c.inf) {
        os << ", ALREADY HELD " << counts_str(c);
        if (in.variable)
          os << " (no op made it: its value was set by initialisation, a file, assign or an optimizer step)";
        else if (in.from && t.version() != in.from->version)
          os << " (written in place after '" << in.from->op << "' made it: version " << in.from->version << " -> "
             << t.version() << ")";
        else if (!in.from && !in.cut)
          os << " (no checked op made it: input data, a constant, a core:: kernel's result, or a value computed "
                "before enable_check_numerics)";
      } else {
        os << ", finite";
      }
    }
    if (!in.variable && (in.from || in.cut)) {
      os << "; made by ";
      int budget = 24;
      render(os, in, 0, budget);
    }
  }
}

Origin::Input input_of(const Tensor& t) {
  Origin::Input in;
  if (!t.defined()) return in;
  in.shape = t.shape();
  in.dtype = t.dtype();
  in.variable = variable_name_of(t);
  in.from = origin_of(t);
  if (in.from && in.from->depth >= max_depth) {
    in.from.reset();
    in.cut = true;
  }
  return in;
}

}  // namespace

BackwardScope::BackwardScope(const char* op) : previous_(backward_op) { backward_op = op; }
BackwardScope::~BackwardScope() { backward_op = previous_; }

std::shared_ptr<const Origin> check_forward(const char* op, const std::vector<Tensor>& inputs, const Tensor& output) {
  auto origin = std::make_shared<Origin>();
  origin->op = op;
  origin->in_backward_of = backward_op;
  origin->version = output.version();
  origin->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    origin->inputs.push_back(input_of(t));
    if (origin->inputs.back().from) origin->depth = std::max(origin->depth, origin->inputs.back().from->depth + 1);
  }
  if (is_floating(output.dtype()) && !all_finite(output)) {
    std::ostringstream os;
    os << "check_numerics: '" << op << "'";
    if (backward_op) os << " inside the backward rule of '" << backward_op << "'";
    os << " produced " << counts_str(count(output)) << " in its " << desc(output.shape(), output.dtype()) << " output ("
       << (backward_op ? "backward pass" : "forward pass") << ")";
    describe_inputs(os, origin->inputs, &inputs);
    throw NumericsError(backward_op ? backward_op : op, backward_op != nullptr, os.str());
  }
  return origin;
}

void check_backward(const char* op, const Origin* origin, const Tensor& grad, const Needs& needs,
                    const std::vector<Tensor>& input_grads) {
  for (std::size_t k = 0; k < input_grads.size(); ++k) {
    const Tensor& g = input_grads[k];
    if (!needs[k] || !g.defined() || !is_floating(g.dtype())) continue;
    // A gradient an op made inside the rule was checked as it was made; scan it again only if it
    // was written in place since (fused rules write their results with kernels: those are scanned).
    if (const auto made = origin_of(g); made && made->version == g.version()) continue;
    if (all_finite(g)) continue;
    std::ostringstream os;
    os << "check_numerics: the backward rule of '" << op << "' produced " << counts_str(count(g))
       << " in the gradient for its input " << k << " (" << desc(g.shape(), g.dtype()) << "); the incoming gradient ("
       << desc(grad.shape(), grad.dtype()) << ") ";
    const Counts c = count(grad);
    if (c.nan || c.inf) os << "ALREADY HELD " << counts_str(c) << " (from output_gradients or a gradient hook)";
    else os << "was finite";
    if (origin) {
      os << "\n'" << op << "' was recorded with:";
      describe_inputs(os, origin->inputs, nullptr);
    }
    throw NumericsError(op, true, os.str());
  }
}

}  // namespace autograd::numerics
}  // namespace tg
