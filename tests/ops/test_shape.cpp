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

BOOST_AUTO_TEST_SUITE_END()
