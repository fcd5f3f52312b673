#include "golden_util.hpp"
#include "ops/gradcheck_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_shape)

BOOST_AUTO_TEST_CASE(layout_op_gradients) {
  Generator g(51);
  Tensor x = test::random_tensor(Shape{2, 3, 4}, g, DType::float64);
  Tensor w24 = test::random_tensor(Shape{2, 12}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return flatten(v[0]) * w24; }, {x}, "flatten");
  test::expect_gradients([&](const std::vector<Tensor>& v) { return reshape(v[0], {4, -1}) * reshape(w24, {4, 6}); }, {x},
                         "reshape");
  Tensor wt = test::random_tensor(Shape{4, 2, 3}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return transpose(v[0], {2, 0, 1}) * wt; }, {x}, "permute");
  Tensor y = test::random_tensor(Shape{2, 1, 4}, g, DType::float64);
  Tensor wc = test::random_tensor(Shape{2, 4, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return concat({v[0], v[1]}, 1) * wc; }, {x, y}, "concat");
  Tensor ws = test::random_tensor(Shape{2, 2, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return slice(v[0], 1, 1, 3) * ws; }, {x}, "slice");
  Tensor idx = Tensor::from_vector<std::int64_t>({1, 1, 0}, Shape{3});
  Tensor wg = test::random_tensor(Shape{3, 3, 4}, g, DType::float64);
  test::expect_gradients([&](const std::vector<Tensor>& v) { return gather_rows(v[0], idx) * wg; }, {x}, "gather_rows");
}

BOOST_AUTO_TEST_CASE(reshape_is_a_view_and_flatten_is_keras) {
  Tensor x = Tensor::arange(0, 24).reshape({2, 3, 4});
  Tensor f = flatten(x);
  BOOST_TEST(f.shape() == (Shape{2, 12}));
  BOOST_TEST(f.shares_storage(x));
  BOOST_TEST(f.at({1, 0}) == 12);
  test::check_throws_with([&] { reshape(x, {5, -1}); }, {"reshape", "(2, 3, 4)"});
}


// Issue 8, problem 3: the Tensor methods reshape, slice_rows, clone and to record like the free
// functions (they used to cut the tape: undefined gradients, skipped weights). PyTorch's gradients.
BOOST_AUTO_TEST_CASE(tensor_methods_record_on_the_tape) {
  const auto golden = test::load_golden("torch_regressions.json");
  const auto& c = golden.at("tensor_methods");
  const Tensor c43 = test::golden_tensor(c.at("c43")), c24 = test::golden_tensor(c.at("c24"));
  const Tensor c34 = test::golden_tensor(c.at("c34"));
  auto grad = [&](const std::function<Tensor(const Tensor&)>& f) {
    Variable w(test::golden_tensor(c.at("w")), "w");
    GradientTape tape;
    const Tensor g = tape.gradient(f(w.value()), w.value());
    BOOST_REQUIRE(g.defined());
    return g;
  };
  auto want = [&](const char* key) { return test::golden_tensor(c.at(key)).to_vector<double>(); };
  test::check_close(grad([&](const Tensor& w) { return sum(w.reshape({4, 3}) * c43); }), want("grad_reshape"), 0, 0, "reshape");
  test::check_close(grad([&](const Tensor& w) { return sum(w.slice_rows(1, 3) * c24); }), want("grad_slice_rows_1_3"), 0,
                    0, "slice_rows");
  test::check_close(grad([&](const Tensor& w) { return sum(w.clone() * w); }), want("grad_clone_times_w"), 1e-15, 0,
                    "clone");
  test::check_close(grad([&](const Tensor& w) { return sum(w.to(DType::float32).to(DType::float64) * c34); }),
                    want("grad_to"), 0, 0, "to");
  // The gradient of a float32 -> float64 cast comes back in float32, as tf.cast's does.
  Variable w32(test::golden_tensor(c.at("w"), static_cast<int>(DType::float32)), "w32");
  GradientTape tape;
  const Tensor g32 = tape.gradient(sum(w32.value().to(DType::float64) * c34), w32.value());
  BOOST_TEST(g32.dtype() == DType::float32);
  test::check_close(g32, want("grad_to"), 1e-7, 0, "to float64 from float32");
  // A view stays a view: slice_rows shares storage, clone does not.
  Tensor x = Tensor::zeros(Shape{4, 2});
  BOOST_TEST(x.slice_rows(1, 2).shares_storage(x));
  BOOST_TEST(!x.clone().shares_storage(x));
  // Casting to an integer dtype is not differentiable: no gradient, no error.
  Variable wf(Tensor::from_values({1.5, 2.5}, Shape{2}, DType::float64), "wf");
  GradientTape tape2;
  const Tensor through_int = sum(wf.value().to(DType::int64).to(DType::float64) + wf.value());
  test::check_close(tape2.gradient(through_int, wf.value()), {1, 1}, 0, 0, "int cast blocks its branch only");
}

BOOST_AUTO_TEST_SUITE_END()
