#include <cmath>

#include "ops/golden_ops_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_math)

BOOST_AUTO_TEST_CASE(values_and_gradients_match_torch) {
  using test::on_x;
  const std::map<std::string, test::GoldenOp> ops = {
      {"log1p", on_x(tg::log1p)}, {"expm1", on_x(tg::expm1)}, {"sin", on_x(tg::sin)}, {"cos", on_x(tg::cos)},
      {"erf", on_x(tg::erf)}};
  BOOST_TEST(test::run_golden_ops("math", ops) == 20);
}

BOOST_AUTO_TEST_CASE(gradients_at_odd_sizes_and_second_order) {
  Generator g(71);
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> fns = {
      {"log1p", [](const Tensor& x) { return log1p(x); }}, {"expm1", [](const Tensor& x) { return expm1(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }},     {"cos", [](const Tensor& x) { return cos(x); }},
      {"erf", [](const Tensor& x) { return erf(x); }}};
  for (std::int64_t n : {1, 3, 17}) {
    const Tensor x = test::random_tensor(Shape{n, 2}, g, DType::float64, -0.9, 3);
    const Tensor w = test::random_tensor(Shape{n, 2}, g, DType::float64);
    for (const auto& [name, f] : fns) {
      test::expect_gradients([&f = f, w](const std::vector<Tensor>& v) { return f(v[0]) * w; }, {x}, name);
      test::expect_gradients(
          [&f = f, w](const std::vector<Tensor>& v) {
            GradientTape inner;
            inner.watch(v[0]);
            return inner.gradient(sum(f(v[0]) * w), v[0]);
          },
          {x}, name + " second order", 1e-5, 1e-4);
    }
  }
}

BOOST_AUTO_TEST_CASE(accurate_near_zero_and_at_special_values) {
  for (DType dt : {DType::float32, DType::float64}) {
    // log(1 + 1e-10) and exp(1e-10) - 1 lose every digit when computed naively in float32.
    const Tensor tiny = Tensor::from_values({1e-10, -1e-10}, Shape{2}, dt);
    const double t = tiny.at({0});  // 1e-10 as stored in dt
    test::check_close(log1p(tiny), {std::log1p(t), std::log1p(-t)}, 1e-6, 0, "log1p");
    test::check_close(expm1(tiny), {std::expm1(t), std::expm1(-t)}, 1e-6, 0, "expm1");
    const Tensor s = Tensor::from_values({-1, INFINITY, -INFINITY, NAN}, Shape{4}, dt);
    const auto lp = log1p(s).to_vector<double>();
    BOOST_TEST(std::isinf(lp[0]));
    BOOST_TEST(lp[1] == INFINITY);
    BOOST_TEST(std::isnan(lp[3]));
    test::check_close(expm1(s), {std::expm1(-1.0), INFINITY, -1, NAN}, 1e-6, 0, "expm1 specials");
    test::check_close(erf(s), {std::erf(-1.0), 1, -1, NAN}, 1e-6, 0, "erf specials");
  }
}

BOOST_AUTO_TEST_CASE(no_gradient_path_and_integer_error) {
  const Tensor x = Tensor::from_values({0.5, 1.5}, Shape{2}, DType::float64);
  GradientTape tape;
  const Tensor y = sum(sin(x) + cos(x) + erf(x));
  BOOST_TEST(tape.size() == 0u);  // nothing watched: nothing recorded
  BOOST_TEST(y.item() == std::sin(0.5) + std::sin(1.5) + std::cos(0.5) + std::cos(1.5) + std::erf(0.5) + std::erf(1.5),
             boost::test_tools::tolerance(1e-14));
  test::check_throws_with([] { sin(Tensor::from_values({1, 2}, Shape{2}, DType::int64)); }, {"sin", "int64", "(2,)"});
}

BOOST_AUTO_TEST_SUITE_END()
