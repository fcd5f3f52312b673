#include <cmath>

#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_inspect)

BOOST_AUTO_TEST_CASE(norms_and_clipping) {
  Tensor a = Tensor::from_values({3, 0}, Shape{2}), b = Tensor::from_values({4}, Shape{1});
  BOOST_TEST(global_norm({a, b, Tensor()}) == 5);
  auto [clipped, norm] = clip_by_global_norm({a, b}, 1.0);
  BOOST_TEST(norm == 5);
  BOOST_TEST(std::fabs(global_norm(clipped) - 1) < 1e-6);
  BOOST_TEST(std::fabs(clipped[0].at({0}) - 0.6) < 1e-6);
  auto [same, n2] = clip_by_global_norm({a, b}, 10.0);
  BOOST_TEST(same[0].is_same(a));
  test::check_close(clip_by_value(Tensor::from_values({-2, 0.5, 3}, Shape{3}), -1, 1), {-1, 0.5, 1}, 0, 0, "clip");
  Tensor x = Tensor::from_values({-2, 0.5, 3}, Shape{3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  test::check_close(tape.gradient(clip_by_value(x, -1, 1), x), {0, 1, 0}, 0, 0, "clip gradient");
}

BOOST_AUTO_TEST_CASE(describe_line) {
  Tensor t = Tensor::from_values({1, -1, 3, INFINITY, NAN}, Shape{5});
  const std::string s = describe(t);
  BOOST_TEST(s.find("shape=(5,) dtype=float32") == 0u);
  BOOST_TEST(s.find("min=-1 max=3 mean=1") != std::string::npos, s);
  BOOST_TEST(s.find("nan=1 inf=1") != std::string::npos, s);
}

BOOST_AUTO_TEST_CASE(dropout_is_inverted_and_only_in_training) {
  Generator g(71);
  Tensor x = Tensor::ones(Shape{10000});
  Tensor y = dropout(x, 0.25, g);
  double kept = 0;
  for (float v : y.to_vector<float>()) {
    BOOST_TEST((v == 0.0f || std::fabs(v - 1 / 0.75f) < 1e-6));
    kept += v != 0;
  }
  BOOST_TEST(std::fabs(kept / 10000 - 0.75) < 0.02);
  BOOST_TEST(dropout(x, 0.25, g, /*training=*/false).is_same(x));
  Tensor xd = Tensor::ones(Shape{50}, DType::float64);
  GradientTape tape;
  tape.watch(xd);
  Tensor yd = dropout(xd, 0.5, g);
  test::check_close(tape.gradient(yd, xd), yd.to_vector<double>(), 0, 0, "mask gradient");
  test::check_throws_with([&] { dropout(x, 1.0, g); }, {"dropout", "rate"});
}

BOOST_AUTO_TEST_CASE(dropout_mask_is_the_sequential_draw_stream_at_any_thread_count) {
  // The mask is drawn by threads out of order; it must still be element i dropped <=> the (i+1)-th
  // next_double() of the generator is below rate, and leave the generator n draws further on.
  const std::int64_t n = 100003;  // several parallel chunks and a ragged end
  for (const double rate : {0.5, 0.1, 1.0 / 3.0}) {
    Generator g(2024), ref(2024);
    std::vector<double> xs(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) xs[static_cast<std::size_t>(i)] = 1.0 + static_cast<double>(i % 7);
    xs[5] = NAN;
    xs[6] = INFINITY;
    const Tensor x = Tensor::from_vector(xs, Shape{n});
    const std::vector<double> y = dropout(x, rate, g).to_vector<double>();
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const bool dropped = ref.next_double() < rate;
      const double want = xs[k] * (dropped ? 0.0 : 1.0 / (1.0 - rate));  // NaN and inf x 0 stay NaN
      if (!(y[k] == want || (std::isnan(y[k]) && std::isnan(want)))) ++wrong;
    }
    BOOST_TEST(wrong == 0, "rate " << rate);
    BOOST_TEST(std::isnan(y[5]));
    BOOST_TEST(g.next_u64() == ref.next_u64(), "generator advanced by n draws, rate " << rate);
  }
}

BOOST_AUTO_TEST_CASE(gradcheck_reports_a_wrong_rule) {
  // A deliberately wrong backward (the correct forward of x^2 with derivative 3x) must fail the check.
  auto wrong = [](const std::vector<Tensor>& v) {
    Tensor y = core::square(v[0]);
    if (autograd::should_record({&v[0]}))
      autograd::record("wrong", {v[0]}, y, [x = v[0]](const Tensor& g, const autograd::Needs&) { return std::vector<Tensor>{g * x * 3.0}; });
    return y;
  };
  const GradCheckResult r = check_gradients(wrong, {Tensor::from_values({1, 2}, Shape{2}, DType::float64)});
  BOOST_TEST(!r.passed);
  BOOST_TEST(r.worst_index == 1);
  BOOST_TEST(std::fabs(r.analytic - 6) < 1e-9);
  BOOST_TEST(std::fabs(r.numeric - 4) < 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
