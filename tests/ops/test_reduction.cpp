#include <cmath>
#include <limits>

#include "ops/golden_ops_util.hpp"
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

BOOST_AUTO_TEST_CASE(new_reductions_match_torch) {
  auto axes = [](const nlohmann::json& p) { return test::ints(p.at("axes")); };
  auto keep = [](const nlohmann::json& p) { return p.at("keepdims").get<bool>(); };
  const std::map<std::string, test::GoldenOp> ops = {
      {"reduce_min", [&](const auto& v, const auto& p) { return std::vector<Tensor>{reduce_min(v[0], axes(p), keep(p))}; }},
      {"prod", [&](const auto& v, const auto& p) { return std::vector<Tensor>{prod(v[0], axes(p), keep(p))}; }},
      {"logsumexp", [&](const auto& v, const auto& p) { return std::vector<Tensor>{logsumexp(v[0], axes(p), keep(p))}; }},
      {"var",
       [&](const auto& v, const auto& p) {
         return std::vector<Tensor>{var(v[0], axes(p), keep(p), p.at("ddof").template get<std::int64_t>())};
       }},
      {"std",
       [&](const auto& v, const auto& p) {
         return std::vector<Tensor>{tg::std(v[0], axes(p), keep(p), p.at("ddof").template get<std::int64_t>())};
       }},
  };
  BOOST_TEST(test::run_golden_ops("reduction", ops) >= 30);
}

BOOST_AUTO_TEST_CASE(new_reduction_gradients_over_axes_and_odd_sizes) {
  Generator g(43);
  const std::vector<std::vector<std::int64_t>> axis_sets = {{}, {0}, {1}, {0, 2}, {-1, 0}};
  for (std::int64_t n : {1, 3, 17}) {
    Tensor x = test::random_tensor(Shape{3, n, 2}, g, DType::float64, -2, 2);
    for (const auto& axes : axis_sets)
      for (bool keep : {false, true}) {
        Tensor w = test::random_tensor(core::sum(x, axes, keep).shape(), g, DType::float64);
        BOOST_TEST_CONTEXT("n " << n << " axes " << axes.size() << " keep " << keep) {
          test::expect_gradients([&](const std::vector<Tensor>& v) { return reduce_min(v[0], axes, keep) * w; }, {x}, "min");
          test::expect_gradients([&](const std::vector<Tensor>& v) { return prod(v[0], axes, keep) * w; }, {x}, "prod",
                                 1e-6, 1e-5);
          test::expect_gradients([&](const std::vector<Tensor>& v) { return logsumexp(v[0], axes, keep) * w; }, {x},
                                 "logsumexp");
          for (std::int64_t ddof : {0, 1}) {
            if (core::sum(x, axes, keep).numel() == x.numel()) continue;  // one element per slice: 0 / 0 for ddof 1
            test::expect_gradients([&](const std::vector<Tensor>& v) { return var(v[0], axes, keep, ddof) * w; }, {x}, "var");
            test::expect_gradients([&](const std::vector<Tensor>& v) { return tg::std(v[0], axes, keep, ddof) * w; }, {x},
                                   "std");
          }
        }
      }
  }
}

BOOST_AUTO_TEST_CASE(prod_gradient_is_exact_with_zeros_to_second_order) {
  // A polynomial: central differences are exact, zeros included. Row 0 has no zero, row 1 one, row 2 two.
  Tensor x = Tensor::from_values({1.5, -2, 0.5, 3, 1.5, 0, 0.5, 3, 0, 2, 0, -1}, Shape{3, 4}, DType::float64);
  Generator g(44);
  Tensor w = test::random_tensor(Shape{3}, g, DType::float64);
  Tensor w2 = test::random_tensor(Shape{3, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return prod(v[0], {1}) * w; }, {x}, "prod rows");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return prod(v[0]); }, {x}, "prod all");
  // The gradient of the gradient: prod_of_others differentiates again (rows i != j of the slice).
  auto grad_of = [&](const std::vector<std::int64_t>& axes, const Tensor& weight) {
    return [&, axes, weight](const std::vector<Tensor>& v) {
      GradientTape inner;
      inner.watch(v[0]);
      return inner.gradient(sum(prod(v[0], axes) * weight), v[0]) * w2;
    };
  };
  test::expect_gradients(grad_of({1}, w), {x}, "prod second order, rows", 1e-5, 1e-5);
  test::expect_gradients(grad_of({}, Tensor::scalar(1, DType::float64)), {x}, "prod second order, all", 1e-5, 1e-5);
  GradientTape tape;
  tape.watch(x);
  // d prod(row) / d x_j = product of the others: only row 1's zero gets 1.5 * 0.5 * 3, row 2 gets nothing.
  test::check_close(tape.gradient(sum(prod(x, {1})), x), {-3, 2.25, -9, -1.5, 0, 2.25, 0, 0, 0, 0, 0, 0}, 1e-15,
                    0, "product of the others");
}

