#include "test_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_variable)

// A Variable reads as its tensor in every operator form, and the tape records it: the gradient
// reaches the variable (TensorFlow's tf.Variable behaves so; before, `x * w` did not compile).
BOOST_AUTO_TEST_CASE(operators_on_variables_record) {
  const Tensor x = Tensor::from_values({1, 2, 3}, Shape{3}, DType::float64);
  const Variable w(Tensor::from_values({0.5, -1, 2}, Shape{3}, DType::float64), "w");
  const Variable b(Tensor::from_values({0.25}, Shape{1}, DType::float64), "b");
  GradientTape tape;
  const Tensor y = sum(x * w + 1.0) + sum(-w) + sum(w * w) + sum(2.0 * w) + sum(w / 4.0) + sum(b - w) + sum(exp(b));
  const auto grads = tape.gradient(y, {w, b});
  // d/dw: x - 1 + 2w + 2 + 1/4 - 1 ; d/db: 3 (three elements of w broadcast b) + exp(b)
  BOOST_REQUIRE(grads[0].defined());
  test::check_close(grads[0], {1 - 1 + 1 + 2 + 0.25 - 1, 2 - 1 - 2 + 2 + 0.25 - 1, 3 - 1 + 4 + 2 + 0.25 - 1}, 1e-15, 0,
                    "dw");
  test::check_close(grads[1], {3 + std::exp(0.25)}, 1e-15, 0, "db");
  // Functions taking tensors take variables: matmul, reductions, activations.
  const Variable k(Tensor::from_values({1, 2, 3, 4}, Shape{2, 2}, DType::float64), "kernel");
  GradientTape tape2;
  const Tensor z = sum(relu(matmul(Tensor::ones(Shape{1, 2}, DType::float64), k)));
  test::check_close(tape2.gradient(z, k.value()), {1, 1, 1, 1}, 0, 0, "matmul(x, kernel)");
}

BOOST_AUTO_TEST_CASE(a_variable_converts_to_its_tensor_handle) {
  const Variable v(Tensor::zeros(Shape{2}), "v");
  const Tensor& t = v;
  BOOST_TEST(t.is_same(v.value()));  // the same tensor, not a copy
  const Variable undefined;
  test::check_throws_with<std::logic_error>([&] { const Tensor& u = undefined; (void)u; }, {"undefined Variable"});
}

BOOST_AUTO_TEST_SUITE_END()
