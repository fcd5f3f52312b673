// summary/histogram.cpp: TensorFlow's bucketing, against numpy (tests/golden/gen_tfevents.py).
#include <cfloat>

#include "golden_util.hpp"
#include "summary/histogram.hpp"
#include "test_util.hpp"

using namespace tg;

namespace {

void check_histogram(const summary::Histogram& h, const nlohmann::json& want) {
  BOOST_TEST(h.min == want.at("min").get<double>());
  BOOST_TEST(h.max == want.at("max").get<double>());
  BOOST_TEST(h.num == want.at("num").get<double>());
  BOOST_TEST(h.sum == want.at("sum").get<double>());
  BOOST_TEST(h.sum_squares == want.at("sum_squares").get<double>());
  BOOST_TEST(h.bucket_limit == want.at("bucket_limit").get<std::vector<double>>(), boost::test_tools::per_element());
  BOOST_TEST(h.bucket == want.at("bucket").get<std::vector<double>>(), boost::test_tools::per_element());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_histogram)

BOOST_AUTO_TEST_CASE(default_limits_are_tensorflows) {
  const auto& l = summary::default_bucket_limits();
  BOOST_TEST(l.size() == test::load_golden("tfevents.json").at("bucket_count").get<std::size_t>());
  BOOST_TEST(l.size() % 2 == 1u);
  const std::size_t zero = l.size() / 2;
  BOOST_TEST(l[zero] == 0.0);
  BOOST_TEST(l[zero + 1] == 1e-12);
  BOOST_TEST(l[zero + 2] == 1e-12 * 1.1);
  BOOST_TEST(l.front() == -DBL_MAX);
  BOOST_TEST(l.back() == DBL_MAX);
  BOOST_TEST(l[l.size() - 2] < 1e20);
  BOOST_TEST(l[l.size() - 2] * 1.1 >= 1e20);
  for (std::size_t i = 1; i < l.size(); ++i) BOOST_TEST_REQUIRE(l[i - 1] < l[i]);
  for (std::size_t i = 0; i < zero; ++i) BOOST_TEST_REQUIRE(l[i] == -l[l.size() - 1 - i]);
}

BOOST_AUTO_TEST_CASE(buckets_match_numpy) {
  const auto g = test::load_golden("tfevents.json");
  // Values over 40 decades of both signs.
  check_histogram(summary::make_histogram(test::golden_tensor(g.at("spread").at("values")), "spread"),
                  g.at("spread").at("histogram"));
  // Exact limits, +-0, subnormals, beyond 1e20; and an empty tensor.
  for (const auto& op : g.at("ops"))
    if (op.at("kind") == "histogram") {
      BOOST_TEST_CONTEXT(op.at("tag")) {
        check_histogram(summary::make_histogram(test::golden_tensor(op.at("values")), op.at("tag")),
                        g.at("histograms").at(op.at("tag").get<std::string>()));
      }
    }
}

BOOST_AUTO_TEST_CASE(a_value_lands_below_the_first_limit_that_exceeds_it) {
  // Hand-checked: 1.0 lies between limits 1e-12 * 1.1^289 and ^290; 0 and -0 land right above limit 0.
  const summary::Histogram h = summary::make_histogram(Tensor::from_values({0.0, -0.0, 1.0}, {3}, DType::float64), "h");
  BOOST_REQUIRE_EQUAL(h.bucket.size(), 5u);  // empty run, [0, 1e-12), empty run, [.., > 1), empty run
  BOOST_TEST(h.bucket_limit[1] == 1e-12);
  BOOST_TEST(h.bucket[1] == 2.0);
  BOOST_TEST(h.bucket_limit[3] > 1.0);
  BOOST_TEST(h.bucket_limit[3] / 1.1 <= 1.0);
  BOOST_TEST(h.bucket[3] == 1.0);
  BOOST_TEST(h.bucket_limit[4] == DBL_MAX);
  BOOST_TEST(h.bucket[0] == 0.0);
  BOOST_TEST(h.bucket_limit[0] == 0.0);  // the empty run up to 0 ends at limit 0
  BOOST_TEST(h.num == 3.0);
  BOOST_TEST(h.sum_squares == 1.0);
  // float32 and int tensors are read as double.
  BOOST_TEST(summary::make_histogram(Tensor::from_values({2, 3}, {2}, DType::int64), "i").sum == 5.0);
  BOOST_TEST(summary::make_histogram(Tensor::from_values({DBL_MAX}, {1}, DType::float64), "max").bucket.back() == 1.0);
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_refused_naming_the_tag) {
  test::check_throws_with([] { summary::make_histogram(Tensor::from_values({1, NAN, NAN}, {3}), "dense/kernel"); },
                          {"'dense/kernel'", "float32 (3,)", "2 NaN and 0 Inf"});
  test::check_throws_with([] { summary::make_histogram(Tensor(), "t"); }, {"undefined"});
}

BOOST_AUTO_TEST_SUITE_END()