BOOST_AUTO_TEST_CASE(logsumexp_extremes_and_std_of_a_constant) {
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dt : {DType::float32, DType::float64}) {
    Tensor x = Tensor::from_values({1e4, 0, -1e4, -inf, -inf, -inf, inf, 1, 2}, Shape{3, 3}, dt);
    test::check_close(logsumexp(x, {1}), {1e4, -inf, inf}, 1e-7, 0, "logsumexp rows");
    Tensor c = Tensor::from_values({2, 2, 2}, Shape{3}, dt);
    GradientTape tape;
    tape.watch(c);
    const Tensor s = tg::std(c);
    BOOST_TEST(s.item() == 0);
    test::check_close(tape.gradient(s, c), {0, 0, 0}, 0, 0, "std of a constant: gradient 0, as PyTorch");
  }
  // NumPy's ddof: var([1, 2, 3, 4]) = 1.25, with ddof 1 5/3.
  Tensor v = Tensor::from_values({1, 2, 3, 4}, Shape{4}, DType::float64);
  BOOST_TEST(var(v).item() == 1.25);
  BOOST_TEST(var(v, {}, false, 1).item() == 5.0 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(tg::std(v, {0}, true).shape() == Shape{1});
}

BOOST_AUTO_TEST_CASE(second_order_and_no_gradient_path) {
  Generator g(45);
  const Tensor x = test::random_tensor(Shape{3, 4}, g, DType::float64);
  const Tensor w = test::random_tensor(Shape{3, 4}, g, DType::float64);
  for (const auto& [name, f] : std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>>{
           {"logsumexp", [](const Tensor& t) { return logsumexp(t, {1}); }},
           {"var", [](const Tensor& t) { return var(t, {0}, false, 1); }},
           {"std", [](const Tensor& t) { return tg::std(t, {1}); }},
           {"reduce_min", [](const Tensor& t) { return reduce_min(t * t, {1}); }}})
    test::expect_gradients(
        [&, f = f](const std::vector<Tensor>& v) {
          GradientTape inner;
          inner.watch(v[0]);
          return inner.gradient(sum(square(f(v[0]))), v[0]) * w;
        },
        {x}, name + " second order", 1e-5, 1e-5);
  GradientTape tape;  // nothing watched: nothing recorded, no gradient
  const Tensor y = sum(prod(x, {1})) + sum(var(x)) + sum(logsumexp(x)) + sum(reduce_min(x, {0}));
  BOOST_TEST(tape.size() == 0u);
  BOOST_TEST(!tape.gradient(y, x).defined());
}

BOOST_AUTO_TEST_CASE(new_reduction_errors_name_the_op) {
  Tensor x = Tensor::zeros(Shape{2, 3});
  test::check_throws_with([&] { prod(x, {2}); }, {"prod", "axis 2", "rank 2"});
  test::check_throws_with([&] { reduce_min(x, {0, 0}); }, {"min", "repeated axis"});
  test::check_throws_with([&] { var(Tensor::zeros(Shape{2}, DType::int32)); }, {"var", "int32", "(2,)"});
  test::check_throws_with([&] { logsumexp(Tensor::zeros(Shape{2}, DType::int64)); }, {"logsumexp", "int64"});
  test::check_throws_with([&] { reduce_min(Tensor::zeros(Shape{0, 3}), {0}); }, {"min", "empty", "(0, 3)"});
}

BOOST_AUTO_TEST_SUITE_END()
