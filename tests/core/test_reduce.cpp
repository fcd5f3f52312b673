#include <cmath>

#include "core/reduce.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {
// Naive reduction over `axes` (sorted) with keepdims=false, accumulating in double.
std::vector<double> ref_reduce(core::ReduceOp op, const Tensor& t, const std::vector<int>& axes) {
  const Shape& s = t.shape();
  Shape out;
  for (int d = 0; d < s.rank(); ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) out.push_back(s[d]);
  std::vector<double> acc(static_cast<std::size_t>(out.numel()),
                          op == core::ReduceOp::max ? -INFINITY : op == core::ReduceOp::min ? INFINITY : 0.0);
  std::vector<double> count(acc.size(), 0);
  const auto v = t.to_vector<double>();
  for (std::int64_t i = 0; i < s.numel(); ++i) {
    std::int64_t rem = i, o = 0, mul = 1;
    for (int d = s.rank() - 1; d >= 0; --d) {
      const std::int64_t idx = rem % s[d];
      rem /= s[d];
      if (std::find(axes.begin(), axes.end(), d) == axes.end()) {
        o += idx * mul;
        mul *= s[d];
      }
    }
    auto& a = acc[static_cast<std::size_t>(o)];
    const double x = v[static_cast<std::size_t>(i)];
    if (op == core::ReduceOp::max) a = std::max(a, x);
    else if (op == core::ReduceOp::min) a = std::min(a, x);
    else a += x;
    count[static_cast<std::size_t>(o)] += 1;
  }
  if (op == core::ReduceOp::mean)
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] /= count[i];
  return acc;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_reduce)

BOOST_AUTO_TEST_CASE(every_axis_set_matches_reference) {
  const std::vector<std::pair<Shape, std::vector<std::vector<int>>>> cases = {
      {Shape{1023}, {{0}}},
      {Shape{17, 3}, {{0}, {1}, {0, 1}}},
      {Shape{3, 17, 5}, {{0}, {1}, {2}, {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}}},
      {Shape{1, 3, 1, 17}, {{0, 2}, {1, 3}, {3}}},
      {Shape{100000}, {{0}}},
      {Shape{128, 1023}, {{0}, {1}}}};
  test::for_each_isa([&](Isa) {
    Generator g(5);
    for (DType dt : {DType::float32, DType::float64, DType::int64})
      for (const auto& [shape, axis_sets] : cases)
        for (const auto& axes : axis_sets)
          for (auto op : {core::ReduceOp::sum, core::ReduceOp::mean, core::ReduceOp::max, core::ReduceOp::min}) {
            if (dt == DType::int64 && op == core::ReduceOp::mean) continue;
            Tensor t = dt == DType::int64 ? test::random_tensor(shape, g, DType::float64, -50, 50).to(dt)
                                          : test::random_tensor(shape, g, dt);
            std::vector<std::int64_t> ax(axes.begin(), axes.end());
            Tensor r = core::reduce(op, t, ax);
            const double tol = dt == DType::float32 ? 1e-5 : 1e-12;
            test::check_close(r, ref_reduce(op, t, axes), tol, tol * 10,
                              std::string(dtype_name(dt)) + " " + shape.str() + " op " + std::to_string(static_cast<int>(op)));
            Tensor k = core::reduce(op, t, ax, true);
            BOOST_TEST(k.rank() == t.rank());
            BOOST_TEST(k.numel() == r.numel());
          }
  });
}

BOOST_AUTO_TEST_CASE(all_axes_by_default_and_scalar) {
  Tensor t = Tensor::arange(1, 5).reshape({2, 2});
  BOOST_TEST(core::sum(t).item() == 10);
  BOOST_TEST(core::sum(t).rank() == 0);
  BOOST_TEST(core::mean(t).item() == 2.5);
  BOOST_TEST(core::max(t, {-1}).at({1}) == 4);
  BOOST_TEST(core::sum(Tensor::scalar(3)).item() == 3);
}

BOOST_AUTO_TEST_CASE(nan_propagates_through_max_and_sum) {
  std::vector<float> v(40, 1.0f);
  v[33] = NAN;
  Tensor t = Tensor::from_vector(v, Shape{40});
  test::for_each_isa([&](Isa) {
    BOOST_TEST(std::isnan(core::max(t).item()));
    BOOST_TEST(std::isnan(core::min(t).item()));
    BOOST_TEST(std::isnan(core::sum(t).item()));
    BOOST_TEST(core::argmax(t).item() == 33);
  });
}

BOOST_AUTO_TEST_CASE(argmax_along_axes) {
  Tensor t = Tensor::from_values({1, 5, 2, 7, 0, 7}, Shape{2, 3});
  test::check_close(core::argmax(t, 1), {1, 0}, 0, 0, "rows; ties take the first");
  test::check_close(core::argmax(t, 0), {1, 0, 1}, 0, 0, "columns");
  BOOST_TEST(core::argmax(t, 1).dtype() == DType::int64);
  BOOST_TEST(core::argmax(t, 1, true).shape() == (Shape{2, 1}));
}

BOOST_AUTO_TEST_CASE(sum_to_inverts_broadcasting) {
  Tensor g = Tensor::ones(Shape{4, 3, 5});
  test::check_close(core::sum_to(g, Shape{5}), std::vector<double>(5, 12), 0, 0, "to (5,)");
  test::check_close(core::sum_to(g, Shape{3, 1}), std::vector<double>(3, 20), 0, 0, "to (3, 1)");
  BOOST_TEST(core::sum_to(g, Shape{}).item() == 60);
  BOOST_CHECK_THROW(core::sum_to(g, Shape{4}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(same_result_at_any_thread_count) {
  Generator g(9);
  Tensor t = test::random_tensor(Shape{1 << 20}, g);
  set_num_threads(1);
  const double one = core::sum(t).item();
  set_num_threads(2);
  const double two = core::sum(t).item();
  set_num_threads(0);
  BOOST_TEST(one == two);
}

BOOST_AUTO_TEST_CASE(bad_axes) {
  test::check_throws_with([] { core::sum(Tensor::zeros(Shape{2, 3}), {2}); }, {"sum", "axis 2", "rank 2"});
  test::check_throws_with([] { core::mean(Tensor::zeros(Shape{2, 3}), {0, -2}); }, {"mean", "repeated"});
  test::check_throws_with([] { core::max(Tensor::zeros(Shape{0, 3}), {0}); }, {"max", "(0, 3)"});
}

BOOST_AUTO_TEST_SUITE_END()
