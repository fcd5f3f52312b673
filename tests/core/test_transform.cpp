#include "core/transform.hpp"
#include "test_util.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_transform)

BOOST_AUTO_TEST_CASE(permute_matches_index_arithmetic) {
  Generator g(4);
  Tensor t = test::random_tensor(Shape{3, 17, 5}, g, DType::float64);
  Tensor p = core::permute(t, {2, 0, 1});
  BOOST_TEST(p.shape() == (Shape{5, 3, 17}));
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 17; ++j)
      for (std::int64_t k = 0; k < 5; ++k) BOOST_TEST(p.at({k, i, j}) == t.at({i, j, k}));
  Tensor m = Tensor::arange(0, 6).reshape({2, 3});
  test::check_close(core::transpose(m), {0, 3, 1, 4, 2, 5}, 0, 0, "transpose");
  BOOST_CHECK_THROW(core::permute(t, {0, 0, 1}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(concat_slice_gather) {
  Tensor a = Tensor::arange(0, 6).reshape({2, 3}), b = Tensor::arange(6, 10).reshape({2, 2});
  Tensor c = core::concat({a, b}, 1);
  test::check_close(c, {0, 1, 2, 6, 7, 3, 4, 5, 8, 9}, 0, 0, "concat axis 1");
  test::check_close(core::concat({a, a}, 0), {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, 0, 0, "concat axis 0");
  test::check_throws_with([&] { core::concat({a, b}, 0); }, {"concat", "(2, 3)", "(2, 2)"});
  test::check_close(core::slice(c, 1, 2, 4), {2, 6, 5, 8}, 0, 0, "slice");
  Tensor idx = Tensor::from_vector<std::int64_t>({1, 0, 1}, Shape{3});
  test::check_close(core::gather_rows(a, idx), {3, 4, 5, 0, 1, 2, 3, 4, 5}, 0, 0, "gather");
  test::check_close(core::scatter_add_rows(core::gather_rows(a, idx), idx, a.shape()), {0, 1, 2, 6, 8, 10}, 0, 0, "scatter");
  test::check_throws_with([&] { core::gather_rows(a, Tensor::from_vector<std::int64_t>({2}, Shape{1})); },
                          {"gather_rows", "index 2", "2 rows"});
}

BOOST_AUTO_TEST_SUITE_END()
