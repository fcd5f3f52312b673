#include <boost/test/unit_test.hpp>

#include "tapegrad.hpp"

using namespace tg;

BOOST_AUTO_TEST_SUITE(test_tensor)

BOOST_AUTO_TEST_CASE(copy_aliases_clone_copies) {
  Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor b = a;
  b.data<float>()[0] = 42;
  BOOST_TEST(a.at({0, 0}) == 42);
  BOOST_TEST(a.is_same(b));
  Tensor c = a.clone();
  c.data<float>()[1] = -1;
  BOOST_TEST(a.at({0, 1}) == 2);
  BOOST_TEST(!c.shares_storage(a));
  BOOST_TEST(reinterpret_cast<std::uintptr_t>(a.raw_data()) % 64 == 0u);
}

BOOST_AUTO_TEST_CASE(reshape_is_a_view_and_checks_counts) {
  Tensor a = Tensor::arange(0, 12);
  Tensor r = a.reshape({3, -1});
  BOOST_TEST(r.shape() == (Shape{3, 4}));
  BOOST_TEST(r.shares_storage(a));
  BOOST_TEST(r.at({2, 1}) == 9);
  BOOST_CHECK_THROW(a.reshape({5, -1}), std::invalid_argument);
  try {
    a.reshape({5, 2});
    BOOST_FAIL("no throw");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("(12,)") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("(5, 2)") != std::string::npos);
  }
  Tensor rows = r.slice_rows(1, 3);
  BOOST_TEST(rows.shape() == (Shape{2, 4}));
  BOOST_TEST(rows.at({0, 0}) == 4);
}

BOOST_AUTO_TEST_CASE(scalars_dtypes_and_casts) {
  Tensor s = Tensor::scalar(2.5, DType::float64);
  BOOST_TEST(s.rank() == 0);
  BOOST_TEST(s.numel() == 1);
  BOOST_TEST(s.item() == 2.5);
  Tensor i = s.to(DType::int32);
  BOOST_TEST(i.item() == 2);
  Tensor l = Tensor::from_vector<std::int64_t>({3, -7}, Shape{2});
  BOOST_TEST(l.to(DType::float32).to_vector<float>()[1] == -7.0f);
  BOOST_CHECK_THROW(l.data<float>(), std::invalid_argument);
  BOOST_CHECK_THROW(Tensor::from_values({1, 2, 3}, Shape{2, 2}), std::invalid_argument);
  BOOST_CHECK_THROW((void)Tensor::zeros(Shape{2}).item(), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(seeded_random_is_reproducible) {
  Generator g1(7), g2(7), g3(8);
  Tensor a = Tensor::uniform(Shape{1000}, -1, 1, g1);
  Tensor b = Tensor::uniform(Shape{1000}, -1, 1, g2);
  Tensor c = Tensor::uniform(Shape{1000}, -1, 1, g3);
  BOOST_TEST(a.to_vector<float>() == b.to_vector<float>(), boost::test_tools::per_element());
  BOOST_TEST(a.to_vector<float>() != c.to_vector<float>());
  double mean = 0, var = 0;
  Generator g4(1);
  Tensor n = Tensor::normal(Shape{20000}, 0, 1, g4, DType::float64);
  for (double v : n.to_vector<double>()) mean += v;
  mean /= 20000;
  for (double v : n.to_vector<double>()) var += (v - mean) * (v - mean);
  var /= 20000;
  BOOST_TEST(std::abs(mean) < 0.03);
  BOOST_TEST(std::abs(var - 1) < 0.05);
  for (float v : a.to_vector<float>()) BOOST_TEST((v >= -1 && v < 1));
}

BOOST_AUTO_TEST_CASE(printing_is_numpy_like) {
  Tensor a = Tensor::from_values({1, 2, 3, 4}, Shape{2, 2});
  BOOST_TEST(to_string(a) == "tensor([[1, 2],\n        [3, 4]], shape=(2, 2), dtype=float32)");
  BOOST_TEST(to_string(Tensor::arange(0, 10, 1, DType::int64)) ==
             "tensor([0, 1, 2, ..., 7, 8, 9], shape=(10,), dtype=int64)");
  BOOST_TEST(to_string(Tensor::scalar(1.5)) == "tensor(1.5, shape=(), dtype=float32)");
}

BOOST_AUTO_TEST_CASE(allocator_reuses_blocks) {
  { Tensor warm(Shape{1000, 100}); }
  const auto before = alloc::stats();
  for (int i = 0; i < 10; ++i) {
    Tensor t(Shape{1000, 100});
    t.fill(i);
  }
  const auto after = alloc::stats();
  BOOST_TEST(after.system_allocations == before.system_allocations);
  BOOST_TEST(after.cache_hits >= before.cache_hits + 10);
}

BOOST_AUTO_TEST_SUITE_END()
