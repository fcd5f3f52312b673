#include "ops/gradcheck_util.hpp"

using namespace tg;

namespace {
const std::vector<std::pair<Shape, Shape>> shape_pairs = {
    {Shape{3}, Shape{3}},       {Shape{17}, Shape{}},         {Shape{}, Shape{3}},       {Shape{4, 3}, Shape{3}},
    {Shape{3, 1}, Shape{1, 4}}, {Shape{2, 1, 3}, Shape{4, 1}}, {Shape{1}, Shape{1}},      {Shape{1023}, Shape{1023}}};
}

BOOST_AUTO_TEST_SUITE(test_arithmetic)

BOOST_AUTO_TEST_CASE(binary_ops_gradients_with_broadcasting) {
  Generator g(21);
  using Fn = Tensor (*)(const Tensor&, const Tensor&);
  const std::vector<std::pair<const char*, Fn>> ops = {{"add", &add}, {"sub", &sub}, {"mul", &mul},
                                                       {"div", &div}, {"maximum", &maximum}, {"minimum", &minimum}};
  for (const auto& [name, fn] : ops)
    for (const auto& [sa, sb] : shape_pairs) {
      if (sa.numel() > 100 && std::string(name) != "mul") continue;  // one large case is enough
      Tensor a = test::random_tensor(sa, g, DType::float64, 0.5, 2);
      Tensor b = test::random_tensor(sb, g, DType::float64, -2, -0.5);  // keeps max/min away from ties
      test::expect_gradients([fn](const std::vector<Tensor>& x) { return fn(x[0], x[1]); }, {a, b},
                             std::string(name) + " " + sa.str() + " with " + sb.str());
    }
}

BOOST_AUTO_TEST_CASE(pow_gradient_in_both_arguments) {
  Generator g(22);
  Tensor a = test::random_tensor(Shape{3, 4}, g, DType::float64, 0.5, 2);
  Tensor b = test::random_tensor(Shape{4}, g, DType::float64, -1.5, 2.5);
  test::expect_gradients([](const std::vector<Tensor>& x) { return pow(x[0], x[1]); }, {a, b}, "pow");
  test::expect_gradients([](const std::vector<Tensor>& x) { return pow(x[0], 3.0); }, {a}, "pow scalar");
}

BOOST_AUTO_TEST_CASE(unary_ops_gradients) {
  Generator g(23);
  using Fn = Tensor (*)(const Tensor&);
  const std::vector<std::pair<const char*, Fn>> ops = {{"neg", &neg},       {"exp", &exp},   {"log", &log},
                                                       {"sqrt", &sqrt},     {"square", &square}, {"abs", &abs}};
  for (const auto& [name, fn] : ops)
    for (std::int64_t n : {1, 3, 17}) {
      Tensor x = test::random_tensor(Shape{n}, g, DType::float64, 0.3, 2);
      if (std::string(name) == "abs" || std::string(name) == "neg") x = x * -1.0 + 0.1;  // negative values, away from 0
      test::expect_gradients([fn](const std::vector<Tensor>& v) { return fn(v[0]); }, {x},
                             std::string(name) + " n=" + std::to_string(n));
    }
}

BOOST_AUTO_TEST_CASE(forward_values_and_scalar_operators) {
  Tensor a = Tensor::from_values({1, 4, 9}, Shape{3});
  test::check_close(sqrt(a) * 2.0 + 1.0, {3, 5, 7}, 1e-7, 0, "sqrt, *, +");
  test::check_close(1.0 - a / 2.0, {0.5, -1, -3.5}, 1e-7, 0, "/, -");
  test::check_close(maximum(a, Tensor::scalar(4)), {4, 4, 9}, 0, 0, "maximum");
}

BOOST_AUTO_TEST_CASE(no_gradient_path_when_unwatched) {
  Tensor a = Tensor::ones(Shape{3}, DType::float64), b = Tensor::ones(Shape{3}, DType::float64);
  GradientTape tape;
  tape.watch(a);
  Tensor y = sum(a * b);
  auto g = tape.gradient(y, {a, b});
  test::check_close(g[0], {1, 1, 1}, 0, 0, "watched");
  BOOST_TEST(!g[1].defined());
  BOOST_TEST(tape.size() == 0u);  // the non-persistent record is freed after gradient()
}

BOOST_AUTO_TEST_CASE(broadcast_mismatch_is_reported) {
  test::check_throws_with([] { add(Tensor::zeros(Shape{32, 10}), Tensor::zeros(Shape{3})); },
                          {"add: cannot broadcast (32, 10) with (3,)"});
}

BOOST_AUTO_TEST_SUITE_END()
