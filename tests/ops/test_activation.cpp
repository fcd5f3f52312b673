#include <cmath>

#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_activation)

BOOST_AUTO_TEST_CASE(gradients_at_odd_sizes) {
  Generator g(31);
  for (std::int64_t n : {1, 3, 17}) {
    Tensor x = test::random_tensor(Shape{2, n}, g, DType::float64, -3, 3);
    test::expect_gradients([](const std::vector<Tensor>& v) { return sigmoid(v[0]); }, {x}, "sigmoid");
    test::expect_gradients([](const std::vector<Tensor>& v) { return tanh(v[0]); }, {x}, "tanh");
    Tensor w = test::random_tensor(Shape{2, n}, g, DType::float64);  // weights make softmax's sum non-trivial
    for (std::int64_t axis : {-1, 0}) {
      test::expect_gradients([w, axis](const std::vector<Tensor>& v) { return softmax(v[0], axis) * w; }, {x}, "softmax");
      test::expect_gradients([w, axis](const std::vector<Tensor>& v) { return log_softmax(v[0], axis) * w; }, {x},
                             "log_softmax");
    }
  }
  Tensor away = Tensor::from_values({-2, -0.5, 0.3, 1.7}, Shape{4}, DType::float64);
  test::expect_gradients([](const std::vector<Tensor>& v) { return relu(v[0]); }, {away}, "relu");
}

BOOST_AUTO_TEST_CASE(softmax_is_probabilities_with_same_argmax) {
  Tensor x = Tensor::from_values({2, 1, 0.1, -1, 3, 0.5}, Shape{2, 3});
  Tensor p = softmax(x);
  // Reference: numpy 1.24, np.exp(x) / np.exp(x).sum(-1, keepdims=True)
  test::check_close(p, {0.65900114, 0.24243297, 0.09856589, 0.01664452, 0.90875992, 0.07459556}, 1e-6, 0, "values");
  for (int r = 0; r < 2; ++r) BOOST_TEST(std::fabs(p.at({r, 0}) + p.at({r, 1}) + p.at({r, 2}) - 1) < 1e-6);
  test::check_close(core::argmax(p, 1), {0, 1}, 0, 0, "argmax unchanged");
  test::check_close(core::argmax(x, 1), {0, 1}, 0, 0, "argmax of logits");
}

BOOST_AUTO_TEST_CASE(huge_logits_stay_finite) {
  Tensor x = Tensor::from_values({1000, 0, -1000, 1e4, -1e4, 0}, Shape{2, 3});
  test::check_close(softmax(x), {1, 0, 0, 1, 0, 0}, 0, 1e-30, "softmax");
  test::check_close(log_softmax(x), {0, -1000, -2000, 0, -2e4, -1e4}, 1e-6, 0, "log_softmax");
  // The naive route underflows: log(softmax) is -inf where log_softmax is finite.
  BOOST_TEST(std::isinf(log(softmax(x)).at({0, 2})));
}

BOOST_AUTO_TEST_CASE(relu_keeps_nan_and_zeroes_negatives) {
  Tensor x = Tensor::from_values({-1, 0, 2, NAN}, Shape{4});
  Tensor y = relu(x);
  BOOST_TEST(y.at({0}) == 0);
  BOOST_TEST(y.at({2}) == 2);
  BOOST_TEST(std::isnan(y.at({3})));
}

BOOST_AUTO_TEST_SUITE_END()
