#pragma once
// Runs tg::check_gradients and reports the worst element on failure.
#include "test_util.hpp"

namespace tg::test {

inline void expect_gradients(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& xs,
                             const std::string& what, double atol = 1e-6, double rtol = 1e-5) {
  const GradCheckResult r = check_gradients(f, xs, 1e-6, atol, rtol);
  BOOST_TEST(r.passed, what << ": " << r.message);
}

}  // namespace tg::test
