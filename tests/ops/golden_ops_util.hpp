#pragma once
// Runs the cases of tests/golden/torch_ops.json (see tests/golden/README.md) that belong to one op
// file: forward values and vector-Jacobian products against PyTorch float64, in float64 and float32.
#include <functional>
#include <map>
#include <string>

#include "golden_util.hpp"
#include "test_util.hpp"

namespace tg::test {

// Maps a case's float inputs and its `params` to the op's outputs.
using GoldenOp = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs, const nlohmann::json& params)>;

inline const nlohmann::json& torch_ops_golden() {
  static const nlohmann::json j = load_golden("torch_ops.json");
  return j;
}

// Every case of `file` must name an op in `ops`; returns how many cases ran.
inline int run_golden_ops(const std::string& file, const std::map<std::string, GoldenOp>& ops) {
  int ran = 0;
  for (const auto& c : torch_ops_golden().at("cases")) {
    if (c.at("file") != file) continue;
    const std::string op = c.at("op"), name = c.at("name");
    const auto it = ops.find(op);
    if (it == ops.end()) {
      BOOST_ERROR("case " << name << ": no test mapping for op '" << op << "'");
      continue;
    }
    for (DType dt : {DType::float64, DType::float32}) {
      BOOST_TEST_CONTEXT(name << " in " << dtype_name(dt)) {
        // float64 against float64 PyTorch; float32 only for rounding-sized differences.
        const double rtol = dt == DType::float64 ? 1e-12 : 2e-5, atol = dt == DType::float64 ? 1e-13 : 2e-6;
        std::vector<Tensor> xs;
        for (const auto& j : c.at("inputs")) xs.push_back(golden_tensor(j, static_cast<int>(dt)));
        GradientTape tape;
        for (const Tensor& x : xs) tape.watch(x);
        const std::vector<Tensor> ys = it->second(xs, c.at("params"));
        const auto& want = c.at("ys");
        BOOST_REQUIRE_EQUAL(ys.size(), want.size());
        for (std::size_t i = 0; i < ys.size(); ++i) {
          const Tensor w = golden_tensor(want[i], static_cast<int>(DType::float64));
          BOOST_TEST(ys[i].shape() == w.shape(), "output " << i << " has shape " << ys[i].shape() << ", want " << w.shape());
          if (ys[i].shape() == w.shape()) check_close(ys[i], w.to_vector<double>(), rtol, atol, "output " + std::to_string(i));
        }
        if (c.contains("grads")) {
          Tensor target;
          for (std::size_t i = 0; i < ys.size(); ++i) {
            const Tensor term = sum(ys[i] * golden_tensor(c.at("dys")[i], static_cast<int>(dt)));
            target = target.defined() ? target + term : term;
          }
          const std::vector<Tensor> grads = tape.gradient(target, xs);
          for (std::size_t i = 0; i < xs.size(); ++i) {
            const Tensor w = golden_tensor(c.at("grads")[i], static_cast<int>(DType::float64));
            BOOST_REQUIRE_MESSAGE(grads[i].defined(), "no gradient for input " << i);
            BOOST_TEST(grads[i].shape() == w.shape());
            BOOST_TEST(grads[i].dtype() == dt);
            check_close(grads[i], w.to_vector<double>(), rtol, atol, "gradient of input " + std::to_string(i));
          }
        }
      }
    }
    ++ran;
  }
  BOOST_TEST(ran > 0, "no golden cases for " << file);
  return ran;
}

// An op of one input and no parameters.
template <class F>
GoldenOp on_x(F f) {
  return [f](const std::vector<Tensor>& v, const nlohmann::json&) { return std::vector<Tensor>{f(v[0])}; };
}

// Reads a JSON list of integers.
inline std::vector<std::int64_t> ints(const nlohmann::json& j) { return j.get<std::vector<std::int64_t>>(); }

}  // namespace tg::test
