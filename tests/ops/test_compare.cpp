#include <cmath>

#include "ops/golden_ops_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_compare)

BOOST_AUTO_TEST_CASE(masks_and_where_match_torch) {
  auto cmp = [](Tensor (*f)(const Tensor&, const Tensor&)) -> test::GoldenOp {
    return [f](const std::vector<Tensor>& v, const nlohmann::json&) { return std::vector<Tensor>{f(v[0], v[1])}; };
  };
  const std::map<std::string, test::GoldenOp> ops = {
      {"equal", cmp(equal)},
      {"not_equal", cmp(not_equal)},
      {"less", cmp(less)},
      {"less_equal", cmp(less_equal)},
      {"greater", cmp(greater)},
      {"greater_equal", cmp(greater_equal)},
      {"where", [](const auto& v, const auto& p) {
         return std::vector<Tensor>{where(test::golden_tensor(p.at("cond")), v[0], v[1])};
       }}};
  BOOST_TEST(test::run_golden_ops("compare", ops) == 9);
}

BOOST_AUTO_TEST_CASE(masks_are_in_the_operand_dtype_and_carry_no_gradient) {
  for (DType dt : {DType::float32, DType::float64, DType::int32, DType::int64}) {
    const Tensor a = Tensor::from_values({1, 2, 3}, Shape{3}, dt);
    const Tensor m = greater(a, 1.5);
    BOOST_TEST(m.dtype() == dt);
    test::check_close(m, {0, 1, 1}, 0, 0, dtype_name(dt));
    test::check_close(less_equal(a, Tensor::from_values({3, 2, 1}, Shape{3}, dt)), {1, 1, 0}, 0, 0, "elementwise");
  }
  const Tensor x = Tensor::from_values({-1, NAN, 2}, Shape{3}, DType::float64);
  test::check_close(equal(x, x), {1, 0, 1}, 0, 0, "NaN is not equal to itself");
  test::check_close(not_equal(x, x), {0, 1, 0}, 0, 0, "NaN != NaN");
  GradientTape tape;
  tape.watch(x);
  BOOST_TEST(tape.size() == 0u);
  const Tensor m = greater(x, 0.0);
  BOOST_TEST(tape.size() == 0u);  // not recorded
  BOOST_TEST(!tape.gradient(sum(m), x).defined());
}

BOOST_AUTO_TEST_CASE(where_gradients_through_both_branches_with_broadcasting) {
  Generator g(91);
  for (std::int64_t n : {1, 3, 17}) {
    const Tensor cond = greater(test::random_tensor(Shape{n, 1}, g, DType::float64), 0.0);
    const Tensor cond2 = greater(test::random_tensor(Shape{2, n, 4}, g, DType::float64), 0.0);
    const Tensor a = test::random_tensor(Shape{n, 4}, g, DType::float64);
    const Tensor b = test::random_tensor(Shape{4}, g, DType::float64);
    const Tensor w = test::random_tensor(Shape{2, n, 4}, g, DType::float64);
    test::expect_gradients([&](const std::vector<Tensor>& v) { return where(cond, v[0], v[1]) * w; }, {a, b}, "where");
    test::expect_gradients([&](const std::vector<Tensor>& v) { return where(cond2, v[0], v[1]) * w; }, {a, b},
                           "where, cond broadcast larger");
    test::expect_gradients([&](const std::vector<Tensor>& v) { return where(cond2, v[0], 0.5) * w; }, {a}, "where, number");
  }
  // Second order: the backward rule is where() itself.
  const Tensor cond = Tensor::from_values({1, 0, 1}, Shape{3}, DType::int32);
  const Tensor x = Tensor::from_values({0.5, -1, 2}, Shape{3}, DType::float64);
  test::expect_gradients(
      [&](const std::vector<Tensor>& v) {
        GradientTape inner;
        inner.watch(v[0]);
        return inner.gradient(sum(where(cond, v[0] * v[0] * v[0], exp(v[0]))), v[0]);
      },
      {x}, "where second order", 1e-5, 1e-5);
}

BOOST_AUTO_TEST_CASE(where_values_and_gradients_by_hand) {
  const Tensor x = Tensor::from_values({4, 9, 16}, Shape{3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor y = where(Tensor::from_values({1, 0, 1}, Shape{3}, DType::int64), sqrt(x), x * 3.0);
  test::check_close(y, {2, 27, 4}, 0, 0, "values");
  // d sqrt(x) = 1 / (2 sqrt(x)) where picked, 3 elsewhere.
  test::check_close(tape.gradient(sum(y), x), {0.25, 3, 0.125}, 1e-15, 0, "gradient");
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  const Tensor a = Tensor::zeros(Shape{2, 3}), b = Tensor::zeros(Shape{4});
  test::check_throws_with([&] { less(a, b); }, {"less", "(2, 3)", "(4,)"});
  test::check_throws_with([&] { where(Tensor::zeros(Shape{2, 3}), a, b); }, {"where", "(2, 3)", "(4,)"});
  test::check_throws_with([&] { where(Tensor::zeros(Shape{5}), a, a); }, {"where", "(5,)", "(2, 3)"});
  test::check_throws_with([&] { where(Tensor::zeros(Shape{3}), a, Tensor::zeros(Shape{3}, DType::float64)); },
                          {"where", "float32", "float64"});
}

BOOST_AUTO_TEST_SUITE_END()
