#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_reduction)

BOOST_AUTO_TEST_CASE(sum_mean_max_gradients_over_axes) {
  Generator g(41);
  Tensor x = test::random_tensor(Shape{3, 4, 5}, g, DType::float64);
  const std::vector<std::vector<std::int64_t>> axis_sets = {{}, {0}, {1}, {2}, {0, 2}, {-1, 0}};
  for (const auto& axes : axis_sets)
    for (bool keep : {false, true}) {
      Tensor w = test::random_tensor(core::sum(x, axes, keep).shape(), g, DType::float64);
      test::expect_gradients([&](const std::vector<Tensor>& v) { return sum(v[0], axes, keep) * w; }, {x}, "sum");
      test::expect_gradients([&](const std::vector<Tensor>& v) { return mean(v[0], axes, keep) * w; }, {x}, "mean");
      test::expect_gradients([&](const std::vector<Tensor>& v) { return reduce_max(v[0], axes, keep) * w; }, {x}, "max");
    }
}

BOOST_AUTO_TEST_CASE(broadcast_and_sum_to_are_adjoint) {
  Generator g(42);
  Tensor x = test::random_tensor(Shape{3, 1}, g, DType::float64);
  Tensor w = test::random_tensor(Shape{2, 3, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return broadcast_to(v[0], Shape{2, 3, 4}) * w; }, {x},
                         "broadcast_to");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return sum_to(v[0], Shape{3, 1}); }, {w}, "sum_to");
}

BOOST_AUTO_TEST_CASE(max_gradient_splits_ties) {
  Tensor x = Tensor::from_values({1, 3, 3}, Shape{3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  test::check_close(tape.gradient(reduce_max(x), x), {0, 0.5, 0.5}, 0, 0, "tie");
}

BOOST_AUTO_TEST_SUITE_END()
