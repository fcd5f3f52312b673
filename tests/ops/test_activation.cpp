#include <cmath>

#include "ops/golden_ops_util.hpp"
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

BOOST_AUTO_TEST_CASE(keras_activations_match_torch) {
  using test::on_x;
  const std::map<std::string, test::GoldenOp> ops = {
      {"softplus", on_x(softplus)},
      {"softsign", on_x(softsign)},
      {"elu", [](const auto& v, const auto& p) { return std::vector<Tensor>{elu(v[0], p.at("alpha").template get<double>())}; }},
      {"selu", on_x(selu)},
      {"gelu", [](const auto& v, const auto& p) { return std::vector<Tensor>{gelu(v[0], p.at("approximate").template get<bool>())}; }},
      {"silu", on_x(silu)},
      {"leaky_relu",
       [](const auto& v, const auto& p) { return std::vector<Tensor>{leaky_relu(v[0], p.at("negative_slope").template get<double>())}; }},
      {"relu6", on_x(relu6)},
      {"hard_sigmoid", on_x(hard_sigmoid)},
      {"hard_sigmoid_keras2", on_x(hard_sigmoid_keras2)},
      {"exponential", on_x(exponential)},
  };
  BOOST_TEST(test::run_golden_ops("activation", ops) >= 40);
}

BOOST_AUTO_TEST_CASE(keras_activation_gradients_at_odd_sizes) {
  Generator g(37);
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> acts = {
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"elu 0.4", [](const Tensor& x) { return elu(x, 0.4); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu tanh", [](const Tensor& x) { return gelu(x, true); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.3); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }},
      {"hard_sigmoid_keras2", [](const Tensor& x) { return hard_sigmoid_keras2(x); }},
      {"exponential", [](const Tensor& x) { return exponential(x); }},
  };
  for (std::int64_t n : {1, 3, 17}) {
    const Tensor x = test::random_tensor(Shape{2, n}, g, DType::float64, -4, 7);
    const Tensor w = test::random_tensor(Shape{2, n}, g, DType::float64);
    for (const auto& [name, f] : acts)
      test::expect_gradients([&f = f, w](const std::vector<Tensor>& v) { return f(v[0]) * w; }, {x}, name);
  }
}

// The backward rules are differentiable ops: the gradient of the gradient matches central differences.
BOOST_AUTO_TEST_CASE(second_order_gradients) {
  Generator g(38);
  const Tensor x = test::random_tensor(Shape{3, 5}, g, DType::float64, -3, 3);
  const Tensor w = test::random_tensor(Shape{3, 5}, g, DType::float64);
  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> acts = {
      {"softplus", [](const Tensor& t) { return softplus(t); }}, {"elu", [](const Tensor& t) { return elu(t, 0.7); }},
      {"selu", [](const Tensor& t) { return selu(t); }},         {"gelu", [](const Tensor& t) { return gelu(t); }},
      {"gelu tanh", [](const Tensor& t) { return gelu(t, true); }}, {"silu", [](const Tensor& t) { return silu(t); }},
      {"softsign", [](const Tensor& t) { return softsign(t); }}};
  for (const auto& [name, f] : acts)
    test::expect_gradients(
        [&f = f, w](const std::vector<Tensor>& v) {
          GradientTape inner;
          inner.watch(v[0]);
          return inner.gradient(sum(f(v[0]) * w), v[0]) * w;
        },
        {x}, name + " second order", 1e-5, 1e-4);
}

BOOST_AUTO_TEST_CASE(extreme_inputs_stay_finite) {
  for (DType dt : {DType::float32, DType::float64}) {
    // Reference values: log1p(exp(x)) and x / (1 + exp(-x)) with Python's math, in float64.
    const Tensor x = Tensor::from_values({-1000, -50, 50, 1000}, Shape{4}, dt);
    test::check_close(softplus(x), {0, 1.9287498479639178e-22, 50, 1000}, 1e-6, 0, "softplus");
    test::check_close(silu(x), {0, -9.643749239819588e-21, 50, 1000}, 1e-6, 0, "silu");
    test::check_close(gelu(x), {0, 0, 50, 1000}, 1e-6, 0, "gelu");
    test::check_close(gelu(x, true), {0, 0, 50, 1000}, 1e-6, 0, "gelu tanh");
    test::check_close(elu(x), {-1, -1, 50, 1000}, 1e-6, 0, "elu");
    GradientTape tape;
    tape.watch(x);
    test::check_close(tape.gradient(sum(softplus(x)), x), {0, 1.9287498479639178e-22, 1, 1}, 1e-6, 0, "softplus gradient");
  }
}

BOOST_AUTO_TEST_CASE(gelu_keeps_its_negative_tail) {
  // x/2 erfc(-x / sqrt 2) (torch.special.erfc, float64): 1 + erf(x / sqrt 2) would lose it to cancellation.
  const Tensor x = Tensor::from_values({-8, -6}, Shape{2}, DType::float64);
  test::check_close(gelu(x), {-4.976768459417456e-15, -5.919525870226208e-09}, 1e-12, 0, "float64");
  test::check_close(gelu(x.to(DType::float32)), {-4.976768459417456e-15, -5.919525870226208e-09}, 1e-5, 0, "float32");
}

BOOST_AUTO_TEST_CASE(activations_without_a_tape_and_unwatched) {
  const Tensor x = Tensor::from_values({-2, 0.5}, Shape{2}, DType::float64);
  test::check_close(leaky_relu(x), {-0.4, 0.5}, 1e-15, 0, "tf.nn default slope 0.2");
  test::check_close(hard_sigmoid(x), {1.0 / 6, 7.0 / 12}, 1e-15, 0, "Keras 3 hard_sigmoid");
  test::check_close(hard_sigmoid_keras2(x), {0.1, 0.6}, 1e-15, 0, "Keras 2 hard_sigmoid");
  GradientTape tape;
  const Tensor w = Tensor::from_values({1, 2}, Shape{2}, DType::float64);
  tape.watch(w);
  const Tensor y = sum(gelu(x) * w + relu6(x) + silu(x));  // x is not watched
  const auto grads = tape.gradient(y, {x, w});
  BOOST_TEST(!grads[0].defined());
  BOOST_REQUIRE(grads[1].defined());
  // gelu(-2) = -2 Phi(-2), gelu(0.5) = 0.5 Phi(0.5), Phi(x) = (1 + erf(x / sqrt 2)) / 2 with Python's math.erf
  test::check_close(grads[1], {-0.04550026389635842, 0.34573123063700656}, 1e-12, 0, "gelu values through w");
}

BOOST_AUTO_TEST_CASE(integer_inputs_are_refused_by_name) {
  const Tensor i = Tensor::from_values({1, -2, 3}, Shape{3}, DType::int32);
  test::check_throws_with([&] { leaky_relu(i); }, {"leaky_relu", "int32", "(3,)"});
  test::check_throws_with([&] { elu(i); }, {"elu", "int32"});
  test::check_throws_with([&] { relu6(i); }, {"relu6", "int32"});
  test::check_throws_with([&] { softsign(i); }, {"softsign", "int32"});
  test::check_throws_with([&] { gelu(i); }, {"gelu", "int32"});
  test::check_throws_with([&] { softplus(i); }, {"softplus", "int32"});
}

BOOST_AUTO_TEST_SUITE_END()
